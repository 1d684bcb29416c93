package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// stalledCatalog is a publisher whose /author-data never answers.
type stalledCatalog struct{ app.Catalog }

func (stalledCatalog) AuthorData(ctx context.Context, _, _ string) ([]app.ListedPlugin, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// An admin's sync runs now; one longer than PFN_JOB_TIMEOUT is left to the
// scheduler.
func TestSyncNow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		by       app.Principal
		stalled  bool
		wantErr  error
		mirrored int
		jobs     int
	}{
		{name: "a consumer may not", by: consumer, wantErr: domain.ErrForbidden},
		{name: "an admin syncs", by: admin, mirrored: 1},
		{name: "a sync past the timeout continues on the schedule", by: admin, stalled: true, wantErr: app.ErrSyncContinues, jobs: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := subscribedWorld(t)
			w.publish(t, "alpha", "1.0.0", "alpha's bytes")
			if tt.stalled {
				w.sync.Catalog = stalledCatalog{w.catalog}
			}
			jobs := &app.MemoryJobRequests{}
			before := len(w.sources.Events(w.id))
			res, err := app.SyncNow{Sync: w.sync, Jobs: jobs, Timeout: 50 * time.Millisecond}.Handle(context.Background(), tt.by, w.id)
			wantErr(t, err, tt.wantErr)
			if res.MirroredCount != tt.mirrored || len(w.kept(t)) != tt.mirrored {
				t.Errorf("mirrored %d, kept %v; want %d", res.MirroredCount, w.kept(t), tt.mirrored)
			}
			if got := jobs.Requests(); len(got) != tt.jobs || (tt.jobs == 1 && got[0] != app.Job{Kind: app.JobSync, Source: w.id}) {
				t.Errorf("jobs requested %v", got)
			}
			// A sync cut short by its own deadline is not the publisher's
			// failure: nothing is recorded on the source.
			for _, e := range w.sources.Events(w.id)[before:] {
				if _, failed := e.(domain.SourceFailureRecorded); failed || tt.wantErr != nil {
					t.Errorf("recorded %s", e.EventType())
				}
			}
		})
	}
}
