package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/bits"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/internal/tlogtiles"
)

// TransparencyLogProjection is the name (and checkpoint) of the log.
const TransparencyLogProjection = "transparency_log"

// TransparencyLog appends to the node's transparency log (issue #16) one
// leaf per v2 federation statement the node signed, in the order the log
// of events is applied, and keeps the tree's stored hashes beside the
// leaves. The index is the previous largest plus one, taken inside the
// projection's transaction: one consumer applies the log at a time, in its
// gap-free commit order, so a rebuild numbers every leaf the same and
// reproduces every hash.
//
// Leaf gives the exact statement bytes the node's v2 signature covers; it
// comes from the wiring (adapters/nodekey's canonical encoding), which this
// package must not import.
type TransparencyLog struct {
	Leaf func(domain.PluginMirrored) ([]byte, error)
	// copyAt replaces copyRunAt when set (tests: COPY however short).
	copyAt int
}

func (TransparencyLog) Name() string { return TransparencyLogProjection }

// Unskippable: an event the log cannot apply stops it rather than being
// poisoned (eventstore.Unskippable): a leaf skipped now but applied by a
// later rebuild would change every later index and root, and every
// downstream would see the log as rewritten.
func (TransparencyLog) Unskippable() {}

// Tables lists what a rebuild replaces (eventstore.TableOwner).
func (TransparencyLog) Tables() []string {
	return []string{"transparency_log", "transparency_log_hashes"}
}

func (TransparencyLog) Reset(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `TRUNCATE transparency_log, transparency_log_hashes`)
	return err
}

// Apply is ApplyBatch of one event: both read the tree's right edge, so
// an event applied alone (the runner's careful path) numbers and hashes
// exactly as in a batch.
func (l TransparencyLog) Apply(ctx context.Context, tx pgx.Tx, stored eventstore.Event) error {
	return l.ApplyBatch(ctx, tx, []eventstore.Event{stored})
}

// logLeaf is one statement about to be logged.
type logLeaf struct {
	event domain.PluginMirrored
	id    uuid.UUID
	entry []byte
}

// ApplyBatch logs the batch's signed statements. It reads (the size, and
// the hashes of the tree's right edge the new leaves combine with), which
// the runner's pipelined transaction answers after sending what is queued;
// a batch without a signed statement reads nothing.
func (l TransparencyLog) ApplyBatch(ctx context.Context, tx pgx.Tx, events []eventstore.Event) error {
	leaves, err := l.leaves(events)
	if err != nil || len(leaves) == 0 {
		return err
	}
	ids := make([]uuid.UUID, len(leaves))
	for i, lf := range leaves {
		ids[i] = lf.id
	}
	var size int64
	var logged []uuid.UUID
	if err := tx.QueryRow(ctx, `SELECT coalesce((SELECT max(idx) + 1 FROM transparency_log), 0),
		coalesce((SELECT array_agg(event_id) FROM transparency_log WHERE event_id = ANY($1)), '{}')`, ids).Scan(&size, &logged); err != nil {
		return fmt.Errorf("transparency log: read its size: %w", err)
	}
	if len(logged) > 0 {
		// Applied before (nothing should apply an event twice; if it
		// does, the leaf is not logged twice).
		seen := make(map[uuid.UUID]bool, len(logged))
		for _, id := range logged {
			seen[id] = true
		}
		kept := leaves[:0]
		for _, lf := range leaves {
			if !seen[lf.id] {
				kept = append(kept, lf)
			}
		}
		if leaves = kept; len(leaves) == 0 {
			return nil
		}
	}
	hashes := &edgeHashes{ctx: ctx, tx: tx, known: map[int64]tlog.Hash{}}
	if err := hashes.prefetch(size); err != nil {
		return err
	}
	rows := logRows{}
	for i, lf := range leaves {
		n := size + int64(i)
		stored, err := tlog.StoredHashesForRecordHash(n, tlog.RecordHash(lf.entry), hashes)
		if err != nil {
			return fmt.Errorf("transparency log: hashes of leaf %d: %w", n, err)
		}
		first := tlog.StoredHashIndex(0, n)
		for j, h := range stored {
			hashes.known[first+int64(j)] = h
			rows.hashIDs = append(rows.hashIDs, first+int64(j))
			rows.hashes = append(rows.hashes, h[:])
		}
		rows.add(n, lf)
	}
	return rows.write(ctx, tx, cmp.Or(l.copyAt, copyRunAt))
}

// leaves picks the events that log a statement: plugin.mirrored with the
// node's v2 signature (a version mirrored before v2 has none to log).
func (l TransparencyLog) leaves(events []eventstore.Event) ([]logLeaf, error) {
	var out []logLeaf
	for _, stored := range events {
		if stored.Type != domain.EventPluginMirrored {
			continue
		}
		e, err := eventstore.DecodeAs[domain.PluginMirrored](stored)
		if err != nil {
			return nil, err
		}
		if e.FederationSignatureV2 == "" {
			continue
		}
		if l.Leaf == nil {
			return nil, errors.New("transparency log: no leaf encoding was wired")
		}
		entry, err := l.Leaf(e)
		if err != nil {
			return nil, fmt.Errorf("transparency log: statement of %s %s from %s: %w", e.Plugin, e.Version, e.SourceID, err)
		}
		if len(entry) > tlogtiles.MaxEntry {
			// An entry bundle cannot carry it: logged, it would make its
			// tile unservable. The sync refuses such a version before it
			// signs it (app.SyncSource), so this is a bug: the log stops
			// here (Unskippable) rather than skip a signed statement.
			return nil, fmt.Errorf("transparency log: statement of %s %s from %s has %d bytes, more than an entry bundle holds (%d)",
				e.Plugin, e.Version, e.SourceID, len(entry), tlogtiles.MaxEntry)
		}
		out = append(out, logLeaf{event: e, id: stored.ID, entry: entry})
	}
	return out, nil
}

// edgeHashes is the tlog.HashReader the new leaves are hashed with: the
// hashes written in this batch, and the complete subtrees on the right
// edge of the tree as it stood (all a new leaf combines with), read in one
// query up front. Anything else is read when asked for.
type edgeHashes struct {
	ctx   context.Context
	tx    pgx.Tx
	known map[int64]tlog.Hash
}

// prefetch reads the right edge of the tree of size n: for each bit set in
// n, the last complete subtree at that level.
func (h *edgeHashes) prefetch(n int64) error {
	var want []int64
	for level := 0; level < 64-bits.LeadingZeros64(uint64(n)); level++ {
		if n>>level&1 == 1 {
			want = append(want, tlog.StoredHashIndex(level, n>>level-1))
		}
	}
	if len(want) == 0 {
		return nil
	}
	return h.read(want)
}

func (h *edgeHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	var missing []int64
	for _, i := range indexes {
		if _, ok := h.known[i]; !ok {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 {
		if err := h.read(missing); err != nil {
			return nil, err
		}
	}
	out := make([]tlog.Hash, len(indexes))
	for k, i := range indexes {
		out[k] = h.known[i]
	}
	return out, nil
}

func (h *edgeHashes) read(indexes []int64) error {
	got, err := readStoredHashes(h.ctx, h.tx, indexes)
	if err != nil {
		return fmt.Errorf("transparency log: %w", err)
	}
	for k, i := range indexes {
		h.known[i] = got[k]
	}
	return nil
}

// queryer is what reading the hashes needs: the projection's transaction
// or the reader's pool.
type queryer interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// readStoredHashes reads stored hashes in the order asked; one the table
// does not hold is an error.
func readStoredHashes(ctx context.Context, q queryer, indexes []int64) ([]tlog.Hash, error) {
	rows, err := q.Query(ctx, `SELECT id, hash FROM transparency_log_hashes WHERE id = ANY($1)`, indexes)
	if err != nil {
		return nil, fmt.Errorf("read stored hashes: %w", err)
	}
	byID := make(map[int64]tlog.Hash, len(indexes))
	var id int64
	var b []byte
	if _, err := pgx.ForEachRow(rows, []any{&id, &b}, func() error {
		if len(b) != tlog.HashSize {
			return fmt.Errorf("stored hash %d has %d bytes", id, len(b))
		}
		byID[id] = tlog.Hash(b)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read stored hashes: %w", err)
	}
	out := make([]tlog.Hash, len(indexes))
	for k, i := range indexes {
		h, ok := byID[i]
		if !ok {
			return nil, fmt.Errorf("stored hash %d is not in the log: %w", i, domain.ErrNotFound)
		}
		out[k] = h
	}
	return out, nil
}

// logRows are a batch's leaves and hashes, written with one statement
// each (queued in the runner's pipeline).
type logRows struct {
	idx                                          []int64
	ids                                          []uuid.UUID
	sources, plugins, versions, keys, signatures []string
	entries                                      [][]byte
	at                                           []time.Time
	hashIDs                                      []int64
	hashes                                       [][]byte
}

func (r *logRows) add(n int64, lf logLeaf) {
	e := lf.event
	r.idx = append(r.idx, n)
	r.ids = append(r.ids, lf.id)
	r.sources = append(r.sources, string(e.SourceID))
	r.plugins = append(r.plugins, e.Plugin)
	r.versions = append(r.versions, e.Version)
	r.keys = append(r.keys, e.NodeKeyID)
	r.signatures = append(r.signatures, e.FederationSignatureV2)
	r.entries = append(r.entries, lf.entry)
	r.at = append(r.at, e.At)
}

// write queues two INSERTs of unnested arrays, or from copyRunAt leaves
// (a rebuild's or a catch-up's batch) copies them: pgx builds each array as
// one growing buffer, and COPY's plain inserts cost the server less too.
func (r *logRows) write(ctx context.Context, tx pgx.Tx, copyAt int) error {
	if len(r.idx) >= copyAt {
		return r.copy(ctx, tx)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO transparency_log (idx, event_id, source_id, plugin, version, node_key_id, signature, entry, at)
		SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bytea[], $9::timestamptz[])`,
		r.idx, r.ids, r.sources, r.plugins, r.versions, r.keys, r.signatures, r.entries, r.at); err != nil {
		return fmt.Errorf("transparency log: write leaves: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO transparency_log_hashes (id, hash) SELECT * FROM unnest($1::bigint[], $2::bytea[])`,
		r.hashIDs, r.hashes); err != nil {
		return fmt.Errorf("transparency log: write hashes: %w", err)
	}
	return nil
}

func (r *logRows) copy(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"transparency_log"},
		[]string{"idx", "event_id", "source_id", "plugin", "version", "node_key_id", "signature", "entry", "at"},
		pgx.CopyFromSlice(len(r.idx), func(i int) ([]any, error) {
			return []any{r.idx[i], r.ids[i], r.sources[i], r.plugins[i], r.versions[i], r.keys[i], r.signatures[i], r.entries[i], r.at[i]}, nil
		})); err != nil {
		return fmt.Errorf("transparency log: write leaves: %w", err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"transparency_log_hashes"}, []string{"id", "hash"},
		pgx.CopyFromSlice(len(r.hashIDs), func(i int) ([]any, error) { return []any{r.hashIDs[i], r.hashes[i]}, nil })); err != nil {
		return fmt.Errorf("transparency log: write hashes: %w", err)
	}
	return nil
}
