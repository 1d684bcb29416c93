package app

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"slices"

	"github.com/pfn-network/pfn/domain"
)

// Plugin signature v2 in a sync (#14 item 6): bytes the publisher vouches
// for. Before a download the policy may refuse an entry without
// signature_v2; after it, the listed sha256 and size must be what the node
// measured and the signature must verify over them.

// attestationPolicy is what this node asks of the source's listing.
func (h SyncSource) attestationPolicy(st domain.SourceState) domain.AttestationPolicy {
	return domain.AttestationPolicy{
		Announced: slices.Contains(st.Info.Features, domain.FeaturePluginSignatureV2),
		Required:  h.RequireAttested,
	}
}

// unattested is the step refusing a wanted, new version that the policy
// will not download without a signature_v2; nil when it may be downloaded.
func (in syncInput) unattested(p ListedPlugin, hist *domain.PluginHistory) *planStep {
	reason := in.Attestation.Refusal(p.SignatureV2 != "")
	if reason == "" {
		return nil
	}
	return &planStep{kind: stepUnattested, plugin: p, history: hist, reason: reason}
}

// listedBytesMismatch says how a stored download differs from what its
// listing states: the sha256 a v1 publisher may list, or the sha256 and
// size a v2 publisher signs.
func listedBytesMismatch(p ListedPlugin, got StoredBlob) error {
	if p.SignatureV2 != "" {
		return domain.CheckSignedBytes(domain.ServedBytes{SHA256: p.SHA256, Size: p.Size},
			domain.ServedBytes{SHA256: got.SHA256, Size: got.Size})
	}
	if p.SHA256 != "" && p.SHA256 != got.SHA256 {
		return fmt.Errorf("downloaded file has sha256 %s, the publisher lists %s", got.SHA256, p.SHA256)
	}
	return nil
}

// attestAll checks every stored download's signature_v2 against the sha256
// and size the node measured as it stored the file. A file whose signature
// does not vouch for it is deleted (no event will point at it) and refused.
func (h SyncSource) attestAll(ctx context.Context, key ed25519.PublicKey, todo []*download) {
	for _, d := range todo {
		p := d.plugin
		if d.err != nil || p.SignatureV2 == "" {
			continue
		}
		claim := p.Claim()
		got := domain.ServedBytes{SHA256: d.stored.SHA256, Size: d.stored.Size}
		if _, err := domain.AttestBytes(publisherKeyFor(p, key), claim, p.SignatureV2, domain.ServedBytes{SHA256: p.SHA256, Size: p.Size}, got); err != nil {
			_ = h.Blobs.Delete(ctx, d.key)
			d.err = err
			continue
		}
		d.attestedV2 = p.SignatureV2
	}
}
