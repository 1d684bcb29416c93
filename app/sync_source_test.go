package app_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

const (
	mirrored = domain.EventPluginMirrored
	rejected = domain.EventPluginRejected
	tampered = domain.EventPluginTampered
)

// syncCase is one row of TestSyncSourceRun: what the publisher does before
// the sync under test (setup may sync already), and what that sync answers,
// records, stores and downloads.
type syncCase struct {
	name      string
	setup     func(t *testing.T, w *mirrorWorld)
	maxFiles  int
	keep      int
	quota     int64 // PFN_SOURCE_QUOTA_BYTES
	mirrored  int
	already   int
	pruned    int
	rejected  []string            // "slug@version: reason" prefixes
	events    map[string][]string // each plugin's stored events after the sync
	kept      []string
	downloads int // by the sync under test
	refusals  int // listing refusals recorded on the source by it
}

var syncCases = []syncCase{
	{name: "a first sync mirrors every signed plugin",
		setup: func(t *testing.T, w *mirrorWorld) {
			w.publish(t, "alpha", "1.0.0", "alpha's bytes")
			w.publish(t, "bravo", "2.0.0", "bravo's bytes")
		},
		mirrored: 2, events: map[string][]string{"alpha": {mirrored}, "bravo": {mirrored}},
		kept: []string{"alpha@1.0.0", "bravo@2.0.0"}, downloads: 2},
	{name: "a signature that does not verify is refused, recorded and not downloaded",
		setup: func(t *testing.T, w *mirrorWorld) {
			_, other := newKey(t)
			p := w.publish(t, "alpha", "1.0.0", "alpha's bytes")
			w.list(app.SignListing(other, p))
		},
		rejected: []string{"alpha@1.0.0: publisher signature does not verify against the source's key"},
		events:   map[string][]string{"alpha": {rejected}}},
	{name: "a mirrored version listed with other bytes is tampering; the first copy stays",
		setup: func(t *testing.T, w *mirrorWorld) {
			w.publish(t, "alpha", "1.0.0", "alpha's bytes")
			w.run(t)
			w.publish(t, "alpha", "1.0.0", "other bytes")
		},
		already:  1,
		rejected: []string{"alpha@1.0.0: tampering: the publisher now lists another sha256 for this version"},
		events:   map[string][]string{"alpha": {mirrored, tampered}}, kept: []string{"alpha@1.0.0"}},
	{name: "a file that is not the listed sha256 is refused and not kept",
		setup: func(t *testing.T, w *mirrorWorld) {
			p := w.publish(t, "alpha", "1.0.0", "alpha's bytes")
			p.SHA256 = sha("what the publisher promised")
			w.list(p)
		},
		rejected: []string{"alpha@1.0.0: downloaded file has sha256 " + sha("alpha's bytes") + ", the publisher lists"},
		events:   map[string][]string{"alpha": {rejected}}, downloads: 1},
	{name: "an older version is a rollback, recorded and not downloaded",
		setup: func(t *testing.T, w *mirrorWorld) {
			w.publish(t, "alpha", "2.0.0", "alpha 2")
			w.run(t)
			w.publish(t, "alpha", "1.0.0", "alpha 1")
		},
		rejected: []string{"alpha@1.0.0: version 1.0.0 is below the mirrored 2.0.0 (rollback)"},
		events:   map[string][]string{"alpha": {mirrored, domain.EventPluginRolledBack}}, kept: []string{"alpha@2.0.0"}},
	{name: "a failing download is reported and recorded, nothing mirrored",
		setup: func(t *testing.T, w *mirrorWorld) {
			w.publish(t, "alpha", "1.0.0", "alpha's bytes")
			w.publish(t, "bravo", "1.0.0", "bravo's bytes")
			w.catalog.FailDownload(w.url(t, "alpha", "1.0.0"), errors.New("connection reset by peer"))
		},
		mirrored: 1, rejected: []string{"alpha@1.0.0: download: GET https://cdn.example.com/"},
		events: map[string][]string{"alpha": {rejected}, "bravo": {mirrored}}, kept: []string{"bravo@1.0.0"}, downloads: 2},
	{name: "the file limit defers the rest, unrecorded",
		setup: func(t *testing.T, w *mirrorWorld) {
			for _, slug := range []string{"alpha", "bravo", "charlie"} {
				w.publish(t, slug, "1.0.0", slug+"'s bytes")
			}
		},
		maxFiles: 1, mirrored: 1,
		rejected: []string{"bravo@1.0.0: deferred: this sync's budget of 1 files (PFN_SYNC_MAX_FILES)",
			"charlie@1.0.0: deferred: this sync's budget of 1 files"},
		events: map[string][]string{"alpha": {mirrored}}, kept: []string{"alpha@1.0.0"}, downloads: 1},
	{name: "a later sync fetches what an earlier one deferred",
		setup: func(t *testing.T, w *mirrorWorld) {
			w.publish(t, "alpha", "1.0.0", "alpha's bytes")
			w.publish(t, "bravo", "1.0.0", "bravo's bytes")
			w.sync.MaxFiles = 1
			w.run(t)
		},
		maxFiles: 1, mirrored: 1, already: 1, events: map[string][]string{"alpha": {mirrored}, "bravo": {mirrored}},
		kept: []string{"alpha@1.0.0", "bravo@1.0.0"}, downloads: 1},
	{name: "a second sync with nothing new downloads and records nothing",
		setup: func(t *testing.T, w *mirrorWorld) {
			w.publish(t, "alpha", "1.0.0", "alpha's bytes")
			w.publish(t, "bravo", "2.0.0", "bravo's bytes")
			w.run(t)
		},
		already: 2, events: map[string][]string{"alpha": {mirrored}, "bravo": {mirrored}},
		kept: []string{"alpha@1.0.0", "bravo@2.0.0"}},
	{name: "a new version replaces the kept one under PFN_KEEP_VERSIONS=1",
		setup: func(t *testing.T, w *mirrorWorld) {
			w.publish(t, "alpha", "1.0.0", "alpha 1")
			w.run(t)
			w.publish(t, "alpha", "1.1.0", "alpha 1.1")
		},
		keep: 1, mirrored: 1, pruned: 1,
		events: map[string][]string{"alpha": {mirrored, mirrored, domain.EventPluginVersionUpdate, domain.EventPluginPruned}},
		kept:   []string{"alpha@1.1.0"}, downloads: 1},
	{name: "a file past the source's quota is refused and recorded",
		setup: func(t *testing.T, w *mirrorWorld) {
			w.publish(t, "alpha", "1.0.0", "ten bytes!")
		},
		quota:    9,
		rejected: []string{"alpha@1.0.0: quota: storing this file would pass the source's storage quota of 9 bytes"},
		events:   map[string][]string{"alpha": {rejected}}, downloads: 1},
	{name: "a lowered quota prunes the oldest versions, never a latest",
		setup: func(t *testing.T, w *mirrorWorld) {
			w.publish(t, "alpha", "1.0.0", "alpha 1.0")
			w.publish(t, "bravo", "1.0.0", "bravo 1.0")
			w.run(t)
			w.publish(t, "alpha", "1.1.0", "alpha 1.1")
			w.run(t)
		},
		quota: 10, already: 2, pruned: 1,
		events: map[string][]string{"alpha": {mirrored, mirrored, domain.EventPluginVersionUpdate, domain.EventPluginPruned},
			"bravo": {mirrored}},
		kept: []string{"bravo@1.0.0", "alpha@1.1.0"}},
	{name: "an entry whose slug cannot name a file is refused on the source",
		setup: func(t *testing.T, w *mirrorWorld) {
			w.list(app.ListedPlugin{Slug: "..", Name: "dots", Version: "1.0.0"})
		},
		rejected: []string{"..@1.0.0: plugin slug"}, refusals: 1},
}

func TestSyncSourceRun(t *testing.T) {
	t.Parallel()
	for _, tt := range syncCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := subscribedWorld(t)
			tt.setup(t, w)
			w.sync.MaxFiles, w.sync.KeepVersions, w.sync.QuotaBytes = tt.maxFiles, tt.keep, tt.quota
			downloadsBefore, sourceBefore := len(w.catalog.Downloads()), len(w.sources.Events(w.id))
			res := w.run(t)
			if res.MirroredCount != tt.mirrored || res.AlreadyMirrored != tt.already || res.Pruned != tt.pruned ||
				res.TotalPlugins != len(w.listed) {
				t.Errorf("mirrored %d, already %d, pruned %d of %d listed; want %d, %d, %d of %d", res.MirroredCount,
					res.AlreadyMirrored, res.Pruned, res.TotalPlugins, tt.mirrored, tt.already, tt.pruned, len(w.listed))
			}
			wantPrefixes(t, "rejected", rejections(res.Rejected), tt.rejected)
			if got := w.allPluginEvents(); !maps.EqualFunc(got, tt.events, slices.Equal) {
				t.Errorf("plugin events %v, want %v", got, tt.events)
			}
			if got := w.kept(t); !slices.Equal(got, tt.kept) {
				t.Errorf("kept %v, want %v", got, tt.kept)
			}
			if got := len(w.catalog.Downloads()) - downloadsBefore; got != tt.downloads {
				t.Errorf("%d downloads, want %d", got, tt.downloads)
			}
			wantSyncRecorded(t, w, sourceBefore, res, tt.refusals)
			wantStatements(t, w)
		})
	}
}

// wantSyncRecorded checks what the sync recorded on the source: the
// refusals, then one summary that counts what was answered, and the
// metrics it was measured by.
func wantSyncRecorded(t *testing.T, w *mirrorWorld, before int, res app.SyncResult, refusals int) {
	t.Helper()
	var synced []domain.SourceSynced
	gotRefusals := 0
	for _, e := range w.sources.Events(w.id)[before:] {
		switch e := e.(type) {
		case domain.SourceSynced:
			synced = append(synced, e)
		case domain.SourceListingRefused:
			gotRefusals++
		}
	}
	if len(synced) != 1 || synced[0].Mirrored != res.MirroredCount || synced[0].Rejected != len(res.Rejected) {
		t.Errorf("recorded %+v for a sync answering %d mirrored, %d rejected", synced, res.MirroredCount, len(res.Rejected))
	}
	if gotRefusals != refusals {
		t.Errorf("%d listing refusals recorded, want %d", gotRefusals, refusals)
	}
	if m := w.metrics.last(); m != (syncMeasure{files: res.MirroredCount, bytes: res.MirroredBytes}) {
		t.Errorf("metrics measured %+v", m)
	}
	kept, _ := w.mirror.StoredVersions(context.Background(), w.id)
	plugins := map[string]bool{}
	for _, v := range kept {
		plugins[v.Plugin] = true
	}
	if got := mustLoad(t, w.sources, w.id).State().PluginCount; got != len(plugins) {
		t.Errorf("the source counts %d plugins, the mirror keeps %d", got, len(plugins))
	}
}

// wantStatements: every mirrored version carries the node's statement about
// its bytes and the publisher's signature, and the statement binds them.
func wantStatements(t *testing.T, w *mirrorWorld) {
	t.Helper()
	signer := app.MemorySigner{}
	for slug := range w.allPluginEvents() {
		for _, e := range w.mirror.Events(w.id, slug) {
			m, ok := e.(domain.PluginMirrored)
			if !ok {
				continue
			}
			v := app.PluginView{SourceID: string(m.SourceID), Plugin: m.Plugin, Version: m.Version, SHA256: m.SHA256, Size: m.Size,
				PublisherSignature: m.PublisherSignature, FederationSignature: m.FederationSignature, NodeKeyID: m.NodeKeyID}
			if err := signer.VerifyMirror(v); err != nil || m.PublisherSignature == "" {
				t.Errorf("%s@%s: %v (publisher signature %q)", slug, m.Version, err, m.PublisherSignature)
			}
			v.SHA256 = sha("other bytes")
			wantErr(t, signer.VerifyMirror(v), domain.ErrBadSignature)
		}
	}
}
