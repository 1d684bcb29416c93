package app

import (
	"crypto/ed25519"

	"github.com/pfn-network/pfn/domain"
)

// signingKey is the key a version's signature_v2 must verify under: the
// one its v1 signature verifies under (after a rotation, the key of its
// time), else the source's current key.
func signingKey(periods []domain.KeyPeriod, used *domain.KeyPeriod) ed25519.PublicKey {
	if used != nil {
		return used.PublicKey
	}
	for _, k := range periods {
		if k.Current() {
			return k.PublicKey
		}
	}
	return nil
}

// verifyAttestation re-checks a version's signature_v2 over the sha256 and
// size the node recorded, and says who vouches for the bytes: the
// publisher only while it verifies.
func verifyAttestation(key ed25519.PublicKey, p PluginView) (*Check, string) {
	if p.PublisherSignatureV2 == "" {
		return nil, domain.AttestedByNode.String()
	}
	claim := domain.PluginBytesClaim{PluginClaim: p.Claim(), SHA256: p.SHA256, Size: p.Size}
	c := check(func() error { return domain.VerifyPluginBytes(key, claim, p.PublisherSignatureV2) })
	if !c.OK {
		return &c, domain.AttestedByNode.String()
	}
	return &c, domain.AttestedByPublisher.String()
}
