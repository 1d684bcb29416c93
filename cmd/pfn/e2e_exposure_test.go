package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// GET /federation/verify answers anyone, so it must not read the stored
// file: with one file gone and another corrupted it still reports the
// verdict remembered from storing them (downloads notice meanwhile). The
// recheck job re-hashes the stored copies: once it has run, verify, the
// catalogue, downloads and the activity feed report the damage; once the
// files are restored and it has run again, they are valid again.
func TestEndToEndVerifyServesTheRememberedVerdict(t *testing.T) {
	t.Parallel()
	pfn := buildBinary(t, ".", "pfn")
	pubBin := buildBinary(t, "../pfn-publisher", "pfn-publisher")
	pub := startPublisher(t, pubBin, "-key-file", filepath.Join(t.TempDir(), "pub.pem"), "-plugins", "2", "-admin")
	const master = "master-key-for-the-verify-test-0123456789"
	blobs := filepath.Join(t.TempDir(), "blobs")
	// Two nodes on one database, blob store and node key: the first never
	// rechecks (no scheduler); the second is started later to run the
	// recheck job every second.
	env := []string{"PFN_DATABASE_URL=" + databaseURL(t), "PFN_MASTER_KEY=" + master, "PFN_BLOB_STORE=file://" + blobs,
		"PFN_NODE_KEY_FILE=" + filepath.Join(t.TempDir(), "node.key")}
	_, base := startNodeWith(t, pfn, append(env, "PFN_SCHEDULER=false")...)
	s := register(t, apiClient{t, base}, pub, master)
	if code, body := s.api.do(http.MethodPost, "/federation/subscribe", s.admin, map[string]any{"sourceId": s.source}); code != http.StatusOK {
		t.Fatalf("subscribe = %d %v", code, body)
	}
	_, body := s.api.do(http.MethodGet, "/federation/plugins?source="+url.QueryEscape(s.source), "", nil)
	page, _ := body["plugins"].([]any)
	if len(page) != 2 {
		t.Fatalf("plugins = %v, want two", body)
	}
	var files []string
	err := filepath.WalkDir(blobs, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return err
	})
	if err != nil || len(files) != 2 {
		t.Fatalf("blob files %v (%v), want two", files, err)
	}
	originals := map[string][]byte{}
	for _, f := range files {
		if originals[f], err = os.ReadFile(f); err != nil {
			t.Fatal(err)
		}
	}
	// One file gone, the other with one byte changed (same size).
	if err := os.Remove(files[0]); err != nil {
		t.Fatal(err)
	}
	raw := bytes.Clone(originals[files[1]])
	raw[len(raw)/2] ^= 0xff
	if err := os.WriteFile(files[1], raw, 0o600); err != nil {
		t.Fatal(err)
	}
	// What each plugin's copy now is (blob keys end in <slug>@<version>.zip).
	damageOf := map[string]string{}
	for _, entry := range page {
		id := entry.(map[string]any)["plugin_id"].(string)
		damageOf[id] = "sha256 " // other bytes: the measured sha256 is named
		if strings.HasPrefix(filepath.Base(files[0]), id+"@") {
			damageOf[id] = "missing"
		}
	}
	query := func(p map[string]any) string {
		return "?source=" + url.QueryEscape(s.source) + "&plugin=" + p["plugin_id"].(string)
	}

	for _, entry := range page {
		p := entry.(map[string]any)
		code, report := s.api.do(http.MethodGet, "/federation/verify"+query(p), "", nil)
		stored, _ := report["stored_bytes"].(map[string]any)
		if code != http.StatusOK || report["valid"] != true || stored["ok"] != true {
			t.Fatalf("verify of %v with its stored file damaged = %d %v, want the remembered verdict", p["plugin_id"], code, report)
		}
		if detail, _ := stored["detail"].(string); !strings.Contains(detail, p["sha256"].(string)) {
			t.Fatalf("stored_bytes detail %q does not name the measured sha256 %v", detail, p["sha256"])
		}
		resp, err := http.Get(s.api.base + "/federation/download" + query(p))
		if err != nil {
			t.Fatal(err)
		}
		got, readErr := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK && readErr == nil {
			t.Fatalf("download of %v with its stored file damaged gave %d bytes and no error", p["plugin_id"], len(got))
		}
	}

	startNodeWith(t, pfn, append(env, "PFN_SCHEDULER=true", "PFN_RECHECK_INTERVAL=1s", "PFN_SYNC_INTERVAL=1h",
		"PFN_HEALTH_INTERVAL=1h", "PFN_REVERIFY_INTERVAL=1h")...)
	verdicts := func(wantValid bool) (bool, string) {
		for _, entry := range page {
			p := entry.(map[string]any)
			_, report := s.api.do(http.MethodGet, "/federation/verify"+query(p), "", nil)
			if report["valid"] != wantValid {
				return false, fmt.Sprint(report)
			}
		}
		return true, ""
	}
	waitFor(t, "the recheck to find both copies damaged", 60*time.Second, func() (bool, string) { return verdicts(false) })
	for _, entry := range page {
		p := entry.(map[string]any)
		_, report := s.api.do(http.MethodGet, "/federation/verify"+query(p), "", nil)
		stored, _ := report["stored_bytes"].(map[string]any)
		detail, _ := stored["detail"].(string)
		if stored["ok"] != false || !strings.Contains(detail, damageOf[p["plugin_id"].(string)]) || stored["found_at"] == nil ||
			report["publisher_signature"].(map[string]any)["ok"] != true {
			t.Fatalf("verify of %v after the recheck: %v, want stored_bytes naming %q and when", p["plugin_id"], report, damageOf[p["plugin_id"].(string)])
		}
		resp, err := http.Get(s.api.base + "/federation/download" + query(p))
		if err != nil {
			t.Fatal(err)
		}
		var errBody struct{ Error string }
		decodeErr := json.NewDecoder(resp.Body).Decode(&errBody)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || decodeErr != nil || !strings.Contains(errBody.Error, damageOf[p["plugin_id"].(string)]) {
			t.Fatalf("download of a copy known damaged = %d %+v (%v), want 503 naming the damage", resp.StatusCode, errBody, decodeErr)
		}
	}
	_, body = s.api.do(http.MethodGet, "/federation/plugins?source="+url.QueryEscape(s.source), "", nil)
	for _, entry := range body["plugins"].([]any) {
		copyState, _ := entry.(map[string]any)["stored_copy"].(map[string]any)
		if copyState["ok"] != false || copyState["damage"] == nil || copyState["found_at"] == nil {
			t.Fatalf("catalogue entry %v does not show the damaged copy", entry)
		}
	}
	count := func(kind string) int {
		n := 0
		for _, e := range s.activity(t, "&source="+url.QueryEscape(s.source), 100) {
			if e.Kind == kind {
				n++
			}
		}
		return n
	}
	waitFor(t, "the damage in the activity feed", 20*time.Second, func() (bool, string) {
		return count("stored_copy_damaged") == 2, fmt.Sprint(count("stored_copy_damaged"), " entries")
	})

	// Restored from a backup: the next recheck finds them good again.
	for f, b := range originals {
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the recheck to find both copies restored", 60*time.Second, func() (bool, string) { return verdicts(true) })
	for _, entry := range page {
		p := entry.(map[string]any)
		resp, err := http.Get(s.api.base + "/federation/download" + query(p))
		if err != nil {
			t.Fatal(err)
		}
		got, readErr := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || readErr != nil || int64(len(got)) != int64(p["size"].(float64)) {
			t.Fatalf("download of a restored copy = %d, %d bytes (%v)", resp.StatusCode, len(got), readErr)
		}
	}
	waitFor(t, "the restoration in the activity feed", 20*time.Second, func() (bool, string) {
		return count("stored_copy_restored") == 2, fmt.Sprint(count("stored_copy_restored"), " entries")
	})
	// Damage found again and again by a recheck every second was recorded once.
	if n := count("stored_copy_damaged"); n != 2 {
		t.Fatalf("%d stored_copy_damaged entries, want 2 (one per copy)", n)
	}
}
