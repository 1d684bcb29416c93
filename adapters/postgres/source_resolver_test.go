package postgres_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

// The resolver against the real sources table: port-less ids as the
// original's clients build them.
func TestSourceResolver(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	repo, _ := sourceRepository(t, pool)
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, u := range []struct{ url, user string }{
		{"http://127.0.0.1:9001", "twice"}, {"http://127.0.0.1:9002", "twice"},
		{"http://127.0.0.1:9003", "once"}, {"http://127.0.0.1:9004", "both"}, {"http://127.0.0.1", "both"},
		{"http://127.0.0.10:9005", "other-host"},
	} {
		s, err := domain.RegisterSource(u.url, u.user, base64.StdEncoding.EncodeToString(pub), "key_a", now)
		if err != nil {
			t.Fatal(err)
		}
		if err := repo.Save(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	resolve := app.SourceResolver{Sources: postgres.SourceReader{Pool: pool}}
	for _, tc := range []struct {
		given, want string
		err         error
	}{
		{given: "once@127.0.0.1", want: "once@127.0.0.1:9003"},
		{given: "once@127.0.0.1:9003", want: "once@127.0.0.1:9003"},
		{given: "both@127.0.0.1", want: "both@127.0.0.1"}, // its own id, on the default port
		{given: "twice@127.0.0.1", err: domain.ErrConflict},
		{given: "nobody@127.0.0.1", err: domain.ErrNotFound},
		{given: "other-host@127.0.0.1", err: domain.ErrNotFound},
		{given: "once@127.0.0", err: domain.ErrInvalidInput},
		{given: "no-at-sign", err: domain.ErrInvalidInput},
	} {
		got, err := resolve.Resolve(ctx, tc.given)
		if !errors.Is(err, tc.err) || string(got) != tc.want {
			t.Errorf("Resolve(%q) = %q, %v; want %q, %v", tc.given, got, err, tc.want, tc.err)
		}
	}
	_, err := resolve.Resolve(ctx, "twice@127.0.0.1")
	var amb *app.AmbiguousSourceError
	if !errors.As(err, &amb) || len(amb.Candidates) != 2 || amb.Candidates[0] != "twice@127.0.0.1:9001" ||
		amb.Candidates[1] != "twice@127.0.0.1:9002" {
		t.Fatalf("ambiguous: %v", err)
	}
}

// The sources rows count successful verifications and keep the latest
// outcome, and a replay of the log gives the same.
func TestSourceVerificationResults(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	repo, r := sourceRepository(t, pool)
	reader := postgres.SourceReader{Pool: pool}
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	s, err := domain.RegisterSource("http://127.0.0.1:9001", "author", base64.StdEncoding.EncodeToString(pub), "key_a", now)
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	const id = "author@127.0.0.1:9001"
	check := func(step, result string, successes int) {
		t.Helper()
		checkVerifications(t, reader, step, id, result, successes)
	}
	check("registered", "", 0)
	for i, step := range []struct {
		ok        bool
		reason    string
		result    string
		successes int
	}{
		{true, "", "success", 1},
		{false, "signature does not verify", "failed: signature does not verify", 1},
		{true, "", "success", 2},
	} {
		loaded, err := repo.Load(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		_ = loaded.RecordOwnershipProof(step.ok, step.reason, now.Add(time.Duration(i+1)*time.Minute))
		if err := repo.Save(ctx, loaded); err != nil {
			t.Fatal(err)
		}
		check(step.result, step.result, step.successes)
	}
	before := checksum(t, pool)
	if err := r.Replay(ctx, postgres.SourcesProjection); err != nil {
		t.Fatal(err)
	}
	last, err := eventstore.New(pool).Load(ctx, "source-"+id)
	if err != nil {
		t.Fatal(err)
	}
	if err := (waiter{r}).WaitFor(ctx, postgres.SourcesProjection, last[len(last)-1].Position()); err != nil {
		t.Fatal(err)
	}
	if after := checksum(t, pool); after != before {
		t.Fatalf("replayed sources table differs: %s vs %s", after, before)
	}
	check("replayed", "success", 2)
}

// checkVerifications compares a sources row's verification fields.
func checkVerifications(t *testing.T, reader postgres.SourceReader, step, id, result string, successes int) {
	t.Helper()
	v, err := reader.GetSource(context.Background(), domain.SourceID(id))
	if err != nil {
		t.Fatal(err)
	}
	if v.LastVerificationResult != result || v.SuccessfulVerifications != successes {
		t.Fatalf("%s: %s has last_verification_result %q, successful_verifications %d; want %q, %d",
			step, id, v.LastVerificationResult, v.SuccessfulVerifications, result, successes)
	}
}
