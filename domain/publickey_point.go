package domain

import (
	"bytes"
	"fmt"

	"filippo.io/edwards25519"
)

// checkPublicKeyPoint refuses 32 bytes that no honest key pair produces.
//
// A small-order point (one of the eight points whose order divides the
// cofactor 8, in any of their fourteen encodings) has no private key behind
// it, and crypto/ed25519 accepts signatures under it that anyone can make:
// under the identity, R = identity and S = 0 verify for every message. So
// the point is decoded, multiplied by the cofactor and compared with the
// identity (the libsodium and ed25519-speccheck rule, without a hand-kept
// blocklist).
//
// Non-canonical encodings (y >= p, or the sign bit set where x = 0) are
// refused as well: edwards25519 and crypto/ed25519 decode them, but no key
// generator writes them, and accepting them would give one key several
// spellings (and several stored forms).
func checkPublicKeyPoint(key []byte) error {
	p, err := new(edwards25519.Point).SetBytes(key)
	if err != nil {
		return fmt.Errorf("public key is not a point on the Ed25519 curve: %w", ErrInvalidInput)
	}
	if new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) == 1 {
		return fmt.Errorf("public key is a small-order Ed25519 point (no private key stands behind it, "+
			"and signatures under it can be forged): %w", ErrInvalidInput)
	}
	if !bytes.Equal(p.Bytes(), key) {
		return fmt.Errorf("public key is a non-canonical Ed25519 encoding; a key generator writes the canonical one: %w", ErrInvalidInput)
	}
	return nil
}
