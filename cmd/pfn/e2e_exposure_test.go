package main

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// GET /federation/verify answers anyone, so it must not read the stored
// file: with the file gone it still reports the verdict remembered from
// storing it, while a download notices.
func TestEndToEndVerifyServesTheRememberedVerdict(t *testing.T) {
	t.Parallel()
	s := startOps(t, 1, "PFN_SCHEDULER=false")
	if code, body := s.api.do(http.MethodPost, "/federation/subscribe", s.admin, map[string]any{"sourceId": s.source}); code != http.StatusOK {
		t.Fatalf("subscribe = %d %v", code, body)
	}
	_, body := s.api.do(http.MethodGet, "/federation/plugins?source="+url.QueryEscape(s.source), "", nil)
	page, _ := body["plugins"].([]any)
	if len(page) != 1 {
		t.Fatalf("plugins = %v, want one", body)
	}
	p := page[0].(map[string]any)
	q := "?source=" + url.QueryEscape(s.source) + "&plugin=" + p["plugin_id"].(string)

	var files []string
	err := filepath.WalkDir(s.blobs, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return err
	})
	if err != nil || len(files) != 1 {
		t.Fatalf("blob files %v (%v), want one", files, err)
	}
	if err := os.Remove(files[0]); err != nil {
		t.Fatal(err)
	}

	code, report := s.api.do(http.MethodGet, "/federation/verify"+q, "", nil)
	stored, _ := report["stored_bytes"].(map[string]any)
	if code != http.StatusOK || report["valid"] != true || stored["ok"] != true {
		t.Fatalf("verify with the stored file gone = %d %v, want the remembered verdict", code, report)
	}
	if detail, _ := stored["detail"].(string); detail == "" || !strings.Contains(detail, p["sha256"].(string)) {
		t.Fatalf("stored_bytes detail %q does not name the measured sha256 %v", detail, p["sha256"])
	}
	if code, body := s.api.do(http.MethodGet, "/federation/download"+q, "", nil); code == http.StatusOK {
		t.Fatalf("download of a file that is gone = %d %v, want an error", code, body)
	}
}
