package eventstore_test

// Benchmarks print each figure of the event store next to a raw pgx baseline
// measured in the same run on the same table, and their ratio. Run them with
// `make bench`.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

// A payload of the size a typical PFN event has.
var benchPayload = json.RawMessage(`{"source_id":"plugin-author@plugins.example.com","plugin":"plugin-id","version":"1.2.3",` +
	`"sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","size":1048576}`)

const benchMetadata = `{"actor":"key_0123456789","correlation_id":"7d3f2c1e-9a7b-4c55-8f0e-2b6a1d9c4e11","request_id":"req-1"}`

func benchPool(b *testing.B, conns int32) *pgxpool.Pool {
	cfg, err := pgxpool.ParseConfig(pgtest.URL(b))
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns = conns
	pool, err := pgxpool.NewWithConfig(pgtest.Context(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	return pool
}

// parallel runs n calls of fn spread over workers goroutines and returns the
// wall time they took.
func parallel(b *testing.B, n, workers int, fn func(worker, i int) error) time.Duration {
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr atomic.Value
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(w, i); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err, _ := firstErr.Load().(error); err != nil {
		b.Fatal(err)
	}
	return elapsed
}

func report(b *testing.B, what string, events int, store, raw time.Duration) {
	storeRate := float64(events) / store.Seconds()
	rawRate := float64(events) / raw.Seconds()
	b.ReportMetric(storeRate, "store_events/s")
	b.ReportMetric(rawRate, "raw_events/s")
	b.ReportMetric(storeRate/rawRate, "ratio")
	b.Logf("%s: store %.0f events/s, raw pgx %.0f events/s, ratio %.2f (%d events)", what, storeRate, rawRate, storeRate/rawRate, events)
}

func BenchmarkAppend(b *testing.B) {
	cases := []struct {
		name      string
		writers   int
		perAppend int
	}{
		{"1event_1writer", 1, 1},
		{"1event_16writers", 16, 1},
		{"100events_1writer", 1, 100},
		{"100events_4writers", 4, 100},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			ctx := pgtest.Context()
			pool := benchPool(b, int32(c.writers))
			store := eventstore.New(pool)
			streams := make([]int64, c.writers) // each writer appends to its own stream at its known version
			rawVersions := make([]int64, c.writers)
			events := make([]eventstore.NewEvent, c.perAppend)
			for i := range events {
				events[i] = eventstore.NewEvent{Type: "plugin.mirrored", Payload: benchPayload,
					Metadata: eventstore.Metadata{Actor: "key_0123456789", RequestID: "req-1"}}
			}
			raw := rawInserter(c.perAppend)
			b.ResetTimer()
			// The baseline: the same rows written with plain INSERTs, no
			// version check, no idempotency, one statement per transaction.
			// Store and baseline alternate in rounds so that drift in the
			// machine (fsync latency, autovacuum) falls on both alike.
			var rawTime, storeTime time.Duration
			const rounds = 10
			for r := range rounds {
				n := b.N/rounds + min(1, max(0, b.N%rounds-r))
				rawTime += parallel(b, n, c.writers, func(w, i int) error {
					rawVersions[w]++
					return raw(ctx, pool, fmt.Sprintf("raw-%d", w), rawVersions[w]-1)
				})
				storeTime += parallel(b, n, c.writers, func(w, i int) error {
					res, err := store.Append(ctx, fmt.Sprintf("stream-%d", w), streams[w], events...)
					streams[w] = res.Version
					return err
				})
			}
			b.StopTimer()
			report(b, c.name, b.N*c.perAppend, storeTime, rawTime)
		})
	}
}

// rawInserter returns a function that inserts n events in one statement (its
// own transaction) with the values the store would write.
func rawInserter(n int) func(ctx context.Context, pool *pgxpool.Pool, stream string, i int64) error {
	if n == 1 {
		return func(ctx context.Context, pool *pgxpool.Pool, stream string, i int64) error {
			_, err := pool.Exec(ctx, `INSERT INTO events (event_id, stream_id, stream_version, event_type, schema_version, payload, metadata, recorded_at)
				VALUES ($1, $2, $3, $4, 1, $5, $6, $7)`,
				uuid.New(), stream, i+1, "plugin.mirrored", string(benchPayload), benchMetadata, time.Now())
			return err
		}
	}
	return func(ctx context.Context, pool *pgxpool.Pool, stream string, i int64) error {
		ids := make([]uuid.UUID, n)
		versions := make([]int64, n)
		payloads := make([]string, n)
		metas := make([]string, n)
		for k := range n {
			ids[k] = uuid.New()
			versions[k] = i*int64(n) + int64(k) + 1
			payloads[k] = string(benchPayload)
			metas[k] = benchMetadata
		}
		_, err := pool.Exec(ctx, `INSERT INTO events (event_id, stream_id, stream_version, event_type, schema_version, payload, metadata, recorded_at)
			SELECT id, $2, v, 'plugin.mirrored', 1, p, m, $6
			FROM unnest($1::uuid[], $3::bigint[], $4::jsonb[], $5::jsonb[]) AS t(id, v, p, m)`,
			ids, stream, versions, payloads, metas, time.Now())
		return err
	}
}

// counter is a projection that only counts, so the catch-up benchmark
// measures the subscription itself.
type counter struct {
	n      atomic.Int64
	target int64
	done   chan struct{}
}

func (c *counter) Name() string { return "bench" }

func (c *counter) Apply(context.Context, pgx.Tx, eventstore.Event) error {
	if c.n.Add(1) == c.target {
		close(c.done)
	}
	return nil
}

const backlog = 200_000

func BenchmarkCatchUp(b *testing.B) {
	ctx := pgtest.Context()
	pool := benchPool(b, 8)
	fillBacklog(b, pool, backlog)
	for _, batch := range []int{1000, 5000} {
		b.Run(fmt.Sprintf("backlog200k_page%d", batch), func(b *testing.B) {
			var rawTime, storeTime time.Duration
			// Each side's best of three alternating rounds: the raw scan's
			// own speed swings nearly twofold between runs on this machine,
			// and a single sample of each made the ratio a coin toss.
			const rounds = 3
			for range b.N {
				bestRaw, bestStore := time.Duration(1<<62), time.Duration(1<<62)
				for range rounds {
					bestRaw = min(bestRaw, rawScan(b, pool, backlog))
					bestStore = min(bestStore, catchUp(b, ctx, pool, batch))
				}
				rawTime += bestRaw
				storeTime += bestStore
			}
			report(b, "catch-up (best of 3 rounds each)", backlog*b.N, storeTime, rawTime)
		})
	}
}

func catchUp(b *testing.B, ctx context.Context, pool *pgxpool.Pool, batch int) time.Duration {
	if _, err := pool.Exec(ctx, `DELETE FROM event_consumer_offsets WHERE consumer_group = 'bench'`); err != nil {
		b.Fatal(err)
	}
	c := &counter{target: backlog, done: make(chan struct{})}
	r, err := eventstore.NewRunner(pool, slog.New(slog.NewTextHandler(io.Discard, nil)),
		eventstore.RunnerConfig{PageSize: batch, PollInterval: 10 * time.Millisecond}, c)
	if err != nil {
		b.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	finished := make(chan struct{})
	start := time.Now()
	go func() {
		r.Run(runCtx)
		close(finished)
	}()
	select {
	case <-c.done:
	case <-time.After(5 * time.Minute):
		b.Fatalf("catch-up stalled at %d of %d events", c.n.Load(), backlog)
	}
	elapsed := time.Since(start)
	cancel()
	<-finished
	if got := c.n.Load(); got != backlog {
		b.Fatalf("projection applied %d events, backlog is %d", got, backlog)
	}
	return elapsed
}

// rawScan is the baseline: one plain ordered SELECT of the columns the store
// reads, scanned into the same Go types, with no subscription around it.
func rawScan(b *testing.B, pool *pgxpool.Pool, want int) time.Duration {
	start := time.Now()
	rows, err := pool.Query(pgtest.Context(), `SELECT `+eventstore.EventColumns+`
		FROM events ORDER BY transaction_id, global_position`)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var (
			id                        [16]byte
			stream, typ               string
			version, position         int64
			sv                        int
			payload                   []byte
			actor, corr, cause, reqID string
			at                        time.Time
			txid                      uint64
		)
		if err := rows.Scan(&id, &stream, &version, &typ, &sv, &payload, &actor, &corr, &cause, &reqID,
			&at, &position, &txid); err != nil {
			b.Fatal(err)
		}
		n++
	}
	rows.Close()
	if err := rows.Err(); err != nil || n != want {
		b.Fatalf("raw scan read %d rows (%v), want %d", n, err, want)
	}
	return time.Since(start)
}

// fillBacklog writes n events with COPY, 1,000 per transaction, so the log
// spans many transaction ids as a real one does.
func fillBacklog(b *testing.B, pool *pgxpool.Pool, n int) {
	ctx := pgtest.Context()
	const perTx = 1000
	now := time.Now()
	for start := 0; start < n; start += perTx {
		rows := make([][]any, 0, perTx)
		for i := start; i < start+perTx && i < n; i++ {
			rows = append(rows, []any{uuid.New(), fmt.Sprintf("stream-%d", i/10), int64(i%10 + 1), "plugin.mirrored",
				string(benchPayload), benchMetadata, now})
		}
		_, err := pool.CopyFrom(ctx, pgx.Identifier{"events"},
			[]string{"event_id", "stream_id", "stream_version", "event_type", "payload", "metadata", "recorded_at"},
			pgx.CopyFromRows(rows))
		if err != nil {
			b.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE events`); err != nil {
		b.Fatal(err)
	}
}
