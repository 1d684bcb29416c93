package app

import (
	"context"
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
	// Keys finds the sources holding a key a publisher announces, which
	// it may not take from a source on another host.
	Keys SourcesByKey
	Now  func() time.Time
}

// VerifyResult is the source after the attempt and why it failed, if it did.
type VerifyResult struct {
	Source   domain.SourceState
	Verified bool
	Reason   string
}

// Authorize: only admins ask for a proof.
func (h VerifySource) Authorize(by Principal) error { return requireAdmin(by) }

func (h VerifySource) Handle(ctx context.Context, by Principal, id domain.SourceID) (VerifyResult, error) {
	if err := h.Authorize(by); err != nil {
		return VerifyResult{}, err
	}
	s, err := h.Sources.Load(ctx, id)
	if err != nil {
		return VerifyResult{}, err
	}
	if err := s.Halted(); err != nil {
		return VerifyResult{}, err
	}
	return h.verify(ctx, s, nil)
}

// fetchedInfo is a /federation-info answer already asked for.
type fetchedInfo struct {
	info domain.PublisherInfo
	err  error
}

// verify runs a proof and records its outcome; fetched, when not nil, is
// the publisher's /federation-info as the caller just asked for it.
func (h VerifySource) verify(ctx context.Context, s *domain.Source, fetched *fetchedInfo) (VerifyResult, error) {
	id := s.State().ID
	reason, _ := h.attempt(ctx, s, fetched)
	if err := s.RecordOwnershipProof(reason == "", reason, h.Now()); err != nil {
		return VerifyResult{}, err
	}
	if err := h.Sources.Save(ctx, s); err != nil {
		return VerifyResult{}, fmt.Errorf("save verification of %s: %w", id, err)
	}
	return VerifyResult{Source: s.State(), Verified: reason == "", Reason: reason}, nil
}

// Reverify is the scheduler's periodic proof of a verified source (or one
// in error). A publisher whose answer to the challenge no longer verifies
// against the registered key loses verified; any other trouble (down, an
// error page from its proxy, a malformed answer) only counts a failure: a
// bad night at the publisher's host must not cost it its verification.
func (h VerifySource) Reverify(ctx context.Context, id domain.SourceID) error {
	s, err := h.Sources.Load(ctx, id)
	if err != nil {
		return err
	}
	if st := s.State().Status; st != domain.StatusVerified && st != domain.StatusError {
		return nil
	}
	reason, disproved := h.attempt(ctx, s, nil)
	if reason != "" && !disproved {
		err = s.RecordFailure(domain.FailureReverify, reason, h.Now())
	} else {
		err = s.RecordOwnershipProof(reason == "", reason, h.Now())
	}
	if err != nil {
		return err
	}
	if err := h.Sources.Save(ctx, s); err != nil {
		return fmt.Errorf("save re-verification of %s: %w", id, err)
	}
	if reason != "" {
		return fmt.Errorf("re-verify %s: %s: %w", id, reason, domain.ErrPublisher)
	}
	return nil
}

// attempt runs a proof: why it failed ("" when it did not), and whether the
// publisher answered the challenge with a signature the registered key does
// not verify (disproved), as opposed to failing some other way. An asset
// domain the asset-host rule refuses fails the attempt with that reason.
func (h VerifySource) attempt(ctx context.Context, s *domain.Source, fetched *fetchedInfo) (reason string, disproved bool) {
	st := s.State()
	if fetched == nil {
		info, err := h.Publisher.FederationInfo(ctx, st.InstanceURL)
		fetched = &fetchedInfo{info: info, err: err}
	}
	info, err := fetched.info, fetched.err
	if err != nil {
		return err.Error(), false
	}
	if err := s.RefreshInfo(info, h.Now()); err != nil {
		return "federation-info: " + err.Error(), false
	}
	// A key the publisher announces is proven and taken first: once it has
	// rotated, it answers challenges with the new key only.
	rotation := acceptAnnouncedKey(ctx, h.proof(), h.Keys, s, info, h.Now)
	reason, disproved = h.proof().prove(ctx, s.State(), s.State().PublicKey)
	if reason != "" && rotation != "" {
		reason += "; " + rotation
	}
	return reason, disproved
}

func (h VerifySource) proof() keyProof { return keyProof{Publisher: h.Publisher, Random: h.Random} }
