package app

import "github.com/pfn-network/pfn/domain"

// PublisherKeyUsed names the source key a mirrored version's publisher
// signature verifies under, and whether it is the source's key now.
type PublisherKeyUsed struct {
	KeyID   string
	Current bool
}

// checkPublisherSignature verifies a mirrored version's publisher signature
// against the source's key history: a version signed before a rotation
// still verifies under the key of its time. It goes by the exact mirror
// time: the rounded mirror_date would put a version mirrored in the half
// second before a rotation after it.
func checkPublisherSignature(src SourceView, p PluginView) (Check, *PublisherKeyUsed) {
	claim := domain.PluginClaim{ID: p.Plugin, Name: p.Name, Version: p.Version, Description: p.Description}
	key, err := domain.VerifyPluginKeys(keyPeriodsOf(src), claim, p.PublisherSignature, p.MirroredAt)
	if err != nil {
		return Check{Detail: err.Error()}, nil
	}
	return Check{OK: true}, &PublisherKeyUsed{KeyID: key.KeyID, Current: key.Current()}
}
