package app_test

import (
	"context"
	"testing"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// subscribe records by's subscription to source and the source's new
// subscriber count, as a first sync would.
func subscribe(t *testing.T, sources *app.MemorySources, subs *app.MemorySubscriptions, by app.Principal, source domain.SourceID) {
	t.Helper()
	ctx := context.Background()
	sub, _ := subs.Load(ctx, source, by.KeyID)
	if err := sub.Subscribe(mustLoad(t, sources, source).State(), domain.Filters{}, t0); err != nil {
		t.Fatal(err)
	}
	if err := subs.Save(ctx, sub); err != nil {
		t.Fatal(err)
	}
	err := sources.Update(ctx, source, func(s *domain.Source) error {
		n, err := subs.CountSubscribers(ctx, source)
		s.SetSubscriberCount(n, t0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The paths of Subscribe that end before the first sync: bad filters, a
// source that cannot be subscribed to, a key revoked meanwhile.
func TestSubscribeRefusals(t *testing.T) {
	tests := []struct {
		name       string
		filters    string
		source     domain.SourceID
		unverified bool
		revoked    bool
		wantErr    error
		wantField  string
		wantEvents int // in the subscription's stream
	}{
		{name: "filters not JSON", filters: "{", wantField: "filters"},
		{name: "filters of the wrong shape", filters: `{"tags": 3}`, wantField: "filters.tags"},
		{name: "unknown source", source: "nobody@plugins.example.com", wantErr: domain.ErrNotFound},
		{name: "source not verified", unverified: true, wantErr: domain.ErrConflict},
		// Recorded, then ended at once: the revocation's listing may have
		// missed it.
		{name: "key revoked meanwhile", revoked: true, wantErr: domain.ErrUnauthenticated, wantEvents: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			keys, sources, subs := &app.MemoryKeys{}, &app.MemorySources{}, &app.MemorySubscriptions{}
			pub, key := honest(t)
			id := addedSource(t, sources, pub, key)
			if tt.unverified {
				// addedSource wants it verified; fail it afterwards.
				if err := sources.Update(ctx, id, func(s *domain.Source) error { return s.RecordOwnershipProof(false, "gone", t0) }); err != nil {
					t.Fatal(err)
				}
			}
			if tt.source != "" {
				id = tt.source
			}
			_ = keys.Issue(ctx, domain.APIKeyIssued{KeyID: consumer.KeyID, Role: consumer.Role, Hash: "h"})
			if tt.revoked {
				_ = keys.Revoke(ctx, domain.APIKeyRevoked{KeyID: consumer.KeyID})
			}
			h := app.Subscribe{Sources: sources, Subscriptions: subs, Reader: subs, Revocations: keys, Now: now}
			_, err := h.Handle(ctx, consumer, id, []byte(tt.filters))
			if tt.wantField != "" {
				wantField(t, err, tt.wantField)
			} else {
				wantErr(t, err, tt.wantErr)
			}
			if got := len(subs.Events(id, consumer.KeyID)); got != tt.wantEvents {
				t.Fatalf("%d subscription events, want %d", got, tt.wantEvents)
			}
			if n, _ := subs.CountSubscribers(ctx, id); n != 0 {
				t.Fatalf("%d subscribers after a refusal", n)
			}
		})
	}
}

func TestUnsubscribe(t *testing.T) {
	tests := []struct {
		name       string
		subscribed bool
		wantErr    error
	}{
		{name: "subscribed", subscribed: true},
		{name: "not subscribed", wantErr: domain.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			sources, subs := &app.MemorySources{}, &app.MemorySubscriptions{}
			pub, key := honest(t)
			id := addedSource(t, sources, pub, key)
			subscribe(t, sources, subs, admin, id) // another subscriber stays
			if tt.subscribed {
				subscribe(t, sources, subs, consumer, id)
			}
			err := app.Unsubscribe{Sources: sources, Subscriptions: subs, Reader: subs, Now: now}.Handle(ctx, consumer, id)
			wantErr(t, err, tt.wantErr)
			if n := mustLoad(t, sources, id).State().TrustInputs.Subscribers; n != 1 {
				t.Fatalf("source counts %d subscribers, want 1", n)
			}
			mine, _ := app.ListSubscriptions{Reader: subs}.Handle(ctx, consumer)
			all, _ := app.ListSubscriptions{Reader: subs}.Handle(ctx, admin)
			if len(mine) != 0 || len(all) != 1 || all[0].Subscriber != admin.KeyID {
				t.Fatalf("listed %v for the consumer, %v for an admin", mine, all)
			}
		})
	}
}

// A consumer lists its own subscriptions, an admin everyone's.
func TestListSubscriptions(t *testing.T) {
	ctx := context.Background()
	sources, subs := &app.MemorySources{}, &app.MemorySubscriptions{}
	pub, key := honest(t)
	id := addedSource(t, sources, pub, key)
	subscribe(t, sources, subs, admin, id)
	subscribe(t, sources, subs, consumer, id)
	for _, tt := range []struct {
		by   app.Principal
		want int
	}{{consumer, 1}, {admin, 2}} {
		got, err := app.ListSubscriptions{Reader: subs}.Handle(ctx, tt.by)
		if err != nil || len(got) != tt.want {
			t.Fatalf("%s listed %v, %v; want %d", tt.by.KeyID, got, err, tt.want)
		}
		for _, v := range got {
			if !tt.by.IsAdmin() && v.Subscriber != tt.by.KeyID {
				t.Fatalf("%s sees %s's subscription", tt.by.KeyID, v.Subscriber)
			}
		}
	}
}
