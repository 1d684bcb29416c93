package main

import (
	"encoding/base64"
	"io/fs"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestEndToEndRetentionPrunesOldVersions(t *testing.T) {
	t.Parallel()
	s := startOps(t, 1, "PFN_KEEP_VERSIONS=1", "PFN_SCHEDULER=false")
	pub, blobs, base := s.pub, s.blobs, s.api.base
	version := func(v string) map[string]any {
		return map[string]any{"slug": "tool", "name": "Tool", "version": v, "short_description": "a tool", "tags": []string{"utilities"}}
	}
	setCatalog(t, pub, []map[string]any{version("1.0.0")})
	if code, body := s.api.do(http.MethodPost, "/federation/subscribe", s.admin, map[string]any{"sourceId": s.source}); code != http.StatusOK {
		t.Fatalf("subscribe = %d %v", code, body)
	}
	files := func() []string {
		var out []string
		_ = filepath.WalkDir(blobs, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".zip") {
				out = append(out, filepath.Base(path))
			}
			return nil
		})
		return out
	}
	if got := files(); len(got) != 1 || got[0] != "tool@1.0.0.zip" {
		t.Fatalf("stored files %v", got)
	}

	setCatalog(t, pub, []map[string]any{version("2.0.0")})
	code, body := s.api.do(http.MethodPost, "/federation/sync-source", s.admin, map[string]string{"sourceId": s.source})
	res, _ := body["syncResult"].(map[string]any)
	if code != http.StatusOK || res["mirroredCount"] != 1.0 || res["pruned"] != 1.0 {
		t.Fatalf("sync-source = %d %v", code, body)
	}
	if got := files(); len(got) != 1 || got[0] != "tool@2.0.0.zip" {
		t.Fatalf("stored files after pruning %v", got)
	}
	q := "?source=" + s.source + "&plugin=tool&version=1.0.0"
	for _, path := range []string{"/federation/download" + q, "/federation/verify" + q} {
		code, body := s.api.do(http.MethodGet, path, "", nil)
		if msg, _ := body["error"].(string); code != http.StatusGone || !strings.Contains(msg, "only the newest 1 versions are kept") {
			t.Fatalf("GET %s = %d %v, want 410 with the reason", path, code, body)
		}
	}
	resp, err := http.Get(base + "/federation/download?source=" + s.source + "&plugin=tool")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("latest download = %d", resp.StatusCode)
	}
	_, body = s.api.do(http.MethodGet, "/federation/plugins?source="+s.source, "", nil)
	if ps, _ := body["plugins"].([]any); len(ps) != 1 || ps[0].(map[string]any)["version"] != "2.0.0" {
		t.Fatalf("catalogue lists %v", body["plugins"])
	}
	waitFor(t, "the pruning in the activity feed", 20*time.Second, func() (bool, string) {
		for _, e := range s.activity(t, "&source="+s.source, 50) {
			if e.Kind == "pruned" && strings.Contains(e.Summary, "tool 1.0.0") {
				return true, ""
			}
		}
		return false, "no pruned entry"
	})
}

// Other bytes behind an unchanged listing: only a re-download notices, and
// the scheduler's recheck does.
func TestEndToEndRecheckFindsChangedBytesBehindAnUnchangedListing(t *testing.T) {
	t.Parallel()
	s := startOps(t, 1, "PFN_RECHECK_INTERVAL=1s", "PFN_SYNC_INTERVAL=1h", "PFN_HEALTH_INTERVAL=1h", "PFN_REVERIFY_INTERVAL=1h")
	pub := s.pub
	entry := func(content string) map[string]any {
		return map[string]any{"slug": "tool", "name": "Tool", "version": "1.0.0", "short_description": "a tool",
			"tags": []string{"utilities"}, "content_base64": base64.StdEncoding.EncodeToString([]byte(content))}
	}
	setCatalog(t, pub, []map[string]any{entry("the original bytes")})
	if code, body := s.api.do(http.MethodPost, "/federation/subscribe", s.admin, map[string]any{"sourceId": s.source}); code != http.StatusOK {
		t.Fatalf("subscribe = %d %v", code, body)
	}
	signatures := func() float64 { return s.status(t)["trust_components"].(map[string]any)["signatures"].(float64) }
	before := signatures()
	setCatalog(t, pub, []map[string]any{entry("other bytes, same listing")})

	var found activityEntry
	waitFor(t, "the recheck to record tampering", 30*time.Second, func() (bool, string) {
		for _, e := range s.activity(t, "&source="+s.source, 50) {
			if e.Kind == "tampering" {
				found = e
				return true, ""
			}
		}
		return false, "no tampering entry"
	})
	if !strings.Contains(found.Summary, "tool 1.0.0") || !strings.Contains(found.Summary, "other bytes") {
		t.Fatalf("tampering entry %+v", found)
	}
	if got := s.downloaded(t, "tool", "1.0.0"); got != "the original bytes" {
		t.Fatalf("the mirror now serves %q", got)
	}
	if after := signatures(); after >= before {
		t.Fatalf("signatures component of trust %v after tampering, %v before", after, before)
	}
	// Recorded once, however many rechecks run.
	time.Sleep(2500 * time.Millisecond)
	if n := s.activityOfKind(t, "tampering"); n != 1 {
		t.Fatalf("%d tampering entries, want 1", n)
	}
}
