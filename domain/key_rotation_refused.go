package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// EventSourceKeyRotationRefused names the node's refusal of a key its
// publisher announced.
const EventSourceKeyRotationRefused = "source.key_rotation_refused"

// SourceKeyRotationRefused records that the node will not follow a key the
// publisher announces in /federation-info, and why: the announcement does
// not verify under the current key, the key is another source's, or the
// publisher's answer to the challenge did not verify under it. Recorded
// once per announced key: the node does not challenge the publisher for
// it again, and an admin who trusts the key rotates to it by update-source.
type SourceKeyRotationRefused struct {
	KeyID  string    `json:"key_id"` // the announced key's id (AnnouncedKeyID)
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

func (SourceKeyRotationRefused) EventType() string       { return EventSourceKeyRotationRefused }
func (e SourceKeyRotationRefused) OccurredAt() time.Time { return e.At }

// AnnouncedKeyID names an announced key: its KeyID, or for a key that does
// not parse the same digits of the SHA-256 of the text announced, so that
// a malformed announcement is refused once too.
func AnnouncedKeyID(a KeyRotation) string {
	if key, err := ParsePublicKey(a.PublicKey); err == nil {
		return KeyID(key)
	}
	sum := sha256.Sum256([]byte(a.PublicKey))
	return hex.EncodeToString(sum[:8])
}

// KeyRotationRefused tells whether the node refused the announced key
// before.
func (st SourceState) KeyRotationRefused(a KeyRotation) bool {
	return st.RefusedKeyID != "" && st.RefusedKeyID == AnnouncedKeyID(a)
}

// RefuseKeyRotation records the refusal of the announced key, unless it
// is refused already.
func (s *Source) RefuseKeyRotation(a KeyRotation, reason string, now time.Time) {
	if s.state.KeyRotationRefused(a) {
		return
	}
	s.record(SourceKeyRotationRefused{KeyID: AnnouncedKeyID(a), Reason: truncate(reason, MaxSuspensionReason), At: now})
}
