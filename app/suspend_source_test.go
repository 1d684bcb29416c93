package app_test

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

func TestSuspendAndResumeSource(t *testing.T) {
	tests := []struct {
		name       string
		by         app.Principal
		reason     string
		quarantine bool
		wantErr    error
		wantField  string
	}{
		{name: "a consumer may not", by: consumer, reason: "abuse", wantErr: domain.ErrForbidden},
		{name: "no reason", by: admin, wantField: "reason"},
		{name: "suspended", by: admin, reason: "abuse report"},
		{name: "quarantined", by: master, reason: "malware", quarantine: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			sources, health := &app.MemorySources{}, &app.MemoryHealth{}
			pub, key := honest(t)
			id := addedSource(t, sources, pub, key)
			st, err := app.SuspendSource{Sources: sources, Now: now}.Handle(ctx, tt.by,
				app.SuspendSourceRequest{ID: id, Reason: tt.reason, Quarantine: tt.quarantine})
			if tt.wantField != "" {
				wantField(t, err, tt.wantField)
			} else {
				wantErr(t, err, tt.wantErr)
			}
			if err != nil {
				if got := mustLoad(t, sources, id).State().Status; got != domain.StatusVerified {
					t.Fatalf("a refused suspension left the source %s", got)
				}
				return
			}
			want := domain.Suspension{Reason: tt.reason, Quarantine: tt.quarantine, By: tt.by.KeyID, At: t0, From: domain.StatusVerified}
			if st.Status != domain.StatusSuspended || st.Suspension != want {
				t.Fatalf("suspended: %s %+v", st.Status, st.Suspension)
			}

			// Nothing reaches the publisher: health checks and re-verification
			// are refused or skipped, subscribing is a conflict naming the reason.
			calls := pub.calls
			if err := (app.CheckHealth{Sources: sources, Health: health, Publisher: pub, Metrics: app.NoMetrics{}, Now: now}).Run(ctx, id); err != nil {
				t.Fatal(err)
			}
			_ = app.VerifySource{Sources: sources, Publisher: pub, Random: rand.Reader, Now: now}.Reverify(ctx, id)
			if pub.calls != calls {
				t.Fatalf("the publisher was asked %d times while suspended", pub.calls-calls)
			}
			subs := &app.MemorySubscriptions{}
			_, err = app.Subscribe{Sources: sources, Subscriptions: subs, Reader: subs, Now: now}.Handle(ctx, consumer, id, nil)
			wantErr(t, err, domain.ErrConflict)
			if !strings.Contains(err.Error(), "suspended") || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("subscribe error does not name the suspension: %v", err)
			}

			_, err = app.ResumeSource{Sources: sources, Now: now}.Handle(ctx, consumer, app.ResumeSourceRequest{ID: id})
			wantErr(t, err, domain.ErrForbidden)
			st, err = app.ResumeSource{Sources: sources, Now: now}.Handle(ctx, tt.by, app.ResumeSourceRequest{ID: id})
			if err != nil || st.Status != domain.StatusVerified || st.Suspension != (domain.Suspension{}) {
				t.Fatalf("resumed: %v %s %+v", err, st.Status, st.Suspension)
			}
			_, err = app.ResumeSource{Sources: sources, Now: now}.Handle(ctx, tt.by, app.ResumeSourceRequest{ID: id})
			wantErr(t, err, domain.ErrConflict)
			if err := (app.CheckHealth{Sources: sources, Health: health, Publisher: pub, Metrics: app.NoMetrics{}, Now: now}).Run(ctx, id); err != nil || pub.calls != calls+1 {
				t.Fatalf("health check after resume: %v, %d calls", err, pub.calls-calls)
			}
		})
	}
}
