package main

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// GET /federation/verify answers anyone, so it must not read the stored
// file: with one file gone and another corrupted it still reports the
// verdict remembered from storing them, while downloads notice.
func TestEndToEndVerifyServesTheRememberedVerdict(t *testing.T) {
	t.Parallel()
	s := startOps(t, 2, "PFN_SCHEDULER=false")
	if code, body := s.api.do(http.MethodPost, "/federation/subscribe", s.admin, map[string]any{"sourceId": s.source}); code != http.StatusOK {
		t.Fatalf("subscribe = %d %v", code, body)
	}
	_, body := s.api.do(http.MethodGet, "/federation/plugins?source="+url.QueryEscape(s.source), "", nil)
	page, _ := body["plugins"].([]any)
	if len(page) != 2 {
		t.Fatalf("plugins = %v, want two", body)
	}
	var files []string
	err := filepath.WalkDir(s.blobs, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return err
	})
	if err != nil || len(files) != 2 {
		t.Fatalf("blob files %v (%v), want two", files, err)
	}
	// One file gone, the other with one byte changed (same size).
	if err := os.Remove(files[0]); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(files[1])
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)/2] ^= 0xff
	if err := os.WriteFile(files[1], raw, 0o600); err != nil {
		t.Fatal(err)
	}

	for _, entry := range page {
		p := entry.(map[string]any)
		q := "?source=" + url.QueryEscape(s.source) + "&plugin=" + p["plugin_id"].(string)
		code, report := s.api.do(http.MethodGet, "/federation/verify"+q, "", nil)
		stored, _ := report["stored_bytes"].(map[string]any)
		if code != http.StatusOK || report["valid"] != true || stored["ok"] != true {
			t.Fatalf("verify of %v with its stored file damaged = %d %v, want the remembered verdict", p["plugin_id"], code, report)
		}
		if detail, _ := stored["detail"].(string); !strings.Contains(detail, p["sha256"].(string)) {
			t.Fatalf("stored_bytes detail %q does not name the measured sha256 %v", detail, p["sha256"])
		}
		resp, err := http.Get(s.api.base + "/federation/download" + q)
		if err != nil {
			t.Fatal(err)
		}
		got, readErr := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK && readErr == nil {
			t.Fatalf("download of %v with its stored file damaged gave %d bytes and no error", p["plugin_id"], len(got))
		}
	}
}
