package app

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// VerifySource refreshes what the publisher says about itself and runs a
// challenge-response proof of ownership against the registered key.
type VerifySource struct {
	Sources   SourceRepository
	Publisher Publisher
	Random    io.Reader // crypto/rand in production
	Now       func() time.Time
}

// VerifyResult is the source after the attempt and why it failed, if it did.
type VerifyResult struct {
	Source   domain.SourceState
	Verified bool
	Reason   string
}

// challengeBytes: 256 bits, well above the protocol's 128-bit floor.
const challengeBytes = 32

func (h VerifySource) Handle(ctx context.Context, by Principal, id domain.SourceID) (VerifyResult, error) {
	if !by.IsAdmin() {
		return VerifyResult{}, domain.ErrForbidden
	}
	s, err := h.Sources.Load(ctx, id)
	if err != nil {
		return VerifyResult{}, err
	}
	if s.State().Status == domain.StatusSuspended {
		return VerifyResult{}, domain.ErrSourceSuspended
	}
	reason := h.prove(ctx, s)
	if err := s.RecordOwnershipProof(reason == "", reason, h.Now()); err != nil {
		return VerifyResult{}, err
	}
	if err := h.Sources.Save(ctx, s); err != nil {
		return VerifyResult{}, fmt.Errorf("save verification of %s: %w", id, err)
	}
	return VerifyResult{Source: s.State(), Verified: reason == "", Reason: reason}, nil
}

// prove returns why ownership could not be proven, or "" when it was.
func (h VerifySource) prove(ctx context.Context, s *domain.Source) string {
	st := s.State()
	info, err := h.Publisher.FederationInfo(ctx, st.InstanceURL)
	if err != nil {
		return err.Error()
	}
	if err := s.RefreshInfo(info, h.Now()); err != nil {
		return "federation-info: " + err.Error()
	}
	// A fresh challenge for every attempt, never stored or reused.
	raw := make([]byte, challengeBytes)
	if _, err := io.ReadFull(h.Random, raw); err != nil {
		return "could not draw a challenge: " + err.Error()
	}
	challenge := hex.EncodeToString(raw)
	sig, err := h.Publisher.ProveOwnership(ctx, st.InstanceURL, st.Username, challenge)
	if err != nil {
		return err.Error()
	}
	if err := domain.VerifyChallenge(st.PublicKey, challenge, sig); err != nil {
		if errors.Is(err, domain.ErrBadSignature) {
			return "the publisher's answer to the ownership challenge does not verify against the registered public key"
		}
		return err.Error()
	}
	return ""
}
