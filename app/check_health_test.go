package app_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// A source removed and added again is a new incarnation: its first health
// check starts the figures afresh instead of continuing the removed
// incarnation's, which would carry into the new one's trust.
func TestHealthOfANewIncarnationStartsAfresh(t *testing.T) {
	ctx := context.Background()
	sources, health := &app.MemorySources{}, &app.MemoryHealth{}
	pub, key := honest(t)
	id := addedSource(t, sources, pub, key)
	clock := t0
	tick := func() time.Time { clock = clock.Add(time.Minute); return clock }
	check := app.CheckHealth{Sources: sources, Health: health, Publisher: pub, Metrics: app.NoMetrics{}, Now: tick}
	for range 3 {
		if err := check.Run(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	err := sources.Update(ctx, id, func(s *domain.Source) error { return s.Remove("malware", admin.KeyID, nil, tick()) })
	if err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(time.Hour)
	readd := app.AddSource{Sources: sources, Now: func() time.Time { return clock },
		Verify: app.VerifySource{Sources: sources, Publisher: pub, Random: rand.Reader, Now: func() time.Time { return clock }}}
	if _, err := readd.Handle(ctx, admin, app.AddSourceRequest{InstanceURL: instance, Username: "author", PublicKey: key}); err != nil {
		t.Fatal(err)
	}
	if err := check.Run(ctx, id); err != nil {
		t.Fatal(err)
	}
	record, _ := health.Load(ctx, id)
	s, _ := sources.Load(ctx, id)
	if got, in := record.Last().Checks, s.State().TrustInputs; got != 1 || in.HealthChecks != 1 {
		t.Fatalf("after adding again: the record counts %d checks, trust %d; want the one check of the new incarnation", got, in.HealthChecks)
	}
}
