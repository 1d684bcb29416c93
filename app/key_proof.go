package app

import (
	"context"
	"crypto/ed25519"
	"errors"
	"io"

	"github.com/pfn-network/pfn/domain"
)

// keyProof asks a publisher to prove it holds a key by signing a fresh
// ownership challenge.
type keyProof struct {
	Publisher Publisher
	Random    io.Reader // crypto/rand in production
}

// prove challenges the publisher of st to sign with key: why it failed
// ("" when it did not), and whether the publisher answered with a
// signature key does not verify (disproved), as opposed to failing some
// other way.
func (p keyProof) prove(ctx context.Context, st domain.SourceState, key ed25519.PublicKey) (reason string, disproved bool) {
	// A fresh challenge for every attempt, never stored or reused.
	raw := make([]byte, domain.ChallengeNonceBytes)
	if _, err := io.ReadFull(p.Random, raw); err != nil {
		return "could not draw a challenge: " + err.Error(), false
	}
	challenge, err := domain.BuildChallenge(raw)
	if err != nil {
		return err.Error(), false
	}
	sig, err := p.Publisher.ProveOwnership(ctx, st.InstanceURL, st.Username, challenge)
	if err != nil {
		return err.Error(), false
	}
	if err := domain.VerifyChallenge(key, challenge, sig); err != nil {
		if errors.Is(err, domain.ErrBadSignature) {
			which := "registered"
			if !key.Equal(st.PublicKey) {
				which = "new"
			}
			return "the publisher's answer to the ownership challenge does not verify against the " + which + " public key " + domain.KeyID(key), true
		}
		return err.Error(), false
	}
	return "", false
}
