package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// announcedKeyReason is recorded with a rotation the publisher announced.
const announcedKeyReason = "key_rotation announced in /federation-info"

// acceptAnnouncedKey rotates the source's key to the one its publisher
// announces in /federation-info, when the announcement verifies under the
// current key and the publisher then proves it holds the new key.
//
// An announcement refused for what it is (it does not verify, the key is
// another source's, the publisher's answer did not verify under the key)
// is recorded on s as a source.key_rotation_refused, once per announced
// key, and not tried again: returning it as an error would have the job
// retried, challenging the publisher every time for a key the node will
// not take. What may pass (the publisher failed to answer, the key changed
// meanwhile) is returned, for the caller to report and retry; "" when
// there was nothing to follow, it is followed, or refused and recorded.
func acceptAnnouncedKey(ctx context.Context, proof keyProof, keys SourcesByKey, s *domain.Source, info domain.PublisherInfo, now func() time.Time) string {
	st := s.State()
	a := info.KeyRotation
	if a == nil || st.KeyRotationRefused(*a) {
		return ""
	}
	if next, err := domain.ParsePublicKey(a.PublicKey); err == nil {
		if _, had := st.HadKey(next); had {
			return "" // already followed (or an admin rotated to it first)
		}
	}
	refuse := func(why string) string {
		s.RefuseKeyRotation(*a, why, now())
		return ""
	}
	next, err := domain.VerifyKeyRotation(st, *a)
	if err != nil {
		return refuse(err.Error())
	}
	candidate := st
	candidate.PublicKey = next
	if err := checkSharedKey(ctx, keys, candidate); errors.Is(err, domain.ErrConflict) {
		return refuse(err.Error())
	} else if err != nil {
		return "key_rotation not followed yet: " + err.Error()
	}
	if reason, disproved := proof.prove(ctx, st, next); disproved {
		return refuse("the publisher did not prove it holds the announced key: " + reason)
	} else if reason != "" {
		return "key_rotation not followed yet: the publisher did not prove it holds the announced key: " + reason
	}
	if err := s.RotateKey(st.PublicKey, next, domain.KeyByPublisher, string(st.ID), announcedKeyReason, now()); err != nil {
		return fmt.Sprintf("key_rotation not followed: %v", err)
	}
	return ""
}
