package postgres_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

// ApplyBatch must leave the mirror's tables exactly as Apply on each event
// in order does, ids included.
func TestMirrorBatchEqualsEventByEvent(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var events []eventstore.Event
	add := func(e domain.PluginEvent) {
		payload, _ := json.Marshal(e)
		events = append(events, eventstore.Event{ID: uuid.New(), Type: e.EventType(), Payload: payload,
			StreamID: "plugin-a@h/x", GlobalPosition: int64(len(events) + 1), RecordedAt: at})
	}
	mirrored := func(plugin, version string, tags []string) domain.PluginMirrored {
		return domain.PluginMirrored{SourceID: "a@h", Plugin: plugin, Name: plugin, Version: version, Description: "d " + plugin,
			Tags: tags, SHA256: "sha-" + plugin + version, Size: int64(len(plugin + version)), BlobKey: "k/" + plugin + "/" + version,
			PublisherSignature: "sig", FederationSignature: "fed", NodeKeyID: "node", At: at}
	}
	add(domain.PluginRejected{SourceID: "a@h", Plugin: "p", Version: "1.0.0", Reason: "bad signature", At: at})
	add(mirrored("q", "1.0.0", []string{"media"}))
	add(mirrored("p", "1.0.0", nil)) // mirrored after a rejection
	add(mirrored("r", "2.0.0", []string{"a", "b"}))
	add(mirrored("q", "1.0.0", []string{"media"})) // a duplicate: left alone
	add(domain.PluginTampered{SourceID: "a@h", Plugin: "q", Version: "1.0.0", Detail: "other bytes", At: at})
	add(mirrored("q", "1.1.0", []string{"media"}))
	add(domain.PluginRejected{SourceID: "a@h", Plugin: "s", Version: "0.1.0", Reason: "too large", At: at})
	add(domain.PluginPruned{SourceID: "a@h", Plugin: "q", Version: "1.0.0", BlobKey: "k/q/1.0.0", Reason: "keep 1", At: at})
	add(domain.PluginStoredCopyDamaged{SourceID: "a@h", Plugin: "r", Version: "2.0.0", Missing: true, At: at})
	add(mirrored("s", "0.1.0", nil))
	add(domain.PluginStoredCopyDamaged{SourceID: "a@h", Plugin: "s", Version: "0.1.0", SHA256: "bb", Size: 3, RecordedSHA256: "sha-s0.1.0", RecordedSize: 6, At: at}) // a copy damaged in the same batch
	add(domain.PluginStoredCopyRestored{SourceID: "a@h", Plugin: "r", Version: "2.0.0", At: at})

	h := postgres.MirrorProjectionHandler{}
	one, batched := pgtest.Pool(t), pgtest.Pool(t)
	within(t, one, func(tx pgx.Tx) error {
		for _, e := range events {
			if err := h.Apply(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	within(t, batched, func(tx pgx.Tx) error { return h.ApplyBatch(ctx, tx, events) })
	for _, table := range []string{"mirrored_plugins", "plugin_problems"} {
		if a, b := tableSum(t, one, table), tableSum(t, batched, table); a != b {
			t.Fatalf("%s differs: event by event %s, batched %s", table, a, b)
		}
	}
	var rows int
	_ = batched.QueryRow(ctx, `SELECT count(*) FROM mirrored_plugins`).Scan(&rows)
	if rows != 5 {
		t.Fatalf("%d mirrored rows, want 5", rows)
	}
	var damage string
	_ = batched.QueryRow(ctx, `SELECT string_agg(plugin_id || ':' || copy_damage, ',' ORDER BY plugin_id) FROM mirrored_plugins WHERE copy_damage <> ''`).Scan(&damage)
	if want := "s:sha256 bb and 3 bytes measured, sha-s0.1.0 and 6 bytes recorded"; damage != want {
		t.Fatalf("damaged copies %q, want %q", damage, want)
	}
}

func within(t *testing.T, pool *pgxpool.Pool, fn func(pgx.Tx) error) {
	t.Helper()
	if err := pgx.BeginFunc(pgtest.Context(), pool, fn); err != nil {
		t.Fatal(err)
	}
}

func tableSum(t *testing.T, pool *pgxpool.Pool, table string) string {
	t.Helper()
	var sum string
	err := pool.QueryRow(pgtest.Context(), `SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM `+table+` x`).Scan(&sum)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}
