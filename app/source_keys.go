package app

import (
	"encoding/base64"

	"github.com/pfn-network/pfn/domain"
)

// keyPeriodViews shows a source's key history as the read model keeps it.
func keyPeriodViews(periods []domain.KeyPeriod) []KeyPeriodView {
	out := make([]KeyPeriodView, 0, len(periods))
	for _, p := range periods {
		v := KeyPeriodView{KeyID: p.KeyID, PublicKey: base64.StdEncoding.EncodeToString(p.PublicKey),
			ValidFrom: p.ValidFrom, RotatedBy: p.RotatedBy}
		if !p.Current() {
			until := p.ValidUntil
			v.ValidUntil = &until
		}
		out = append(out, v)
	}
	return out
}

// keyPeriodsOf reads a view's key history back into domain periods, for
// checking signatures; a key that does not parse is left out (it could
// verify nothing). A view without a history has its current key alone.
func keyPeriodsOf(v SourceView) []domain.KeyPeriod {
	views := v.KeyHistory
	if len(views) == 0 {
		views = []KeyPeriodView{{PublicKey: v.PublicKey}}
	}
	out := make([]domain.KeyPeriod, 0, len(views))
	for _, k := range views {
		key, err := domain.ParsePublicKey(k.PublicKey)
		if err != nil {
			continue
		}
		p := domain.KeyPeriod{KeyID: domain.KeyID(key), PublicKey: key, ValidFrom: k.ValidFrom, RotatedBy: k.RotatedBy}
		if k.ValidUntil != nil {
			p.ValidUntil = *k.ValidUntil
		}
		out = append(out, p)
	}
	return out
}

// publisherKeyPeriod is the original publisher's key of a version mirrored
// from another node, as one period open since ever (none when it does not
// parse, so nothing verifies under it).
func publisherKeyPeriod(b64 string) []domain.KeyPeriod {
	key, err := domain.ParsePublicKey(b64)
	if err != nil {
		return nil
	}
	return []domain.KeyPeriod{{KeyID: domain.KeyID(key), PublicKey: key, RotatedBy: domain.KeyByRegistration}}
}
