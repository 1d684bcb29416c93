package app_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

func TestCreateKey(t *testing.T) {
	tests := []struct {
		name    string
		by      app.Principal
		role    domain.Role
		wantErr error
	}{
		{name: "a consumer may not", by: consumer, role: domain.RoleConsumer, wantErr: domain.ErrForbidden},
		{name: "an admin key may", by: admin, role: domain.RoleConsumer},
		{name: "the master key may", by: master, role: domain.RoleAdmin},
		{name: "no role", by: admin, wantErr: domain.ErrInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			keys := &app.MemoryKeys{}
			k, err := app.CreateKey{Keys: keys, Random: rand.Reader, Now: now}.Handle(ctx, tt.by, tt.role, "ci")
			wantErr(t, err, tt.wantErr)
			if err != nil {
				return
			}
			rec, err := keys.Lookup(ctx, k.ID)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Role != tt.role || rec.Revoked || rec.Hash == "" || strings.Contains(rec.Hash, k.Key) {
				t.Fatalf("stored %+v for key of role %s", rec, tt.role)
			}
			// The key it answered with authenticates as what it was issued.
			p, err := app.Authenticate{Keys: keys}.Handle(ctx, k.Key)
			if err != nil || p.KeyID != k.ID || p.Role != tt.role {
				t.Fatalf("authenticated as %+v, %v", p, err)
			}
		})
	}
}

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	keys := &app.MemoryKeys{}
	issue := func(role domain.Role) string {
		k, err := app.CreateKey{Keys: keys, Random: rand.Reader, Now: now}.Handle(ctx, admin, role, "")
		if err != nil {
			t.Fatal(err)
		}
		return k.Key
	}
	good, revoked := issue(domain.RoleConsumer), issue(domain.RoleConsumer)
	k, _ := domain.ParseKey(revoked)
	if err := keys.Revoke(ctx, domain.APIKeyRevoked{KeyID: k.ID, At: t0}); err != nil {
		t.Fatal(err)
	}
	forged, _ := domain.IssueKey(bytes.NewReader(bytes.Repeat([]byte{7}, 64)), domain.RoleConsumer, "")
	adminKey := issue(domain.RoleAdmin)
	tests := []struct {
		name      string
		presented string
		wantErr   error
		wantRole  domain.Role
		master    bool
	}{
		{name: "none", presented: "", wantErr: domain.ErrUnauthenticated},
		{name: "garbage", presented: "hello", wantErr: domain.ErrUnauthenticated},
		{name: "never issued", presented: forged.Secret, wantErr: domain.ErrUnauthenticated},
		{name: "revoked", presented: revoked, wantErr: domain.ErrUnauthenticated},
		{name: "right id, wrong secret", presented: good[:len(good)-2] + "xx", wantErr: domain.ErrUnauthenticated},
		{name: "consumer", presented: good, wantRole: domain.RoleConsumer},
		{name: "admin", presented: adminKey, wantRole: domain.RoleAdmin},
		{name: "master", presented: "the-master-key-long-enough-0123456789", wantRole: domain.RoleAdmin, master: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := app.Authenticate{Keys: keys, MasterKey: "the-master-key-long-enough-0123456789"}.Handle(ctx, tt.presented)
			wantErr(t, err, tt.wantErr)
			if err == nil && (p.Role != tt.wantRole || p.Master != tt.master) {
				t.Fatalf("principal %+v", p)
			}
		})
	}
}

func TestRevokeKey(t *testing.T) {
	tests := []struct {
		name      string
		by        app.Principal
		bySecret  bool // revoke by the whole key, as the original's clients do
		unknown   bool
		twice     bool
		wantErr   error
		wantEnded bool
	}{
		{name: "a consumer may not", by: consumer, wantErr: domain.ErrForbidden},
		{name: "the master key may not", by: master, wantErr: domain.ErrForbidden},
		{name: "unknown key", by: admin, unknown: true, wantErr: domain.ErrNotFound},
		{name: "by id", by: admin, wantEnded: true},
		{name: "by the key itself", by: admin, bySecret: true, wantEnded: true},
		{name: "again", by: admin, twice: true, wantEnded: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			keys, sources, subs := &app.MemoryKeys{}, &app.MemorySources{}, &app.MemorySubscriptions{}
			pub, pubKey := honest(t)
			source := addedSource(t, sources, pub, pubKey)
			k, err := app.CreateKey{Keys: keys, Random: rand.Reader, Now: now}.Handle(ctx, admin, domain.RoleConsumer, "")
			if err != nil {
				t.Fatal(err)
			}
			subscribe(t, sources, subs, app.Principal{KeyID: k.ID, Role: k.Role}, source)
			revoke := app.RevokeKey{Keys: keys, Sources: sources, Subscriptions: subs, Reader: subs, Shown: subs, Now: now}
			target := k.ID
			switch {
			case tt.bySecret:
				target = k.Key
			case tt.unknown:
				target = "nokey"
			}
			rec, err := revoke.Handle(ctx, tt.by, target)
			if tt.twice && err == nil {
				rec, err = revoke.Handle(ctx, tt.by, target)
			}
			wantErr(t, err, tt.wantErr)
			if err == nil && (!rec.Revoked || rec.ID != k.ID) {
				t.Fatalf("answered %+v", rec)
			}
			if n := len(keys.Revocations()); (n == 1) != (err == nil) || n > 1 {
				t.Fatalf("%d revocations recorded", n)
			}
			n, _ := subs.CountSubscribers(ctx, source)
			count := mustLoad(t, sources, source).State().TrustInputs.Subscribers
			if ended := n == 0 && count == 0; ended != tt.wantEnded {
				t.Fatalf("subscribers %d, source counts %d: ended %v, want %v", n, count, ended, tt.wantEnded)
			}
			if tt.wantEnded {
				events := subs.Events(source, k.ID)
				last, ok := events[len(events)-1].(domain.Unsubscribed)
				if !ok || last.Reason != domain.UnsubscribedKeyRevoked || len(events) != 2 {
					t.Fatalf("subscription stream %#v", events)
				}
			}
		})
	}
}
