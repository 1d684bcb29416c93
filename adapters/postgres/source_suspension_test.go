package postgres_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"testing"
	"time"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

// A suspension shows in the sources read model and the activity, stops
// the source's jobs being planned, and a resume undoes all three.
func TestSuspensionInSourceStatusActivityAndJobs(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	repo, _ := sourceRepository(t, pool, postgres.ActivityProjection{})
	reader := postgres.SourceReader{Pool: pool}
	jobs := postgres.Jobs{Pool: pool}
	first := map[app.JobKind]time.Duration{app.JobHealth: time.Hour, app.JobSync: time.Hour, app.JobReverify: time.Hour, app.JobRecheck: time.Hour}
	countJobs := func() (n int) {
		if err := jobs.Plan(ctx, first); err != nil {
			t.Fatal(err)
		}
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM jobs`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	s, _ := domain.RegisterSource("http://127.0.0.1:9002/", "author", base64.StdEncoding.EncodeToString(pub), "key_a", now)
	_ = s.RecordOwnershipProof(true, "", now)
	if err := repo.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	id := s.State().ID
	if n := countJobs(); n == 0 {
		t.Fatal("no job planned for a verified source")
	}

	at := now.Add(time.Minute)
	if err := repo.Update(ctx, id, func(s *domain.Source) error { return s.Suspend("malware report", true, "key_admin", at) }); err != nil {
		t.Fatal(err)
	}
	v, err := reader.GetSource(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := app.SuspensionView{Reason: "malware report", Quarantine: true, By: "key_admin", At: at}
	if v.Status != "suspended" || v.StatusReason != "malware report" || v.Suspension == nil || *v.Suspension != want {
		t.Fatalf("suspended source: status %s (%s), suspension %+v", v.Status, v.StatusReason, v.Suspension)
	}
	if n := countJobs(); n != 0 {
		t.Fatalf("%d jobs left for a suspended source", n)
	}

	if err := repo.Update(ctx, id, func(s *domain.Source) error { return s.Resume("", "key_admin", at.Add(time.Minute)) }); err != nil {
		t.Fatal(err)
	}
	if v, err = reader.GetSource(ctx, id); err != nil || v.Status != "verified" || v.Suspension != nil {
		t.Fatalf("resumed source: %v, status %s, suspension %+v", err, v.Status, v.Suspension)
	}
	if n := countJobs(); n == 0 {
		t.Fatal("no job planned after the resume")
	}

	deadline := time.Now().Add(20 * time.Second)
	for {
		var kinds []string
		rows, err := pool.Query(ctx, `SELECT kind FROM activity WHERE source_id = $1 AND kind IN ('quarantined', 'resumed') ORDER BY position`, string(id))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var k string
			_ = rows.Scan(&k)
			kinds = append(kinds, k)
		}
		rows.Close()
		if len(kinds) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("activity shows %v", kinds)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
