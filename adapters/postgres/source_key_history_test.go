package postgres_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"testing"
	"time"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

// The read model keeps every key a source had: source-status shows the
// history, current key last, and a retired key still finds its source.
func TestSourceKeyHistory(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	repo, _ := sourceRepository(t, pool)
	reader := postgres.SourceReader{Pool: pool}
	old, _, _ := ed25519.GenerateKey(rand.Reader)
	next, _, _ := ed25519.GenerateKey(rand.Reader)
	registered := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	rotated := registered.Add(48 * time.Hour)
	src, err := domain.RegisterSource("http://a.example.com", "author", base64.StdEncoding.EncodeToString(old), "key_a", registered)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.RotateKey(old, next, domain.KeyByPublisher, "author@a.example.com", "announced", rotated); err != nil {
		t.Fatal(err)
	}
	if err := repo.Save(ctx, src); err != nil {
		t.Fatal(err)
	}
	v, err := reader.GetSource(ctx, "author@a.example.com")
	if err != nil {
		t.Fatal(err)
	}
	h := v.KeyHistory
	if v.PublicKey != base64.StdEncoding.EncodeToString(next) || len(h) != 2 {
		t.Fatalf("source %s with history %+v", v.PublicKey, h)
	}
	if h[0].KeyID != domain.KeyID(old) || h[0].ValidUntil == nil || !h[0].ValidUntil.Equal(rotated) || !h[0].ValidFrom.Equal(registered) ||
		h[0].RotatedBy != domain.KeyByRegistration {
		t.Errorf("old key %+v", h[0])
	}
	if h[1].KeyID != domain.KeyID(next) || h[1].ValidUntil != nil || !h[1].ValidFrom.Equal(rotated) || h[1].RotatedBy != domain.KeyByPublisher {
		t.Errorf("new key %+v", h[1])
	}
	list, err := reader.ListSources(ctx)
	if err != nil || len(list) != 1 || len(list[0].KeyHistory) != 2 {
		t.Fatalf("list: %+v, %v", list, err)
	}
	for _, key := range []ed25519.PublicKey{old, next} {
		if got, err := reader.SourcesWithKey(ctx, key); err != nil || len(got) != 1 {
			t.Errorf("sources with key %s = %+v, %v", domain.KeyID(key), got, err)
		}
	}
}
