package app

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/internal/tlogtiles"
)

// fakeLogs is an upstream's transparency log as CheckLog answers it: a
// checkpoint of size entries (or err), and the entries by index. It keeps
// what each call was given.
type fakeLogs struct {
	mu      sync.Mutex
	signed  string
	size    int64
	entries map[int64][]byte
	err     error
	calls   []logCall
}

type logCall struct {
	nodeURL, origin string
	trusted         *tlogtiles.Checkpoint
}

func (f *fakeLogs) CheckLog(_ context.Context, nodeURL, origin string, verifiers note.Verifiers, trusted *tlogtiles.Checkpoint) (CheckedLog, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, logCall{nodeURL, origin, trusted})
	if verifiers == nil {
		return CheckedLog{}, errors.New("no verifiers")
	}
	if f.err != nil {
		return CheckedLog{}, f.err
	}
	c := tlogtiles.Checkpoint{Origin: origin, Tree: tlog.Tree{N: f.size, Hash: tlog.Hash{byte(f.size)}}}
	return CheckedLog{Signed: []byte(f.signed), Checkpoint: c, Entry: func(_ context.Context, i int64) ([]byte, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		e, ok := f.entries[i]
		if !ok {
			return nil, errors.New("entry bundle: status 503")
		}
		return e, nil
	}}, nil
}

// logWorld is node C syncing source pub@p.example@a.example from node B,
// which has it from A, which mirrors the publisher; B announces a
// transparency log.
type logWorld struct {
	sources *MemorySources
	mirror  *MemoryMirror
	catalog *MemoryCatalog
	logs    *fakeLogs
	sync    SyncSource
	id      domain.SourceID
	pub     ed25519.PrivateKey
	a, b    MemorySigner
}

const logNodeURL = "http://b.example:8080"

func newLogWorld(t *testing.T) *logWorld {
	t.Helper()
	ctx := context.Background()
	w := &logWorld{sources: &MemorySources{}, catalog: &MemoryCatalog{}, logs: &fakeLogs{entries: map[int64][]byte{}},
		a: MemorySigner{ID: "node-a"}, b: MemorySigner{ID: "node-b"}}
	w.mirror = &MemoryMirror{Sources: w.sources}
	_, w.pub, _ = ed25519.GenerateKey(nil)
	at := time.Unix(100, 0).UTC()
	src, err := domain.RegisterSource(logNodeURL, "pub@p.example@a.example", base64.StdEncoding.EncodeToString(w.b.PublicKey()), "admin", at)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.RecordOwnershipProof(true, "", at); err != nil {
		t.Fatal(err)
	}
	info := domain.PublisherInfo{ProtocolVersion: "1.0", Features: []string{"pfn-node/v1", "transparency-log"},
		AssetDomain: logNodeURL + "/files", NamingScheme: "{author}/{slug}/{version}.zip", LogOrigin: "pfn/node-b"}
	if err := src.RefreshInfo(info, at); err != nil {
		t.Fatal(err)
	}
	if err := w.sources.Save(ctx, src); err != nil {
		t.Fatal(err)
	}
	w.id = src.State().ID
	subs := &MemorySubscriptions{}
	sub, _ := subs.Load(ctx, w.id, "consumer")
	if err := sub.Subscribe(src.State(), domain.Filters{}, at); err != nil {
		t.Fatal(err)
	}
	if err := subs.Save(ctx, sub); err != nil {
		t.Fatal(err)
	}
	w.sync = SyncSource{Sources: w.sources, Subscriptions: subs, Catalog: w.catalog, Histories: w.mirror, Blobs: &MemoryBlobs{},
		Signer: MemorySigner{ID: "node-c"}, Locker: SyncGate{Slots: NewSyncSlots(1), Locks: &MemoryLocks{}, Wait: time.Second},
		MaxBytes: 1 << 20, Usage: w.mirror, Now: func() time.Time { return at.Add(time.Hour) }, Logs: w.logs}
	return w
}

// entry is slug@version as B lists it, its file served, logged at index
// idx in B's log (nil: listed without a log_index).
func (w *logWorld) entry(t *testing.T, slug, version string, idx *int64) ListedPlugin {
	t.Helper()
	content := []byte("file of " + slug + "@" + version)
	sum := sha256.Sum256(content)
	pubKey := w.pub.Public().(ed25519.PublicKey)
	p := SignListing(w.pub, ListedPlugin{Slug: slug, Name: strings.ToUpper(slug), Version: version, Description: "d"})
	p.SHA256, p.Size = hex.EncodeToString(sum[:]), int64(len(content))
	p.Publisher = &ListedPublisher{Source: "pub@p.example", PublicKey: base64.StdEncoding.EncodeToString(pubKey)}
	upstream := ""
	for _, hop := range []chainHop{{w.a, w.a.KeyID(), "pub@p.example", "http://a.example"},
		{w.b, w.b.KeyID(), "pub@p.example@a.example", logNodeURL}} {
		st := StatementV2{Node: hop.node, Source: hop.source, Plugin: p.Slug, Version: p.Version, SHA256: p.SHA256,
			Size: p.Size, PublisherSignature: p.Signature, PublisherKey: p.Publisher.PublicKey, Upstream: upstream}
		sig := base64.StdEncoding.EncodeToString(ed25519.Sign(hop.signer.key(), mirrorStatementV2(st)))
		p.Provenance = append(p.Provenance, domain.ProvenanceHop{Node: hop.node,
			NodeKey: base64.StdEncoding.EncodeToString(hop.signer.PublicKey()), URL: string(hop.url), Source: hop.source, Signature: sig})
		upstream = sig
	}
	p.LogIndex = idx
	st := w.sources.mustState(t, w.id)
	u, err := domain.AssetURL(st.Info.AssetDomain, st.Info.NamingScheme, st.Username, slug, version)
	if err != nil {
		t.Fatal(err)
	}
	w.catalog.Serve(u, content)
	return p
}

// logged puts p's last hop statement at its log_index.
func (w *logWorld) logged(p ListedPlugin) {
	w.logs.entries[*p.LogIndex] = mirrorStatementV2(hopStatement(p, len(p.Provenance)-1))
}

func (m *MemorySources) mustState(t *testing.T, id domain.SourceID) domain.SourceState {
	t.Helper()
	s, err := m.Load(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return s.State()
}

// checkpointText is a signed checkpoint of B's log as a note reads.
func checkpointText(n int64, sig string) string {
	return fmt.Sprintf("pfn/node-b\n%d\n%s\n\n— pfn/node-b %s\n", n, tlog.Hash{byte(n)}, sig)
}

func index(i int64) *int64 { return &i }

func (w *logWorld) sourceEvents() []string {
	var out []string
	for _, e := range w.sources.Events(w.id) {
		out = append(out, e.EventType())
	}
	return out
}

func TestSyncKeepsTheUpstreamsCheckpoint(t *testing.T) {
	w := newLogWorld(t)
	logged := w.entry(t, "a", "1.0.0", index(0))
	w.logged(logged)
	w.catalog.List(logNodeURL, "pub@p.example@a.example", logged)
	w.logs.signed, w.logs.size = checkpointText(1, "sig"), 1
	res, err := w.sync.Run(context.Background(), w.id)
	if err != nil {
		t.Fatal(err)
	}
	if res.MirroredCount != 1 || len(res.Rejected) != 0 {
		t.Fatalf("mirrored %d, rejected %+v; want a", res.MirroredCount, res.Rejected)
	}
	st := w.sources.mustState(t, w.id)
	if st.UpstreamLog != w.logs.signed {
		t.Fatalf("kept checkpoint %q, want %q", st.UpstreamLog, w.logs.signed)
	}
	var synced []domain.SourceSynced
	for _, e := range w.sources.Events(w.id) {
		if e, ok := e.(domain.SourceSynced); ok {
			synced = append(synced, e)
		}
	}
	if len(synced) != 1 || synced[0].LogCheckpoint != w.logs.signed {
		t.Fatalf("source.synced %+v, want one with the checkpoint", synced)
	}
	c := w.logs.calls[0]
	if c.nodeURL != logNodeURL || c.origin != "pfn/node-b" || c.trusted != nil {
		t.Fatalf("first check %+v, want from nothing trusted", c)
	}

	// The next sync checks from the checkpoint kept: the trusted one,
	// read back from its signed text, and the entries after it.
	w.logs.signed = checkpointText(4, "sig2")
	w.logs.size = 4
	if _, err := w.sync.Run(context.Background(), w.id); err != nil {
		t.Fatal(err)
	}
	c = w.logs.calls[1]
	if c.trusted == nil || c.trusted.N != 1 || c.trusted.Origin != "pfn/node-b" {
		t.Fatalf("second check %+v, trusted %+v", c, c.trusted)
	}
	if st := w.sources.mustState(t, w.id); st.UpstreamLog != w.logs.signed {
		t.Fatalf("kept checkpoint %q after the second sync", st.UpstreamLog)
	}
}

func TestSyncStopsAtAnInconsistentLog(t *testing.T) {
	w := newLogWorld(t)
	p := w.entry(t, "a", "1.0.0", index(0))
	w.logged(p)
	w.catalog.List(logNodeURL, "pub@p.example@a.example", p)
	offered := checkpointText(0, "sig")
	w.logs.err = fmt.Errorf("check: %w", &LogInconsistency{Kind: domain.LogFaultShrunk, Index: 0, Detail: "size 3 -> 0", Offered: []byte(offered)})
	res, err := w.sync.Run(context.Background(), w.id)
	if !errors.Is(err, domain.ErrConflict) || !strings.Contains(err.Error(), "shrunk: size 3 -> 0") {
		t.Fatalf("sync: %v, want a conflict naming the inconsistency", err)
	}
	if res.MirroredCount != 0 || len(w.catalog.Downloads()) != 0 || len(w.mirror.Events(w.id, "a")) != 0 {
		t.Fatalf("mirrored %d, downloads %v, plugin events %v: want nothing", res.MirroredCount, w.catalog.Downloads(), w.mirror.Events(w.id, "a"))
	}
	st := w.sources.mustState(t, w.id)
	if st.LogFault == nil || st.LogFault.Kind != domain.LogFaultShrunk || st.LogFault.Offered != offered {
		t.Fatalf("fault %+v", st.LogFault)
	}
	events := w.sourceEvents()
	if events[len(events)-1] != domain.EventSourceLogInconsistent {
		t.Fatalf("source events %v", events)
	}

	// Until an admin accepts the log, the source is not synced at all.
	w.logs.err = nil
	if _, err := w.sync.Run(context.Background(), w.id); !errors.Is(err, domain.ErrConflict) || len(w.logs.calls) != 1 {
		t.Fatalf("a sync with the fault in force: %v, %d checks", err, len(w.logs.calls))
	}
	accept := AcceptUpstreamLog{Sources: w.sources, Now: w.sync.Now}
	if _, err := accept.Handle(context.Background(), Principal{KeyID: "admin", Role: domain.RoleAdmin}, AcceptUpstreamLogRequest{ID: w.id, Reason: "restored from a backup"}); err != nil {
		t.Fatal(err)
	}
	w.logs.signed, w.logs.size = checkpointText(1, "sig"), 1
	if res, err := w.sync.Run(context.Background(), w.id); err != nil || res.MirroredCount != 1 {
		t.Fatalf("after the acceptance: %v, mirrored %d", err, res.MirroredCount)
	}
	if c := w.logs.calls[len(w.logs.calls)-1]; c.trusted != nil {
		t.Fatalf("after the acceptance the check starts afresh: %+v", c)
	}
}

func TestSyncRejectsAVersionNotAtItsLogIndex(t *testing.T) {
	w := newLogWorld(t)
	other := w.entry(t, "a", "1.0.0", index(0))
	moved := w.entry(t, "b", "1.0.0", index(0))   // the entry at 0 is a's statement
	beyond := w.entry(t, "c", "1.0.0", index(7))  // the checkpoint holds 1
	unread := w.entry(t, "d", "1.0.0", index(-1)) // no such index
	w.logged(other)
	w.catalog.List(logNodeURL, "pub@p.example@a.example", other, moved, beyond, unread)
	w.logs.signed, w.logs.size = checkpointText(1, "sig"), 1
	res, err := w.sync.Run(context.Background(), w.id)
	if err != nil {
		t.Fatal(err)
	}
	if res.MirroredCount != 1 {
		t.Fatalf("mirrored %d, want only a", res.MirroredCount)
	}
	want := map[string]string{"b": "entry 0 is another statement", "c": "log_index 7 is outside", "d": "log_index -1 is outside"}
	for _, r := range res.Rejected {
		if !strings.HasPrefix(r.Reason, "not in the upstream's transparency log: ") || !strings.Contains(r.Reason, want[r.Plugin]) {
			t.Errorf("%s rejected: %q", r.Plugin, r.Reason)
		}
		delete(want, r.Plugin)
		events := w.mirror.Events(w.id, r.Plugin)
		if len(events) != 1 || events[0].EventType() != domain.EventPluginRejected {
			t.Errorf("%s's events %v, want one plugin.rejected", r.Plugin, events)
		}
	}
	if len(want) != 0 {
		t.Fatalf("not rejected: %v", want)
	}
	for _, u := range w.catalog.Downloads() {
		if !strings.Contains(u, "/a/") {
			t.Fatalf("downloaded %s: a version refused by the log is not fetched", u)
		}
	}

	// An entry the log cannot give now is left for the next sync,
	// unrecorded.
	late := w.entry(t, "e", "1.0.0", index(0))
	w.catalog.List(logNodeURL, "pub@p.example@a.example", late)
	delete(w.logs.entries, 0)
	res, err = w.sync.Run(context.Background(), w.id)
	if err != nil || res.MirroredCount != 0 || len(res.Rejected) != 1 || len(w.mirror.Events(w.id, "e")) != 0 {
		t.Fatalf("an unreadable entry: %v, %+v, events %v", err, res, w.mirror.Events(w.id, "e"))
	}
}

func TestSyncFailsWhenTheLogCannotBeRead(t *testing.T) {
	w := newLogWorld(t)
	p := w.entry(t, "a", "1.0.0", index(0))
	w.catalog.List(logNodeURL, "pub@p.example@a.example", p)
	w.logs.err = errors.New("GET checkpoint: status 502")
	if _, err := w.sync.Run(context.Background(), w.id); err == nil || !strings.Contains(err.Error(), "status 502") {
		t.Fatalf("sync: %v", err)
	}
	st := w.sources.mustState(t, w.id)
	if len(w.catalog.Downloads()) != 0 || st.LogFault != nil || !strings.Contains(st.LastSyncError, "status 502") {
		t.Fatalf("downloads %v, fault %+v, last sync error %q", w.catalog.Downloads(), st.LogFault, st.LastSyncError)
	}
}

// A log announced under another origin than the trusted checkpoint's is
// another log: a fault, found before the upstream is asked anything.
func TestSyncStopsAtAnotherLogOrigin(t *testing.T) {
	w := newLogWorld(t)
	p := w.entry(t, "a", "1.0.0", index(0))
	w.logged(p)
	w.catalog.List(logNodeURL, "pub@p.example@a.example", p)
	w.logs.signed, w.logs.size = checkpointText(1, "sig"), 1
	if _, err := w.sync.Run(context.Background(), w.id); err != nil {
		t.Fatal(err)
	}
	err := w.sources.Update(context.Background(), w.id, func(s *domain.Source) error {
		info := s.State().Info
		info.LogOrigin = "pfn/elsewhere"
		return s.RefreshInfo(info, time.Unix(200, 0))
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.sync.Run(context.Background(), w.id); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("sync: %v", err)
	}
	st := w.sources.mustState(t, w.id)
	if st.LogFault == nil || st.LogFault.Kind != domain.LogFaultOrigin || !strings.Contains(st.LogFault.Reason, `"pfn/elsewhere"`) ||
		len(w.logs.calls) != 1 {
		t.Fatalf("fault %+v after %d checks", st.LogFault, len(w.logs.calls))
	}
}

// An upstream with a checkpoint trusted here that stops announcing its
// log (the feature, or the log's origin, gone from /federation-info) is a
// fault: else a node could end the checks by no longer naming its log.
// Once an admin accepts, nothing is trusted and the source syncs as from
// an upstream without a log.
func TestSyncStopsAtAWithdrawnLog(t *testing.T) {
	for _, tt := range []struct {
		name     string
		features []string
		origin   string
	}{
		{"the feature and the origin gone", []string{"pfn-node/v1"}, ""},
		{"the origin gone", []string{"pfn-node/v1", "transparency-log"}, ""},
		{"the feature gone", []string{"pfn-node/v1"}, "pfn/node-b"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			w := newLogWorld(t)
			p := w.entry(t, "a", "1.0.0", index(0))
			w.logged(p)
			w.catalog.List(logNodeURL, "pub@p.example@a.example", p)
			w.logs.signed, w.logs.size = checkpointText(1, "sig"), 1
			if _, err := w.sync.Run(ctx, w.id); err != nil {
				t.Fatal(err)
			}
			if err := w.sources.Update(ctx, w.id, func(s *domain.Source) error {
				info := s.State().Info
				info.Features, info.LogOrigin = tt.features, tt.origin
				return s.RefreshInfo(info, time.Unix(200, 0))
			}); err != nil {
				t.Fatal(err)
			}
			q := w.entry(t, "b", "1.0.0", nil)
			w.catalog.List(logNodeURL, "pub@p.example@a.example", p, q)
			_, err := w.sync.Run(ctx, w.id)
			if !errors.Is(err, domain.ErrConflict) || !strings.Contains(err.Error(), "withdrawn") {
				t.Fatalf("sync: %v, want a conflict naming the withdrawn log", err)
			}
			st := w.sources.mustState(t, w.id)
			if f := st.LogFault; f == nil || f.Kind != domain.LogFaultWithdrawn || f.Offered != "" ||
				!strings.Contains(f.Reason, `log "pfn/node-b" at 1 entries`) {
				t.Fatalf("fault %+v", st.LogFault)
			}
			if len(w.mirror.Events(w.id, "b")) != 0 || len(w.logs.calls) != 1 {
				t.Fatalf("b's events %v after %d checks: want nothing mirrored, no check", w.mirror.Events(w.id, "b"), len(w.logs.calls))
			}
			if _, err := w.sync.Run(ctx, w.id); !errors.Is(err, domain.ErrConflict) || !strings.Contains(err.Error(), "accept-upstream-log") {
				t.Fatalf("a sync with the fault in force: %v", err)
			}

			accept := AcceptUpstreamLog{Sources: w.sources, Now: w.sync.Now}
			if _, err := accept.Handle(ctx, Principal{KeyID: "admin", Role: domain.RoleAdmin},
				AcceptUpstreamLogRequest{ID: w.id, Reason: "B turned its log off"}); err != nil {
				t.Fatal(err)
			}
			res, err := w.sync.Run(ctx, w.id)
			if err != nil || res.MirroredCount != 1 || len(w.logs.calls) != 1 {
				t.Fatalf("after the acceptance: %v, mirrored %d, %d checks", err, res.MirroredCount, len(w.logs.calls))
			}
			if st := w.sources.mustState(t, w.id); st.UpstreamLog != "" || st.LogFault != nil {
				t.Fatalf("after the acceptance: trusted %q, fault %+v", st.UpstreamLog, st.LogFault)
			}
		})
	}
}

// A node logs every v2 statement it signs: a version it lists without a
// log_index is one its log has not caught up with. It is not mirrored
// unchecked: answered as waiting, recorded nowhere, and mirrored by the
// sync that finds it logged.
func TestSyncWaitsForAVersionListedWithoutALogIndex(t *testing.T) {
	ctx := context.Background()
	w := newLogWorld(t)
	logged, unlogged := w.entry(t, "a", "1.0.0", index(0)), w.entry(t, "b", "1.0.0", nil)
	w.logged(logged)
	w.catalog.List(logNodeURL, "pub@p.example@a.example", logged, unlogged)
	w.logs.signed, w.logs.size = checkpointText(1, "sig"), 1
	res, err := w.sync.Run(ctx, w.id)
	if err != nil {
		t.Fatal(err)
	}
	if res.MirroredCount != 1 || len(res.Rejected) != 1 || res.Rejected[0].Plugin != "b" ||
		!strings.HasPrefix(res.Rejected[0].Reason, "waiting for the upstream's transparency log: ") ||
		!strings.Contains(res.Rejected[0].Reason, "without its log_index") {
		t.Fatalf("mirrored %d, rejected %+v; want a mirrored, b waiting", res.MirroredCount, res.Rejected)
	}
	if events := w.mirror.Events(w.id, "b"); len(events) != 0 {
		t.Fatalf("b's events %v, want none: it is asked again", events)
	}
	for _, u := range w.catalog.Downloads() {
		if strings.Contains(u, "/b/") {
			t.Fatalf("downloaded %s before the log holds it", u)
		}
	}

	unlogged.LogIndex = index(1)
	w.logged(unlogged)
	w.catalog.List(logNodeURL, "pub@p.example@a.example", logged, unlogged)
	w.logs.signed, w.logs.size = checkpointText(2, "sig2"), 2
	if res, err := w.sync.Run(ctx, w.id); err != nil || res.MirroredCount != 1 || len(res.Rejected) != 0 {
		t.Fatalf("once logged: %v, %+v", err, res)
	}
}

// A sync looks up at most as many versions in the log as it may download
// (or defaultLogLookups when its files are not bounded); the rest wait.
func TestCheckLoggedBoundsTheLookups(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		maxFiles, versions, want int
	}{
		{maxFiles: 2, versions: 3, want: 2},
		{maxFiles: 0, versions: defaultLogLookups + 1, want: defaultLogLookups},
	} {
		w := newLogWorld(t)
		w.sync.MaxFiles = tt.maxFiles
		var plan syncPlan
		for i := range tt.versions {
			p := w.entry(t, fmt.Sprintf("p%d", i), "1.0.0", index(int64(i)))
			w.logged(p)
			plan.Downloads = append(plan.Downloads, &download{plugin: p, history: domain.NewPluginHistory(w.id, p.Slug)})
		}
		w.logs.signed, w.logs.size = checkpointText(int64(tt.versions), "sig"), int64(tt.versions)
		log, err := w.logs.CheckLog(ctx, logNodeURL, "pfn/node-b", note.VerifierList(), nil)
		if err != nil {
			t.Fatal(err)
		}
		rec := syncRecording{result: &SyncResult{}}
		w.sync.checkLogged(ctx, &log, &plan, &rec)
		if len(plan.Downloads) != tt.want || len(rec.result.Rejected) != tt.versions-tt.want || !rec.incomplete ||
			!strings.Contains(rec.result.Rejected[0].Reason, fmt.Sprintf("looked up %d versions", tt.want)) {
			t.Fatalf("max files %d: kept %d of %d, answered %+v", tt.maxFiles, len(plan.Downloads), tt.versions, rec.result.Rejected)
		}
	}
}

// bigStatements signs as MemorySigner, but its own statements of the
// plugin "huge" are longer than a log entry can hold.
type bigStatements struct{ MemorySigner }

func (s bigStatements) StatementBytesV2(st StatementV2) ([]byte, error) {
	b := mirrorStatementV2(st)
	if st.Node == s.KeyID() && st.Plugin == "huge" {
		b = append(b, make([]byte, tlogtiles.MaxEntry)...)
	}
	return b, nil
}

// A version whose statement would not fit an entry of the node's own log
// is rejected before anything is signed (the log would refuse it), and its
// file is not kept.
func TestSyncRejectsAStatementTooLongForTheLog(t *testing.T) {
	w := newLogWorld(t)
	a, huge := w.entry(t, "a", "1.0.0", index(0)), w.entry(t, "huge", "1.0.0", index(1))
	w.logged(a)
	w.logged(huge)
	w.catalog.List(logNodeURL, "pub@p.example@a.example", a, huge)
	w.logs.signed, w.logs.size = checkpointText(2, "sig"), 2
	blobs := &MemoryBlobs{}
	w.sync.Blobs, w.sync.Signer = blobs, bigStatements{MemorySigner{ID: "node-c"}}
	res, err := w.sync.Run(context.Background(), w.id)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("more than the %d of a transparency log entry: not signed", tlogtiles.MaxEntry)
	if res.MirroredCount != 1 || len(res.Rejected) != 1 || res.Rejected[0].Plugin != "huge" || !strings.Contains(res.Rejected[0].Reason, want) {
		t.Fatalf("mirrored %d, rejected %+v; want a, and huge rejected", res.MirroredCount, res.Rejected)
	}
	events := w.mirror.Events(w.id, "huge")
	if len(events) != 1 || events[0].EventType() != domain.EventPluginRejected {
		t.Fatalf("huge's events %v, want one plugin.rejected", events)
	}
	if keys := blobs.Keys(); len(keys) != 1 || strings.Contains(keys[0], "huge") {
		t.Fatalf("files kept %v, want a's only", keys)
	}
}
