package postgres_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

// activityLog is a source's life in events: registered, a failed and a
// successful verification, a first mirror, a rejected plugin never
// mirrored, a second version (the update), a tampering.
func activityLog(at time.Time) []eventstore.Event {
	var events []eventstore.Event
	add := func(stream string, typ string, e any) {
		payload, _ := json.Marshal(e)
		events = append(events, eventstore.Event{ID: uuid.New(), Type: typ, Payload: payload, StreamID: stream,
			GlobalPosition: int64(len(events) + 1), RecordedAt: at.Add(time.Duration(len(events)) * time.Second)})
	}
	const src = domain.SourceID("author@pub.example:8443")
	source := func(e domain.SourceEvent) { add("source-"+string(src), e.EventType(), e) }
	plugin := func(e domain.PluginEvent, slug string) { add("plugin-"+string(src)+"/"+slug, e.EventType(), e) }
	mirrored := func(version, name string) domain.PluginMirrored {
		return domain.PluginMirrored{SourceID: src, Plugin: "tool", Name: name, Version: version, SHA256: "s" + version,
			Size: 3, BlobKey: "k/" + version, PublisherSignature: "sig" + version, At: at}
	}
	source(domain.SourceRegistered{SourceID: src, InstanceURL: "https://pub.example:8443", Username: "author", PublicKey: "k", AddedBy: "key_a", At: at})
	source(domain.OwnershipVerificationFailed{Reason: "the challenge was not signed", At: at})
	source(domain.OwnershipVerified{At: at})
	plugin(mirrored("1.0.0", "Tool"), "tool")
	plugin(domain.PluginRejected{SourceID: src, Plugin: "other", Version: "0.1.0", Reason: "bad signature", At: at}, "other")
	plugin(mirrored("1.1.0", "Tool Pro"), "tool")
	plugin(domain.PluginVersionUpdated{SourceID: src, Plugin: "tool", From: "1.0.0", To: "1.1.0", At: at}, "tool")
	plugin(domain.PluginTampered{SourceID: src, Plugin: "tool", Version: "1.0.0", Detail: "other bytes", At: at}, "tool")
	return events
}

// The feed keeps versions, names and usernames; a first mirror is an
// update from "0.0.0", a later one names the version mirrored before.
// Batches (one, several, event by event) give the same tables, since the
// names the projection remembers carry over between batches.
func TestActivityKeepsVersionsAndNames(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	events := activityLog(at)
	p := postgres.ActivityProjection{}
	whole, split, one := pgtest.Pool(t), pgtest.Pool(t), pgtest.Pool(t)
	within(t, whole, func(tx pgx.Tx) error { return p.ApplyBatch(ctx, tx, events) })
	within(t, split, func(tx pgx.Tx) error { return p.ApplyBatch(ctx, tx, events[:4]) }) // the first mirror in one batch,
	within(t, split, func(tx pgx.Tx) error { return p.ApplyBatch(ctx, tx, events[4:]) }) // its update in the next
	for _, e := range events {
		within(t, one, func(tx pgx.Tx) error { return p.Apply(ctx, tx, e) })
	}
	for _, table := range []string{"activity", "activity_plugins"} {
		if a, b, c := tableSum(t, whole, table), tableSum(t, split, table), tableSum(t, one, table); a != b || a != c {
			t.Fatalf("%s differs: one batch %s, two %s, event by event %s", table, a, b, c)
		}
	}

	page, err := app.ListActivity{Reader: postgres.ActivityReader{Pool: whole}}.Handle(ctx, app.System("test"), app.ActivityParams{})
	if err != nil {
		t.Fatal(err)
	}
	rows := make([]map[string]any, len(page.Entries))
	for i, e := range page.Entries {
		rows[i] = activityRow(e)
	}
	const src = "author@pub.example:8443"
	u := at.Unix()
	want := []map[string]any{ // newest first
		{"kind": "tampering", "type": "tampering", "plugin_id": "tool", "plugin_name": "Tool Pro", "old_version": nil, "new_version": nil, "timestamp": u + 7},
		{"kind": "version_updated", "type": "version_update", "plugin_id": "tool", "plugin_name": "Tool Pro", "old_version": "1.0.0", "new_version": "1.1.0", "timestamp": u + 6},
		{"kind": "plugin_rejected", "type": "plugin_rejected", "plugin_id": "other", "plugin_name": nil, "old_version": nil, "new_version": nil, "timestamp": u + 4},
		{"kind": "mirrored", "type": "version_update", "plugin_id": "tool", "plugin_name": "Tool", "old_version": "0.0.0", "new_version": "1.0.0", "timestamp": u + 3},
		{"kind": "verified", "type": "source_verification", "plugin_id": nil, "plugin_name": nil, "old_version": nil, "new_version": nil, "timestamp": u + 2},
		{"kind": "verification_failed", "type": "source_verification", "plugin_id": nil, "plugin_name": nil, "old_version": nil, "new_version": nil, "timestamp": u + 1},
		{"kind": "source_added", "type": "source_added", "plugin_id": nil, "plugin_name": nil, "old_version": nil, "new_version": nil, "timestamp": u},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d entries, want %d: %v", len(rows), len(want), rows)
	}
	for i, w := range want {
		w["source_id"], w["sourceId"], w["source_username"] = src, src, "author"
		for k, v := range w {
			if n, ok := v.(int64); ok {
				v = float64(n)
			}
			if rows[i][k] != v {
				t.Errorf("entry %d (%s): %s = %v, want %v", i, w["kind"], k, rows[i][k], v)
			}
		}
	}
}

// activityRow is an entry's fields under the names the API shows them by
// (ports/httpapi's activity view), null as nil and numbers as float64, as
// they read back from the JSON.
func activityRow(e app.ActivityEntry) map[string]any {
	orNull := func(s *string) any {
		if s == nil {
			return nil
		}
		return *s
	}
	return map[string]any{"kind": e.Kind, "type": e.Type, "plugin_id": orNull(e.PluginID), "plugin_name": orNull(e.PluginName),
		"old_version": orNull(e.OldVersion), "new_version": orNull(e.NewVersion), "timestamp": float64(e.Timestamp),
		"source_id": e.OriginalActivity.SourceID, "sourceId": e.SourceID, "source_username": e.SourceUsername}
}

// Migration 0010 replays the feed on a node that had one: entries written
// before it lack the new columns, and the node's consumer refills them
// from the log.
func TestMigrationReplaysTheActivityFeed(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	store := eventstore.New(pool)
	at := time.Now().UTC()
	for _, e := range activityLog(at) {
		if _, err := store.Append(ctx, e.StreamID, eventstore.ExpectAny, eventstore.NewEvent{Type: e.Type, Payload: e.Payload}); err != nil {
			t.Fatal(err)
		}
	}
	startRunner(t, pool, postgres.ActivityProjection{})
	waitForActivity(t, pool, 7)
	// What a node migrated to 0009 had: the entries without the new columns.
	pgtest.Exec(t, pool, `UPDATE activity SET source_username = '', plugin_name = NULL, old_version = NULL, new_version = NULL`,
		`TRUNCATE activity_plugins`)
	all, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range all {
		if m.Version == 10 {
			pgtest.Exec(t, pool, m.SQL)
		}
	}
	waitForActivity(t, pool, 7)
	var filled int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM activity WHERE source_username = 'author'
		AND (kind NOT IN ('mirrored', 'version_updated') OR (plugin_name IS NOT NULL AND old_version IS NOT NULL AND new_version IS NOT NULL))`).Scan(&filled); err != nil {
		t.Fatal(err)
	}
	if filled != 7 {
		t.Fatalf("%d of 7 entries filled after the migration", filled)
	}
}

func waitForActivity(t *testing.T, pool *pgxpool.Pool, n int) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var got int
		if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM activity`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("activity has %d entries, want %d", got, n)
		}
	}
}
