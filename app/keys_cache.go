package app

import (
	"context"
	"sync"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// CachedKeys is a KeyStore whose look-ups are remembered for at most TTL,
// so that an authenticated request costs no database round trip. TTL is
// how late a revocation made by another node sharing the database is
// noticed here; one made through this store is noticed at once. Only keys
// that exist are remembered (presenting made-up ids fills nothing), and at
// most Max of them.
type CachedKeys struct {
	KeyStore
	TTL time.Duration
	Max int
	Now func() time.Time

	mu   sync.Mutex
	gen  uint64 // moves with every revocation through this store
	keys map[string]cachedKey
}

type cachedKey struct {
	rec   KeyRecord
	until time.Time
}

// Lookup answers from memory while the remembered record is younger than
// TTL, counted from before it was read: a revocation committed after the
// read ends its use within TTL.
func (c *CachedKeys) Lookup(ctx context.Context, id string) (KeyRecord, error) {
	now := c.Now()
	c.mu.Lock()
	k, ok := c.keys[id]
	gen := c.gen
	c.mu.Unlock()
	if ok && now.Before(k.until) {
		return k.rec, nil
	}
	rec, err := c.KeyStore.Lookup(ctx, id)
	if err != nil {
		return rec, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return rec, nil // a revocation went through meanwhile: the record may predate it
	}
	if c.keys == nil || len(c.keys) >= max(c.Max, 1) {
		c.keys = c.forgetExpired(now)
	}
	c.keys[id] = cachedKey{rec: rec, until: now.Add(c.TTL)}
	return rec, nil
}

// forgetExpired keeps the live entries, or none when they fill the cap.
func (c *CachedKeys) forgetExpired(now time.Time) map[string]cachedKey {
	kept := make(map[string]cachedKey, len(c.keys))
	for id, k := range c.keys {
		if now.Before(k.until) {
			kept[id] = k
		}
	}
	if len(kept) >= max(c.Max, 1) {
		return map[string]cachedKey{}
	}
	return kept
}

// Revoke revokes through the store and forgets the key here at once.
func (c *CachedKeys) Revoke(ctx context.Context, e domain.APIKeyRevoked) error {
	err := c.KeyStore.Revoke(ctx, e)
	c.mu.Lock()
	c.gen++
	delete(c.keys, e.KeyID)
	c.mu.Unlock()
	return err
}

// Len is how many keys are remembered.
func (c *CachedKeys) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.keys)
}
