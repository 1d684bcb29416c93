package domain

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
)

// ErrBadSignature means a signature did not verify against the key.
var ErrBadSignature = errors.New("signature does not verify")

// PluginClaim is what a publisher signs about one plugin version.
type PluginClaim struct {
	ID          string // the plugin's slug
	Name        string
	Version     string
	Description string // short_description
}

// SignedMessage is the exact byte string the publisher signed:
// JSON.stringify({id, name, version, description}) with keys in that order.
func (c PluginClaim) SignedMessage() []byte {
	var b strings.Builder
	b.Grow(len(c.ID) + len(c.Name) + len(c.Version) + len(c.Description) + 64)
	b.WriteString(`{"id":`)
	appendJSString(&b, c.ID)
	b.WriteString(`,"name":`)
	appendJSString(&b, c.Name)
	b.WriteString(`,"version":`)
	appendJSString(&b, c.Version)
	b.WriteString(`,"description":`)
	appendJSString(&b, c.Description)
	b.WriteByte('}')
	return []byte(b.String())
}

// VerifyPlugin checks a publisher's base64 signature over the claim.
func VerifyPlugin(pub ed25519.PublicKey, c PluginClaim, signatureB64 string) error {
	return verify(pub, c.SignedMessage(), signatureB64, "plugin "+c.ID+" "+c.Version)
}

// VerifyChallenge checks a publisher's base64 signature over the UTF-8 bytes
// of an ownership challenge.
func VerifyChallenge(pub ed25519.PublicKey, challenge, signatureB64 string) error {
	return verify(pub, []byte(challenge), signatureB64, "ownership challenge")
}

func verify(pub ed25519.PublicKey, msg []byte, signatureB64, what string) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("%s: public key has %d bytes: %w", what, len(pub), ErrInvalidInput)
	}
	// Checked here too, not only at registration: a key stored before the
	// check existed must not verify signatures anyone can forge.
	if err := checkPublicKeyPoint(pub); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	sig, err := decodeBase64(signatureB64)
	if err != nil {
		return fmt.Errorf("%s: signature is not base64: %w", what, ErrBadSignature)
	}
	if len(sig) != ed25519.SignatureSize {
		return fmt.Errorf("%s: signature has %d bytes, want %d: %w", what, len(sig), ed25519.SignatureSize, ErrBadSignature)
	}
	if !ed25519.Verify(pub, msg, sig) {
		return fmt.Errorf("%s: %w", what, ErrBadSignature)
	}
	return nil
}
