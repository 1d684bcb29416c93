package app

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net/url"

	"github.com/pfn-network/pfn/domain"
)

// SourcesByKey finds the sources registered with a public key.
type SourcesByKey interface {
	SourcesWithKey(ctx context.Context, key ed25519.PublicKey) ([]SourceView, error)
}

// checkSharedKey refuses a key already registered for a source on another
// host. One key on two hosts means either one party runs both (the admin
// says so with allow_shared_key) or a challenge answered for one host is
// being replayed as proof for another: refusing by default keeps the
// ownership proof about one publisher. Same host, other username or port,
// is one operator and stays allowed.
func checkSharedKey(ctx context.Context, keys SourcesByKey, s domain.SourceState) error {
	holders, err := keys.SourcesWithKey(ctx, s.PublicKey)
	if err != nil {
		return fmt.Errorf("look up sources with this public key: %w", err)
	}
	host := hostOf(s.InstanceURL)
	for _, h := range holders {
		if h.ID == string(s.ID) || hostOf(h.InstanceURL) == host || h.Removal != nil {
			continue // a removed source holds its key no longer
		}
		return fmt.Errorf("public key already registered for source %s on another host; pass \"allow_shared_key\": true to register it for %s too: %w",
			h.ID, s.ID, domain.ErrConflict)
	}
	return nil
}

// hostOf is the host name of a normalized instance URL, without its port.
func hostOf(instanceURL string) string {
	u, err := url.Parse(instanceURL)
	if err != nil {
		return instanceURL
	}
	return u.Hostname()
}
