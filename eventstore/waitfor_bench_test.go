package eventstore_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

// BenchmarkReadYourWrites: one append, then WaitFor until a live consumer
// has applied it — what a command that answers from a read model pays.
func BenchmarkReadYourWrites(b *testing.B) {
	pool := benchPool(b, 8)
	pgtest.Exec(b, pool, `CREATE TABLE IF NOT EXISTS seen (
		seq bigserial PRIMARY KEY, projection text NOT NULL, event_id uuid NOT NULL, event_type text NOT NULL)`)
	r, err := eventstore.NewRunner(pool, slog.New(slog.NewTextHandler(io.Discard, nil)),
		eventstore.RunnerConfig{PollInterval: 20 * time.Millisecond}, &recorder{name: "ryw"})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(pgtest.Context())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	store := eventstore.New(pool)
	var appendTime, waitTime time.Duration
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		res, err := store.Append(ctx, "ryw-"+string(rune('a'+i%26)), eventstore.ExpectAny,
			eventstore.NewEvent{Type: "t", Payload: benchPayload})
		if err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		if err := r.WaitFor(ctx, "ryw", res.Position); err != nil {
			b.Fatal(err)
		}
		appendTime += mid.Sub(start)
		waitTime += time.Since(mid)
	}
	b.ReportMetric(float64(appendTime.Microseconds())/float64(b.N)/1000, "append_ms/op")
	b.ReportMetric(float64(waitTime.Microseconds())/float64(b.N)/1000, "wait_ms/op")
}
