package app_test

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// subscribeHandler is Subscribe over w's ports, with jobs to schedule a
// first sync that cannot start.
func subscribeHandler(t *testing.T, w *mirrorWorld, jobs *app.MemoryJobRequests) app.Subscribe {
	t.Helper()
	keys := &app.MemoryKeys{}
	if err := keys.Issue(t.Context(), domain.APIKeyIssued{KeyID: consumer.KeyID, Role: consumer.Role, Hash: "h"}); err != nil {
		t.Fatal(err)
	}
	return app.Subscribe{Sources: w.sources, Subscriptions: w.subs, Reader: w.subs, Sync: w.sync, Jobs: jobs,
		Revocations: keys, SyncTimeout: time.Minute, Now: now}
}

// Subscribing runs the first sync with the subscriber's filters and answers
// its result; a first sync that cannot start is scheduled instead.
func TestSubscribeRunsTheFirstSync(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		filters   string
		busy      bool // another sync of the source holds its lock
		mirrored  []string
		wanted    int
		message   string
		scheduled bool
	}{
		{name: "everything", filters: `{}`, mirrored: []string{"alpha", "bravo"}, wanted: 2,
			message: "Subscribed. Mirrored 2 new of 2 listed."},
		{name: "one slug", filters: `{"slugs": ["bravo"]}`, mirrored: []string{"bravo"}, wanted: 1,
			message: "Subscribed. Mirrored 1 new of 2 listed."},
		{name: "another sync is running", filters: `{}`, busy: true, scheduled: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newMirrorWorld(t)
			w.publish(t, "alpha", "1.0.0", "alpha's bytes")
			w.publish(t, "bravo", "1.0.0", "bravo's bytes")
			if tt.busy {
				unlock, _, _ := w.locks.TryLock(t.Context(), w.id)
				defer unlock()
			}
			jobs := &app.MemoryJobRequests{}
			res, err := subscribeHandler(t, w, jobs).Handle(context.Background(), consumer, w.id, []byte(tt.filters))
			if err != nil {
				t.Fatal(err)
			}
			if res.Success == tt.scheduled || res.Scheduled != tt.scheduled || res.Wanted != tt.wanted ||
				res.MirroredCount != len(tt.mirrored) || (tt.message != "" && res.Message != tt.message) {
				t.Errorf("answered %+v", res)
			}
			if got := slices.Sorted(maps.Keys(w.allPluginEvents())); !slices.Equal(got, tt.mirrored) {
				t.Errorf("plugins with events %v, want %v", got, tt.mirrored)
			}
			var wantJobs []app.Job
			if tt.scheduled {
				wantJobs = []app.Job{{Kind: app.JobSync, Source: w.id}}
			}
			if got := jobs.Requests(); !slices.Equal(got, wantJobs) {
				t.Errorf("jobs requested %v, want %v", got, wantJobs)
			}
			wantSubscribed(t, w)
		})
	}
}

// wantSubscribed: the consumer's subscription is recorded, and the source
// counts it (the first sync's summary or, when it was scheduled, Subscribe
// itself).
func wantSubscribed(t *testing.T, w *mirrorWorld) {
	t.Helper()
	events := w.subs.Events(w.id, consumer.KeyID)
	if len(events) != 1 || events[0].EventType() != domain.EventSubscribed {
		t.Errorf("subscription events %v", events)
	}
	if n := mustLoad(t, w.sources, w.id).State().TrustInputs.Subscribers; n != 1 {
		t.Errorf("the source counts %d subscribers", n)
	}
}
