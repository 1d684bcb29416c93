package domain

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// EventSourceKeyRotated names a change of a source's public key.
const EventSourceKeyRotated = "source.key_rotated"

// Who rotated a key: an admin through update-source, or the publisher by
// announcing it in /federation-info. A source's first key came with its
// registration.
const (
	KeyByRegistration = "registration"
	KeyByAdmin        = "admin"
	KeyByPublisher    = "publisher"
)

// SourceKeyRotated records that a source's key changed after the holder of
// the new key answered a challenge. Keys are public; the event holds no
// secret.
type SourceKeyRotated struct {
	OldKey   string    `json:"old_key"` // raw 32-byte key, base64
	OldKeyID string    `json:"old_key_id"`
	NewKey   string    `json:"new_key"`
	NewKeyID string    `json:"new_key_id"`
	By       string    `json:"by"`    // KeyByAdmin or KeyByPublisher
	Actor    string    `json:"actor"` // the admin's key id, or the source id for the publisher
	Reason   string    `json:"reason,omitempty"`
	At       time.Time `json:"at"`
}

func (SourceKeyRotated) EventType() string       { return EventSourceKeyRotated }
func (e SourceKeyRotated) OccurredAt() time.Time { return e.At }

// KeyPeriod is one key of a source and when it was the source's key.
type KeyPeriod struct {
	KeyID      string
	PublicKey  ed25519.PublicKey
	ValidFrom  time.Time
	ValidUntil time.Time // zero while it is the current key
	RotatedBy  string    // how it became the key: KeyByRegistration, KeyByAdmin or KeyByPublisher
}

// Current tells whether the period is still open.
func (p KeyPeriod) Current() bool { return p.ValidUntil.IsZero() }

// KeyPeriods is the source's key history, oldest first, the current key
// last. A state rebuilt from a snapshot taken before the history existed
// has none recorded: its one key then dates from the registration.
func (st SourceState) KeyPeriods() []KeyPeriod {
	if len(st.KeyHistory) > 0 || st.PublicKey == nil {
		return st.KeyHistory
	}
	return []KeyPeriod{{KeyID: KeyID(st.PublicKey), PublicKey: st.PublicKey, ValidFrom: st.CreatedAt, RotatedBy: KeyByRegistration}}
}

// HadKey tells whether key is or was one of the source's keys, and when.
func (st SourceState) HadKey(key ed25519.PublicKey) (KeyPeriod, bool) {
	for _, p := range st.KeyPeriods() {
		if p.PublicKey.Equal(key) {
			return p, true
		}
	}
	return KeyPeriod{}, false
}

// RotateKey makes next the source's key, keeping the current one in its
// history. from is the key the caller checked the rotation against (the
// announcement's signer, or the key an admin saw): if the key changed
// meanwhile the rotation is refused rather than applied on top. The caller
// has proven that the publisher holds next.
func (s *Source) RotateKey(from, next ed25519.PublicKey, by, actor, reason string, now time.Time) error {
	st := s.state
	// Every admin action says why; a publisher's rotation carries the
	// node's fixed reason, held to the same rule.
	reason, err := CheckAdminReason(reason, "key rotation")
	if err != nil {
		return err
	}
	if err := s.Halted(); err != nil {
		return err
	}
	switch {
	case by != KeyByAdmin && by != KeyByPublisher:
		return fmt.Errorf("unknown key rotation by %q: %w", by, ErrInvalidInput)
	case !from.Equal(st.PublicKey):
		return fmt.Errorf("the source's key changed meanwhile: %w", ErrConflict)
	}
	if err := checkPublicKeyPoint(next); err != nil {
		return InField("public_key", err)
	}
	if p, had := st.HadKey(next); had {
		return InField("public_key", keyUsedBefore(p))
	}
	s.record(SourceKeyRotated{OldKey: base64.StdEncoding.EncodeToString(st.PublicKey), OldKeyID: KeyID(st.PublicKey),
		NewKey: base64.StdEncoding.EncodeToString(next), NewKeyID: KeyID(next), By: by, Actor: actor, Reason: reason, At: now})
	return nil
}

func keyUsedBefore(p KeyPeriod) error {
	if p.Current() {
		return fmt.Errorf("public key %s is the source's current key: %w", p.KeyID, ErrInvalidInput)
	}
	return fmt.Errorf("public key %s was the source's key until %s; a retired key is not taken back: %w",
		p.KeyID, p.ValidUntil.UTC().Format(time.RFC3339), ErrInvalidInput)
}

// applyKeyRotated closes the current period and opens the new key's.
func (st *SourceState) applyKeyRotated(e SourceKeyRotated) {
	next, _ := base64.StdEncoding.DecodeString(e.NewKey)
	history := append([]KeyPeriod(nil), st.KeyPeriods()...)
	if n := len(history); n > 0 {
		history[n-1].ValidUntil = e.At
	}
	st.KeyHistory = append(history, KeyPeriod{KeyID: e.NewKeyID, PublicKey: next, ValidFrom: e.At, RotatedBy: e.By})
	st.PublicKey = next
}

// ErrRetiredKey: a signature verifies only under a key the source had
// retired before the version was mirrored.
var ErrRetiredKey = errors.New("signed with a key retired before the version was mirrored")

// VerifyPluginKeys checks a publisher signature against a source's key
// history and says which key made it. A retired key vouches only for
// versions mirrored while it was current: the node mirrors nothing signed
// with it afterwards, so a later version under it was not the publisher's
// when the node took it.
func VerifyPluginKeys(history []KeyPeriod, c PluginClaim, signatureB64 string, mirroredAt time.Time) (KeyPeriod, error) {
	var firstErr error
	for i := len(history) - 1; i >= 0; i-- {
		p := history[i]
		err := VerifyPlugin(p.PublicKey, c, signatureB64)
		switch {
		case err == nil && !p.Current() && mirroredAt.After(p.ValidUntil):
			return p, fmt.Errorf("plugin %s %s: key %s, retired %s: %w", c.ID, c.Version, p.KeyID,
				p.ValidUntil.UTC().Format(time.RFC3339), ErrRetiredKey)
		case err == nil:
			return p, nil
		case firstErr == nil:
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = fmt.Errorf("plugin %s %s: the source has no key: %w", c.ID, c.Version, ErrInvalidInput)
	}
	return KeyPeriod{}, firstErr
}
