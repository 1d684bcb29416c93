package postgres_test

import (
	"encoding/json"
	"fmt"
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
// in order does, ids included, whether its runs of mirrored versions go
// through one INSERT or through COPY (a rebuild's batches).
func TestMirrorBatchEqualsEventByEvent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		batched postgres.MirrorProjectionHandler
	}{
		{"insert", postgres.MirrorProjectionHandler{}},
		{"copy", postgres.MirrorProjectionCopying()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testMirrorBatch(t, tc.batched)
		})
	}
}

func testMirrorBatch(t *testing.T, batchedBy postgres.MirrorProjectionHandler) {
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
			PublisherSignature: "sig", FederationSignature: "fed", NodeKeyID: "node", At: at,
			FederationSignatureV2: "fed2", PublisherKey: "pk",
			Provenance: []domain.ProvenanceHop{{Node: "n1", NodeKey: "k1", URL: "http://a", Source: "p@pub", Signature: "s1"}}}
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
	add(domain.PluginYanked{SourceID: "a@h", Plugin: "p", Version: "1.0.0", Reason: "malware", Actor: "k", At: at})
	add(domain.PluginYanked{SourceID: "a@h", Plugin: "q", Version: "1.1.0", Reason: "oops", Actor: "k", At: at}) // yanked in the batch that mirrored it
	add(domain.PluginUnyanked{SourceID: "a@h", Plugin: "q", Version: "1.1.0", Reason: "fine", Actor: "k", At: at})
	// Problems of one version and kind again: the last word stays.
	add(domain.PluginTampered{SourceID: "a@h", Plugin: "q", Version: "1.0.0", Detail: "yet other bytes", At: at.Add(time.Minute)})
	add(domain.PluginRolledBack{SourceID: "a@h", Plugin: "r", Listed: "1.0.0", Latest: "2.0.0", At: at})
	add(domain.PluginRejected{SourceID: "a@h", Plugin: "s", Version: "0.1.0", Reason: "still too large", At: at.Add(time.Hour)})
	add(domain.PluginRolledBack{SourceID: "a@h", Plugin: "r", Listed: "1.0.0", Latest: "2.1.0", At: at.Add(time.Hour)})
	// Times between seconds: mirror_date rounds to the nearest second.
	for i, d := range []time.Duration{499_999 * time.Microsecond, 500 * time.Millisecond, 1500*time.Millisecond - time.Nanosecond, 1_999_999_999} {
		m := mirrored("t", fmt.Sprintf("0.%d.0", i), []string{"t"})
		m.At = at.Add(d)
		add(m)
	}
	add(mirrored("s", "0.1.0", nil)) // a duplicate after the run was cut: left alone

	h := postgres.MirrorProjectionHandler{}
	one, batched := pgtest.Pool(t), pgtest.Pool(t)
	// The table's sequence has moved before, as a live node's has.
	for _, pool := range []*pgxpool.Pool{one, batched} {
		if _, err := pool.Exec(ctx, `SELECT setval(pg_get_serial_sequence('mirrored_plugins', 'id'), 41)`); err != nil {
			t.Fatal(err)
		}
	}
	within(t, one, func(tx pgx.Tx) error {
		for _, e := range events {
			if err := h.Apply(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	within(t, batched, func(tx pgx.Tx) error { return batchedBy.ApplyBatch(ctx, tx, events) })
	for _, table := range []string{"mirrored_plugins", "plugin_problems"} {
		if a, b := tableSum(t, one, table), tableSum(t, batched, table); a != b {
			t.Fatalf("%s differs: event by event %s, batched %s", table, a, b)
		}
	}
	var rows int
	_ = batched.QueryRow(ctx, `SELECT count(*) FROM mirrored_plugins`).Scan(&rows)
	if rows != 9 {
		t.Fatalf("%d mirrored rows, want 9", rows)
	}
	var dates, problems string
	_ = batched.QueryRow(ctx, `SELECT string_agg(mirror_date - extract(epoch FROM $1::timestamptz)::bigint || '', ',' ORDER BY version)
		FROM mirrored_plugins WHERE plugin_id = 't'`, at).Scan(&dates)
	if dates != "0,1,1,2" {
		t.Fatalf("mirror dates after the hour %s, want 0,1,1,2", dates)
	}
	_ = batched.QueryRow(ctx, `SELECT string_agg(plugin_id || ' ' || kind || ': ' || detail, ', ' ORDER BY plugin_id, kind) FROM plugin_problems`).Scan(&problems)
	if want := "p rejected: bad signature, q tampering: yet other bytes, r rollback: listed 1.0.0 below mirrored 2.1.0, s rejected: still too large"; problems != want {
		t.Fatalf("problems %q, want %q", problems, want)
	}
	var ids string
	_ = batched.QueryRow(ctx, `SELECT string_agg(id::text, ',' ORDER BY id) FROM mirrored_plugins`).Scan(&ids)
	if want := "42,43,44,46,47,48,49,50,51"; ids != want {
		t.Fatalf("ids %s, want %s (one taken by each mirrored event, in order)", ids, want)
	}
	var damage string
	_ = batched.QueryRow(ctx, `SELECT string_agg(plugin_id || ':' || copy_damage, ',' ORDER BY plugin_id) FROM mirrored_plugins WHERE copy_damage <> ''`).Scan(&damage)
	if want := "s:sha256 bb and 3 bytes measured, sha-s0.1.0 and 6 bytes recorded"; damage != want {
		t.Fatalf("damaged copies %q, want %q", damage, want)
	}
	var yanked string
	_ = batched.QueryRow(ctx, `SELECT string_agg(plugin_id || ' ' || version || ': ' || yank_reason, ',' ORDER BY plugin_id) FROM mirrored_plugins WHERE yanked_at IS NOT NULL`).Scan(&yanked)
	if want := "p 1.0.0: malware"; yanked != want {
		t.Fatalf("yanked %q, want %q (q 1.1.0 was unyanked in the batch)", yanked, want)
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
