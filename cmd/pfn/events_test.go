package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

type noWaiter struct{}

func (noWaiter) WaitFor(context.Context, string, eventstore.Position) error { return nil }

// seedSource registers bob@b.example at registered and proves it at
// verified, and adds a plugin stream; it returns how many events the
// source's streams hold.
func seedSource(t *testing.T, dbURL string, registered, verified time.Time) int {
	t.Helper()
	ctx := pgtest.Context()
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	clock := registered
	store := eventstore.New(pool, eventstore.WithClock(func() time.Time { return clock }))
	repo := postgres.SourceRepository{Store: store, Waiter: noWaiter{}}
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := domain.RegisterSource("https://b.example", "bob", base64.StdEncoding.EncodeToString(pub), "k1", clock)
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	clock = verified
	if err := s.RecordOwnershipProof(true, "", clock); err != nil {
		t.Fatal(err)
	}
	if err := repo.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := store.Append(ctx, "plugin-bob@b.example/tool", eventstore.ExpectAny,
			eventstore.NewEvent{Type: "test.event", Payload: json.RawMessage(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := store.Append(ctx, "apikey-k1", 0, eventstore.NewEvent{Type: "apikey.created", Payload: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	return int(s.Version()) + 2
}

func TestEventsCommands(t *testing.T) {
	t.Parallel()
	env := map[string]string{"PFN_DATABASE_URL": databaseURL(t), "PFN_LOG_LEVEL": "warn"}
	getenv := func(k string) string { return env[k] }
	if err := run(context.Background(), []string{"migrate"}, getenv, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	registered := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	n := seedSource(t, env["PFN_DATABASE_URL"], registered, registered.Add(time.Hour))
	pfn := func(t *testing.T, args ...string) (string, string, error) {
		t.Helper()
		var out, errOut strings.Builder
		err := run(context.Background(), args, getenv, &out, &errOut)
		return out.String(), errOut.String(), err
	}
	// Readers wait for transactions anywhere in the cluster to end.
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, _, err := pfn(t, "events", "export", "-source", "bob@b.example")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Count(out, "\n") == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("export shows %d events of %d after 30s", strings.Count(out, "\n"), n)
		}
		time.Sleep(20 * time.Millisecond)
	}

	t.Run("list pages follow next", func(t *testing.T) {
		var streams []string
		after := ""
		for {
			out, _, err := pfn(t, "events", "list", "-source", "bob@b.example", "-limit", "2", "-after", after)
			if err != nil {
				t.Fatal(err)
			}
			var page struct {
				Events []struct{ Stream string }
				Next   string
			}
			if err := json.Unmarshal([]byte(out), &page); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			for _, e := range page.Events {
				streams = append(streams, e.Stream)
			}
			if page.Next == "" {
				break
			}
			after = page.Next
		}
		if len(streams) != n || strings.Contains(strings.Join(streams, " "), "apikey") {
			t.Errorf("listed streams %v, want the %d events of bob@b.example's streams", streams, n)
		}
	})

	t.Run("export reads back line by line", func(t *testing.T) {
		out, _, err := pfn(t, "events", "export", "-source", "bob@b.example", "-type", "test.event")
		if err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(strings.NewReader(out))
		count := 0
		for lines.Scan() {
			var e struct {
				Stream, Type string
				Position     int64
			}
			if err := json.Unmarshal(lines.Bytes(), &e); err != nil || e.Type != "test.event" || e.Position == 0 {
				t.Errorf("line %q: %v", lines.Text(), err)
			}
			count++
		}
		if count != 2 {
			t.Errorf("%d lines, want 2", count)
		}
	})

	t.Run("state as of a time", func(t *testing.T) {
		for at, want := range map[string]string{"2026-11-24T09:30:00Z": "pending", "2026-11-24T10:00:00Z": "verified"} {
			out, _, err := pfn(t, "events", "state", "-source", "bob@b.example", "-at", at)
			if err != nil {
				t.Fatal(err)
			}
			var v struct {
				Status string
				AsOf   string `json:"as_of"`
			}
			if err := json.Unmarshal([]byte(out), &v); err != nil || v.Status != want {
				t.Errorf("at %s: %s (%v), want status %s", at, out, err, want)
			}
		}
		if _, _, err := pfn(t, "events", "state", "-source", "bob@b.example", "-at", "2026-11-24T08:00:00Z"); err == nil ||
			!strings.Contains(err.Error(), "not registered") {
			t.Errorf("before registration: %v", err)
		}
	})

	t.Run("restamp", func(t *testing.T) {
		// A pool just closed may leave its server sessions for a moment.
		var out string
		var err error
		for range 50 {
			if out, _, err = pfn(t, "events", "restamp", "-dry-run"); err == nil || !strings.Contains(err.Error(), "in use") {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			t.Fatal(err)
		}
		var res struct {
			Events int
			DryRun bool `json:"dry_run"`
			Needed *bool
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil || res.Events != n+1 || !res.DryRun || res.Needed == nil || *res.Needed {
			t.Errorf("restamp -dry-run printed %s (%v); want %d events, dry, not needed on the cluster that wrote them", out, err, n+1)
		}
	})

	t.Run("usage errors", func(t *testing.T) {
		for _, args := range [][]string{{"events"}, {"events", "frob"}, {"events", "list", "-format", "xml"},
			{"events", "list", "-limit", "5000"}, {"events", "list", "-from", "monday"}, {"events", "state"}} {
			if _, _, err := pfn(t, args...); err == nil {
				t.Errorf("%v succeeded", args)
			}
		}
	})
}
