package eventstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

// recorder writes every event it applies to the table seen, in the consumer's
// transaction; fail decides per event (and attempt) whether to fail instead.
type recorder struct {
	name string
	mu   sync.Mutex
	hits map[string]int
	fail func(e eventstore.Event, attempt int) string // "", "go", "sql" or "newer"
}

func (r *recorder) Name() string { return r.name }

func (r *recorder) Apply(ctx context.Context, tx pgx.Tx, e eventstore.Event) error {
	r.mu.Lock()
	if r.hits == nil {
		r.hits = map[string]int{}
	}
	r.hits[e.ID.String()]++
	attempt := r.hits[e.ID.String()]
	r.mu.Unlock()
	if r.fail != nil {
		switch r.fail(e, attempt) {
		case "go":
			return errors.New("handler refused the event")
		case "sql":
			_, err := tx.Exec(ctx, `SELECT 1/0`) // aborts the transaction
			return err
		case "newer":
			return fmt.Errorf("decode %s: %w", e.Type, eventstore.ErrNewerEventSchema)
		}
	}
	_, err := tx.Exec(ctx, `INSERT INTO seen (projection, event_id, event_type) VALUES ($1, $2, $3)`, r.name, e.ID, e.Type)
	return err
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func startRunner(t *testing.T, pool *pgxpool.Pool, logs *syncBuffer, ps ...eventstore.Projection) *eventstore.Runner {
	t.Helper()
	pgtest.Exec(t, pool, `CREATE TABLE IF NOT EXISTS seen (
		seq bigserial PRIMARY KEY, projection text NOT NULL, event_id uuid NOT NULL, event_type text NOT NULL)`)
	if logs == nil {
		logs = &syncBuffer{}
	}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	r, err := eventstore.NewRunner(pool, log, eventstore.RunnerConfig{
		PageSize: 50, PollInterval: 10 * time.Millisecond, RetryDelay: 5 * time.Millisecond,
	}, ps...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(pgtest.Context())
	done := make(chan struct{})
	go func() {
		r.Run(ctx)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return r
}

func waitFor(t *testing.T, r *eventstore.Runner, name string, pos eventstore.Position) {
	t.Helper()
	ctx, cancel := context.WithTimeout(pgtest.Context(), 20*time.Second)
	defer cancel()
	if err := r.WaitFor(ctx, name, pos); err != nil {
		t.Fatal(err)
	}
}

type seenRow struct {
	ID, Type string
}

func seen(t *testing.T, pool *pgxpool.Pool, projection string) []seenRow {
	t.Helper()
	rows, err := pool.Query(pgtest.Context(),
		`SELECT event_id::text, event_type FROM seen WHERE projection = $1 ORDER BY seq`, projection)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[seenRow])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSubscriberWaitsForALateCommitAndSkipsNothing(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	store := eventstore.New(pool)
	rec := &recorder{name: "rec"}
	r := startRunner(t, pool, nil, rec)

	txA, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer txA.Rollback(ctx)
	resA, err := eventstore.New(txA).Append(ctx, "a", 0, ev("A", `{}`))
	if err != nil {
		t.Fatal(err)
	}
	resB, err := store.Append(ctx, "b", 0, ev("B", `{}`))
	if err != nil {
		t.Fatal(err)
	}
	if resB.Position.GlobalPosition <= resA.Position.GlobalPosition || resB.Position.TransactionID <= resA.Position.TransactionID {
		t.Fatalf("test premise: B (%v) should be inserted after A (%v)", resB.Position, resA.Position)
	}

	// B is committed, A is not. A reader going by global position alone
	// would now deliver B and later skip A.
	time.Sleep(300 * time.Millisecond) // thirty polls of the consumer
	if got := seen(t, pool, "rec"); len(got) != 0 {
		t.Fatalf("consumer delivered %v while an earlier transaction was still open", got)
	}
	if cp, err := r.Checkpoint(ctx, "rec"); err != nil || cp != (eventstore.Position{}) {
		t.Fatalf("checkpoint moved to %v (%v) while A was open", cp, err)
	}

	if err := txA.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, r, "rec", resB.Position)
	got := seen(t, pool, "rec")
	if len(got) != 2 || got[0].Type != "A" || got[1].Type != "B" {
		t.Fatalf("delivered %v, want A then B, each once", got)
	}
}

func TestPoisonedEventDoesNotBlockTheConsumer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		fail         func(e eventstore.Event, attempt int) string
		wantSeen     []string
		wantPoisoned bool
	}{
		{
			name:         "handler error",
			fail:         func(e eventstore.Event, _ int) string { return map[bool]string{true: "go"}[e.Type == "bad"] },
			wantSeen:     []string{"good1", "good2"},
			wantPoisoned: true,
		},
		{
			name:         "SQL error that aborts the transaction",
			fail:         func(e eventstore.Event, _ int) string { return map[bool]string{true: "sql"}[e.Type == "bad"] },
			wantSeen:     []string{"good1", "good2"},
			wantPoisoned: true,
		},
		{
			name: "transient failure succeeds on retry",
			fail: func(e eventstore.Event, attempt int) string {
				return map[bool]string{true: "sql"}[e.Type == "bad" && attempt <= 2]
			},
			wantSeen: []string{"good1", "bad", "good2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := pgtest.Context()
			pool := pgtest.Pool(t)
			store := eventstore.New(pool)
			logs := &syncBuffer{}
			r := startRunner(t, pool, logs, &recorder{name: "rec", fail: tt.fail})

			var last eventstore.Appended
			var badID string
			for _, typ := range []string{"good1", "bad", "good2"} {
				e := ev(typ, `{}`)
				var err error
				if last, err = store.Append(ctx, typ, 0, e); err != nil {
					t.Fatal(err)
				}
				if typ == "bad" {
					evs, _ := store.Load(ctx, "bad")
					badID = evs[0].ID.String()
				}
			}
			waitFor(t, r, "rec", last.Position)

			var gotTypes []string
			for _, s := range seen(t, pool, "rec") {
				gotTypes = append(gotTypes, s.Type)
			}
			if strings.Join(gotTypes, ",") != strings.Join(tt.wantSeen, ",") {
				t.Fatalf("projected %v, want %v (each exactly once)", gotTypes, tt.wantSeen)
			}

			var poisonedID, reason string
			var attempts int
			err := pool.QueryRow(ctx, `SELECT event_id::text, error, attempts FROM poisoned_events WHERE consumer_group = 'rec'`).
				Scan(&poisonedID, &reason, &attempts)
			switch {
			case tt.wantPoisoned && err != nil:
				t.Fatalf("no poisoned record: %v", err)
			case tt.wantPoisoned:
				if poisonedID != badID || attempts != 3 || reason == "" {
					t.Fatalf("poisoned %s after %d attempts (%q), want %s after 3", poisonedID, attempts, reason, badID)
				}
				if !strings.Contains(logs.String(), "poisoned") || !strings.Contains(logs.String(), badID) {
					t.Fatalf("the log does not say which event was poisoned:\n%s", logs.String())
				}
			case !errors.Is(err, pgx.ErrNoRows):
				t.Fatalf("poisoned record for a transient failure (%s, %v)", poisonedID, err)
			}
		})
	}
}

// counts is a small real projection: events per stream and the last type.
type counts struct{}

func (counts) Name() string { return "counts" }

func (counts) Apply(ctx context.Context, tx pgx.Tx, e eventstore.Event) error {
	_, err := tx.Exec(ctx, `INSERT INTO stream_counts (stream_id, n, last_type) VALUES ($1, 1, $2)
		ON CONFLICT (stream_id) DO UPDATE SET n = stream_counts.n + 1, last_type = excluded.last_type`, e.StreamID, e.Type)
	return err
}

func (counts) Reset(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `TRUNCATE stream_counts`)
	return err
}

func TestReplayFromZeroRebuildsTheSameProjection(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	pgtest.Exec(t, pool, `CREATE TABLE stream_counts (stream_id text PRIMARY KEY, n int NOT NULL, last_type text NOT NULL)`)
	store := eventstore.New(pool)
	r := startRunner(t, pool, nil, counts{})

	want := map[string]int{}
	var last eventstore.Appended
	for i := range 230 {
		stream := fmt.Sprintf("s-%d", i%7)
		var err error
		if last, err = store.Append(ctx, stream, eventstore.ExpectAny, ev(fmt.Sprintf("t%d", i%4), `{}`)); err != nil {
			t.Fatal(err)
		}
		want[stream]++
	}
	waitFor(t, r, "counts", last.Position)
	checksum := func() string {
		var sum string
		if err := pool.QueryRow(ctx, `SELECT md5(string_agg(stream_id || ':' || n || ':' || last_type, ',' ORDER BY stream_id))
			FROM stream_counts`).Scan(&sum); err != nil {
			t.Fatal(err)
		}
		return sum
	}
	before := checksum()
	rows, _ := pool.Query(ctx, `SELECT stream_id, n FROM stream_counts`)
	got := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			t.Fatal(err)
		}
		got[s] = n
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("projection %v, want %v", got, want)
	}

	if err := r.Replay(ctx, "counts"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, r, "counts", last.Position)
	if after := checksum(); after != before {
		t.Fatalf("replay from zero produced checksum %s, live projection had %s", after, before)
	}
}
