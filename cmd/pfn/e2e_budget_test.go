package main

import (
	"encoding/base64"
	"fmt"
	"io/fs"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// storedBytes is what the node keeps in its blob directory, in plugin files.
func storedBytes(t *testing.T, blobs string) (total int64, files []string) {
	t.Helper()
	_ = filepath.WalkDir(blobs, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".zip") {
			info, _ := d.Info()
			total += info.Size()
			files = append(files, filepath.Base(path))
		}
		return nil
	})
	return total, files
}

// rejections are a sync result's refusals, reason by plugin@version.
func rejections(t *testing.T, body map[string]any) map[string]string {
	t.Helper()
	res, _ := body["syncResult"].(map[string]any)
	list, _ := res["rejected"].([]any)
	out := map[string]string{}
	for _, r := range list {
		m := r.(map[string]any)
		out[fmt.Sprint(m["plugin"], "@", m["version"])] = fmt.Sprint(m["reason"])
	}
	return out
}

func sized(slug, version string, size int) map[string]any {
	return map[string]any{"slug": slug, "name": slug, "version": version, "short_description": "x", "tags": []string{"utilities"},
		"content_base64": base64.StdEncoding.EncodeToString([]byte(strings.Repeat("z", size)))}
}

// A quota of 1,000 bytes and 4 KiB files: nothing past the quota is stored,
// whatever its version, and every refusal says quota. (The quota used to be
// enforced after the downloads, by pruning, and never pruned a plugin's
// latest: the same source kept 20,480 bytes.)
func TestEndToEndSourceQuotaIsNeverPassed(t *testing.T) {
	t.Parallel()
	s := startOps(t, 1, "PFN_SOURCE_QUOTA_BYTES=1000", "PFN_SCHEDULER=false")
	catalog := []map[string]any{sized("small", "1.0.0", 600)}
	for i := range 5 {
		catalog = append(catalog, sized(fmt.Sprintf("big%d", i), "1.0.0", 4096))
	}
	setCatalog(t, s.pub, catalog)
	code, body := s.api.do(http.MethodPost, "/federation/subscribe", s.admin, map[string]any{"sourceId": s.source})
	if code != http.StatusOK {
		t.Fatalf("subscribe = %d %v", code, body)
	}
	refused := rejections(t, body)
	for i := range 5 {
		if r := refused[fmt.Sprintf("big%d@1.0.0", i)]; !strings.HasPrefix(r, "quota") {
			t.Errorf("big%d: reason %q, want one starting with quota", i, r)
		}
	}
	if total, files := storedBytes(t, s.blobs); total > 1000 || len(files) != 1 || files[0] != "small@1.0.0.zip" {
		t.Fatalf("stored %d bytes in %v under a quota of 1000", total, files)
	}

	// A new version of a plugin already kept is refused as well.
	setCatalog(t, s.pub, []map[string]any{sized("small", "2.0.0", 600)})
	code, body = s.api.do(http.MethodPost, "/federation/sync-source", s.admin, map[string]string{"sourceId": s.source})
	if r := rejections(t, body)["small@2.0.0"]; code != http.StatusOK || !strings.HasPrefix(r, "quota") {
		t.Fatalf("sync-source = %d %v", code, body)
	}
	if total, files := storedBytes(t, s.blobs); total > 1000 {
		t.Fatalf("stored %d bytes in %v under a quota of 1000", total, files)
	}
	// The refusals are on record, once each.
	waitFor(t, "the quota refusals in the activity feed", 20*time.Second, func() (bool, string) {
		n := 0
		for _, e := range s.activity(t, "&source="+s.source, 100) {
			if e.Kind == "plugin_rejected" && strings.Contains(e.Summary, "rejected: quota") {
				n++
			}
		}
		return n == 6, fmt.Sprint(n, " quota refusals")
	})
}

func TestEndToEndListingOverTheCapFailsTheSync(t *testing.T) {
	t.Parallel()
	s := startOps(t, 1, "PFN_SYNC_MAX_LISTING=5", "PFN_SCHEDULER=false")
	if code, body := s.api.do(http.MethodPost, "/federation/subscribe", s.admin, map[string]any{"sourceId": s.source}); code != http.StatusOK {
		t.Fatalf("subscribe = %d %v", code, body)
	}
	var six []map[string]any
	for i := range 6 {
		six = append(six, sized(fmt.Sprintf("p%d", i), "1.0.0", 10))
	}
	setCatalog(t, s.pub, six)
	code, body := s.api.do(http.MethodPost, "/federation/sync-source", s.admin, map[string]string{"sourceId": s.source})
	if code != http.StatusBadGateway { // the publisher's fault; the reason is recorded on the source
		t.Fatalf("sync of a listing over the cap = %d %v", code, body)
	}
	waitFor(t, "the failure on the source", 20*time.Second, func() (bool, string) {
		st := s.status(t)
		reason := fmt.Sprint(st["last_sync_error"])
		return strings.Contains(reason, `"plugins" lists more than 5 entries`), reason
	})
	if _, files := storedBytes(t, s.blobs); len(files) != 1 { // the subscription's first plugin only
		t.Fatalf("files stored from a refused listing: %v", files)
	}
}

// A hostile listing seen only by scheduled syncs (nobody reads their
// answers) is recorded once, shown in the activity feed and source status,
// and lowers trust once however many syncs see it again.
func TestEndToEndScheduledSyncRecordsListingRefusalsOnce(t *testing.T) {
	t.Parallel()
	s := startOps(t, 1, "PFN_SYNC_INTERVAL=1s", "PFN_HEALTH_INTERVAL=1h", "PFN_REVERIFY_INTERVAL=1h", "PFN_RECHECK_INTERVAL=1h")
	tool := map[string]any{"slug": "tool", "name": "Tool", "version": "1.0.0", "short_description": "a tool", "tags": []string{"utilities"}}
	setCatalog(t, s.pub, []map[string]any{tool})
	if code, body := s.api.do(http.MethodPost, "/federation/subscribe", s.admin, map[string]any{"sourceId": s.source}); code != http.StatusOK {
		t.Fatalf("subscribe = %d %v", code, body)
	}
	setCatalog(t, s.pub, []map[string]any{tool,
		{"slug": "../x", "name": "Escape", "version": "1.0.0", "short_description": "x", "tags": []string{"utilities"}},
		{"slug": "big", "name": "Big", "version": "1.0.0", "short_description": strings.Repeat("d", 900_000), "tags": []string{"utilities"}},
	})

	// Wait for three scheduled syncs that saw the hostile listing.
	var entries []activityEntry
	waitFor(t, "three scheduled syncs of the hostile listing", 60*time.Second, func() (bool, string) {
		entries = s.activity(t, "&source="+s.source, 200)
		n := 0
		for _, e := range entries {
			if e.Kind == "synced" && strings.Contains(e.Summary, "2 rejected") {
				n++
			}
		}
		return n >= 3, fmt.Sprint(n, " syncs")
	})
	var refused, trustDrops []string
	for _, e := range entries {
		switch {
		case e.Kind == "listing_refused":
			refused = append(refused, e.Summary)
		case e.Kind == "trust_changed" && strings.Contains(e.Summary, "listing entries refused"):
			trustDrops = append(trustDrops, e.Summary)
		}
	}
	if len(refused) != 2 || !strings.Contains(strings.Join(refused, "\n"), `"../x"`) ||
		!strings.Contains(strings.Join(refused, "\n"), `"short_description" is 900000 characters, the cap is 500`) {
		t.Fatalf("listing refusals in the feed: %q", refused)
	}
	if len(trustDrops) != 1 {
		t.Fatalf("trust changes for the refusals: %q, want one", trustDrops)
	}
	st := s.status(t)
	if st["refused_entries"] != 2.0 || !strings.Contains(fmt.Sprint(st["last_refusal"]), "refused: ") || st["last_refusal_at"] == nil {
		t.Fatalf("source status: refused_entries %v, last_refusal %v at %v", st["refused_entries"], st["last_refusal"], st["last_refusal_at"])
	}
	// The source rebuilt from its events says the same.
	code, then := s.api.do(http.MethodGet, "/federation/source-status?sourceId="+s.source+"&at="+time.Now().UTC().Format(time.RFC3339), s.admin, nil)
	if code != http.StatusOK || then["refused_entries"] != 2.0 || then["last_refusal"] != st["last_refusal"] {
		t.Fatalf("source status rebuilt from events = %d: %v refused, last %v; the read model says %v", code,
			then["refused_entries"], then["last_refusal"], st["last_refusal"])
	}
	if comps, _ := st["trust_components"].(map[string]any); comps["signatures"] == 1.0 {
		t.Fatalf("signatures component %v after two refused entries", comps["signatures"])
	}
	// The catalogue holds no 900 KB description.
	_, body := s.api.do(http.MethodGet, "/federation/plugins?source="+s.source, "", nil)
	if raw := fmt.Sprint(body); len(raw) > 10_000 || strings.Contains(raw, "big") {
		t.Fatalf("catalogue of %d bytes: %.300s", len(raw), raw)
	}
}

// A sync downloads at most PFN_SYNC_MAX_FILES files and PFN_SYNC_MAX_BYTES
// bytes; the rest are deferred to later syncs, not refused.
func TestEndToEndSyncBudgetDefersTheRest(t *testing.T) {
	t.Parallel()
	s := startOps(t, 1, "PFN_SYNC_MAX_FILES=2", "PFN_SYNC_MAX_BYTES=5000", "PFN_SCHEDULER=false")
	var four []map[string]any
	for i := range 4 {
		four = append(four, sized(fmt.Sprintf("p%d", i), "1.0.0", 3000))
	}
	setCatalog(t, s.pub, four)
	code, body := s.api.do(http.MethodPost, "/federation/subscribe", s.admin, map[string]any{"sourceId": s.source})
	for sync := 1; ; sync++ {
		res, _ := body["syncResult"].(map[string]any)
		// Two files fit the file budget, one of them the byte budget.
		if code != http.StatusOK || res["mirroredCount"] != 1.0 {
			t.Fatalf("sync %d = %d %v, want one file mirrored", sync, code, body)
		}
		deferred := 0
		for key, reason := range rejections(t, body) {
			if !strings.HasPrefix(reason, "deferred: this sync's budget of ") {
				t.Fatalf("sync %d: %s refused with %q", sync, key, reason)
			}
			deferred++
		}
		if deferred != 4-sync {
			t.Fatalf("sync %d deferred %d files, want %d", sync, deferred, 4-sync)
		}
		if sync == 4 {
			break
		}
		code, body = s.api.do(http.MethodPost, "/federation/sync-source", s.admin, map[string]string{"sourceId": s.source})
	}
	if total, files := storedBytes(t, s.blobs); total != 4*3000 || len(files) != 4 {
		t.Fatalf("stored %d bytes in %v after four syncs", total, files)
	}
	for _, e := range s.activity(t, "&source="+s.source, 100) {
		if e.Kind == "plugin_rejected" {
			t.Fatalf("a deferral was recorded as a refusal: %+v", e)
		}
	}
}

// A publisher that holds its files back is cut by the minimum-rate rule
// after one window, with the reason, instead of holding the sync for the
// ten-minute download deadline.
func TestEndToEndStalledDownloadIsCut(t *testing.T) {
	t.Parallel()
	s := startOps(t, 1, "PFN_MIN_DOWNLOAD_RATE=1000", "PFN_MIN_DOWNLOAD_RATE_WINDOW=1s", "PFN_SCHEDULER=false")
	publisherAdmin(t, s.pub, http.MethodPost, "/_admin/slow?ms=20000")
	code, body := s.api.do(http.MethodPost, "/federation/subscribe", s.admin, map[string]any{"sourceId": s.source})
	res, _ := body["syncResult"].(map[string]any)
	if code != http.StatusOK || res["mirroredCount"] != 0.0 {
		t.Fatalf("subscribe = %d %v", code, body)
	}
	for key, reason := range rejections(t, body) {
		if !strings.Contains(reason, "minimum transfer rate") || !strings.Contains(reason, "PFN_MIN_DOWNLOAD_RATE") {
			t.Fatalf("%s refused with %q", key, reason)
		}
	}
	if len(rejections(t, body)) != 1 {
		t.Fatalf("refusals %v", rejections(t, body))
	}
}
