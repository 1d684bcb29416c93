package domain_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/pfn-network/pfn/domain"
)

// TestVerifyMarker: a marker verifies only under the key that signed it,
// over the very message; unsigned or altered, it wraps ErrBadSignature.
func TestVerifyMarker(t *testing.T) {
	t.Parallel()
	pub, priv, _ := ed25519.GenerateKey(nil)
	other, _, _ := ed25519.GenerateKey(nil)
	msg := domain.YankMarker("pub@p.example", "s", "1.0.0", "ab", "malware reported")
	sig := base64.StdEncoding.EncodeToString(ed25519.Sign(priv, []byte(msg)))
	for _, tc := range []struct {
		name     string
		key      ed25519.PublicKey
		msg, sig string
		ok       bool
	}{
		{"signed by the key", pub, msg, sig, true},
		{"unsigned", pub, msg, "", false},
		{"another key", other, msg, sig, false},
		{"another reason", pub, domain.YankMarker("pub@p.example", "s", "1.0.0", "ab", "oops"), sig, false},
		{"a status marker with the yank's signature", pub, domain.SourceStatusMarker("pub@p.example", "removed", ""), sig, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := domain.VerifyMarker(tc.key, tc.msg, tc.sig)
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, domain.ErrBadSignature)) {
				t.Errorf("VerifyMarker = %v, want ok=%v", err, tc.ok)
			}
		})
	}
	if domain.IsMarker(domain.ChallengePrefix+"00") || !domain.IsMarker(msg) {
		t.Error("IsMarker confuses a challenge and a marker")
	}
}
