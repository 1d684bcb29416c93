package eventstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Restamping: after pg_dump and a restore into another cluster, the events'
// transaction ids come from the old cluster's counter, which is unrelated
// to the new one's. New events then sort before restored ones (or among
// them), and a consumer whose checkpoint holds an old, higher id never sees
// them. Restamp rewrites the stored ids so that the whole log lies below the
// new cluster's counter, in the order consumers already read it.
// docs/adr/0003-restamp.md explains the method.

// firstStamp is the lowest id Restamp writes: ids 0-2 are PostgreSQL's
// invalid, bootstrap and frozen ids; 3 is the first normal one.
const firstStamp = 3

// xid8Columns are the columns Restamp knows how to rewrite. Restamp refuses
// to run when the schema has another xid8 column: it would be left holding
// the old cluster's ids.
var xid8Columns = []string{
	"event_consumer_offsets.last_processed_transaction_id",
	"events.transaction_id",
	"poisoned_events.transaction_id",
}

// ErrDatabaseInUse means another session is connected to the database, such
// as a running pfn serve whose consumers would keep old positions in memory.
var ErrDatabaseInUse = errors.New("database is in use")

// RestampOptions tune Restamp.
type RestampOptions struct {
	// AllowOtherSessions skips the check that no other session is connected
	// to the database. The table locks still keep writers and consumers out
	// while the rewrite runs.
	AllowOtherSessions bool
	// DryRun computes and reports everything, then rolls back.
	DryRun bool
}

// OffsetChange is one consumer group's checkpoint before and after.
type OffsetChange struct {
	ConsumerGroup string   `json:"consumer_group"`
	Old           Position `json:"old"`
	New           Position `json:"new"`
}

// RestampResult reports what Restamp did (or, dry, would do).
type RestampResult struct {
	Events int64 `json:"events"`
	// Rewritten counts events whose transaction id changed.
	Rewritten int64 `json:"rewritten"`
	// MaxOldTransactionID is the highest id stored before; when it is not
	// below ClusterTransactionID the log was unreadable in this cluster.
	MaxOldTransactionID  uint64         `json:"max_old_transaction_id"`
	ClusterTransactionID uint64         `json:"cluster_transaction_id"`
	Stamps               int            `json:"stamps"` // distinct ids written
	Offsets              []OffsetChange `json:"offsets"`
	PoisonedRewritten    int64          `json:"poisoned_rewritten"`
	SequenceRaisedTo     int64          `json:"sequence_raised_to,omitempty"`
	DryRun               bool           `json:"dry_run"`
}

// Needed reports whether the log was ahead of this cluster's counter, so
// that new events would have been misordered without the restamp.
func (r RestampResult) Needed() bool { return r.MaxOldTransactionID >= r.ClusterTransactionID }

// Beginner starts a transaction: a *pgx.Conn or a *pgxpool.Pool.
type Beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Restamp rewrites every stored transaction id (events, consumer
// checkpoints, poisoned events) to small ids below the current
// transaction's, keeping the order consumers read in and what each
// consumer has already seen. It runs in one transaction that locks the
// tables, and refuses while other sessions use the database unless told
// otherwise. Running it twice changes nothing the second time.
func Restamp(ctx context.Context, db Beginner, opts RestampOptions) (RestampResult, error) {
	res := RestampResult{DryRun: opts.DryRun}
	tx, err := db.Begin(ctx)
	if err != nil {
		return res, fmt.Errorf("restamp: begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // a no-op after Commit
	if err := lockForRestamp(ctx, tx, opts); err != nil {
		return res, err
	}
	if err := tx.QueryRow(ctx, `SELECT pg_current_xact_id(), count(*), coalesce(max(transaction_id), '0')
		FROM events`).Scan(&res.ClusterTransactionID, &res.Events, &res.MaxOldTransactionID); err != nil {
		return res, fmt.Errorf("restamp: read the log's extent: %w", err)
	}
	groups, bounds, err := readOffsets(ctx, tx)
	if err != nil {
		return res, err
	}
	res.Stamps = len(bounds) + 1
	if top := uint64(firstStamp + len(bounds)); top >= res.ClusterTransactionID {
		return res, fmt.Errorf("restamp: needs ids up to %d but this cluster's counter is only at %d; run a few transactions and retry",
			top, res.ClusterTransactionID)
	}
	newBounds, err := mapBounds(ctx, tx, bounds)
	if err != nil {
		return res, err
	}
	if err := rewrite(ctx, tx, bounds, &res); err != nil {
		return res, err
	}
	for _, g := range groups {
		change := OffsetChange{ConsumerGroup: g.name, Old: g.pos}
		if i, ok := slices.BinarySearchFunc(bounds, g.pos, cmpPosition); ok {
			change.New = newBounds[i]
		}
		if _, err := tx.Exec(ctx, `UPDATE event_consumer_offsets
			SET last_processed_transaction_id = $2::text::xid8, offset_acked = $3 WHERE consumer_group = $1`,
			g.name, strconv.FormatUint(change.New.TransactionID, 10), change.New.GlobalPosition); err != nil {
			return res, fmt.Errorf("restamp: checkpoint of %q: %w", g.name, err)
		}
		res.Offsets = append(res.Offsets, change)
	}
	if opts.DryRun {
		return res, nil
	}
	if err := tx.Commit(ctx); err != nil {
		return res, fmt.Errorf("restamp: commit: %w", err)
	}
	return res, nil
}

func lockForRestamp(ctx context.Context, tx pgx.Tx, opts RestampOptions) error {
	// A consumer holds its checkpoint row for a whole page; waiting a little
	// lets it finish, waiting forever would hang the command.
	if _, err := tx.Exec(ctx, `SET LOCAL lock_timeout = '10s'`); err != nil {
		return fmt.Errorf("restamp: %w", err)
	}
	if _, err := tx.Exec(ctx, `LOCK TABLE events, event_consumer_offsets, poisoned_events IN ACCESS EXCLUSIVE MODE`); err != nil {
		return fmt.Errorf("restamp: lock the event tables (is a pfn serve running?): %w", err)
	}
	if !opts.AllowOtherSessions {
		rows, err := tx.Query(ctx, `SELECT format('pid %s (%s, %s, %s)', pid, coalesce(nullif(application_name, ''), 'no name'),
				coalesce(client_addr::text, 'local socket'), state)
			FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
			ORDER BY pid`)
		if err != nil {
			return fmt.Errorf("restamp: list other sessions: %w", err)
		}
		others, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("restamp: list other sessions: %w", err)
		}
		if len(others) > 0 {
			return fmt.Errorf("restamp: %w: stop every pfn serve first; connected: %s", ErrDatabaseInUse, strings.Join(others, "; "))
		}
	}
	rows, err := tx.Query(ctx, `SELECT c.relname || '.' || a.attname
		FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
		WHERE a.atttypid = 'xid8'::regtype AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p')
		  AND c.relnamespace = current_schema()::regnamespace
		ORDER BY 1`)
	if err != nil {
		return fmt.Errorf("restamp: list xid8 columns: %w", err)
	}
	cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("restamp: list xid8 columns: %w", err)
	}
	for _, c := range cols {
		if !slices.Contains(xid8Columns, c) {
			return fmt.Errorf("restamp: column %s holds transaction ids that restamp does not know how to rewrite; teach eventstore/restamp.go about it", c)
		}
	}
	return nil
}

type groupOffset struct {
	name string
	pos  Position
}

// readOffsets returns every checkpoint and the distinct non-zero ones in
// log order.
func readOffsets(ctx context.Context, tx pgx.Tx) ([]groupOffset, []Position, error) {
	rows, err := tx.Query(ctx, `SELECT consumer_group, last_processed_transaction_id, offset_acked
		FROM event_consumer_offsets ORDER BY consumer_group`)
	if err != nil {
		return nil, nil, fmt.Errorf("restamp: read checkpoints: %w", err)
	}
	groups, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (groupOffset, error) {
		var g groupOffset
		err := r.Scan(&g.name, &g.pos.TransactionID, &g.pos.GlobalPosition)
		return g, err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("restamp: read checkpoints: %w", err)
	}
	var bounds []Position
	for _, g := range groups {
		if g.pos != (Position{}) {
			bounds = append(bounds, g.pos)
		}
	}
	slices.SortFunc(bounds, cmpPosition)
	return groups, slices.Compact(bounds), nil
}

func cmpPosition(a, b Position) int {
	switch {
	case a.Less(b):
		return -1
	case b.Less(a):
		return 1
	}
	return 0
}

// mapBounds gives each checkpoint its place in the restamped log. The
// checkpoints cut the log into segments (segment k: after bound k-1 up to
// bound k); every event of segment k gets id firstStamp+k, so within a
// segment the order becomes global position order, and bound k becomes
// the segment's highest global position. A consumer at bound k has then
// seen exactly what it saw before. An empty segment maps its bound onto the
// previous one.
func mapBounds(ctx context.Context, tx pgx.Tx, bounds []Position) ([]Position, error) {
	out := make([]Position, len(bounds))
	var prevOld, prevNew Position
	for k, b := range bounds {
		var maxG *int64
		if err := tx.QueryRow(ctx, `SELECT max(global_position) FROM events
			WHERE (transaction_id, global_position) > ($1::text::xid8, $2::bigint)
			  AND (transaction_id, global_position) <= ($3::text::xid8, $4::bigint)`,
			strconv.FormatUint(prevOld.TransactionID, 10), prevOld.GlobalPosition,
			strconv.FormatUint(b.TransactionID, 10), b.GlobalPosition).Scan(&maxG); err != nil {
			return nil, fmt.Errorf("restamp: segment up to %v: %w", b, err)
		}
		out[k] = prevNew
		if maxG != nil {
			out[k] = Position{TransactionID: uint64(firstStamp + k), GlobalPosition: *maxG}
		}
		prevOld, prevNew = b, out[k]
	}
	return out, nil
}

// rewrite stamps the events and the poisoned-event records, and makes sure
// the global position sequence is past every restored event.
func rewrite(ctx context.Context, tx pgx.Tx, bounds []Position, res *RestampResult) error {
	ts := make([]string, len(bounds))
	gs := make([]int64, len(bounds))
	for i, b := range bounds {
		ts[i], gs[i] = strconv.FormatUint(b.TransactionID, 10), b.GlobalPosition
	}
	// Stamp of an event: firstStamp plus how many checkpoints lie before it.
	const stamp = `(($3 + (SELECT count(*) FROM b WHERE (b.t, b.g) < (e.transaction_id, e.global_position)))::text)::xid8`
	tag, err := tx.Exec(ctx, `WITH b(t, g) AS (SELECT t::xid8, g FROM unnest($1::text[], $2::bigint[]) AS u(t, g))
		UPDATE events e SET transaction_id = `+stamp+` WHERE e.transaction_id <> `+stamp,
		ts, gs, firstStamp)
	if err != nil {
		return fmt.Errorf("restamp: rewrite events: %w", err)
	}
	res.Rewritten = tag.RowsAffected()
	tag, err = tx.Exec(ctx, `UPDATE poisoned_events p SET transaction_id = e.transaction_id
		FROM events e WHERE e.global_position = p.global_position AND e.transaction_id <> p.transaction_id`)
	if err != nil {
		return fmt.Errorf("restamp: rewrite poisoned events: %w", err)
	}
	res.PoisonedRewritten = tag.RowsAffected()
	// pg_dump restores the sequence; a hand-made copy of the table may not
	// have, and then new events would reuse positions.
	err = tx.QueryRow(ctx, `SELECT coalesce(max(setval(pg_get_serial_sequence('events', 'global_position'), m)), 0)
		FROM (SELECT max(global_position) AS m FROM events) mx
		WHERE m > (SELECT coalesce(s.last_value, 0) FROM pg_sequences s
		           WHERE format('%I.%I', s.schemaname, s.sequencename)::regclass = pg_get_serial_sequence('events', 'global_position')::regclass)`).
		Scan(&res.SequenceRaisedTo)
	if err != nil {
		return fmt.Errorf("restamp: check the position sequence: %w", err)
	}
	return nil
}
