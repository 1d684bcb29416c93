package app_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// An admin's rotation takes effect only once the publisher answers a
// challenge with the new key; any other outcome records nothing at all.
func TestUpdateSourceRotatesKeyAfterProof(t *testing.T) {
	otherKey, otherPriv := newKey(t)
	tests := []struct {
		name     string
		signWith func(old, next ed25519.PrivateKey) ed25519.PrivateKey
		proveErr error
		key      func(oldKey, nextKey string) string
		want     error
	}{
		{"proven", func(_, next ed25519.PrivateKey) ed25519.PrivateKey { return next }, nil, func(_, n string) string { return n }, nil},
		{"answered with the old key", func(old, _ ed25519.PrivateKey) ed25519.PrivateKey { return old }, nil, func(_, n string) string { return n }, domain.ErrConflict},
		{"publisher down", nil, errors.New("connection refused"), func(_, n string) string { return n }, domain.ErrPublisher},
		{"the current key", func(old, _ ed25519.PrivateKey) ed25519.PrivateKey { return old }, nil, func(o, _ string) string { return o }, domain.ErrInvalidInput},
		{"not a key", func(_, next ed25519.PrivateKey) ed25519.PrivateKey { return next }, nil, func(_, _ string) string { return "nope" }, domain.ErrInvalidInput},
		{"a key of a source on another host", func(_, _ ed25519.PrivateKey) ed25519.PrivateKey { return otherPriv }, nil, func(_, _ string) string { return otherKey }, domain.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sources := &app.MemorySources{}
			pub, oldKey := honest(t)
			id := addedSource(t, sources, pub, oldKey)
			elsewhere := &fakePublisher{info: goodInfo, signer: otherPriv}
			add := app.AddSource{Sources: sources, Keys: sources, Now: now,
				Verify: app.VerifySource{Sources: sources, Publisher: elsewhere, Random: rand.Reader, Now: now}}
			if _, err := add.Handle(context.Background(), admin, app.AddSourceRequest{InstanceURL: "https://mirror.example.com", Username: "author", PublicKey: otherKey}); err != nil {
				t.Fatal(err)
			}
			nextKey, nextPriv := newKey(t)
			if tt.signWith != nil {
				pub.signer = tt.signWith(pub.signer, nextPriv)
			}
			pub.proveErr = tt.proveErr
			before := len(sources.Events(id))
			hosts := []string{"cdn.example.org"}
			_, err := app.UpdateSource{Sources: sources, Publisher: pub, Random: rand.Reader, Keys: sources, Now: now}.Handle(
				context.Background(), admin, app.UpdateSourceRequest{ID: id, PublicKey: tt.key(oldKey, nextKey), Reason: "lost", AllowedAssetHosts: &hosts})
			wantErr(t, err, tt.want)
			s, _ := sources.Load(context.Background(), id)
			if tt.want != nil {
				if n := len(sources.Events(id)); n != before {
					t.Fatalf("a refused rotation recorded %d events", n-before)
				}
				return
			}
			st := s.State()
			if base64.StdEncoding.EncodeToString(st.PublicKey) != nextKey || len(st.KeyPeriods()) != 2 || st.KeyPeriods()[1].RotatedBy != domain.KeyByAdmin {
				t.Fatalf("after the rotation: key %x, history %+v", st.PublicKey, st.KeyPeriods())
			}
		})
	}
}

// update-source refuses what it must before contacting the publisher: a
// halted source's publisher is not read, and a key rotation without a
// reason sends no challenge.
func TestUpdateSourceRefusesBeforeContactingPublisher(t *testing.T) {
	tests := []struct {
		name   string
		halt   func(*domain.Source) error
		key    bool
		reason string
		want   error
	}{
		{"suspended", func(s *domain.Source) error { return s.Suspend("abuse", false, "admin", now()) }, false, "", domain.ErrSourceSuspended},
		{"suspended, with a key", func(s *domain.Source) error { return s.Suspend("abuse", false, "admin", now()) }, true, "lost", domain.ErrSourceSuspended},
		{"removed, with a key", func(s *domain.Source) error { return s.Remove("gone", "admin", nil, now()) }, true, "lost", domain.ErrSourceRemoved},
		{"a key without a reason", nil, true, " ", domain.ErrInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			sources, pub, id := verifiedSource(t)
			if tt.halt != nil {
				if err := sources.Update(ctx, id, tt.halt); err != nil {
					t.Fatal(err)
				}
			}
			req := app.UpdateSourceRequest{ID: id, Reason: tt.reason}
			if tt.key {
				req.PublicKey, pub.signer = newKey(t)
			}
			reads, proofs, before := pub.calls, pub.proofs, len(sources.Events(id))
			_, err := app.UpdateSource{Sources: sources, Publisher: pub, Random: rand.Reader, Keys: sources, Now: now}.Handle(ctx, admin, req)
			wantErr(t, err, tt.want)
			if pub.calls != reads || pub.proofs != proofs || len(sources.Events(id)) != before {
				t.Errorf("refused update contacted the publisher (%d reads, %d challenges) or recorded %d events",
					pub.calls-reads, pub.proofs-proofs, len(sources.Events(id))-before)
			}
		})
	}
}

// A re-verification follows a key the publisher announces, signed by the
// current key; an announcement the current key did not sign is not.
func TestReverifyFollowsAnnouncedKey(t *testing.T) {
	for _, signedByCurrent := range []bool{true, false} {
		sources := &app.MemorySources{}
		pub, oldKey := honest(t)
		id := addedSource(t, sources, pub, oldKey)
		nextKey, nextPriv := newKey(t)
		next, _ := base64.StdEncoding.DecodeString(nextKey)
		signer := pub.signer
		if !signedByCurrent {
			signer = nextPriv
		}
		pub.info.KeyRotation = announce(t, mustLoad(t, sources, id).State(), nextKey, signer)
		pub.signer = nextPriv // a rotated publisher answers with its new key
		_ = app.VerifySource{Sources: sources, Publisher: pub, Random: rand.Reader, Keys: sources, Now: now}.Reverify(context.Background(), id)
		got := mustLoad(t, sources, id).State()
		if rotated := got.PublicKey.Equal(ed25519.PublicKey(next)); rotated != signedByCurrent {
			t.Fatalf("signed by the current key %v: rotated %v (status %s, %s)", signedByCurrent, rotated, got.Status, got.LastFailure)
		}
		if signedByCurrent && (got.Status != domain.StatusVerified || got.KeyPeriods()[1].RotatedBy != domain.KeyByPublisher) {
			t.Fatalf("after the publisher's rotation: %s, %+v", got.Status, got.KeyPeriods())
		}
	}
}

// announce is a /federation-info key_rotation of nextKey for st's
// publisher, signed with signer.
func announce(t *testing.T, st domain.SourceState, nextKey string, signer ed25519.PrivateKey) *domain.KeyRotation {
	t.Helper()
	next, _ := base64.StdEncoding.DecodeString(nextKey)
	msg, err := domain.KeyRotationMessage(st.InstanceURL, st.Username, next)
	if err != nil {
		t.Fatal(err)
	}
	return &domain.KeyRotation{PublicKey: nextKey, Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(signer, msg))}
}

// A health check that refuses an announced key records why, once, and
// does not fail the job: the announcement is not tried again, so the
// publisher is not challenged at every check for a key the node will not
// take. A publisher that does not answer is tried again.
func TestHealthCheckRecordsRefusedRotationOnce(t *testing.T) {
	otherKey, otherPriv := newKey(t)
	tests := []struct {
		name        string
		signByNext  bool  // the announcement is signed by the announced key, not the current one
		answerOther bool  // the publisher answers the challenge with a third key
		proveErr    error // the publisher does not answer
		wantProofs  int   // challenges over both checks
		wantRefused bool
	}{
		{name: "not signed by the current key", signByNext: true, wantProofs: 0, wantRefused: true},
		{name: "the answer does not verify", answerOther: true, wantProofs: 1, wantRefused: true},
		{name: "the publisher does not answer", proveErr: errors.New("connection reset"), wantProofs: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			sources, pub, id := verifiedSource(t)
			nextKey, nextPriv := newKey(t)
			signer := pub.signer
			if tt.signByNext {
				signer = nextPriv
			}
			pub.info.KeyRotation = announce(t, mustLoad(t, sources, id).State(), nextKey, signer)
			pub.signer = nextPriv
			if tt.answerOther {
				pub.signer = otherPriv
			}
			pub.proveErr = tt.proveErr
			proofs := pub.proofs
			h := app.CheckHealth{Sources: sources, Health: &app.MemoryHealth{}, Publisher: pub, Metrics: app.NoMetrics{},
				Random: rand.Reader, Keys: sources, Now: now}
			for range 2 {
				err := h.Run(ctx, id)
				if tt.wantRefused != (err == nil) {
					t.Fatalf("health check = %v", err)
				}
			}
			var refusals []domain.SourceKeyRotationRefused
			for _, e := range sources.Events(id) {
				if r, ok := e.(domain.SourceKeyRotationRefused); ok {
					refusals = append(refusals, r)
				}
			}
			if got := pub.proofs - proofs; got != tt.wantProofs {
				t.Errorf("%d challenges over two checks, want %d", got, tt.wantProofs)
			}
			if !tt.wantRefused {
				if len(refusals) != 0 {
					t.Fatalf("a passing failure was recorded as a refusal: %+v", refusals)
				}
				return
			}
			if len(refusals) != 1 || refusals[0].KeyID != domain.KeyID(mustParse(t, nextKey)) || refusals[0].Reason == "" {
				t.Fatalf("refusals %+v, want one for %s", refusals, nextKey)
			}
			if st := mustLoad(t, sources, id).State(); st.PublicKey.Equal(mustParse(t, nextKey)) || st.PublicKey.Equal(mustParse(t, otherKey)) {
				t.Fatalf("a refused key was taken: %+v", st.KeyPeriods())
			}
		})
	}
}

// verifiedSource is a source added and verified in memory, with its honest
// publisher.
func verifiedSource(t *testing.T) (*app.MemorySources, *fakePublisher, domain.SourceID) {
	t.Helper()
	sources := &app.MemorySources{}
	pub, key := honest(t)
	return sources, pub, addedSource(t, sources, pub, key)
}

func mustParse(t *testing.T, key string) ed25519.PublicKey {
	t.Helper()
	k, err := domain.ParsePublicKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// One key, one host counts retired keys too: a key a source on another
// host had before a rotation still proves old versions of that source.
func TestAddSourceRefusesARetiredKeyOfAnotherHost(t *testing.T) {
	sources := &app.MemorySources{}
	pub, oldKey := honest(t)
	id := addedSource(t, sources, pub, oldKey)
	nextKey, nextPriv := newKey(t)
	oldPriv := pub.signer
	pub.signer = nextPriv
	if _, err := (app.UpdateSource{Sources: sources, Publisher: pub, Random: rand.Reader, Keys: sources, Now: now}).Handle(
		context.Background(), admin, app.UpdateSourceRequest{ID: id, PublicKey: nextKey, Reason: "lost laptop"}); err != nil {
		t.Fatal(err)
	}
	other := &fakePublisher{info: goodInfo, signer: oldPriv}
	add := app.AddSource{Sources: sources, Keys: sources, Now: now,
		Verify: app.VerifySource{Sources: sources, Publisher: other, Random: rand.Reader, Now: now}}
	_, err := add.Handle(context.Background(), admin, app.AddSourceRequest{InstanceURL: "https://mirror.example.com", Username: "author", PublicKey: oldKey})
	wantErr(t, err, domain.ErrConflict)
}
