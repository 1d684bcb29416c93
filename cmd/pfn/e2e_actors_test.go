package main

import (
	"bytes"
	"context"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pfn-network/pfn/domain"
)

// Every event names who appended it. Requests record their key's id, the
// CLI "cli", and the scheduler's health checks, syncs, re-verifications and
// rechecks "scheduler"; the log holds no event without an actor.
func TestEveryEventNamesItsActor(t *testing.T) {
	t.Parallel()
	s := startOps(t, 2, "PFN_HEALTH_INTERVAL=1s", "PFN_SYNC_INTERVAL=1s", "PFN_REVERIFY_INTERVAL=1s",
		"PFN_RECHECK_INTERVAL=1s", "PFN_RETRY_BASE=1s")
	if code, body := s.api.do(http.MethodPost, "/federation/subscribe", s.admin, map[string]any{"sourceId": s.source}); code != http.StatusOK {
		t.Fatalf("subscribe = %d %v", code, body)
	}

	env := map[string]string{"PFN_DATABASE_URL": s.db, "PFN_LOG_LEVEL": "warn"}
	for k, v := range dataEnv(t) {
		env[k] = v
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"admin", "create-key", "-role", "consumer"}, func(k string) string { return env[k] }, &out, &out); err != nil {
		t.Fatalf("pfn admin create-key: %v\n%s", err, out.String())
	}

	// Damaged stored copies give the scheduler's rechecks something to record.
	damaged := 0
	err := filepath.WalkDir(s.blobs, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".zip") {
			return err
		}
		damaged++
		return os.WriteFile(path, []byte("not the mirrored bytes"), 0o600)
	})
	if err != nil || damaged == 0 {
		t.Fatalf("damaged %d stored files: %v", damaged, err)
	}

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	byScheduler := []string{domain.EventHealthChecked, domain.EventSourceSynced, domain.EventOwnershipVerified,
		domain.EventPluginStoredCopyDamaged}
	waitFor(t, "the scheduler's health checks, syncs, re-verifications and rechecks", 60*time.Second, func() (bool, string) {
		types := queryStrings(t, conn, `SELECT DISTINCT event_type FROM events WHERE metadata->>'actor' = 'scheduler'`)
		for _, want := range byScheduler {
			if !slices.Contains(types, want) {
				return false, "scheduler's event types: " + strings.Join(types, ", ")
			}
		}
		return true, ""
	})

	var unnamed int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM events WHERE coalesce(metadata->>'actor', '') = ''`).Scan(&unnamed); err != nil || unnamed != 0 {
		t.Fatalf("%d events without an actor (%v), want none", unnamed, err)
	}
	// The admin key was made with the master key, the consumer key by the
	// CLI; the source was added and subscribed to with the admin key.
	issuers := queryStrings(t, conn, `SELECT metadata->>'actor' FROM events WHERE event_type = $1 ORDER BY global_position`, domain.EventAPIKeyIssued)
	if !slices.Equal(issuers, []string{"master", actorCLI}) {
		t.Fatalf("keys issued by %v, want master then %s", issuers, actorCLI)
	}
	admin := queryStrings(t, conn, `SELECT payload->>'key_id' FROM events WHERE event_type = $1 ORDER BY global_position LIMIT 1`, domain.EventAPIKeyIssued)
	for _, typ := range []string{domain.EventSourceRegistered, domain.EventSubscribed} {
		if got := queryStrings(t, conn, `SELECT DISTINCT metadata->>'actor' FROM events WHERE event_type = $1`, typ); !slices.Equal(got, admin) {
			t.Errorf("%s appended by %v, want the admin key %v", typ, got, admin)
		}
	}
}

func queryStrings(t *testing.T, conn *pgx.Conn, sql string, args ...any) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}
