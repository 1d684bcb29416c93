package app

import (
	"crypto/ed25519"

	"github.com/pfn-network/pfn/domain"
)

// resignedVersions marks the listed versions already mirrored that the
// publisher re-signed after a key rotation: the listing's signature
// verifies under the source's current key and the mirrored one under a
// retired key, both over the claim as listed now. That is the same claim
// vouched for by the new key, not tampering; the stored signature stays
// as it was mirrored (it still verifies under its key in the history), so
// nothing is recorded. Other bytes are still caught by the sha256 check.
func resignedVersions(periods []domain.KeyPeriod, listed []ListedPlugin, histories map[string]*domain.PluginHistory) []bool {
	out := make([]bool, len(listed))
	if len(periods) < 2 {
		return out // never rotated: nothing can be re-signed
	}
	current, retired := periods[len(periods)-1], periods[:len(periods)-1]
	for i, p := range listed {
		v, changed := signedAnew(p, histories)
		if !changed || domain.VerifyPlugin(current.PublicKey, p.Claim(), p.Signature) != nil {
			continue
		}
		for _, k := range retired {
			if domain.VerifyPlugin(k.PublicKey, p.Claim(), v.Signature) == nil {
				out[i] = true
				break
			}
		}
	}
	return out
}

// signedAnew is what was mirrored of a listed version whose listed
// signature is not the mirrored one.
func signedAnew(p ListedPlugin, histories map[string]*domain.PluginHistory) (domain.MirroredVersion, bool) {
	hist := histories[p.Slug]
	if hist == nil {
		return domain.MirroredVersion{}, false
	}
	v, known := hist.Mirrored(p.Version)
	return v, known && v.Signature != p.Signature
}

// signedUnderAnotherKey tells whether the listing signs a version already
// mirrored anew, with a signature key does not verify: what a publisher
// lists once it rotated its key before the node followed the rotation.
// A version whose changed signature is already recorded as tampering does
// not count: otherwise every later sync would ask for /federation-info
// again, and fail while it is down.
func signedUnderAnotherKey(key ed25519.PublicKey, listed []ListedPlugin, histories map[string]*domain.PluginHistory) bool {
	for _, p := range listed {
		_, changed := signedAnew(p, histories)
		if !changed || domain.VerifyPlugin(key, p.Claim(), p.Signature) == nil {
			continue
		}
		hist := histories[p.Slug]
		if !hist.TamperingReported(p.Version, hist.Tampering(domain.Listing{Version: p.Version, Signature: p.Signature, SHA256: p.SHA256})) {
			return true
		}
	}
	return false
}
