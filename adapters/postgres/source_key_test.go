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

func TestSourcesWithKey(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	repo, _ := sourceRepository(t, pool)
	reader := postgres.SourceReader{Pool: pool}
	shared, _, _ := ed25519.GenerateKey(rand.Reader)
	other, _, _ := ed25519.GenerateKey(rand.Reader)
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, s := range []struct {
		url string
		key ed25519.PublicKey
	}{{"http://a.example.com", shared}, {"http://b.example.com", shared}, {"http://c.example.com", other}} {
		src, err := domain.RegisterSource(s.url, "author", base64.StdEncoding.EncodeToString(s.key), "key_a", now)
		if err != nil {
			t.Fatal(err)
		}
		if err := repo.Save(ctx, src); err != nil {
			t.Fatal(err)
		}
	}
	got, err := reader.SourcesWithKey(ctx, shared)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "author@a.example.com" || got[1].ID != "author@b.example.com" {
		t.Fatalf("sources with the shared key = %+v", got)
	}
	none, _, _ := ed25519.GenerateKey(rand.Reader)
	if got, err := reader.SourcesWithKey(ctx, none); err != nil || len(got) != 0 {
		t.Fatalf("sources with an unused key = %+v, %v", got, err)
	}
}
