package domain

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"
)

// Role is what an API key may do. A struct, so no code invents a role.
type Role struct{ name, prefix string }

var (
	RoleAdmin    = Role{"admin", "fadmin_"}
	RoleConsumer = Role{"consumer", "fcons_"}
)

func (r Role) String() string { return r.name }

// IsZero reports an unset role.
func (r Role) IsZero() bool { return r.name == "" }

// ParseRole reads a role name; empty means admin (the original's default).
func ParseRole(name string) (Role, error) {
	switch name {
	case "", "admin":
		return RoleAdmin, nil
	case "consumer":
		return RoleConsumer, nil
	}
	return Role{}, fmt.Errorf("role %q: want admin or consumer: %w", truncate(name, 40), ErrInvalidInput)
}

func (r Role) MarshalText() ([]byte, error) { return []byte(r.name), nil }

func (r *Role) UnmarshalText(b []byte) error {
	v, err := ParseRole(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// An API key reads PREFIX + ID + "." + SECRET: the id (16 hex characters)
// finds the stored record, the secret (32 random bytes) proves possession.
// Only SHA-256 of the secret is stored: the secret is random, so a slow hash
// would add nothing.
const (
	keyIDBytes     = 8
	keySecretBytes = 32
	maxDescription = 500
)

// IssuedKey is a new key: Secret is shown once and never stored or logged.
type IssuedKey struct {
	ID          string
	Role        Role
	Description string
	Hash        string // hex SHA-256 of the secret part
	Secret      string // the whole key, for the caller to hand over once
}

// IssueKey draws a new key from random.
func IssueKey(random io.Reader, role Role, description string) (IssuedKey, error) {
	if role.IsZero() {
		return IssuedKey{}, fmt.Errorf("key role is unset: %w", ErrInvalidInput)
	}
	if len(description) > maxDescription {
		return IssuedKey{}, InField("description", fmt.Errorf("description is longer than %d bytes: %w", maxDescription, ErrInvalidInput))
	}
	buf := make([]byte, keyIDBytes+keySecretBytes)
	if _, err := io.ReadFull(random, buf); err != nil {
		return IssuedKey{}, fmt.Errorf("draw key: %w", err)
	}
	id := hex.EncodeToString(buf[:keyIDBytes])
	secret := base64.RawURLEncoding.EncodeToString(buf[keyIDBytes:])
	return IssuedKey{ID: id, Role: role, Description: description, Hash: hashSecret(secret),
		Secret: role.prefix + id + "." + secret}, nil
}

// PresentedKey is a key as a client sent it, split for lookup.
type PresentedKey struct {
	Role   Role
	ID     string
	secret string
}

// ParseKey splits a presented key; it does not say whether the key is valid.
func ParseKey(key string) (PresentedKey, error) {
	for _, r := range []Role{RoleAdmin, RoleConsumer} {
		rest, ok := strings.CutPrefix(key, r.prefix)
		if !ok {
			continue
		}
		id, secret, ok := strings.Cut(rest, ".")
		if ok && len(id) == 2*keyIDBytes && isLowerHex(id) && secret != "" && len(secret) < 100 {
			return PresentedKey{Role: r, ID: id, secret: secret}, nil
		}
	}
	return PresentedKey{}, fmt.Errorf("API key is malformed: %w", ErrInvalidInput)
}

// Matches compares the presented secret with a stored hash in constant time.
func (k PresentedKey) Matches(storedHash string) bool {
	got := hashSecret(k.secret)
	return subtle.ConstantTimeCompare([]byte(got), []byte(storedHash)) == 1
}

// MatchesMaster compares a presented string with the configured master key
// in constant time (hashing both first, so lengths leak nothing).
func MatchesMaster(presented, master string) bool {
	if master == "" {
		return false
	}
	a, b := sha256.Sum256([]byte(presented)), sha256.Sum256([]byte(master))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func isLowerHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Key events. They carry the hash, never the secret.
const (
	EventAPIKeyIssued  = "apikey.issued"
	EventAPIKeyRevoked = "apikey.revoked"
)

// APIKeyEvent is an event of an API key's own stream (apikey-<id>).
type APIKeyEvent interface{ apiKeyEvent() }

type APIKeyIssued struct {
	KeyID       string    `json:"key_id"`
	Role        Role      `json:"role"`
	Description string    `json:"description"`
	Hash        string    `json:"hash"`
	IssuedBy    string    `json:"issued_by"`
	At          time.Time `json:"at"`
}

type APIKeyRevoked struct {
	KeyID     string    `json:"key_id"`
	RevokedBy string    `json:"revoked_by"`
	At        time.Time `json:"at"`
}
