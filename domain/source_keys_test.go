package domain_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pfn-network/pfn/domain"
)

func keyPair(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

// sourceWithKey is a verified source registered with a key the test holds.
func sourceWithKey(t *testing.T) (*domain.Source, ed25519.PrivateKey) {
	t.Helper()
	pub, priv := keyPair(t)
	s, err := domain.RegisterSource("https://plugins.example.com", "author", b64(pub), "key_1", t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RecordOwnershipProof(true, "", t0); err != nil {
		t.Fatal(err)
	}
	return s, priv
}

func signClaim(priv ed25519.PrivateKey, c domain.PluginClaim) string {
	return b64(ed25519.Sign(priv, c.SignedMessage()))
}

// A rotation keeps the old key in the history, closed at the rotation,
// and a replay of the events builds the same history.
func TestRotateKeyKeepsHistory(t *testing.T) {
	s, _ := sourceWithKey(t)
	old := s.State().PublicKey
	next, _ := keyPair(t)
	at := t0.Add(time.Hour)
	if err := s.RotateKey(old, next, domain.KeyByPublisher, "author@plugins.example.com", "announced", at); err != nil {
		t.Fatal(err)
	}
	for _, st := range []domain.SourceState{s.State(), replay(t, s).State()} {
		h := st.KeyPeriods()
		if !st.PublicKey.Equal(next) || len(h) != 2 {
			t.Fatalf("after the rotation: key %x, history %+v", st.PublicKey, h)
		}
		if !h[0].PublicKey.Equal(old) || !h[0].ValidUntil.Equal(at) || h[0].RotatedBy != domain.KeyByRegistration || h[0].Current() {
			t.Errorf("old period %+v", h[0])
		}
		if !h[1].PublicKey.Equal(next) || !h[1].ValidFrom.Equal(at) || !h[1].Current() || h[1].RotatedBy != domain.KeyByPublisher ||
			h[1].KeyID != domain.KeyID(next) {
			t.Errorf("new period %+v", h[1])
		}
	}
	e := s.Changes()[len(s.Changes())-1].(domain.SourceKeyRotated)
	if e.OldKeyID != domain.KeyID(old) || e.NewKeyID != domain.KeyID(next) || e.By != domain.KeyByPublisher || e.Reason != "announced" {
		t.Errorf("event %+v", e)
	}
}

func TestRotateKeyRefusals(t *testing.T) {
	s, _ := sourceWithKey(t)
	old := s.State().PublicKey
	next, _ := keyPair(t)
	stale, _ := keyPair(t)
	if err := s.RotateKey(old, next, domain.KeyByAdmin, "key_1", "lost laptop", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	suspended, _ := sourceWithKey(t)
	if err := suspended.Suspend("abuse", false, "key_1", t0); err != nil {
		t.Fatal(err)
	}
	removed, _ := sourceWithKey(t)
	if err := removed.Remove("gone", "key_1", nil, t0); err != nil {
		t.Fatal(err)
	}
	third, _ := keyPair(t)
	tests := []struct {
		name       string
		s          *domain.Source
		from, next ed25519.PublicKey
		by, reason string
		want       error
	}{
		{"the current key again", s, next, next, domain.KeyByAdmin, "why", domain.ErrInvalidInput},
		{"a retired key", s, next, old, domain.KeyByAdmin, "why", domain.ErrInvalidInput},
		{"checked against a key no longer current", s, stale, third, domain.KeyByPublisher, "why", domain.ErrConflict},
		{"unknown rotator", s, next, third, "someone", "why", domain.ErrInvalidInput},
		{"no reason", s, next, third, domain.KeyByAdmin, "  ", domain.ErrInvalidInput},
		{"reason too long", s, next, third, domain.KeyByAdmin, strings.Repeat("x", domain.MaxSuspensionReason+1), domain.ErrInvalidInput},
		{"small-order key", s, next, make(ed25519.PublicKey, 32), domain.KeyByAdmin, "why", domain.ErrInvalidInput},
		{"suspended", suspended, suspended.State().PublicKey, third, domain.KeyByAdmin, "why", domain.ErrSourceSuspended},
		{"removed", removed, removed.State().PublicKey, third, domain.KeyByAdmin, "why", domain.ErrSourceRemoved},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(tt.s.Changes())
			err := tt.s.RotateKey(tt.from, tt.next, tt.by, "key_1", tt.reason, t0.Add(2*time.Hour))
			if !errors.Is(err, tt.want) {
				t.Fatalf("RotateKey = %v, want %v", err, tt.want)
			}
			if len(tt.s.Changes()) != before {
				t.Errorf("a refused rotation recorded %v", tt.s.Changes()[before:])
			}
		})
	}
}

func TestHadKey(t *testing.T) {
	s, _ := sourceWithKey(t)
	old := s.State().PublicKey
	next, _ := keyPair(t)
	never, _ := keyPair(t)
	if err := s.RotateKey(old, next, domain.KeyByAdmin, "key_1", "lost laptop", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	st := s.State()
	for _, tt := range []struct {
		name    string
		key     ed25519.PublicKey
		had     bool
		current bool
	}{{"retired", old, true, false}, {"current", next, true, true}, {"never", never, false, false}} {
		p, had := st.HadKey(tt.key)
		if had != tt.had || (had && (p.Current() != tt.current || !p.PublicKey.Equal(tt.key))) {
			t.Errorf("%s: HadKey = %+v, %v", tt.name, p, had)
		}
	}
}

// Versions signed before a rotation verify under the retired key when
// mirrored before it; the same signature on a version mirrored later does
// not; new versions verify under the new key.
func TestVerifyPluginKeys(t *testing.T) {
	s, oldPriv := sourceWithKey(t)
	next, nextPriv := keyPair(t)
	rotatedAt := t0.Add(24 * time.Hour)
	if err := s.RotateKey(s.State().PublicKey, next, domain.KeyByAdmin, "key_1", "lost laptop", rotatedAt); err != nil {
		t.Fatal(err)
	}
	history := s.State().KeyPeriods()
	claim := domain.PluginClaim{ID: "p", Name: "P", Version: "1.0.0", Description: "d"}
	tests := []struct {
		name        string
		sig         string
		mirroredAt  time.Time
		wantKey     string
		wantCurrent bool
		wantErr     error
	}{
		{"old key, mirrored before", signClaim(oldPriv, claim), t0.Add(time.Hour), history[0].KeyID, false, nil},
		{"old key, mirrored after", signClaim(oldPriv, claim), rotatedAt.Add(time.Hour), history[0].KeyID, false, domain.ErrRetiredKey},
		{"new key", signClaim(nextPriv, claim), rotatedAt.Add(time.Hour), history[1].KeyID, true, nil},
		{"neither", signClaim(nextPriv, domain.PluginClaim{ID: "other"}), rotatedAt, "", false, domain.ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := domain.VerifyPluginKeys(history, claim, tt.sig, tt.mirroredAt)
			if !errors.Is(err, tt.wantErr) || key.KeyID != tt.wantKey || (tt.wantKey != "" && key.Current() != tt.wantCurrent) {
				t.Fatalf("VerifyPluginKeys = %+v, %v; want key %s, %v", key, err, tt.wantKey, tt.wantErr)
			}
		})
	}
}

// The rotation message never reads as an ownership challenge nor as a
// plugin claim (a JSON value), and names the source and the key in one
// way only.
func TestKeyRotationMessageDomainSeparated(t *testing.T) {
	next, _ := keyPair(t)
	msg, err := domain.KeyRotationMessage("https://plugins.example.com", "author", next)
	if err != nil {
		t.Fatal(err)
	}
	want := domain.KeyRotationPrefix + b64(next) + " https://plugins.example.com author"
	if string(msg) != want {
		t.Fatalf("message %q, want %q", msg, want)
	}
	if _, err := domain.ParseChallenge(string(msg)); err == nil {
		t.Error("the rotation message parses as an ownership challenge")
	}
	if json.Valid(msg) {
		t.Error("the rotation message is a JSON value, so it could read as a plugin claim")
	}
	for _, bad := range []struct{ url, user string }{
		{"https://Plugins.Example.com/", "author"}, // not normalized
		{"https://plugins.example.com", "two words"},
		{"https://plugins.example.com", ""},
	} {
		if _, err := domain.KeyRotationMessage(bad.url, bad.user, next); !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("KeyRotationMessage(%q, %q) = %v, want refused", bad.url, bad.user, err)
		}
	}
}

func TestVerifyKeyRotation(t *testing.T) {
	s, priv := sourceWithKey(t)
	st := s.State()
	next, nextPriv := keyPair(t)
	sign := func(k ed25519.PrivateKey, url, user string) string {
		msg, err := domain.KeyRotationMessage(url, user, next)
		if err != nil {
			t.Fatal(err)
		}
		return b64(ed25519.Sign(k, msg))
	}
	tests := []struct {
		name string
		a    domain.KeyRotation
		ok   bool
	}{
		{"signed by the current key", domain.KeyRotation{PublicKey: b64(next), Signature: sign(priv, st.InstanceURL, st.Username)}, true},
		{"signed by the new key", domain.KeyRotation{PublicKey: b64(next), Signature: sign(nextPriv, st.InstanceURL, st.Username)}, false},
		{"for another source", domain.KeyRotation{PublicKey: b64(next), Signature: sign(priv, "https://other.example.com", st.Username)}, false},
		{"for another user", domain.KeyRotation{PublicKey: b64(next), Signature: sign(priv, st.InstanceURL, "someone")}, false},
		{"the current key", domain.KeyRotation{PublicKey: b64(st.PublicKey), Signature: sign(priv, st.InstanceURL, st.Username)}, false},
		{"not a key", domain.KeyRotation{PublicKey: "nope", Signature: sign(priv, st.InstanceURL, st.Username)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.VerifyKeyRotation(st, tt.a)
			if (err == nil) != tt.ok || (tt.ok && !got.Equal(next)) {
				t.Fatalf("VerifyKeyRotation = %x, %v; want ok %v", got, err, tt.ok)
			}
		})
	}
}

// A refused announcement is recorded once per announced key, and the
// state (replayed too) remembers which key it was; another key is
// refused anew. A key that does not parse is named all the same.
func TestRefuseKeyRotationOncePerKey(t *testing.T) {
	s, _ := sourceWithKey(t)
	first, _ := keyPair(t)
	second, _ := keyPair(t)
	a1 := domain.KeyRotation{PublicKey: b64(first), Signature: "x"}
	a2 := domain.KeyRotation{PublicKey: b64(second), Signature: "x"}
	bad := domain.KeyRotation{PublicKey: "not a key", Signature: "x"}
	steps := []struct {
		a        domain.KeyRotation
		recorded bool
	}{{a1, true}, {a1, false}, {a2, true}, {a2, false}, {bad, true}, {bad, false}}
	for i, step := range steps {
		before := len(s.Changes())
		s.RefuseKeyRotation(step.a, "does not verify", t0.Add(time.Duration(i)*time.Hour))
		if recorded := len(s.Changes()) > before; recorded != step.recorded {
			t.Fatalf("step %d (%s): recorded %v, want %v", i, step.a.PublicKey, recorded, step.recorded)
		}
		for _, st := range []domain.SourceState{s.State(), replay(t, s).State()} {
			if !st.KeyRotationRefused(step.a) || st.RefusedKeyID != domain.AnnouncedKeyID(step.a) {
				t.Fatalf("step %d: refused key %q, want %q", i, st.RefusedKeyID, domain.AnnouncedKeyID(step.a))
			}
		}
	}
	if domain.AnnouncedKeyID(a1) != domain.KeyID(first) || len(domain.AnnouncedKeyID(bad)) != len(domain.KeyID(first)) {
		t.Errorf("announced key ids %q, %q", domain.AnnouncedKeyID(a1), domain.AnnouncedKeyID(bad))
	}
	e := s.Changes()[len(s.Changes())-1].(domain.SourceKeyRotationRefused)
	if e.Reason != "does not verify" || e.KeyID != domain.AnnouncedKeyID(bad) {
		t.Errorf("event %+v", e)
	}
}
