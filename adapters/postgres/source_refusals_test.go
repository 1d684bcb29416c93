package postgres_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"testing"
	"time"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

func TestListingRefusalsInSourceStatusAndActivity(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	repo, r := sourceRepository(t, pool, postgres.ActivityProjection{})

	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	s, _ := domain.RegisterSource("http://127.0.0.1:9002/", "author", base64.StdEncoding.EncodeToString(pub), "key_a", now)
	_ = s.RecordOwnershipProof(true, "", now)
	refusals := []domain.ListingRefusal{
		{Plugin: "../x", Version: "1.0.0", Reason: "plugin slug \"../x\": '/' is not a letter"},
		{Plugin: "big", Version: "1.0.0", Reason: `"short_description" is 900000 characters, the cap is 500`},
	}
	if _, err := s.RecordListingRefusals(refusals, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := repo.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	// A later load knows them: the same listing records nothing.
	again, err := repo.Load(ctx, s.State().ID)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := again.RecordListingRefusals(refusals, now.Add(2*time.Minute)); n.Recorded != 0 {
		t.Fatalf("a reloaded source recorded %d known refusals again", n)
	}

	v, err := postgres.SourceReader{Pool: pool}.GetSource(ctx, s.State().ID)
	if err != nil {
		t.Fatal(err)
	}
	want := `listing entry "big" version "1.0.0" refused: "short_description" is 900000 characters, the cap is 500`
	if v.RefusedEntries != 2 || v.LastRefusal != want || v.LastRefusalAt == nil || !v.LastRefusalAt.Equal(now.Add(time.Minute)) ||
		v.TrustScore != s.State().Trust.Score {
		t.Fatalf("source status: %d refused, last %q at %v, trust %v", v.RefusedEntries, v.LastRefusal, v.LastRefusalAt, v.TrustScore)
	}
	waitRows := func() (n int, plugins []string) {
		rows, err := pool.Query(ctx, `SELECT plugin FROM activity WHERE kind = 'listing_refused' AND source_id = $1 ORDER BY position`, string(s.State().ID))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var p string
			_ = rows.Scan(&p)
			plugins = append(plugins, p)
		}
		return len(plugins), plugins
	}
	deadline := time.Now().Add(20 * time.Second)
	for n, got := waitRows(); n != 2; n, got = waitRows() {
		if time.Now().After(deadline) {
			t.Fatalf("activity entries for the refusals: %v", got)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// A replay from the log gives the same row.
	before := checksum(t, pool)
	if err := r.Replay(ctx, postgres.SourcesProjection); err != nil {
		t.Fatal(err)
	}
	last, err := eventstore.New(pool).Load(ctx, "source-"+string(s.State().ID))
	if err != nil {
		t.Fatal(err)
	}
	if err := (waiter{r}).WaitFor(ctx, postgres.SourcesProjection, last[len(last)-1].Position()); err != nil {
		t.Fatal(err)
	}
	if after := checksum(t, pool); after != before {
		t.Fatal("the sources table differs after a replay")
	}
}
