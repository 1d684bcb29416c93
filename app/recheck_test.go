package app_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/pfn-network/pfn/domain"
)

const damaged = domain.EventPluginStoredCopyDamaged

// blobKey is where the mirror keeps slug@version.
func (w *mirrorWorld) blobKey(slug, version string) string {
	return "plugins/" + string(w.id) + "/" + slug + "@" + version + ".zip"
}

// recheckCase is one row of TestRecheck: what changes after the sync, and
// what a recheck then finds and records.
type recheckCase struct {
	name     string
	change   func(t *testing.T, w *mirrorWorld)
	checked  int
	tampered []string // "slug@version: reason" prefixes
	damaged  []string
	events   map[string][]string
	signed   int // signature checks recorded on the source (tampering lowers trust)
}

var recheckCases = []recheckCase{
	{name: "unchanged bytes: nothing found, nothing recorded", checked: 2,
		change: func(*testing.T, *mirrorWorld) {}},
	{name: "the publisher serves other bytes: tampering, recorded once", checked: 2,
		change:   func(t *testing.T, w *mirrorWorld) { w.catalog.Serve(w.url(t, "alpha", "1.0.0"), []byte("evil bytes")) },
		tampered: []string{"alpha@1.0.0: tampering: the publisher now serves other bytes for this version (sha256 differs from the mirrored " + sha("alpha's bytes") + "); the first copy stays"},
		events:   map[string][]string{"alpha": {mirrored, tampered}}, signed: 1},
	{name: "the stored copy is missing: damaged, recorded once", checked: 2,
		change:  func(t *testing.T, w *mirrorWorld) { _ = w.blobs.Delete(t.Context(), w.blobKey("bravo", "1.0.0")) },
		damaged: []string{"bravo@1.0.0: stored copy damaged: missing: the stored file is gone"},
		events:  map[string][]string{"bravo": {mirrored, damaged}}},
	{name: "the stored copy holds other bytes of the same size: damaged", checked: 2,
		change:  func(t *testing.T, w *mirrorWorld) { w.blobs.Set(w.blobKey("bravo", "1.0.0"), []byte("BRAVO's bytes")) },
		damaged: []string{"bravo@1.0.0: stored copy damaged: sha256 " + sha("BRAVO's bytes") + " and 13 bytes measured"},
		events:  map[string][]string{"bravo": {mirrored, damaged}}},
	{name: "a damaged copy put back is restored", checked: 2,
		change: func(t *testing.T, w *mirrorWorld) {
			key := w.blobKey("bravo", "1.0.0")
			good, _ := w.blobs.Content(key)
			_ = w.blobs.Delete(t.Context(), key)
			if res, err := w.sync.Recheck(t.Context(), w.id); err != nil || len(res.Damaged) != 1 {
				t.Fatalf("recheck of a missing copy: %+v, %v", res, err)
			}
			w.blobs.Set(key, good)
		},
		events: map[string][]string{"bravo": {mirrored, damaged, domain.EventPluginStoredCopyRestored}}},
	// Unreachable files are the health check's business: the recheck
	// stops at the first failure and records nothing.
	{name: "the publisher does not answer: nothing checked or recorded",
		change: func(t *testing.T, w *mirrorWorld) {
			for _, slug := range []string{"alpha", "bravo"} {
				w.catalog.FailDownload(w.url(t, slug, "1.0.0"), errors.New("connection refused"))
			}
		}},
}

// TestRecheck: what a recheck finds after a sync mirrored alpha and bravo
// 1.0.0, and that a second recheck records nothing new.
func TestRecheck(t *testing.T) {
	t.Parallel()
	for _, tt := range recheckCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := subscribedWorld(t)
			w.publish(t, "alpha", "1.0.0", "alpha's bytes")
			w.publish(t, "bravo", "1.0.0", "bravo's bytes")
			w.run(t)
			tt.change(t, w)
			want := map[string][]string{"alpha": {mirrored}, "bravo": {mirrored}}
			maps.Copy(want, tt.events)
			before := len(w.sources.Events(w.id))
			for round := range 2 { // the second finds the same and records nothing new
				res, err := w.sync.Recheck(context.Background(), w.id)
				if err != nil {
					t.Fatal(err)
				}
				if res.Checked != tt.checked {
					t.Errorf("round %d checked %d files, want %d", round, res.Checked, tt.checked)
				}
				wantPrefixes(t, "tampered", rejections(res.Tampered), tt.tampered)
				wantPrefixes(t, "damaged", rejections(res.Damaged), tt.damaged)
				if got := w.allPluginEvents(); !maps.EqualFunc(got, want, slices.Equal) {
					t.Errorf("round %d: plugin events %v, want %v", round, got, want)
				}
				if got := signatureChecks(w.sources.Events(w.id)[before:]); got != tt.signed {
					t.Errorf("round %d: %d signature checks recorded on the source, want %d", round, got, tt.signed)
				}
			}
			wantDamagedShown(t, w, tt.damaged)
		})
	}
}

func signatureChecks(events []domain.SourceEvent) int {
	n := 0
	for _, e := range events {
		if c, ok := e.(domain.SourceSignatureChecked); ok && !c.Valid {
			n++
		}
	}
	return n
}

// wantDamagedShown: the read model shows the stored copies found damaged,
// and only those, damaged; the first copy stays whatever the publisher does.
func wantDamagedShown(t *testing.T, w *mirrorWorld, damaged []string) {
	t.Helper()
	stored, err := w.mirror.StoredVersions(context.Background(), w.id)
	if err != nil || len(stored) != 2 {
		t.Fatalf("kept %+v, %v", stored, err)
	}
	for _, v := range stored {
		found := slices.ContainsFunc(damaged, func(d string) bool { return len(d) > len(v.Plugin) && d[:len(v.Plugin)+1] == v.Plugin+"@" })
		if v.Damaged != found {
			t.Errorf("%s@%s shown damaged %v, want %v", v.Plugin, v.Version, v.Damaged, found)
		}
	}
}
