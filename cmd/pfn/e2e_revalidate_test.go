package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// fileRequests are the reference publisher's counts of requests for files.
type fileRequests struct{ Gets, Heads, Conditional int64 }

func publisherFileRequests(t *testing.T, pub publisherProc) fileRequests {
	t.Helper()
	var stats struct{ Files fileRequests }
	if err := json.Unmarshal(publisherAdmin(t, pub, http.MethodGet, "/_admin/stats"), &stats); err != nil {
		t.Fatal(err)
	}
	return stats.Files
}

// revalidatedEntry is a catalogue entry whose file holds content, listed
// without a sha256: other content is other bytes behind the same listing.
func revalidatedEntry(slug, content string) map[string]any {
	return map[string]any{"slug": slug, "name": strings.ToUpper(slug), "version": "1.0.0", "short_description": "about " + slug,
		"tags": []string{"utilities"}, "content_base64": base64.StdEncoding.EncodeToString([]byte(content))}
}

// syncNow is POST /federation/sync-source; it returns the revalidation
// part of the answer and the whole answer.
func (s opsSetup) syncNow(t *testing.T) (map[string]any, map[string]any) {
	t.Helper()
	code, body := s.api.do(http.MethodPost, "/federation/sync-source", s.admin, map[string]string{"sourceId": s.source})
	res, _ := body["syncResult"].(map[string]any)
	rev, _ := res["revalidation"].(map[string]any)
	if code != http.StatusOK || rev == nil {
		t.Fatalf("sync-source = %d %v", code, body)
	}
	return rev, res
}

// Other bytes behind an unchanged listing are caught by the next
// sync-source, not the next day's recheck, and a file that did not change
// is not downloaded again: the reference publisher answers a conditional
// HEAD with the file's sha256. The source holds two versions, within the
// default PFN_REVALIDATE_MAX (100): a source holding more is asked about in
// turns, and a swap may be caught a few syncs later (README).
func TestEndToEndSyncCatchesBytesSwappedBehindAnUnchangedListing(t *testing.T) {
	t.Parallel()
	s := startOps(t, 1, "PFN_SCHEDULER=false")
	setCatalog(t, s.pub, []map[string]any{revalidatedEntry("tool", "the original bytes"), revalidatedEntry("steady", "steady bytes")})
	if code, body := s.api.do(http.MethodPost, "/federation/subscribe", s.admin, map[string]any{"sourceId": s.source}); code != http.StatusOK {
		t.Fatalf("subscribe = %d %v", code, body)
	}
	before := publisherFileRequests(t, s.pub)
	rev, _ := s.syncNow(t)
	if rev["revalidated"] != 2.0 || rev["noValidator"] != 0.0 || rev["downloaded"] != 0.0 {
		t.Fatalf("sync of unchanged files: revalidation %v", rev)
	}
	if got := publisherFileRequests(t, s.pub); got.Gets != before.Gets || got.Heads != before.Heads+2 || got.Conditional != before.Conditional+2 {
		t.Fatalf("file requests %+v after %+v: want two conditional HEADs and no GET", got, before)
	}

	signatures := func() float64 { return s.status(t)["trust_components"].(map[string]any)["signatures"].(float64) }
	trust := signatures()
	setCatalog(t, s.pub, []map[string]any{revalidatedEntry("tool", "other bytes, same listing"), revalidatedEntry("steady", "steady bytes")})
	before = publisherFileRequests(t, s.pub)
	rev, res := s.syncNow(t)
	if rev["revalidated"] != 2.0 || rev["downloaded"] != 1.0 || rev["tampered"] != 1.0 {
		t.Fatalf("sync after the swap: revalidation %v", rev)
	}
	if !strings.Contains(fmt.Sprint(res["rejected"]), "tampering: the publisher now serves other bytes") {
		t.Fatalf("sync after the swap: rejected %v", res["rejected"])
	}
	if got := publisherFileRequests(t, s.pub); got.Gets != before.Gets+1 {
		t.Fatalf("file requests %+v after %+v: want the swapped file downloaded once, to hash it", got, before)
	}
	if after := signatures(); after >= trust {
		t.Fatalf("signatures component of trust %v after tampering, %v before", after, trust)
	}
	waitFor(t, "the tampering and the sync in the activity feed", 20*time.Second, func() (bool, string) {
		var tampering, synced bool
		for _, e := range s.activity(t, "&source="+s.source, 50) {
			tampering = tampering || e.Kind == "tampering" && strings.Contains(e.Summary, "tool 1.0.0") && strings.Contains(e.Summary, "other bytes")
			synced = synced || e.Kind == "synced" && strings.Contains(e.Summary, "2 held versions revalidated at the publisher, 0 without a validator")
		}
		return tampering && synced, fmt.Sprintf("tampering %v, synced %v", tampering, synced)
	})
	if got := s.downloaded(t, "tool", "1.0.0"); got != "the original bytes" {
		t.Fatalf("the mirror now serves %q", got)
	}

	// Found once: the next sync neither asks about the tampered file again
	// nor records it twice.
	before = publisherFileRequests(t, s.pub)
	if rev, _ := s.syncNow(t); rev["revalidated"] != 1.0 || rev["tampered"] != 0.0 {
		t.Fatalf("third sync: revalidation %v", rev)
	}
	if got := publisherFileRequests(t, s.pub); got.Gets != before.Gets || got.Heads != before.Heads+1 {
		t.Fatalf("file requests %+v after %+v on the third sync", got, before)
	}
	if n := s.activityOfKind(t, "tampering"); n != 1 {
		t.Fatalf("%d tampering entries, want 1", n)
	}
}

// downloaded is what the node serves for a plugin version.
func (s opsSetup) downloaded(t *testing.T, plugin, version string) string {
	t.Helper()
	resp, err := http.Get(s.api.base + "/federation/download?source=" + s.source + "&plugin=" + plugin + "&version=" + version)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	return string(got)
}

// activityOfKind counts the source's activity entries of a kind.
func (s opsSetup) activityOfKind(t *testing.T, kind string) int {
	t.Helper()
	n := 0
	for _, e := range s.activity(t, "&source="+s.source, 50) {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

// A publisher that holds its answers to the revalidation back is cut at
// PFN_REVALIDATE_TIMEOUT: the sync answers in time, with no verdict and
// nothing recorded against the publisher, and asks again next time.
func TestEndToEndSlowRevalidationDoesNotHoldTheSync(t *testing.T) {
	t.Parallel()
	s := startOps(t, 1, "PFN_SCHEDULER=false", "PFN_REVALIDATE_TIMEOUT=1s", "PFN_SYNC_PARALLELISM=1")
	setCatalog(t, s.pub, []map[string]any{revalidatedEntry("tool", "tool bytes"), revalidatedEntry("more", "more bytes")})
	if code, body := s.api.do(http.MethodPost, "/federation/subscribe", s.admin, map[string]any{"sourceId": s.source}); code != http.StatusOK {
		t.Fatalf("subscribe = %d %v", code, body)
	}
	publisherAdmin(t, s.pub, http.MethodPost, "/_admin/slow?ms=2000&method=HEAD")
	start := time.Now()
	rev, res := s.syncNow(t)
	// Two questions one after the other, each cut after 1s.
	if took := time.Since(start); rev["failed"] != 2.0 || rev["revalidated"] != 0.0 || took > 8*time.Second {
		t.Fatalf("sync against a slow publisher took %s: revalidation %v", took, rev)
	}
	if rejected, _ := res["rejected"].([]any); len(rejected) != 0 {
		t.Fatalf("a slow answer was held against the publisher: %v", rejected)
	}
	if st := s.status(t); st["status"] != "verified" || st["last_sync_error"] != "" {
		t.Fatalf("source after the slow revalidation: %v", st)
	}
	publisherAdmin(t, s.pub, http.MethodPost, "/_admin/slow?ms=0&method=HEAD")
	if rev, _ := s.syncNow(t); rev["revalidated"] != 2.0 || rev["failed"] != 0.0 {
		t.Fatalf("sync once the publisher answers: revalidation %v", rev)
	}
}
