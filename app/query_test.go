package app_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

func TestSourceQueriesAreForAdmins(t *testing.T) {
	ctx := context.Background()
	views := app.SourceViews{{ID: "a@x.test"}, {ID: "b@x.test"}, {ID: "r@x.test", Removal: &app.RemovalView{Reason: "gone"}}}
	tests := []struct {
		name    string
		by      app.Principal
		id      domain.SourceID
		wantErr error
	}{
		{name: "consumer", by: consumer, id: "a@x.test", wantErr: domain.ErrForbidden},
		{name: "admin", by: admin, id: "b@x.test"},
		{name: "admin, unknown source", by: admin, id: "c@x.test", wantErr: domain.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := app.ListSources{Sources: views}.Handle(ctx, tt.by, false)
			if tt.wantErr == domain.ErrForbidden {
				wantErr(t, err, domain.ErrForbidden)
			} else if err != nil || len(list) != 2 {
				t.Fatalf("listed %v, %v (a removed source is left out)", list, err)
			}
			all, err := app.ListSources{Sources: views}.Handle(ctx, tt.by, true)
			if err == nil && len(all) != 3 {
				t.Fatalf("include_removed listed %v", all)
			}
			got, err := app.GetSourceStatus{Sources: views}.Handle(ctx, tt.by, tt.id)
			wantErr(t, err, tt.wantErr)
			if err == nil && got.ID != string(tt.id) {
				t.Fatalf("got %s for %s", got.ID, tt.id)
			}
		})
	}
}

// catalogue is n plugins of one source, ids 1..n.
func catalogue(n int) app.PluginViews {
	var v app.PluginViews
	for i := 1; i <= n; i++ {
		v = append(v, app.PluginView{ID: int64(i), SourceID: "s", Plugin: fmt.Sprint("p", i), Version: "1.0.0"})
	}
	return v
}

func TestListPluginsPages(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		have     int
		q        app.PluginQuery
		wantLen  int
		wantNext string
	}{
		{name: "default page size", have: 60, wantLen: 50, wantNext: "50"},
		{name: "last page has no cursor", have: 60, q: app.PluginQuery{After: 50}, wantLen: 10},
		{name: "exactly a page", have: 3, q: app.PluginQuery{Limit: 3}, wantLen: 3},
		{name: "small page", have: 5, q: app.PluginQuery{Limit: 2, After: 1}, wantLen: 2, wantNext: "3"},
		{name: "too large a limit is the default", have: 300, q: app.PluginQuery{Limit: 1000}, wantLen: 50, wantNext: "50"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, next, err := app.ListPlugins{Plugins: catalogue(tt.have)}.Handle(ctx, tt.q)
			if err != nil || len(page) != tt.wantLen || next != tt.wantNext {
				t.Fatalf("%d plugins, next %q, %v; want %d, %q", len(page), next, err, tt.wantLen, tt.wantNext)
			}
		})
	}
}

func TestFindPlugin(t *testing.T) {
	ctx := context.Background()
	versions := app.PluginViews{
		{ID: 1, SourceID: "s", Plugin: "p", Version: "1.2.0"},
		{ID: 2, SourceID: "s", Plugin: "p", Version: "1.10.0"},
		{ID: 3, SourceID: "s", Plugin: "p", Version: "2.0.0", Pruned: "quota"},
		{ID: 4, SourceID: "s", Plugin: "q", Version: "9.0.0"},
	}
	tests := []struct {
		name, plugin, version string
		wantID                int64
		wantErr               error
	}{
		{name: "latest kept version, compared as versions", plugin: "p", wantID: 2},
		{name: "a given version", plugin: "p", version: "1.2.0", wantID: 1},
		{name: "a pruned version is gone", plugin: "p", version: "2.0.0", wantErr: domain.ErrGone},
		{name: "an unknown version", plugin: "p", version: "3.0.0", wantErr: domain.ErrNotFound},
		{name: "an unknown plugin", plugin: "r", wantErr: domain.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := app.FindPlugin{Plugins: versions}.Handle(ctx, "s", tt.plugin, tt.version)
			wantErr(t, err, tt.wantErr)
			if err == nil && got.ID != tt.wantID {
				t.Fatalf("found %d, want %d", got.ID, tt.wantID)
			}
		})
	}
}

// mirrorVerifier says whether the node's statement verifies.
type mirrorVerifier struct{ err error }

func (v mirrorVerifier) VerifyMirror(app.PluginView) error   { return v.err }
func (v mirrorVerifier) VerifyMirrorV2(app.PluginView) error { return v.err }

func TestVerifyMirrored(t *testing.T) {
	ctx := context.Background()
	pub, priv, _ := ed25519.GenerateKey(nil)
	_, other, _ := ed25519.GenerateKey(nil)
	sign := func(k ed25519.PrivateKey, p app.PluginView) string {
		msg := domain.PluginClaim{ID: p.Plugin, Name: p.Name, Version: p.Version, Description: p.Description}.SignedMessage()
		return base64.StdEncoding.EncodeToString(ed25519.Sign(k, msg))
	}
	tests := []struct {
		name          string
		signer        ed25519.PrivateKey
		statementErr  error
		damage        string
		wantPublisher bool
		wantFed       bool
		wantStored    bool
	}{
		{name: "all good", signer: priv, wantPublisher: true, wantFed: true, wantStored: true},
		{name: "signed by someone else", signer: other, wantFed: true, wantStored: true},
		{name: "the node's statement does not verify", signer: priv, statementErr: domain.ErrBadSignature, wantPublisher: true},
		{name: "the recheck found damage", signer: priv, damage: "missing: gone", wantPublisher: true, wantFed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := app.PluginView{ID: 1, SourceID: "s", Plugin: "p", Name: "P", Version: "1.0.0", SHA256: "ab", Size: 3,
				StoredCopy: app.StoredCopy{OK: tt.damage == "", Damage: tt.damage}}
			p.PublisherSignature = sign(tt.signer, p)
			h := app.VerifyMirrored{Find: app.FindPlugin{Plugins: app.PluginViews{p}},
				Sources:  app.SourceViews{{ID: "s", PublicKey: base64.StdEncoding.EncodeToString(pub)}},
				Verifier: mirrorVerifier{tt.statementErr}}
			r, err := h.Handle(ctx, "s", "p", "")
			if err != nil {
				t.Fatal(err)
			}
			if r.PublisherSignature.OK != tt.wantPublisher || r.FederationSignature.OK != tt.wantFed || r.StoredBytes.OK != tt.wantStored ||
				r.Valid != (tt.wantPublisher && tt.wantFed && tt.wantStored) {
				t.Fatalf("report %+v", r)
			}
		})
	}
	_, err := app.VerifyMirrored{Find: app.FindPlugin{Plugins: app.PluginViews{}}}.Handle(ctx, "s", "p", "")
	wantErr(t, err, domain.ErrNotFound)
}

func TestCheckHealth(t *testing.T) {
	down := errors.New("connection refused")
	tests := []struct {
		name        string
		unverified  bool
		failures    int // checks that fail, then one that succeeds
		wantChecks  int
		wantStatus  domain.SourceStatus
		wantFailure bool // a failure in the source's stream
	}{
		{name: "up", wantChecks: 1, wantStatus: domain.StatusVerified},
		{name: "down once", failures: 1, wantChecks: 2, wantStatus: domain.StatusVerified, wantFailure: true},
		{name: "down often enough for an error, then back", failures: domain.FailuresForError, wantChecks: domain.FailuresForError + 1,
			wantStatus: domain.StatusVerified, wantFailure: true},
		{name: "a failed source is not watched", unverified: true, wantStatus: domain.StatusFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			sources, health := &app.MemorySources{}, &app.MemoryHealth{}
			pub, key := honest(t)
			id := addedSource(t, sources, pub, key)
			if tt.unverified {
				_ = sources.Update(ctx, id, func(s *domain.Source) error { return s.RecordOwnershipProof(false, "gone", t0) })
			}
			h := app.CheckHealth{Sources: sources, Health: health, Publisher: pub, Metrics: app.NoMetrics{}, Now: now}
			pub.infoErr = down
			for i := range tt.failures {
				wantErr(t, h.Run(ctx, id), down)
				if i == domain.FailuresForError-1 && mustLoad(t, sources, id).State().Status != domain.StatusError {
					t.Fatalf("%d failures and still %s", i+1, mustLoad(t, sources, id).State().Status)
				}
			}
			pub.infoErr = nil
			if err := h.Run(ctx, id); err != nil {
				t.Fatal(err)
			}
			checks := health.Checks(id)
			if len(checks) != tt.wantChecks || (len(checks) > 0 && !checks[len(checks)-1].Up) {
				t.Fatalf("health stream %+v", checks)
			}
			types := eventTypes(sources.Events(id))
			failed := slices.Contains(types, domain.EventSourceFailureRecorded)
			if st := mustLoad(t, sources, id).State().Status; st != tt.wantStatus || failed != tt.wantFailure {
				t.Fatalf("status %s, failure recorded %v; want %s, %v (%v)", st, failed, tt.wantStatus, tt.wantFailure, types)
			}
		})
	}
}

// TestVerifyMirroredAttestation: the verify answer re-checks a version's
// signature_v2 over the recorded sha256 and size and says who vouches for
// the bytes: the publisher only while it verifies.
func TestVerifyMirroredAttestation(t *testing.T) {
	ctx := context.Background()
	pub, priv, _ := ed25519.GenerateKey(nil)
	_, other, _ := ed25519.GenerateKey(nil)
	base := app.PluginView{ID: 1, SourceID: "s", Plugin: "p", Name: "P", Version: "1.0.0", SHA256: sha("bytes"), Size: 5,
		StoredCopy: app.StoredCopy{OK: true}}
	base.PublisherSignature = app.SignListing(priv, app.ListedPlugin{Slug: "p", Name: "P", Version: "1.0.0"}).Signature
	v2 := func(k ed25519.PrivateKey, content string) string {
		return app.SignListingV2(k, app.ListedPlugin{Slug: "p", Name: "P", Version: "1.0.0"}, []byte(content)).SignatureV2
	}
	tests := []struct {
		name      string
		signature string
		wantBy    string
		wantCheck *bool // nil: no publisher_signature_v2 check
	}{
		{"v1: the node vouches", "", "node", nil},
		{"v2 over the recorded bytes", v2(priv, "bytes"), "publisher", ptr(true)},
		{"v2 over other bytes", v2(priv, "other"), "node", ptr(false)},
		{"v2 by another key", v2(other, "bytes"), "node", ptr(false)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := base
			p.PublisherSignatureV2 = tt.signature
			h := app.VerifyMirrored{Find: app.FindPlugin{Plugins: app.PluginViews{p}},
				Sources:  app.SourceViews{{ID: "s", PublicKey: base64.StdEncoding.EncodeToString(pub)}},
				Verifier: mirrorVerifier{}}
			r, err := h.Handle(ctx, "s", "p", "")
			if err != nil {
				t.Fatal(err)
			}
			gotCheck := r.PublisherSignatureV2 != nil
			if r.BytesAttestedBy != tt.wantBy || gotCheck != (tt.wantCheck != nil) ||
				(gotCheck && r.PublisherSignatureV2.OK != *tt.wantCheck) || r.Valid != (tt.wantCheck == nil || *tt.wantCheck) {
				t.Fatalf("report %+v, v2 check %+v", r, r.PublisherSignatureV2)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
