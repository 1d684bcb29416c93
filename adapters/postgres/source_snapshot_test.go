package postgres_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"reflect"
	"testing"
	"time"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

func TestSnapshotsLoadTheSameSourceAsTheWholeStream(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	store := eventstore.New(pool)
	full := postgres.SourceRepository{Store: store, Waiter: noWait{}}
	snapped := postgres.SourceRepository{Store: store, Waiter: noWait{}, Pool: pool}
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s, err := domain.RegisterSource("https://p.example.com", "author", base64.StdEncoding.EncodeToString(pub), "key_a", t0)
	if err != nil {
		t.Fatal(err)
	}
	_ = s.RefreshInfo(domain.PublisherInfo{ProtocolVersion: "1.0.0", Features: []string{"plugin-distribution"},
		AssetDomain: "https://p.example.com", NamingScheme: "plugins/{slug}.zip"}, t0)
	_ = s.RecordOwnershipProof(true, "", t0)
	health := domain.LoadHealth(nil, 0)
	// Up and down by turns: every check is worth an event or more.
	for i := range 600 {
		c, _ := health.Check(time.Time{}, i%3 != 0, int64(50+i%11*40), "timeout", t0.Add(time.Duration(i)*time.Hour))
		if err := s.ObserveHealth(c); err != nil {
			t.Fatal(err)
		}
		if i%50 == 0 {
			if err := full.Save(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := full.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	if s.Version() < 400 {
		t.Fatalf("test premise: %d events in the stream", s.Version())
	}
	check := func(when string) {
		t.Helper()
		want, err := full.Load(ctx, s.State().ID)
		if err != nil {
			t.Fatal(err)
		}
		got, err := snapped.Load(ctx, s.State().ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.State(), want.State()) || got.Version() != want.Version() {
			t.Fatalf("%s: from the snapshot %+v v%d\nfrom the stream %+v v%d", when, got.State(), got.Version(), want.State(), want.Version())
		}
	}
	check("first load (takes the snapshot)")
	var snapshots int
	_ = pool.QueryRow(ctx, `SELECT count(*) FROM snapshots`).Scan(&snapshots)
	if snapshots != 1 {
		t.Fatalf("%d snapshots after a long load", snapshots)
	}
	check("from the snapshot")
	// More events after the snapshot: loaded on top of it.
	loaded, _ := snapped.Load(ctx, s.State().ID)
	c, _ := health.Check(time.Time{}, false, 0, "refused", t0.Add(1000*time.Hour))
	_ = loaded.ObserveHealth(c)
	_ = loaded.RecordFailure(domain.FailureSync, "author-data: 503", t0.Add(1000*time.Hour))
	if err := snapped.Save(ctx, loaded); err != nil {
		t.Fatal(err)
	}
	check("snapshot plus newer events")
}
