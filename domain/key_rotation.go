package domain

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// KeyRotationPrefix starts every key-rotation message. The message is
//
//	pfn-key-rotation/v1 <new key> <instance_url> <username>
//
// in UTF-8: the prefix (20 fixed ASCII bytes), the new key as standard
// base64 of its raw 32 bytes (always 44 characters), the source's
// normalized instance URL, and its username, separated by single spaces.
// Why this shape: the publisher signs it with the key that signs plugin
// claims and ownership challenges, so it must never read as either. It
// starts with 'p' (no JSON value does, so never a claim) and with another
// prefix than ChallengePrefix (so never a challenge). Naming the source
// keeps an announcement from being replayed for another source that shares
// the key; the fixed-length key first and a URL and username that hold no
// space leave exactly one way to read the message.
const KeyRotationPrefix = "pfn-key-rotation/v1 "

// KeyRotationMessage is the byte string a publisher signs with its current
// key to announce newKey for the source at instanceURL (normalized) and
// username.
func KeyRotationMessage(instanceURL, username string, newKey ed25519.PublicKey) ([]byte, error) {
	normalized, err := NormalizeInstanceURL(instanceURL)
	if err != nil {
		return nil, err
	}
	if normalized != instanceURL {
		return nil, fmt.Errorf("key rotation: instance_url %q is not normalized (%q): %w", instanceURL, normalized, ErrInvalidInput)
	}
	if err := ValidateUsername(username); err != nil {
		return nil, err
	}
	if len(newKey) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("key rotation: new key has %d bytes: %w", len(newKey), ErrInvalidInput)
	}
	return []byte(KeyRotationPrefix + base64.StdEncoding.EncodeToString(newKey) + " " + instanceURL + " " + username), nil
}

// KeyRotation is a publisher's announcement of its next key, as its
// /federation-info carries it: the new key and the current key's signature
// over KeyRotationMessage.
type KeyRotation struct {
	PublicKey string // as the publisher gave it; ParsePublicKey reads it
	Signature string // base64
}

// VerifyKeyRotation checks an announcement for the source st against its
// current key and returns the announced key. It checks only what the
// announcement says; that the publisher holds the new key is a challenge's
// job (the caller's).
func VerifyKeyRotation(st SourceState, a KeyRotation) (ed25519.PublicKey, error) {
	next, err := ParsePublicKey(a.PublicKey)
	if err != nil {
		return nil, InField("key_rotation.public_key", err)
	}
	if next.Equal(st.PublicKey) {
		return nil, fmt.Errorf("key_rotation announces the current key: %w", ErrInvalidInput)
	}
	msg, err := KeyRotationMessage(st.InstanceURL, st.Username, next)
	if err != nil {
		return nil, err
	}
	if err := verify(st.PublicKey, msg, a.Signature, "key rotation"); err != nil {
		return nil, err
	}
	return next, nil
}

// KeyID names a publisher key: the first 16 hex digits of the SHA-256 of
// its raw 32 bytes, as the node names its own keys.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}
