package app

import "github.com/pfn-network/pfn/domain"

// PublisherKeyUsed names the source key a mirrored version's publisher
// signature verifies under, and whether it is the source's key now.
type PublisherKeyUsed struct {
	KeyID   string
	Current bool
}

// Claim is what the publisher signed (v1) about this mirrored version.
func (p PluginView) Claim() domain.PluginClaim {
	return domain.PluginClaim{ID: p.Plugin, Name: p.Name, Version: p.Version, Description: p.Description}
}

// checkPublisherSignature verifies a mirrored version's publisher signature
// against the source's key history and returns the key it verifies under
// (nil when none): a version signed before a rotation still verifies under
// the key of its time. It goes by the exact mirror time: the rounded
// mirror_date would put a version mirrored in the half second before a
// rotation after it.
func checkPublisherSignature(periods []domain.KeyPeriod, p PluginView) (Check, *domain.KeyPeriod) {
	key, err := domain.VerifyPluginKeys(periods, p.Claim(), p.PublisherSignature, p.MirroredAt)
	if err != nil {
		return Check{Detail: err.Error()}, nil
	}
	return Check{OK: true}, &key
}

// keyUsed is how the verify answer names the key a signature verified under.
func keyUsed(k *domain.KeyPeriod) *PublisherKeyUsed {
	if k == nil {
		return nil
	}
	return &PublisherKeyUsed{KeyID: k.KeyID, Current: k.Current()}
}
