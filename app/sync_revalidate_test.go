package app_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// A sync asks about what it holds for versions still listed as mirrored,
// downloads only when a validator names other bytes, and decides on the
// bytes, never on a header.
func TestSyncRevalidatesHeldVersions(t *testing.T) {
	t.Parallel()
	const original, other = "the original bytes", "other bytes, same listing"
	tests := []struct {
		name      string
		serve     string // what the publisher serves after the first sync
		announce  string // what its headers name ("" none)
		fail      error  // the question fails
		want      app.RevalidationResult
		downloads int // downloads after the first sync's
		tampered  bool
	}{
		{name: "no validator: nothing downloaded, left to the recheck", serve: original,
			want: app.RevalidationResult{NoValidator: 1}},
		{name: "a validator naming the mirrored bytes", serve: original, announce: sha(original),
			want: app.RevalidationResult{Revalidated: 1}},
		{name: "other bytes, and the validator says so", serve: other, announce: sha(other),
			want: app.RevalidationResult{Revalidated: 1, Downloaded: 1, Tampered: 1}, downloads: 1, tampered: true},
		{name: "a wrong header over the right bytes is not tampering", serve: original, announce: sha("something else"),
			want: app.RevalidationResult{Revalidated: 1, Downloaded: 1}, downloads: 1},
		{name: "a header that lies about other bytes is the recheck's to find", serve: other, announce: sha(original),
			want: app.RevalidationResult{Revalidated: 1}},
		{name: "a failed question gives no verdict", serve: original, fail: errors.New("connection refused"),
			want: app.RevalidationResult{Failed: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := subscribedWorld(t)
			w.publish(t, "tool", "1.0.0", original)
			if res := w.run(t); res.MirroredCount != 1 || res.Revalidation != (app.RevalidationResult{}) {
				t.Fatalf("first sync %+v: nothing is held before it", res)
			}
			url := w.url(t, "tool", "1.0.0")
			w.catalog.Serve(url, []byte(tt.serve))
			w.catalog.Announce(url, tt.announce)
			w.catalog.FailDownload(url, tt.fail)
			before := len(w.catalog.Downloads())

			res := w.run(t)
			if res.Revalidation != tt.want {
				t.Errorf("revalidation %+v, want %+v", res.Revalidation, tt.want)
			}
			if got := len(w.catalog.Downloads()) - before; got != tt.downloads {
				t.Errorf("%d downloads, want %d", got, tt.downloads)
			}
			events := w.pluginEvents("tool")
			if got := slices.Contains(events, domain.EventPluginTampered); got != tt.tampered {
				t.Errorf("tampering recorded: %v, want %v (events %v)", got, tt.tampered, events)
			}
			if got := strings.Contains(rejectionsText(res), "other bytes"); got != tt.tampered {
				t.Errorf("answer names tampering: %v, want %v (%v)", got, tt.tampered, res.Rejected)
			}
			if synced := lastSynced(t, w); synced.Revalidation.Revalidated != tt.want.Revalidated || synced.Revalidation.NoValidator != tt.want.NoValidator {
				t.Errorf("recorded %+v, want the answer's counts %+v", synced.Revalidation, tt.want)
			}
		})
	}
}

// Tampering is recorded once and lowers trust once: the next sync does not
// ask about bytes already found changed (asking would cost a download).
func TestSyncRecordsRevalidatedTamperingOnce(t *testing.T) {
	t.Parallel()
	w := subscribedWorld(t)
	w.publish(t, "tool", "1.0.0", "original")
	w.run(t)
	url := w.url(t, "tool", "1.0.0")
	w.catalog.Serve(url, []byte("swapped"))
	w.catalog.Announce(url, sha("swapped"))
	trust := func() float64 {
		s, err := w.sources.Load(t.Context(), w.id)
		if err != nil {
			t.Fatal(err)
		}
		return s.State().Trust.Signatures
	}
	before := trust()
	if res := w.run(t); res.Revalidation.Tampered != 1 {
		t.Fatalf("second sync %+v", res.Revalidation)
	}
	after := trust()
	if after >= before {
		t.Fatalf("signatures part of trust %v after tampering, %v before", after, before)
	}
	asked, downloads := len(w.catalog.Validations()), len(w.catalog.Downloads())
	res := w.run(t)
	if res.Revalidation != (app.RevalidationResult{}) || len(w.catalog.Validations()) != asked || len(w.catalog.Downloads()) != downloads {
		t.Fatalf("third sync asked again: %+v, %d questions, %d downloads", res.Revalidation, len(w.catalog.Validations())-asked,
			len(w.catalog.Downloads())-downloads)
	}
	if n := count(w.pluginEvents("tool"), domain.EventPluginTampered); n != 1 || trust() != after {
		t.Fatalf("%d tampering events, trust %v (was %v)", n, trust(), after)
	}
}

// A cap on the questions per sync rotates: capped syncs take turns over
// every held version, going on where the last one stopped.
func TestSyncRevalidationCapRotates(t *testing.T) {
	t.Parallel()
	w := subscribedWorld(t)
	w.sync.Revalidate.Max = 2
	for _, slug := range []string{"a", "b", "c", "d", "e"} {
		w.publish(t, slug, "1.0.0", "content of "+slug)
		w.catalog.Announce(w.url(t, slug, "1.0.0"), sha("content of "+slug))
	}
	w.run(t)
	var rounds [][]string
	for range 3 {
		asked := len(w.catalog.Validations())
		res := w.run(t)
		if res.Revalidation.Revalidated != 2 || res.Revalidation.Deferred != 3 {
			t.Fatalf("capped sync %+v", res.Revalidation)
		}
		var slugs []string
		for _, u := range w.catalog.Validations()[asked:] {
			slugs = append(slugs, strings.Split(strings.TrimPrefix(u, mirrorInfo.AssetDomain+"/author/"), "/")[0])
		}
		slices.Sort(slugs)
		rounds = append(rounds, slugs)
	}
	want := [][]string{{"a", "b"}, {"c", "d"}, {"a", "e"}}
	if !slices.EqualFunc(rounds, want, slices.Equal) {
		t.Fatalf("asked %v, want %v", rounds, want)
	}
}

// A sync whose byte budget its own downloads spent does not download to
// confirm: no verdict, and the next sync asks again.
func TestSyncRevalidationDownloadsWithinTheSyncBudget(t *testing.T) {
	t.Parallel()
	w := subscribedWorld(t)
	w.sync.MaxSyncBytes = int64(len("original"))
	w.publish(t, "tool", "1.0.0", "original")
	w.run(t)
	url := w.url(t, "tool", "1.0.0")
	w.catalog.Serve(url, []byte("swapped!"))
	w.catalog.Announce(url, sha("swapped!"))
	w.publish(t, "more", "1.0.0", "12345678") // takes this sync's whole budget
	before := len(w.catalog.Downloads())
	res := w.run(t)
	if res.MirroredCount != 1 || res.Revalidation.Failed != 1 || res.Revalidation.Tampered != 0 || len(w.catalog.Downloads()) != before+1 {
		t.Fatalf("sync %+v, %d downloads", res, len(w.catalog.Downloads())-before)
	}
	if res := w.run(t); res.Revalidation.Tampered != 1 {
		t.Fatalf("next sync %+v", res.Revalidation)
	}
}

func rejectionsText(res app.SyncResult) string {
	var b strings.Builder
	for _, r := range res.Rejected {
		b.WriteString(r.Plugin + " " + r.Version + ": " + r.Reason + "\n")
	}
	return b.String()
}

func count(events []string, kind string) int {
	n := 0
	for _, e := range events {
		if e == kind {
			n++
		}
	}
	return n
}

// lastSynced is the source's latest sync record.
func lastSynced(t *testing.T, w *mirrorWorld) domain.SourceSynced {
	t.Helper()
	var last domain.SourceSynced
	for _, e := range w.sources.Events(w.id) {
		if s, ok := e.(domain.SourceSynced); ok {
			last = s
		}
	}
	return last
}

// A sync asks only about versions the node serves: a yanked version or a
// damaged stored copy spends none of its questions.
func TestSyncDoesNotRevalidateWhatItDoesNotServe(t *testing.T) {
	tests := []struct {
		name  string
		apart func(t *testing.T, w *mirrorWorld)
	}{
		{"yanked", func(t *testing.T, w *mirrorWorld) {
			req := app.YankRequest{Source: w.id, Plugin: "tool", Version: "1.0.0", Reason: "malware"}
			if _, err := (app.Yank{Sources: w.sources, Histories: w.mirror, Now: now}).Handle(t.Context(), admin, req); err != nil {
				t.Fatal(err)
			}
		}},
		{"damaged", func(t *testing.T, w *mirrorWorld) {
			hs, err := w.mirror.LoadAll(t.Context(), w.id, []string{"tool"})
			if err != nil {
				t.Fatal(err)
			}
			hs["tool"].CheckStoredCopy("1.0.0", domain.StoredCopyMeasure{Missing: true}, now())
			s, _ := w.sources.Load(t.Context(), w.id)
			if err := w.mirror.SaveAll(t.Context(), []*domain.PluginHistory{hs["tool"]}, s); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := subscribedWorld(t)
			w.publish(t, "tool", "1.0.0", "original")
			w.publish(t, "other", "1.0.0", "other")
			w.run(t)
			tt.apart(t, w)
			asked := len(w.catalog.Validations())
			res := w.run(t)
			if got := w.catalog.Validations()[asked:]; len(got) != 1 || got[0] != w.url(t, "other", "1.0.0") {
				t.Fatalf("asked about %v (%+v), want only other@1.0.0", got, res.Revalidation)
			}
		})
	}
}
