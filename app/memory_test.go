package app_test

import (
	"context"
	"sync"
	"testing"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// The in-memory repositories must refuse what the event store refuses, or
// use-case tests against them would pass where production conflicts.
func TestMemorySourcesRefuseAStaleSave(t *testing.T) {
	ctx := context.Background()
	sources := &app.MemorySources{}
	pub, key := honest(t)
	id := addedSource(t, sources, pub, key)

	first, err := sources.Load(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	second, _ := sources.Load(ctx, id)
	first.SetSubscriberCount(1, t0)
	second.SetSubscriberCount(2, t0)
	if err := sources.Save(ctx, first); err != nil {
		t.Fatal(err)
	}
	wantErr(t, sources.Save(ctx, second), domain.ErrConflict)

	again, _ := domain.RegisterSource(instance, "author", key, "key_admin", t0)
	wantErr(t, sources.Save(ctx, again), domain.ErrConflict) // a second registration of the same id
	_, err = sources.Load(ctx, "nobody@plugins.example.com")
	wantErr(t, err, domain.ErrNotFound)
}

// Writers racing on one stream all get through Update, each from a fresh
// load: no more writers than UpdateAttempts can make one give up.
func TestMemorySourcesUpdateRetriesConflicts(t *testing.T) {
	ctx := context.Background()
	sources := &app.MemorySources{}
	pub, key := honest(t)
	id := addedSource(t, sources, pub, key)
	before := len(sources.Events(id))

	const writers = 10
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for n := 1; n <= writers; n++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- sources.Update(ctx, id, func(s *domain.Source) error {
				s.SetSubscriberCount(s.State().TrustInputs.Subscribers+n, t0)
				return nil
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	s, err := sources.Load(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.State().TrustInputs.Subscribers; got != writers*(writers+1)/2 {
		t.Fatalf("subscribers %d after %d increments summing to %d: an update was lost", got, writers, writers*(writers+1)/2)
	}
	if got := len(sources.Events(id)); got <= before {
		t.Fatalf("stream has %d events, had %d", got, before)
	}
}

func TestMemorySubscriptionsRefuseAStaleSave(t *testing.T) {
	ctx := context.Background()
	subs := &app.MemorySubscriptions{}
	verified := domain.SourceState{ID: "author@plugins.example.com", Status: domain.StatusVerified}
	a, _ := subs.Load(ctx, verified.ID, "key_1")
	b, _ := subs.Load(ctx, verified.ID, "key_1")
	if err := a.Subscribe(verified, domain.Filters{}, t0); err != nil {
		t.Fatal(err)
	}
	if err := b.Subscribe(verified, domain.Filters{}, t0); err != nil {
		t.Fatal(err)
	}
	if err := subs.Save(ctx, a); err != nil {
		t.Fatal(err)
	}
	wantErr(t, subs.Save(ctx, b), domain.ErrConflict)
	if n, _ := subs.CountSubscribers(ctx, verified.ID); n != 1 {
		t.Fatalf("%d subscribers, want 1", n)
	}
}

func TestMemoryHealthRefusesAStaleSave(t *testing.T) {
	ctx := context.Background()
	health := &app.MemoryHealth{}
	a, _ := health.Load(ctx, "s")
	b, _ := health.Load(ctx, "s")
	if _, err := a.Check(t0, true, 10, "", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Check(t0, true, 20, "", t0); err != nil {
		t.Fatal(err)
	}
	if err := health.Save(ctx, "s", a); err != nil {
		t.Fatal(err)
	}
	wantErr(t, health.Save(ctx, "s", b), domain.ErrConflict)
	c, _ := health.Load(ctx, "s")
	if c.Version() != 1 || c.Last().Checks != 1 {
		t.Fatalf("reloaded at version %d with %d checks", c.Version(), c.Last().Checks)
	}
}
