package app_test

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

func TestAddSource(t *testing.T) {
	key, signer := newKey(t)
	_, stranger := newKey(t)
	down := errors.New("connection refused")
	tests := []struct {
		name         string
		by           app.Principal
		req          app.AddSourceRequest
		pub          *fakePublisher
		wantErr      error
		wantField    string
		wantStored   bool
		wantVerified bool
		wantReason   string
	}{
		{name: "a consumer may not", by: consumer, pub: &fakePublisher{info: goodInfo, signer: signer}, wantErr: domain.ErrForbidden},
		{name: "proven", by: admin, pub: &fakePublisher{info: goodInfo, signer: signer}, wantStored: true, wantVerified: true},
		{name: "the master key may", by: master, pub: &fakePublisher{info: goodInfo, signer: signer}, wantStored: true, wantVerified: true},
		{name: "signed with another key: kept, failed", by: admin, pub: &fakePublisher{info: goodInfo, signer: stranger},
			wantStored: true, wantReason: "does not verify against the registered public key"},
		{name: "publisher down: kept with the reason", by: admin, pub: &fakePublisher{infoErr: down},
			wantStored: true, wantReason: "connection refused"},
		{name: "asset domain off the instance: refused, nothing stored", by: admin,
			pub:     &fakePublisher{info: domain.PublisherInfo{AssetDomain: "https://elsewhere.test", NamingScheme: "flat"}, signer: signer},
			wantErr: domain.ErrInvalidInput},
		{name: "bad instance url", by: admin, req: app.AddSourceRequest{InstanceURL: "ftp://x"},
			pub: &fakePublisher{info: goodInfo, signer: signer}, wantErr: domain.ErrInvalidInput},
		{name: "bad asset host", by: admin, req: app.AddSourceRequest{AllowedAssetHosts: []string{"not a host/"}},
			pub: &fakePublisher{info: goodInfo, signer: signer}, wantField: "allowed_asset_hosts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			sources := &app.MemorySources{}
			req := tt.req
			if req.InstanceURL == "" {
				req.InstanceURL = instance
			}
			req.Username, req.PublicKey = "author", key
			add := app.AddSource{Sources: sources, Now: now,
				Verify: app.VerifySource{Sources: sources, Publisher: tt.pub, Random: rand.Reader, Now: now}}
			res, err := add.Handle(ctx, tt.by, req)
			if tt.wantField != "" {
				wantField(t, err, tt.wantField)
			} else {
				wantErr(t, err, tt.wantErr)
			}
			const id = "author@plugins.example.com"
			stored := len(sources.Events(id)) > 0
			if stored != tt.wantStored {
				t.Fatalf("stored %v, want %v", stored, tt.wantStored)
			}
			if err != nil {
				return
			}
			if res.Verified != tt.wantVerified || !strings.Contains(res.Reason, tt.wantReason) {
				t.Fatalf("verified %v (%q), want %v (%q)", res.Verified, res.Reason, tt.wantVerified, tt.wantReason)
			}
			s, err := sources.Load(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			wantStatus := domain.StatusFailed
			if tt.wantVerified {
				wantStatus = domain.StatusVerified
			}
			if st := s.State(); st.Status != wantStatus || st.AddedBy != tt.by.KeyID {
				t.Fatalf("stored as %s added by %q, want %s by %q", st.Status, st.AddedBy, wantStatus, tt.by.KeyID)
			}
		})
	}
}

// Adding a source twice is a conflict that says how to prove it again.
func TestAddSourceTwiceIsAConflict(t *testing.T) {
	sources := &app.MemorySources{}
	pub, key := honest(t)
	addedSource(t, sources, pub, key)
	add := app.AddSource{Sources: sources, Now: now,
		Verify: app.VerifySource{Sources: sources, Publisher: pub, Random: rand.Reader, Now: now}}
	_, err := add.Handle(context.Background(), admin, app.AddSourceRequest{InstanceURL: instance, Username: "author", PublicKey: key})
	wantErr(t, err, domain.ErrConflict)
	if !strings.Contains(err.Error(), "verify-source") {
		t.Fatalf("conflict without the way out: %v", err)
	}
}

func TestVerifySource(t *testing.T) {
	ctx := context.Background()
	_, stranger := newKey(t)
	tests := []struct {
		name         string
		by           app.Principal
		id           domain.SourceID
		breakKey     bool
		wantErr      error
		wantVerified bool
	}{
		{name: "a consumer may not", by: consumer, wantErr: domain.ErrForbidden},
		{name: "unknown source", by: admin, id: "nobody@plugins.example.com", wantErr: domain.ErrNotFound},
		{name: "proven again", by: admin, wantVerified: true},
		{name: "disproved", by: admin, breakKey: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sources := &app.MemorySources{}
			pub, key := honest(t)
			id := addedSource(t, sources, pub, key)
			if tt.id != "" {
				id = tt.id
			}
			if tt.breakKey {
				pub.signer = stranger
			}
			before := len(sources.Events(id))
			res, err := app.VerifySource{Sources: sources, Publisher: pub, Random: rand.Reader, Now: now}.Handle(ctx, tt.by, id)
			wantErr(t, err, tt.wantErr)
			if err != nil {
				if after := len(sources.Events(id)); after != before {
					t.Fatalf("a refused verification stored %d events", after-before)
				}
				return
			}
			if res.Verified != tt.wantVerified {
				t.Fatalf("verified %v (%s)", res.Verified, res.Reason)
			}
			types := eventTypes(sources.Events(id)[before:])
			want := domain.EventOwnershipVerified
			if !tt.wantVerified {
				want = domain.EventOwnershipVerificationFailed
			}
			if !slices.Contains(types, want) {
				t.Fatalf("stored %v, no %s", types, want)
			}
		})
	}
}

// A periodic re-verification counts a publisher that is down as a failure
// and keeps it verified; only an answer the key does not verify costs it
// its verification.
func TestReverify(t *testing.T) {
	ctx := context.Background()
	_, stranger := newKey(t)
	tests := []struct {
		name       string
		breakIt    func(*fakePublisher)
		wantStatus domain.SourceStatus
		wantErr    error
	}{
		{name: "still proven", breakIt: func(*fakePublisher) {}, wantStatus: domain.StatusVerified},
		{name: "down", breakIt: func(p *fakePublisher) { p.infoErr = errors.New("timeout") },
			wantStatus: domain.StatusVerified, wantErr: domain.ErrPublisher},
		{name: "another key", breakIt: func(p *fakePublisher) { p.signer = stranger },
			wantStatus: domain.StatusFailed, wantErr: domain.ErrPublisher},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sources := &app.MemorySources{}
			pub, key := honest(t)
			id := addedSource(t, sources, pub, key)
			tt.breakIt(pub)
			err := app.VerifySource{Sources: sources, Publisher: pub, Random: rand.Reader, Now: now}.Reverify(ctx, id)
			wantErr(t, err, tt.wantErr)
			s, _ := sources.Load(ctx, id)
			if s.State().Status != tt.wantStatus {
				t.Fatalf("status %s, want %s", s.State().Status, tt.wantStatus)
			}
		})
	}
}

func TestUpdateSource(t *testing.T) {
	ctx := context.Background()
	down := errors.New("timeout")
	hosts := func(h ...string) *[]string { return &h }
	tests := []struct {
		name       string
		by         app.Principal
		hosts      *[]string
		info       domain.PublisherInfo
		infoErr    error
		wantErr    error
		wantField  string
		wantHosts  []string
		wantDomain string
		wantFailed bool // a refresh failure recorded
	}{
		{name: "a consumer may not", by: consumer, info: goodInfo, wantErr: domain.ErrForbidden},
		{name: "refreshed", by: admin, info: domain.PublisherInfo{ProtocolVersion: "1.1", AssetDomain: "https://static.example.com", NamingScheme: "flat"},
			wantDomain: "https://static.example.com"},
		{name: "allow-list changed and used", by: admin, hosts: hosts("cdn.other.test"),
			info:      domain.PublisherInfo{AssetDomain: "https://cdn.other.test", NamingScheme: "flat"},
			wantHosts: []string{"cdn.other.test"}, wantDomain: "https://cdn.other.test"},
		{name: "asset domain off the allow-list: refused and recorded", by: admin,
			info:    domain.PublisherInfo{AssetDomain: "https://cdn.other.test", NamingScheme: "flat"},
			wantErr: domain.ErrInvalidInput, wantDomain: goodInfo.AssetDomain, wantFailed: true},
		{name: "publisher down: the allow-list change stands", by: admin, hosts: hosts("cdn.other.test"),
			infoErr: down, wantErr: down, wantHosts: []string{"cdn.other.test"}, wantDomain: goodInfo.AssetDomain},
		{name: "bad host", by: admin, hosts: hosts("a b"), info: goodInfo, wantField: "allowed_asset_hosts", wantDomain: goodInfo.AssetDomain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sources := &app.MemorySources{}
			pub, key := honest(t)
			id := addedSource(t, sources, pub, key)
			pub.info, pub.infoErr = tt.info, tt.infoErr
			_, err := app.UpdateSource{Sources: sources, Publisher: pub, Now: now}.Handle(ctx, tt.by, app.UpdateSourceRequest{ID: id, AllowedAssetHosts: tt.hosts})
			if tt.wantField != "" {
				wantField(t, err, tt.wantField)
			} else {
				wantErr(t, err, tt.wantErr)
			}
			if tt.by != admin {
				return
			}
			st := mustLoad(t, sources, id).State()
			if st.Info.AssetDomain != tt.wantDomain || !slices.Equal(st.AllowedAssetHosts, tt.wantHosts) {
				t.Fatalf("asset domain %q, hosts %v; want %q, %v", st.Info.AssetDomain, st.AllowedAssetHosts, tt.wantDomain, tt.wantHosts)
			}
			if failed := slices.Contains(eventTypes(sources.Events(id)), domain.EventSourceFailureRecorded); failed != tt.wantFailed {
				t.Fatalf("failure recorded %v, want %v", failed, tt.wantFailed)
			}
		})
	}
}

func mustLoad(t *testing.T, sources *app.MemorySources, id domain.SourceID) *domain.Source {
	t.Helper()
	s, err := sources.Load(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
