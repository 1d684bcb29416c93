package postgres_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

// yearOfChecks is a year of five-minute health checks.
const yearOfChecks = 365 * 24 * 12

// BenchmarkLoadSourceAfterAYearOfChecks loads a source, and its health
// record, with a year of five-minute checks behind it (a flaky publisher:
// up and down and slow by turns), next to what loading would cost if every
// check were an event of the source's own stream. docs/health.md.
func BenchmarkLoadSourceAfterAYearOfChecks(b *testing.B) {
	ctx := pgtest.Context()
	pool := pgtest.Pool(b)
	store := eventstore.New(pool)
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	t0 := time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC)
	s, err := domain.RegisterSource("https://plugins.example.com", "author", base64.StdEncoding.EncodeToString(pub), "key_a", t0)
	if err != nil {
		b.Fatal(err)
	}
	_ = s.RecordOwnershipProof(true, "", t0)
	health := domain.LoadHealth(nil, 0)
	id := s.State().ID
	// The naive design: every check an event of the source's stream.
	var naive []eventstore.NewEvent
	for i := range yearOfChecks {
		at := t0.Add(time.Duration(i) * 5 * time.Minute)
		up := i%97 != 0 && (i/2000)%9 != 0 // rare blips, and a few outages
		ms := int64(80 + (i/500)%7*60)     // response times drifting
		c, err := health.Check(time.Time{}, up, ms, map[bool]string{false: "connection refused"}[up], at)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.ObserveHealth(c); err != nil {
			b.Fatal(err)
		}
		payload, _ := json.Marshal(domain.SourceHealthChecked{Up: up, ResponseMS: ms, At: at})
		naive = append(naive, eventstore.NewEvent{Type: domain.EventSourceHealthChecked, Payload: payload})
	}
	sourceEvents := len(s.Changes())
	repo := postgres.SourceRepository{Store: store, Waiter: noWait{}, Pool: pool}
	if err := repo.Save(ctx, s); err != nil {
		b.Fatal(err)
	}
	healthRepo := postgres.HealthRepository{Store: store}
	if err := appendChunked(ctx, b, store, "health-"+string(id), healthEvents(b, health)); err != nil {
		b.Fatal(err)
	}
	if err := appendChunked(ctx, b, store, "naive-source", naive); err != nil {
		b.Fatal(err)
	}

	// The first load after the year reads the whole stream and takes a
	// snapshot; loads after it read the snapshot and what followed it.
	start := time.Now()
	if _, err := repo.Load(ctx, id); err != nil {
		b.Fatal(err)
	}
	firstLoad := time.Since(start)
	var sourceTime, healthTime, naiveTime time.Duration
	for range b.N {
		start = time.Now()
		loaded, err := repo.Load(ctx, id)
		if err != nil || loaded.State().TrustInputs.HealthChecks != yearOfChecks && loaded.State().TrustInputs.HealthChecks < yearOfChecks-288 {
			b.Fatalf("load: %v, %d checks", err, loaded.State().TrustInputs.HealthChecks)
		}
		sourceTime += time.Since(start)
		start = time.Now()
		h, err := healthRepo.Load(ctx, id)
		if err != nil || h.Last().Checks != yearOfChecks {
			b.Fatalf("health load: %v, %d checks", err, h.Last().Checks)
		}
		healthTime += time.Since(start)
		start = time.Now()
		if events, err := store.Load(ctx, "naive-source"); err != nil || len(events) != yearOfChecks {
			b.Fatalf("naive load: %v", err)
		}
		naiveTime += time.Since(start)
	}
	n := float64(b.N)
	b.ReportMetric(float64(sourceTime.Microseconds())/n/1000, "source_load_ms")
	b.ReportMetric(float64(healthTime.Microseconds())/n/1000, "health_load_ms")
	b.ReportMetric(float64(naiveTime.Microseconds())/n/1000, "naive_load_ms")
	b.ReportMetric(float64(sourceEvents), "source_events")
	b.Logf("a year of 5-minute checks (%d): source stream %d events; load %.2f ms (first load, whole stream, takes the snapshot: %.1f ms); "+
		"health record (last event) %.2f ms; all checks in the source's own stream instead: %.1f ms just to read them",
		yearOfChecks, sourceEvents, float64(sourceTime.Microseconds())/n/1000, float64(firstLoad.Microseconds())/1000,
		float64(healthTime.Microseconds())/n/1000, float64(naiveTime.Microseconds())/n/1000)
}

type noWait struct{}

func (noWait) WaitFor(context.Context, string, eventstore.Position) error { return nil }

func healthEvents(b *testing.B, h *domain.SourceHealth) []eventstore.NewEvent {
	out := make([]eventstore.NewEvent, 0, len(h.Changes()))
	for _, c := range h.Changes() {
		payload, err := json.Marshal(c)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, eventstore.NewEvent{Type: c.EventType(), Payload: payload})
	}
	return out
}

// appendChunked appends a long history in transactions of 5,000 events.
func appendChunked(ctx context.Context, b *testing.B, store *eventstore.Store, stream string, events []eventstore.NewEvent) error {
	for i := 0; i < len(events); i += 5000 {
		chunk := events[i:min(i+5000, len(events))]
		if _, err := store.Append(ctx, stream, int64(i), chunk...); err != nil {
			return err
		}
	}
	return nil
}
