package nodekey_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/pfn-network/pfn/adapters/nodekey"
	"github.com/pfn-network/pfn/domain"
)

// TestSignMarker: a yank or status marker is signed with the node key and
// verifies under it; a challenge or a statement's bytes are refused.
func TestSignMarker(t *testing.T) {
	t.Parallel()
	s, err := nodekey.LoadOrCreate(filepath.Join(t.TempDir(), "node.key"))
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []string{domain.YankMarker("a@h", "s", "1.0.0", "ab", "why"), domain.SourceStatusMarker("a@h", "removed", "gone")} {
		sig, err := s.SignMarker(msg)
		if err != nil || domain.VerifyMarker(s.PublicKey(), msg, sig) != nil {
			t.Errorf("SignMarker(%q) = %q, %v; does not verify", msg, sig, err)
		}
	}
	for _, msg := range []string{domain.ChallengePrefix + "00", `{"node":"x"}`, ""} {
		if _, err := s.SignMarker(msg); !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("SignMarker(%q) = %v, want ErrInvalidInput", msg, err)
		}
	}
}
