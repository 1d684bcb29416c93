package postgres_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

// A yank goes through the plugin's stream into mirrored_plugins (listings
// leave the version out unless asked, downloads answer gone with the
// reason, the latest falls back) and the activity feed with the actor and
// reason; an unyank undoes it; a rebuild gives the same tables.
func TestYankInTheMirrorAndActivity(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	r := startRunner(t, pool, postgres.MirrorProjectionHandler{}, postgres.ActivityProjection{})
	store := eventstore.New(pool)
	histories := postgres.PluginHistories{Pool: pool, Store: store, Waiter: waiter{r}}
	reader := postgres.PluginReader{Pool: pool}
	sources := postgres.SourceRepository{Store: store, Waiter: waiter{r}, Pool: pool}

	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	s, _ := domain.RegisterSource("http://127.0.0.1:9004/", "author", base64.StdEncoding.EncodeToString(pub), "key_a", t0)
	id := s.State().ID
	mirrorTool(t, histories, s, t0)
	by := app.Principal{KeyID: "key_admin", Role: domain.RoleAdmin}
	req := app.YankRequest{Source: id, Plugin: "tool", Version: "1.1.0", Reason: "malware found"}
	if res, err := (app.Yank{Sources: sources, Histories: histories, Now: func() time.Time { return t0.Add(time.Hour) }}).Handle(ctx, by, req); err != nil || !res.Recorded {
		t.Fatalf("yank: %+v, %v", res, err)
	}

	listed := func(include bool) []string {
		t.Helper()
		page, err := reader.ListPlugins(ctx, app.PluginQuery{Source: string(id), Limit: 10, IncludeYanked: include})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range page {
			out = append(out, p.Version+"|"+p.Yanked)
		}
		return out
	}
	if got := listed(false); !slices.Equal(got, []string{"1.0.0|"}) {
		t.Fatalf("listing %v, want the yanked version left out", got)
	}
	if got := listed(true); !slices.Equal(got, []string{"1.0.0|", "1.1.0|malware found"}) {
		t.Fatalf("listing with yanked %v", got)
	}
	find := app.FindPlugin{Plugins: reader}
	if _, err := find.Handle(ctx, string(id), "tool", "1.1.0"); !errors.Is(err, domain.ErrGone) {
		t.Fatalf("find the yanked version: %v, want gone", err)
	}
	if p, err := find.Handle(ctx, string(id), "tool", ""); err != nil || p.Version != "1.0.0" {
		t.Fatalf("latest: %+v, %v; want 1.0.0", p.Version, err)
	}

	deadline := time.Now().Add(20 * time.Second)
	var summary string
	for summary == "" {
		if time.Now().After(deadline) {
			t.Fatal("no yanked entry in the activity feed")
		}
		time.Sleep(50 * time.Millisecond)
		_ = pool.QueryRow(ctx, `SELECT summary FROM activity WHERE kind = 'yanked'`).Scan(&summary)
	}
	if summary != "tool 1.1.0 yanked by key_admin: malware found" {
		t.Fatalf("activity summary %q", summary)
	}

	req.Reason = "false alarm"
	if res, err := (app.Unyank{Sources: sources, Histories: histories, Now: func() time.Time { return t0.Add(2 * time.Hour) }}).Handle(ctx, by, req); err != nil || !res.Recorded {
		t.Fatalf("unyank: %+v, %v", res, err)
	}
	if got := listed(false); !slices.Equal(got, []string{"1.0.0|", "1.1.0|"}) {
		t.Fatalf("listing after unyank %v", got)
	}
	if p, err := find.Handle(ctx, string(id), "tool", ""); err != nil || p.Version != "1.1.0" {
		t.Fatalf("latest after unyank: %+v, %v", p.Version, err)
	}

	before := tableSum(t, pool, "mirrored_plugins")
	if _, err := r.Rebuild(ctx, []string{postgres.MirrorProjection}, eventstore.RebuildOptions{}); err != nil {
		t.Fatal(err)
	}
	if after := tableSum(t, pool, "mirrored_plugins"); after != before {
		t.Fatalf("rebuilt mirrored_plugins differs: %v, live %v", after, before)
	}
}
