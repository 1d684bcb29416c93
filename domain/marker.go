package domain

import (
	"crypto/ed25519"
	"fmt"
	"strings"
)

// A node serving /author-data (SPEC15 §2) signs with its node key what a
// downstream acts on beyond the chain: each yank marker and the source's
// status. Without it, whoever relays the listing could yank or withhold a
// version in the node's name, since the chain statements say nothing about
// either. Each message starts with its own prefix, so that it can be
// neither a federation statement (those start with '{') nor an ownership
// challenge (ChallengePrefix). The reason comes last: it is the only part
// that may hold spaces.
const (
	YankMarkerPrefix   = "pfn-yank/v1 "
	SourceStatusPrefix = "pfn-source-status/v1 "
)

// YankMarker is the message a yank marker's signature covers:
// "pfn-yank/v1 <source> <plugin> <version> <sha256> <reason>", with source
// the source id at the signing node.
func YankMarker(source SourceID, plugin, version, sha256, reason string) string {
	return YankMarkerPrefix + strings.Join([]string{string(source), plugin, version, sha256, reason}, " ")
}

// SourceStatusMarker is the message a source_status signature covers:
// "pfn-source-status/v1 <source> <status> <reason>".
func SourceStatusMarker(source SourceID, status, reason string) string {
	return SourceStatusPrefix + strings.Join([]string{string(source), status, reason}, " ")
}

// IsMarker says whether message is one a node signs as a marker.
func IsMarker(message string) bool {
	return strings.HasPrefix(message, YankMarkerPrefix) || strings.HasPrefix(message, SourceStatusPrefix)
}

// VerifyMarker checks a node's base64 signature over a marker message; an
// absent or bad signature wraps ErrBadSignature.
func VerifyMarker(nodeKey ed25519.PublicKey, message, signatureB64 string) error {
	what, _, _ := strings.Cut(message, " ")
	if signatureB64 == "" {
		return fmt.Errorf("%s marker: unsigned: %w", what, ErrBadSignature)
	}
	return verify(nodeKey, []byte(message), signatureB64, what+" marker")
}
