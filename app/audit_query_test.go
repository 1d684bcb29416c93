package app_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// eventLog is an EventLog of n events at positions 1..n whose cursors are
// their positions; it does not filter.
type eventLog struct{ n int }

func (l eventLog) ReadEvents(_ context.Context, _ app.EventFilter, after string, limit int) ([]app.AuditEvent, error) {
	from := 0
	if after != "" {
		p, err := strconv.Atoi(after)
		if err != nil || p < 0 || p > l.n {
			return nil, fmt.Errorf("cursor %q names no event: %w", after, domain.ErrInvalidInput)
		}
		from = p
	}
	var out []app.AuditEvent
	for p := from + 1; p <= l.n && len(out) < limit; p++ {
		out = append(out, app.AuditEvent{Position: int64(p), Cursor: strconv.Itoa(p)})
	}
	return out, nil
}

func TestListEvents(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		by        app.Principal
		f         app.EventFilter
		after     string
		limit     int
		wantErr   error
		wantField string
		wantLen   int
		wantNext  string
	}{
		{name: "a consumer may not", by: consumer, limit: 10, wantErr: domain.ErrForbidden},
		{name: "first page", by: admin, limit: 10, wantLen: 10, wantNext: "10"},
		{name: "last page", by: admin, after: "20", limit: 10, wantLen: 5},
		{name: "zero limit", by: admin, limit: 0, wantField: "limit"},
		{name: "limit too large", by: admin, limit: app.MaxEventLimit + 1, wantField: "limit"},
		{name: "to before from", by: admin, limit: 10, f: app.EventFilter{From: t0, To: t0.Add(-time.Second)}, wantField: "to"},
		{name: "a cursor that names no event", by: admin, after: "x", limit: 10, wantField: "after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := app.ListEvents{Log: eventLog{25}}.Handle(ctx, tt.by, tt.f, tt.after, tt.limit)
			if tt.wantField != "" {
				wantField(t, err, tt.wantField)
				return
			}
			wantErr(t, err, tt.wantErr)
			if err == nil && (len(page.Events) != tt.wantLen || page.Next != tt.wantNext) {
				t.Fatalf("%d events, next %q; want %d, %q", len(page.Events), page.Next, tt.wantLen, tt.wantNext)
			}
		})
	}
}

func TestExportEvents(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, after string
		have, limit int
		want        int
	}{
		{name: "everything, over pages", have: 2*app.MaxEventLimit + 3, want: 2*app.MaxEventLimit + 3},
		{name: "exactly a page", have: app.MaxEventLimit, want: app.MaxEventLimit},
		{name: "up to a limit", have: 50, limit: 7, want: 7},
		{name: "after a cursor", have: 50, after: "45", want: 5},
		{name: "nothing", have: 0, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, last := 0, int64(0)
			err := app.ListEvents{Log: eventLog{tt.have}}.Export(ctx, admin, app.EventFilter{}, tt.after, tt.limit, func(events []app.AuditEvent) error {
				for _, e := range events {
					if e.Position <= last {
						t.Fatalf("position %d after %d", e.Position, last)
					}
					last = e.Position
				}
				got += len(events)
				return nil
			})
			if err != nil || got != tt.want {
				t.Fatalf("exported %d, %v; want %d", got, err, tt.want)
			}
		})
	}
	err := app.ListEvents{Log: eventLog{5}}.Export(ctx, consumer, app.EventFilter{}, "", 0, func([]app.AuditEvent) error { return nil })
	wantErr(t, err, domain.ErrForbidden)
	err = app.ListEvents{Log: eventLog{5}}.Export(ctx, admin, app.EventFilter{}, "nope", 0, func([]app.AuditEvent) error {
		t.Fatal("emitted before the bad cursor was refused")
		return nil
	})
	wantField(t, err, "after")
}

// The state at a moment is rebuilt from the events up to it.
func TestGetSourceStatusAt(t *testing.T) {
	ctx := context.Background()
	sources := &app.MemorySources{}
	pub, key := honest(t)
	id := addedSource(t, sources, pub, key) // registered and verified at t0
	later := t0.Add(time.Hour)
	if err := sources.Update(ctx, id, func(s *domain.Source) error { return s.RecordOwnershipProof(false, "gone", later) }); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		by         app.Principal
		at         time.Time
		wantErr    error
		wantStatus string
		wantResult string
	}{
		{name: "a consumer may not", by: consumer, at: later, wantErr: domain.ErrForbidden},
		{name: "before it was registered", by: admin, at: t0.Add(-time.Second), wantErr: domain.ErrNotFound},
		{name: "verified then", by: admin, at: t0, wantStatus: "verified", wantResult: "success"},
		{name: "failed now", by: admin, at: later, wantStatus: "failed", wantResult: "failed: gone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := app.GetSourceStatusAt{History: sources}.Handle(ctx, tt.by, id, tt.at)
			wantErr(t, err, tt.wantErr)
			if err == nil && (got.Status != tt.wantStatus || got.LastVerificationResult != tt.wantResult || !got.AsOf.Equal(tt.at) || got.StreamVersion == 0) {
				t.Fatalf("status %s (%q) as of %s at version %d", got.Status, got.LastVerificationResult, got.AsOf, got.StreamVersion)
			}
		})
	}
}
