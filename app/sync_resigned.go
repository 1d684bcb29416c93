package app

import "github.com/pfn-network/pfn/domain"

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
		hist := histories[p.Slug]
		if hist == nil {
			continue
		}
		v, known := hist.Mirrored(p.Version)
		if !known || v.Signature == p.Signature {
			continue
		}
		claim := p.Claim()
		if domain.VerifyPlugin(current.PublicKey, claim, p.Signature) != nil {
			continue
		}
		for _, k := range retired {
			if domain.VerifyPlugin(k.PublicKey, claim, v.Signature) == nil {
				out[i] = true
				break
			}
		}
	}
	return out
}
