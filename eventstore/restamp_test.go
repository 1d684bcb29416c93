package eventstore_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/internal/testservers"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

// tally is a projection that counts how often it applied each event, so a
// test sees both events never applied and events applied twice.
type tally struct{ name string }

func (p tally) Name() string { return p.name }

func (p tally) Apply(ctx context.Context, tx pgx.Tx, e eventstore.Event) error {
	_, err := tx.Exec(ctx, `INSERT INTO tally (projection, global_position, n) VALUES ($1, $2, 1)
		ON CONFLICT (projection, global_position) DO UPDATE SET n = tally.n + 1`, p.name, e.GlobalPosition)
	return err
}

const tallyTable = `CREATE TABLE IF NOT EXISTS tally (
	projection text NOT NULL, global_position bigint NOT NULL, n int NOT NULL,
	PRIMARY KEY (projection, global_position))`

func runTally(t *testing.T, pool *pgxpool.Pool, names ...string) *eventstore.Runner {
	t.Helper()
	var ps []eventstore.Projection
	for _, n := range names {
		ps = append(ps, tally{n})
	}
	r, err := eventstore.NewRunner(pool, slog.New(slog.NewTextHandler(io.Discard, nil)),
		eventstore.RunnerConfig{PageSize: 3, PollInterval: 5 * time.Millisecond}, ps...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(pgtest.Context())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return r
}

// tallied returns how often the projection applied each position.
func tallied(t *testing.T, pool *pgxpool.Pool, name string) map[int64]int {
	t.Helper()
	rows, err := pool.Query(pgtest.Context(), `SELECT global_position, n FROM tally WHERE projection = $1`, name)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]int{}
	var g int64
	var n int
	_, err = pgx.ForEachRow(rows, []any{&g, &n}, func() error { out[g] = n; return nil })
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// readAll reads the whole log in commit order once n events are readable.
// Any transaction still open in the cluster (other tests', consumers')
// holds readers back, so it retries until then.
func readAll(t *testing.T, store *eventstore.Store, n int) []eventstore.Event {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var all []eventstore.Event
		var after eventstore.Position
		for {
			page, err := store.ReadBatch(pgtest.Context(), after, 100)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			all = append(all, page...)
			after = page[len(page)-1].Position()
		}
		if len(all) >= n {
			return all
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log shows %d events, want %d", len(all), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func positions(events []eventstore.Event) []int64 {
	out := make([]int64, len(events))
	for i, e := range events {
		out[i] = e.GlobalPosition
	}
	return out
}

// interleave appends with two transactions so that the log's commit order
// differs from its global position order (see TestQueryPagingNeverSkipsALateCommit).
func interleave(t *testing.T, pool *pgxpool.Pool, stream string) {
	t.Helper()
	ctx := pgtest.Context()
	early, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer early.Rollback(ctx)
	if _, err := early.Exec(ctx, `SELECT pg_current_xact_id()`); err != nil {
		t.Fatal(err)
	}
	if _, err := eventstore.New(pool).Append(ctx, stream+"-late", eventstore.ExpectAny, ev("late", `{}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := eventstore.New(early).Append(ctx, stream+"-early", eventstore.ExpectAny, ev("early", `{}`)); err != nil {
		t.Fatal(err)
	}
	if err := early.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

func setOffset(t *testing.T, pool *pgxpool.Pool, group string, p eventstore.Position) {
	t.Helper()
	if _, err := pool.Exec(pgtest.Context(), `INSERT INTO event_consumer_offsets VALUES ($1, $2, $3::text::xid8)
		ON CONFLICT (consumer_group) DO UPDATE SET offset_acked = excluded.offset_acked,
		last_processed_transaction_id = excluded.last_processed_transaction_id`,
		group, p.GlobalPosition, strconv.FormatUint(p.TransactionID, 10)); err != nil {
		t.Fatal(err)
	}
}

func offsets(t *testing.T, pool *pgxpool.Pool) map[string]eventstore.Position {
	t.Helper()
	rows, err := pool.Query(pgtest.Context(), `SELECT consumer_group, last_processed_transaction_id, offset_acked FROM event_consumer_offsets`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]eventstore.Position{}
	var g string
	var p eventstore.Position
	if _, err := pgx.ForEachRow(rows, []any{&g, &p.TransactionID, &p.GlobalPosition}, func() error { out[g] = p; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// seenBy is what a consumer at p has read: the events up to p in log order.
func seenBy(events []eventstore.Event, p eventstore.Position) []int64 {
	var out []int64
	for _, e := range events {
		if !p.Less(e.Position()) {
			out = append(out, e.GlobalPosition)
		}
	}
	slices.Sort(out)
	return out
}

func TestRestampKeepsWhatEachConsumerHasSeen(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	url := pgtest.URL(t)
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	store := eventstore.New(pool)
	for i := range 3 {
		interleave(t, pool, "s"+strconv.Itoa(i))
		if _, err := store.Append(ctx, "plain", eventstore.ExpectAny, ev("plain", `{}`)); err != nil {
			t.Fatal(err)
		}
	}
	before := readAll(t, store, 9)
	if len(before) != 9 {
		t.Fatalf("setup: %d events, want 9", len(before))
	}
	// Checkpoints everywhere that matters: at the start, at an event whose
	// successor in log order has a lower position, twice at one place, at
	// the end.
	at := map[string]eventstore.Position{"zero": {}, "a": before[0].Position(), "b": before[3].Position(),
		"b2": before[3].Position(), "c": before[5].Position(), "end": before[8].Position()}
	for g, p := range at {
		setOffset(t, pool, g, p)
	}
	pgtest.Exec(t, pool, `INSERT INTO poisoned_events VALUES ('c', `+strconv.FormatInt(before[4].GlobalPosition, 10)+`, '`+
		strconv.FormatUint(before[4].TransactionID, 10)+`', '`+before[4].ID.String()+`', 'x', 'boom', 3)`)

	pool.Close() // restamp wants the database to itself
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	res, err := restampAlone(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	if res.Events != 9 || res.Stamps != 5 || len(res.Offsets) != 6 || res.PoisonedRewritten != 1 {
		t.Errorf("result %+v: want 9 events, 5 stamps (4 distinct checkpoints), 6 offsets, 1 poisoned record", res)
	}

	pool2, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool2.Close()
	after := readAll(t, eventstore.New(pool2), 9)
	if got, want := sortedPositions(after), sortedPositions(before); !slices.Equal(got, want) {
		t.Fatalf("after restamp the log reads %v, want the same events %v", got, want)
	}
	now := offsets(t, pool2)
	for g, p := range at {
		if got, want := seenBy(after, now[g]), seenBy(before, p); !slices.Equal(got, want) {
			t.Errorf("consumer %s: has seen %v after restamp (at %v), %v before (at %v)", g, got, now[g], want, p)
		}
	}
	for _, e := range after {
		if e.TransactionID >= res.ClusterTransactionID {
			t.Errorf("event %d kept transaction id %d, not below the restamp's %d", e.GlobalPosition, e.TransactionID, res.ClusterTransactionID)
		}
	}
	var poisonedTx uint64
	if err := pool2.QueryRow(ctx, `SELECT p.transaction_id FROM poisoned_events p`).Scan(&poisonedTx); err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(after, func(e eventstore.Event) bool { return e.GlobalPosition == before[4].GlobalPosition }); after[i].TransactionID != poisonedTx {
		t.Errorf("poisoned record says transaction %d, the event now has %d", poisonedTx, after[i].TransactionID)
	}

	// Twice is once.
	pool2.Close()
	again, err := restampAlone(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	if again.Rewritten != 0 || again.PoisonedRewritten != 0 {
		t.Errorf("second restamp rewrote %d events and %d poisoned records, want none", again.Rewritten, again.PoisonedRewritten)
	}
	for i, o := range again.Offsets {
		if o.Old != o.New {
			t.Errorf("second restamp moved checkpoint %d: %+v", i, o)
		}
	}
}

// restampAlone restamps once the sessions of pools the test just closed
// have gone: the server ends them a moment after the client hangs up.
func restampAlone(ctx context.Context, conn *pgx.Conn) (eventstore.RestampResult, error) {
	for range 100 {
		res, err := eventstore.Restamp(ctx, conn, eventstore.RestampOptions{})
		if !errors.Is(err, eventstore.ErrDatabaseInUse) {
			return res, err
		}
		time.Sleep(50 * time.Millisecond)
	}
	return eventstore.Restamp(ctx, conn, eventstore.RestampOptions{})
}

func sortedPositions(events []eventstore.Event) []int64 {
	p := positions(events)
	slices.Sort(p)
	return p
}

func TestRestampRefuses(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	tests := []struct {
		name  string
		setup func(t *testing.T, pool *pgxpool.Pool)
		opts  eventstore.RestampOptions
		want  string
	}{
		{"another session is connected", func(t *testing.T, pool *pgxpool.Pool) {
			if err := pool.Ping(ctx); err != nil { // keeps a connection open
				t.Fatal(err)
			}
		}, eventstore.RestampOptions{}, "database is in use"},
		{"a table holds transaction ids restamp does not know", func(t *testing.T, pool *pgxpool.Pool) {
			pgtest.Exec(t, pool, `CREATE TABLE rebuild_marks (at xid8)`)
		}, eventstore.RestampOptions{AllowOtherSessions: true}, "rebuild_marks.at"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url := pgtest.URL(t)
			pool, err := pgxpool.New(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			tc.setup(t, pool)
			conn, err := pgx.Connect(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			_, err = eventstore.Restamp(ctx, conn, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one that mentions %q", err, tc.want)
			}
		})
	}
}

func run(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
}

func currentXID(t *testing.T, url string) uint64 {
	t.Helper()
	conn, err := pgx.Connect(pgtest.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(pgtest.Context())
	var x uint64
	if err := conn.QueryRow(pgtest.Context(), `SELECT pg_current_xact_id()`).Scan(&x); err != nil {
		t.Fatal(err)
	}
	return x
}

// The real move: a log with consumers on this machine's server, pg_dump,
// pg_restore into a cluster just made with initdb, then new events. Without
// a restamp the consumers never see them (and read-your-writes believes they
// did); after it they see exactly the new ones.
func TestRestampAfterRestoreIntoANewCluster(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	srcURL := pgtest.URL(t)
	src, err := pgxpool.New(ctx, srcURL)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	pgtest.Exec(t, src, tallyTable)
	// A fresh cluster starts near 750 and the restore takes some more; a
	// source server fresh itself is pushed past that first.
	if x := currentXID(t, srcURL); x < 10000 {
		pgtest.Exec(t, src, fmt.Sprintf(`DO $$ BEGIN
			CREATE TEMP TABLE IF NOT EXISTS burn (x int);
			FOR i IN 1..%d LOOP BEGIN INSERT INTO burn VALUES (i); EXCEPTION WHEN others THEN NULL; END; END LOOP;
			END $$`, 10000-x))
	}
	store := eventstore.New(src)
	for i := range 2 {
		interleave(t, src, "s"+strconv.Itoa(i))
	}
	r := runTally(t, src, "p")
	var last eventstore.Position
	for i := range 5 {
		res, err := store.Append(ctx, "plain", eventstore.ExpectAny, ev("plain", `{"i":`+strconv.Itoa(i)+`}`))
		if err != nil {
			t.Fatal(err)
		}
		last = res.Position
	}
	waitCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := r.WaitFor(waitCtx, "p", last); err != nil {
		t.Fatal(err)
	}
	const restored = 9

	c := testservers.StartCluster(t)
	dump := filepath.Join(c.Dir, "pfn.dump")
	run(t, exec.Command(filepath.Join(c.Bin, "pg_dump"), "-Fc", "-f", dump, "-d", srcURL))
	if os.Geteuid() == 0 {
		run(t, exec.Command("chmod", "0644", dump))
	}
	for _, db := range []string{"plain_restore", "restamped"} {
		run(t, exec.Command(filepath.Join(c.Bin, "createdb"), "-h", "127.0.0.1", "-p", strconv.Itoa(c.Port), "-U", "postgres", db))
		run(t, exec.Command(filepath.Join(c.Bin, "pg_restore"), "--no-owner", "--exit-on-error", "-d", c.URL(db), dump))
	}
	oldMax := last.TransactionID
	if x := currentXID(t, c.URL("postgres")); x >= oldMax {
		t.Fatalf("setup: the new cluster is already at transaction %d, past the old log's %d; nothing to show", x, oldMax)
	}

	t.Run("without restamp new events are lost to consumers", func(t *testing.T) {
		pool, err := pgxpool.New(ctx, c.URL("plain_restore"))
		if err != nil {
			t.Fatal(err)
		}
		defer pool.Close()
		r := runTally(t, pool, "p")
		res, err := eventstore.New(pool).Append(ctx, "after-move", 0, ev("new", `{}`))
		if err != nil {
			t.Fatal(err)
		}
		if !res.Position.Less(last) {
			t.Fatalf("new event at %v, expected it to sort before the restored log's end %v", res.Position, last)
		}
		// Read-your-writes is fooled: the checkpoint is "past" the new event.
		if err := r.WaitFor(ctx, "p", res.Position); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond) // a consumer polls every 5 ms
		if n := tallied(t, pool, "p")[res.Position.GlobalPosition]; n != 0 {
			t.Fatalf("the consumer applied the new event %d times; expected the broken log to hide it", n)
		}
		// Worse, the restored events lie above this cluster's xmin: a reader
		// (a new projection, a replay) sees only the new event.
		all := readAll(t, eventstore.New(pool), 1)
		if len(all) != 1 || all[0].GlobalPosition != res.Position.GlobalPosition {
			t.Errorf("log reads %v; expected only the new event %d, the restored ones out of reach", positions(all), res.Position.GlobalPosition)
		}
	})

	t.Run("after restamp consumers see exactly the new events", func(t *testing.T) {
		conn, err := pgx.Connect(ctx, c.URL("restamped"))
		if err != nil {
			t.Fatal(err)
		}
		res, err := restampAlone(ctx, conn)
		conn.Close(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Needed() || res.Events != restored || res.Rewritten != restored {
			t.Fatalf("restamp %+v: want all %d events rewritten, and the log reported ahead of the cluster", res, restored)
		}
		pool, err := pgxpool.New(ctx, c.URL("restamped"))
		if err != nil {
			t.Fatal(err)
		}
		defer pool.Close()
		before := tallied(t, pool, "p")
		r := runTally(t, pool, "p")
		newStore := eventstore.New(pool)
		var added []eventstore.Position
		for i := range 3 {
			res, err := newStore.Append(ctx, "after-move", int64(i), ev("new", `{}`))
			if err != nil {
				t.Fatal(err)
			}
			added = append(added, res.Position)
		}
		waitCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := r.WaitFor(waitCtx, "p", added[len(added)-1]); err != nil {
			t.Fatal(err)
		}
		got := tallied(t, pool, "p")
		for _, p := range added {
			if got[p.GlobalPosition] != 1 {
				t.Errorf("new event %d applied %d times, want once", p.GlobalPosition, got[p.GlobalPosition])
			}
		}
		for g, n := range before {
			if got[g] != n {
				t.Errorf("restored event %d applied %d times after the move, %d before: applied again", g, got[g], n)
			}
		}
		all := readAll(t, newStore, restored+3)
		if len(all) != restored+3 {
			t.Fatalf("log reads %d events, want %d", len(all), restored+3)
		}
		if tail := positions(all[restored:]); !slices.Equal(tail, []int64{added[0].GlobalPosition, added[1].GlobalPosition, added[2].GlobalPosition}) {
			t.Errorf("log order ends with %v, want the new events last", tail)
		}
	})
}
