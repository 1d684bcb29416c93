package postgres_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/pfn-network/pfn/adapters/nodekey"
	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

// logFixture signs v2 statements as a node does and appends them as
// plugin.mirrored events.
type logFixture struct {
	t      *testing.T
	signer *nodekey.Signer
	pubKey string // the publisher's key, base64
	source domain.SourceID
	at     time.Time
}

func newLogFixture(t *testing.T) *logFixture {
	t.Helper()
	s, err := nodekey.LoadOrCreate(filepath.Join(t.TempDir(), "node.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	return &logFixture{t: t, signer: s, pubKey: base64.StdEncoding.EncodeToString(pub),
		source: "author@127.0.0.1:9021", at: time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)}
}

// mirrored is a version mirrored with the node's v2 statement (through
// hops when given); signed false leaves it without one, as before v2.
func (f *logFixture) mirrored(plugin, version string, signed bool, hops ...domain.ProvenanceHop) domain.PluginMirrored {
	f.t.Helper()
	f.at = f.at.Add(time.Second)
	e := domain.PluginMirrored{SourceID: f.source, Plugin: plugin, Name: plugin, Version: version,
		SHA256: fmt.Sprintf("%064x", len(plugin)+len(version)), Size: int64(100 + len(version)), BlobKey: "k/" + plugin + "/" + version,
		PublisherSignature: "pubsig-" + plugin + version, FederationSignature: "fed", NodeKeyID: f.signer.KeyID(), At: f.at,
		PublisherKey: f.pubKey, Provenance: hops}
	if signed {
		sig, err := f.signer.SignV2(nodekey.MirroredStatementV2(e))
		if err != nil {
			f.t.Fatal(err)
		}
		e.FederationSignatureV2 = sig
	}
	return e
}

// appendTo appends events to their plugin streams in tx (or the pool).
func appendTo(t *testing.T, db eventstore.DB, events ...domain.PluginMirrored) {
	t.Helper()
	for _, e := range events {
		stored, err := eventstore.EncodeAll([]domain.PluginEvent{e})
		if err != nil {
			t.Fatal(err)
		}
		stream := "plugin-" + string(e.SourceID) + "/" + e.Plugin
		var version int64
		if err := db.QueryRow(pgtest.Context(), `SELECT coalesce(max(stream_version), 0) FROM events WHERE stream_id = $1`, stream).Scan(&version); err != nil {
			t.Fatal(err)
		}
		if _, err := eventstore.New(db).Append(pgtest.Context(), stream, version, stored...); err != nil {
			t.Fatal(err)
		}
	}
}

func waitForLogSize(t *testing.T, r postgres.LogReader, want int64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		n, err := r.LogSize(pgtest.Context())
		if err != nil {
			t.Fatal(err)
		}
		if n >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("log size %d, want %d", n, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// memoryTree hashes entries with tlog alone, as a verifier would.
func memoryTree(t *testing.T, entries [][]byte) (tlog.HashReaderFunc, tlog.Hash) {
	t.Helper()
	var stored []tlog.Hash
	r := tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(indexes))
		for i, x := range indexes {
			out[i] = stored[x]
		}
		return out, nil
	})
	for n, e := range entries {
		hs, err := tlog.StoredHashes(int64(n), e, r)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, hs...)
	}
	root, err := tlog.TreeHash(int64(len(entries)), r)
	if err != nil {
		t.Fatal(err)
	}
	return r, root
}

func logHashReader(r postgres.LogReader) tlog.HashReaderFunc {
	return func(indexes []int64) ([]tlog.Hash, error) { return r.ReadLogHashes(pgtest.Context(), indexes) }
}

// The log holds every v2 statement the node signed, numbered 0, 1, 2… in
// commit order (a transaction that started first and commits last is
// neither skipped nor logged before it commits), each entry exactly the
// statement bytes the signature covers; its stored hashes are tlog's, and a
// rebuild reproduces every row of both tables and the tree hash.
func TestTransparencyLogInCommitOrderAndRebuilt(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	r := startRunner(t, pool, postgres.MirrorProjectionHandler{}, postgres.TransparencyLog{Leaf: nodekey.LogLeaf})
	log := postgres.LogReader{Pool: pool}
	f := newLogFixture(t)

	hop := domain.ProvenanceHop{Node: "upstreamnode", NodeKey: f.pubKey, URL: "http://127.0.0.1:9022", Source: "author@up", Signature: "up-sig"}
	appendTo(t, pool,
		f.mirrored("tool", "1.0.0", true),
		f.mirrored("tool", "0.9.0", false), // before v2: not logged
		f.mirrored("tool", "1.1.0", true),
		f.mirrored("chained", "2.0.0", true, domain.ProvenanceHop{Node: "first", Signature: "first-sig"}, hop),
	)
	waitForLogSize(t, log, 3)

	// Out of order: the first writer appends and stays open while a second
	// appends and commits; only then does the first commit.
	first, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Rollback(ctx)
	appendTo(t, first, f.mirrored("late", "1.0.0", true))
	second, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	appendTo(t, second, f.mirrored("early", "1.0.0", true), f.mirrored("early", "1.0.1", true))
	if err := second.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // many polls of the runner (10ms)
	if n, err := log.LogSize(ctx); err != nil || n != 3 {
		t.Fatalf("size %d, %v while the first writer is open; want 3 (the later commit held back)", n, err)
	}
	if err := first.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	// Then enough more to fill a level-8 tile and cut rebuild batches
	// across the tree's right edge at many sizes.
	var more []domain.PluginMirrored
	for i := range 300 {
		more = append(more, f.mirrored(fmt.Sprintf("bulk%03d", i%7), fmt.Sprintf("1.0.%d", i), i%5 != 0))
	}
	appendTo(t, pool, more...)
	const size = 6 + 240
	waitForLogSize(t, log, size)

	entries, err := log.LogEntries(ctx, 0, size)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var leaves [][]byte
	for i, e := range entries {
		if e.Index != int64(i) {
			t.Fatalf("entry %d has index %d", i, e.Index)
		}
		if i < 6 {
			got = append(got, e.Plugin+" "+e.Version)
		}
		leaves = append(leaves, e.Statement)
		// The entry is what the signature covers, under the key it names.
		if e.NodeKeyID != f.signer.KeyID() {
			t.Fatalf("entry %d names key %q", i, e.NodeKeyID)
		}
		sig, _ := base64.StdEncoding.DecodeString(e.Signature)
		if !ed25519.Verify(f.signer.PublicKey(), e.Statement, sig) {
			t.Fatalf("entry %d: the node's signature does not cover %s", i, e.Statement)
		}
	}
	// The runner's order: the first writer's transaction id is the lower.
	want := []string{"tool 1.0.0", "tool 1.1.0", "chained 2.0.0", "late 1.0.0", "early 1.0.0", "early 1.0.1"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("log order %q, want %q", got, want)
	}
	if !bytes.Contains(entries[2].Statement, []byte(`"upstream":"up-sig"`)) {
		t.Fatalf("a chained version's entry names the last hop's signature as upstream: %s", entries[2].Statement)
	}

	// The stored hashes are the ones tlog computes from the entries alone.
	mem, root := memoryTree(t, leaves)
	n := tlog.StoredHashCount(size)
	all := make([]int64, n)
	for i := range all {
		all[i] = int64(i)
	}
	dbHashes, err := log.ReadLogHashes(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	memHashes, _ := mem.ReadHashes(all)
	for i := range all {
		if dbHashes[i] != memHashes[i] {
			t.Fatalf("stored hash %d: %v, tlog computes %v", i, dbHashes[i], memHashes[i])
		}
	}
	if got, err := tlog.TreeHash(size, logHashReader(log)); err != nil || got != root {
		t.Fatalf("tree hash %v, %v; want %v", got, err, root)
	}
	if _, err := log.ReadLogHashes(ctx, []int64{n}); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("a hash the log does not hold yet: %v", err)
	}

	// A version's latest entry; a version never logged is not found.
	e, err := log.LatestLogEntry(ctx, f.source, "early", "1.0.1")
	if err != nil || e.Index != 5 {
		t.Fatalf("latest entry of early 1.0.1: %+v, %v", e, err)
	}
	if _, err := log.LatestLogEntry(ctx, f.source, "tool", "0.9.0"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("a version without a v2 statement: %v", err)
	}
	if _, err := log.LogEntries(ctx, size-1, size+1); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("entries beyond the log: %v", err)
	}

	// Rebuilt in small batches, in one, and with every batch copied (the
	// path of large batches): the same rows, the same hashes.
	copying, err := eventstore.NewRunner(pool, slog.New(slog.NewTextHandler(io.Discard, nil)), eventstore.RunnerConfig{},
		postgres.TransparencyLogCopying(nodekey.LogLeaf))
	if err != nil {
		t.Fatal(err)
	}
	before := tableSum(t, pool, "transparency_log") + tableSum(t, pool, "transparency_log_hashes")
	for _, rebuild := range []struct {
		r     *eventstore.Runner
		batch int
	}{{r, 3}, {r, 10000}, {copying, 7}, {copying, 10000}} {
		batch := rebuild.batch
		if _, err := rebuild.r.Rebuild(ctx, []string{postgres.TransparencyLogProjection}, eventstore.RebuildOptions{BatchSize: batch}); err != nil {
			t.Fatal(err)
		}
		if after := tableSum(t, pool, "transparency_log") + tableSum(t, pool, "transparency_log_hashes"); after != before {
			t.Fatalf("the log rebuilt in batches of %d differs", batch)
		}
		if got, err := tlog.TreeHash(size, logHashReader(log)); err != nil || got != root {
			t.Fatalf("rebuilt in batches of %d: tree hash %v, %v; want %v", batch, got, err, root)
		}
	}

	// Apply alone, event by event (the runner's careful path), writes the
	// same: done in a transaction that is rolled back.
	events, err := eventstore.New(pool).ReadBatch(ctx, eventstore.Position{}, 100000)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	p := postgres.TransparencyLog{Leaf: nodekey.LogLeaf}
	if err := p.Reset(ctx, tx); err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if err := p.Apply(ctx, tx, e); err != nil {
			t.Fatal(err)
		}
	}
	// An event applied again (nothing should, but a restored checkpoint
	// might) is not logged twice, alone or in a batch.
	if err := p.Apply(ctx, tx, events[0]); err != nil {
		t.Fatal(err)
	}
	if err := p.ApplyBatch(ctx, tx, events[len(events)-10:]); err != nil {
		t.Fatal(err)
	}
	var one string
	if err := tx.QueryRow(ctx, `SELECT (SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM transparency_log x)
		|| (SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM transparency_log_hashes x)`).Scan(&one); err != nil {
		t.Fatal(err)
	}
	if one != before {
		t.Fatal("the log applied event by event differs")
	}
}

// A sync's SaveAll returns once the log holds the statements it signed: the
// listing read right after carries their log indexes. A runner without the
// log (PFN_TRANSPARENCY_LOG=off) does not hold it up.
func TestSaveAllWaitsForTheLog(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	for _, on := range []bool{true, false} {
		pool := pgtest.Pool(t)
		var more []eventstore.Projection
		if on {
			more = append(more, postgres.TransparencyLog{Leaf: nodekey.LogLeaf})
		}
		r := startRunner(t, pool, append(more, postgres.MirrorProjectionHandler{}, postgres.CatalogChanges{})...)
		histories := postgres.PluginHistories{Pool: pool, Store: eventstore.New(pool), Waiter: waiter{r}}
		f := newLogFixture(t)
		pub, _, _ := ed25519.GenerateKey(rand.Reader)
		s, _ := domain.RegisterSource("http://127.0.0.1:9023/", "author", base64.StdEncoding.EncodeToString(pub), "key_a", f.at)
		f.source = s.State().ID
		plugins := []string{"a", "b", "c", "d", "e"}
		hs, err := histories.LoadAll(ctx, f.source, plugins)
		if err != nil {
			t.Fatal(err)
		}
		var all []*domain.PluginHistory
		for _, p := range plugins {
			hs[p].RecordMirrored(f.mirrored(p, "1.0.0", true))
			all = append(all, hs[p])
		}
		if err := histories.SaveAll(ctx, all, s); err != nil {
			t.Fatal(err)
		}
		views, err := postgres.PluginReader{Pool: pool}.ListPlugins(ctx, app.PluginQuery{Limit: 10})
		if err != nil || len(views) != len(plugins) {
			t.Fatalf("log on %v: listing right after the sync: %d, %v", on, len(views), err)
		}
		for _, v := range views {
			if (v.LogIndex != nil) != on {
				t.Fatalf("log on %v: %s has log index %s right after the sync", on, v.Plugin, logIndexOf(v))
			}
		}
	}
}

// Every listing carries the latest log index of each version: the
// catalogue, a plugin's versions; nil for a version the log does not hold.
func TestPluginViewsCarryLogIndex(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	startRunner(t, pool, postgres.MirrorProjectionHandler{}, postgres.TransparencyLog{Leaf: nodekey.LogLeaf})
	log := postgres.LogReader{Pool: pool}
	f := newLogFixture(t)
	appendTo(t, pool, f.mirrored("tool", "1.0.0", true), f.mirrored("tool", "0.9.0", false), f.mirrored("other", "1.0.0", true))
	// Mirrored again (a new incarnation of the source): the later leaf.
	appendTo(t, pool, f.mirrored("tool", "1.0.0", true))
	waitForLogSize(t, log, 3)
	plugins := postgres.PluginReader{Pool: pool}
	deadline := time.Now().Add(20 * time.Second)
	var views []app.PluginView
	for len(views) < 3 && time.Now().Before(deadline) {
		var err error
		if views, err = plugins.ListPlugins(ctx, app.PluginQuery{Limit: 10}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	got := map[string]string{}
	for _, v := range views {
		got[v.Plugin+" "+v.Version] = logIndexOf(v)
	}
	want := map[string]string{"tool 1.0.0": "2", "tool 0.9.0": "nil", "other 1.0.0": "1"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("listing's log indexes %v, want %v", got, want)
	}
	versions, err := plugins.PluginVersions(ctx, string(f.source), "tool")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range versions {
		if logIndexOf(v) != want["tool "+v.Version] {
			t.Fatalf("versions of tool: %s has log index %s", v.Version, logIndexOf(v))
		}
		// The log's entry is the statement the view verifies.
		if v.LogIndex != nil {
			e, err := log.LatestLogEntry(ctx, f.source, v.Plugin, v.Version)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := nodekey.StatementV2{Node: v.NodeKeyID, Source: v.SourceID, Plugin: v.Plugin, Version: v.Version,
				SHA256: v.SHA256, Size: v.Size, PublisherSignature: v.PublisherSignature, PublisherKey: v.PublisherKey,
				Upstream: v.StatementV2().Upstream}.CanonicalBytes()
			if !bytes.Equal(e.Statement, want) {
				t.Fatalf("entry %s, the view's statement %s", e.Statement, want)
			}
		}
	}
}

func logIndexOf(v app.PluginView) string {
	if v.LogIndex == nil {
		return "nil"
	}
	return fmt.Sprint(*v.LogIndex)
}

// A statement too long for an entry bundle is not logged (its event is
// recorded as poisoned); the ones after it are, with the next indexes.
func TestTransparencyLogStopsAtAStatementNoBundleHolds(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	// The change feed runs beside the log: it shows the runner reached
	// all three events.
	startRunner(t, pool, postgres.TransparencyLog{Leaf: nodekey.LogLeaf}, postgres.CatalogChanges{})
	log := postgres.LogReader{Pool: pool}
	f := newLogFixture(t)
	huge := f.mirrored("huge", "1.0.0", false, domain.ProvenanceHop{Node: "n", Signature: strings.Repeat("s", 1<<16)})
	huge.FederationSignatureV2 = "signed"
	appendTo(t, pool, f.mirrored("a", "1.0.0", true), huge, f.mirrored("b", "1.0.0", true))
	waitForHead(t, postgres.ChangeFeed{Pool: pool}, 3)
	// The log never skips a signed statement (eventstore.Unskippable): it
	// stays before the one it cannot log (with the page that holds it),
	// and poisons nothing, while the runner tries again.
	deadline := time.Now().Add(1500 * time.Millisecond)
	for time.Now().Before(deadline) {
		var poisoned int
		size, err := log.LogSize(ctx)
		if err == nil {
			err = pool.QueryRow(ctx, `SELECT count(*) FROM poisoned_events WHERE consumer_group = 'transparency_log'`).Scan(&poisoned)
		}
		if err != nil || size > 1 || poisoned != 0 {
			t.Fatalf("log size %d, %d poisoned, %v; want it stopped before the huge statement with nothing poisoned", size, poisoned, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
