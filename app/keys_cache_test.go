package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// Two nodes' caches over one store: a revocation through one is seen by
// it at once and by the other once its remembered record is TTL old.
func TestCachedKeysRevocation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	shared := &app.MemoryKeys{}
	for i := range 3 {
		if err := shared.Issue(ctx, domain.APIKeyIssued{KeyID: fmt.Sprint("k", i), Role: domain.RoleConsumer}); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Unix(1000, 0)
	clock := func() time.Time { return now }
	here := &app.CachedKeys{KeyStore: shared, TTL: 500 * time.Millisecond, Max: 2, Now: clock}
	there := &app.CachedKeys{KeyStore: shared, TTL: 500 * time.Millisecond, Max: 2, Now: clock}
	lookup := func(c *app.CachedKeys, id string) bool {
		t.Helper()
		rec, err := c.Lookup(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return rec.Revoked
	}
	lookup(here, "k0")
	lookup(there, "k0")
	if err := there.Revoke(ctx, domain.APIKeyRevoked{KeyID: "k0"}); err != nil {
		t.Fatal(err)
	}
	if !lookup(there, "k0") {
		t.Fatal("the revoking node still takes the key")
	}
	now = now.Add(400 * time.Millisecond)
	if lookup(here, "k0") {
		t.Fatal("the other node read the store within TTL: it was not remembered")
	}
	now = now.Add(100 * time.Millisecond)
	if !lookup(here, "k0") {
		t.Fatal("the other node still takes the key TTL after it remembered it")
	}
	if _, err := here.Lookup(ctx, "nobody"); err == nil {
		t.Fatal("an unknown key was found")
	}
	for _, id := range []string{"k1", "k2", "k1", "k2"} {
		lookup(here, id)
		if here.Len() > 2 {
			t.Fatalf("%d keys remembered, Max 2", here.Len())
		}
	}
}
