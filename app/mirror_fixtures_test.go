package app_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// mirrorWorld is a verified source, its publisher in memory and a
// SyncSource over in-memory ports. It has no subscriber until a test adds
// one.
type mirrorWorld struct {
	sources *app.MemorySources
	subs    *app.MemorySubscriptions
	catalog *app.MemoryCatalog
	mirror  *app.MemoryMirror
	blobs   *app.MemoryBlobs
	locks   *app.MemoryLocks
	metrics *syncMetrics
	id      domain.SourceID
	key     ed25519.PrivateKey // the publisher's
	listed  []app.ListedPlugin
	sync    app.SyncSource
}

func newMirrorWorld(t *testing.T) *mirrorWorld {
	t.Helper()
	sources, subs := &app.MemorySources{}, &app.MemorySubscriptions{}
	pub, key := honest(t)
	pub.info = mirrorInfo
	w := &mirrorWorld{sources: sources, subs: subs, catalog: &app.MemoryCatalog{}, mirror: &app.MemoryMirror{Sources: sources},
		blobs: &app.MemoryBlobs{}, locks: &app.MemoryLocks{}, metrics: &syncMetrics{}, id: addedSource(t, sources, pub, key), key: pub.signer}
	w.sync = app.SyncSource{Sources: sources, Subscriptions: subs, Catalog: w.catalog, Histories: w.mirror, Blobs: w.blobs,
		Signer: app.MemorySigner{}, Locker: app.SyncGate{Slots: app.NewSyncSlots(1), Locks: w.locks, Wait: 50 * time.Millisecond},
		MaxBytes: 1 << 20, Usage: w.mirror, Metrics: w.metrics, Now: now}
	w.catalog.List(instance, "author")
	return w
}

// subscribedWorld is a mirrorWorld whose consumer wants everything.
func subscribedWorld(t *testing.T) *mirrorWorld {
	t.Helper()
	w := newMirrorWorld(t)
	subscribe(t, w.sources, w.subs, consumer, w.id)
	return w
}

// mirrorInfo is goodInfo with a naming scheme that names a file per
// plugin version.
var mirrorInfo = domain.PublisherInfo{ProtocolVersion: "1.0", AssetDomain: "https://cdn.example.com",
	NamingScheme: "{author}/{slug}/{version}.zip"}

// url is where the publisher serves slug@version.
func (w *mirrorWorld) url(t *testing.T, slug, version string) string {
	t.Helper()
	u, err := domain.AssetURL(mirrorInfo.AssetDomain, mirrorInfo.NamingScheme, "author", slug, version)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func sha(content string) string {
	sum := sha256.Sum256([]byte(content))
	return hex.EncodeToString(sum[:])
}

// publish serves content as slug@version and lists it signed, with its
// sha256, in place of any version of slug listed before.
func (w *mirrorWorld) publish(t *testing.T, slug, version, content string) app.ListedPlugin {
	t.Helper()
	p := app.SignListing(w.key, app.ListedPlugin{Slug: slug, Name: strings.ToUpper(slug), Version: version,
		Description: "about " + slug, Tags: []string{"tools"}, SHA256: sha(content)})
	w.catalog.Serve(w.url(t, slug, version), []byte(content))
	w.list(p)
	return p
}

// list lists ps in place of the entries of the same slugs.
func (w *mirrorWorld) list(ps ...app.ListedPlugin) {
	for _, p := range ps {
		i := slices.IndexFunc(w.listed, func(l app.ListedPlugin) bool { return l.Slug == p.Slug })
		if i < 0 {
			w.listed = append(w.listed, p)
		} else {
			w.listed[i] = p
		}
	}
	w.catalog.List(instance, "author", w.listed...)
}

// run syncs and fails the test on an error.
func (w *mirrorWorld) run(t *testing.T) app.SyncResult {
	t.Helper()
	res, err := w.sync.Run(context.Background(), w.id)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return res
}

// pluginEvents are the types of a plugin's stored events.
func (w *mirrorWorld) pluginEvents(slug string) []string {
	var out []string
	for _, e := range w.mirror.Events(w.id, slug) {
		out = append(out, e.EventType())
	}
	return out
}

// allPluginEvents are pluginEvents of every slug ever listed, by slug.
func (w *mirrorWorld) allPluginEvents() map[string][]string {
	out := map[string][]string{}
	for _, p := range w.listed {
		if events := w.pluginEvents(p.Slug); events != nil {
			out[p.Slug] = events
		}
	}
	return out
}

// kept lists the kept versions as slug@version, and fails the test unless
// the blob store holds exactly their files, durable.
func (w *mirrorWorld) kept(t *testing.T) []string {
	t.Helper()
	stored, err := w.mirror.StoredVersions(context.Background(), w.id)
	if err != nil {
		t.Fatal(err)
	}
	var out, keys []string
	for _, v := range stored {
		out = append(out, v.Plugin+"@"+v.Version)
		keys = append(keys, v.BlobKey)
		content, ok := w.blobs.Content(v.BlobKey)
		if !ok || sha(string(content)) != v.SHA256 || int64(len(content)) != v.Size || !w.blobs.Durable(v.BlobKey) {
			t.Errorf("%s@%s: the stored file is not the recorded one, or not durable", v.Plugin, v.Version)
		}
	}
	slices.Sort(keys)
	if got := w.blobs.Keys(); !slices.Equal(got, keys) {
		t.Errorf("blob store holds %v, the mirror keeps %v", got, keys)
	}
	return out
}

// rejections renders a result's rejections as "slug@version: reason".
func rejections(rs []app.Rejection) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Plugin+"@"+r.Version+": "+r.Reason)
	}
	return out
}

// wantPrefixes fails the test unless got[i] starts with want[i] for all i.
func wantPrefixes(t *testing.T, what string, got, want []string) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		ok = strings.HasPrefix(got[i], want[i])
	}
	if !ok {
		t.Errorf("%s:\n got %q\nwant %q (prefixes)", what, got, want)
	}
}

// syncMetrics keeps what SyncFinished was told.
type syncMetrics struct {
	app.NoMetrics
	mu    sync.Mutex
	syncs []syncMeasure
}

type syncMeasure struct {
	failed bool
	files  int
	bytes  int64
}

func (m *syncMetrics) SyncFinished(_ domain.SourceID, err error, files int, bytes int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.syncs = append(m.syncs, syncMeasure{err != nil, files, bytes})
}

func (m *syncMetrics) last() syncMeasure {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.syncs) == 0 {
		return syncMeasure{files: -1}
	}
	return m.syncs[len(m.syncs)-1]
}
