package nodekey

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"

	"github.com/pfn-network/pfn/domain"
)

// SignMarker signs a yank or source-status marker of /author-data
// (domain.YankMarker, domain.SourceStatusMarker) with the current key. It
// refuses any other bytes: the same key signs statements and challenges.
func (s *Signer) SignMarker(message string) (string, error) {
	if !domain.IsMarker(message) {
		return "", fmt.Errorf("not a yank or source-status marker: %w", domain.ErrInvalidInput)
	}
	return base64.StdEncoding.EncodeToString(ed25519.Sign(s.priv, []byte(message))), nil
}
