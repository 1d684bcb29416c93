package main

import (
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A node killed (SIGKILL) in the middle of a sync leaves no catalogue row
// without its file, and the next node on the same database and blob store
// finishes the work without duplicates.
func TestSyncKilledMidwayIsCompletedAfterRestart(t *testing.T) {
	t.Parallel()
	pfn := buildBinary(t, ".", "pfn")
	pubBin := buildBinary(t, "../pfn-publisher", "pfn-publisher")
	dir := t.TempDir()
	pub := startPublisher(t, pubBin, "-key-file", filepath.Join(dir, "p.pem"), "-plugins", "1", "-admin")
	const master = "master-key-for-the-crash-test-0123456789"
	env := []string{"PFN_MASTER_KEY=" + master, "PFN_DATABASE_URL=" + databaseURL(t)}
	for k, v := range dataEnv(t) {
		env = append(env, k+"="+v)
	}

	first, base := startNodeWith(t, pfn, env...)
	api := apiClient{t, base}
	_, body := api.do(http.MethodPost, "/federation/create-admin-key", master, map[string]string{})
	admin := body["key"].(string)
	_, body = api.do(http.MethodPost, "/federation/add-source", admin, map[string]string{
		"instance_url": pub.URL, "username": "plugin-author", "public_key": pub.PublicKey})
	id := body["sourceId"].(string)
	if status, body := api.do(http.MethodPost, "/federation/subscribe", admin, map[string]any{"sourceId": id}); status != 200 {
		t.Fatalf("subscribe = %d %v", status, body)
	}

	// Forty plugins of 4 MiB: enough for the kill to land mid-sync.
	const n = 40
	var entries []map[string]any
	for i := range n {
		entries = append(entries, map[string]any{"slug": fmt.Sprintf("big-%d", i), "name": fmt.Sprintf("Big %d", i),
			"version": "1.0.0", "short_description": "big", "tags": []string{"media"},
			"content_base64": strings.Repeat("QUJD", (4<<20)/3)})
	}
	setCatalog(t, pub, entries)
	go func() {
		_, _ = http.Post(base+"/federation/sync-source", "application/json", strings.NewReader(`{"sourceId":"`+id+`"}`))
	}()
	time.Sleep(150 * time.Millisecond)
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_, _ = first.Process.Wait()

	_, base = startNodeWith(t, pfn, env...)
	api = apiClient{t, base}
	status, body := api.do(http.MethodPost, "/federation/sync-source", admin, map[string]string{"sourceId": id})
	if status != 200 {
		t.Fatalf("sync after restart = %d %v", status, body)
	}
	_, body = api.do(http.MethodGet, "/federation/plugins?limit=200&source="+url.QueryEscape(id), "", nil)
	page, _ := body["plugins"].([]any)
	seen := map[string]bool{}
	for _, p := range page {
		slug := p.(map[string]any)["plugin_id"].(string)
		if seen[slug] {
			t.Fatalf("%s listed twice", slug)
		}
		seen[slug] = true
		status, report := api.do(http.MethodGet, "/federation/verify?source="+url.QueryEscape(id)+"&plugin="+slug, "", nil)
		if status != 200 || report["valid"] != true {
			t.Fatalf("%s after the crash: %d %v", slug, status, report)
		}
	}
	if len(seen) != n+1 { // the 40 new ones and the one mirrored before
		t.Fatalf("%d plugins mirrored after restart, want %d", len(seen), n+1)
	}
}
