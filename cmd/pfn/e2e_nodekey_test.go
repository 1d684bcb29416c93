package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A node mirrors a plugin, stops, rotates its key and restarts: it lists both
// keys, the plugin mirrored before still verifies under the old key, and one
// mirrored after is signed with the new key.
func TestNodeKeyRotationKeepsEarlierSignaturesVerifying(t *testing.T) {
	t.Parallel()
	pfn := buildBinary(t, ".", "pfn")
	pubBin := buildBinary(t, "../pfn-publisher", "pfn-publisher")
	pub := startPublisher(t, pubBin, "-key-file", filepath.Join(t.TempDir(), "p.pem"), "-plugins", "1", "-admin")
	const master = "master-key-for-the-rotation-test-0123456789"
	env := []string{"PFN_MASTER_KEY=" + master, "PFN_DATABASE_URL=" + databaseURL(t)}
	for k, v := range dataEnv(t) {
		env = append(env, k+"="+v)
	}

	first, base := startNodeWith(t, pfn, env...)
	api := apiClient{t, base}
	_, info := api.do(http.MethodGet, "/federation-info", "", nil)
	oldID, _ := info["key_id"].(string)
	_, body := api.do(http.MethodPost, "/federation/create-admin-key", master, map[string]string{})
	admin := body["key"].(string)
	_, body = api.do(http.MethodPost, "/federation/add-source", admin, map[string]string{
		"instance_url": pub.URL, "username": "plugin-author", "public_key": pub.PublicKey})
	id := body["sourceId"].(string)
	if status, body := api.do(http.MethodPost, "/federation/subscribe", admin, map[string]any{"sourceId": id}); status != 200 {
		t.Fatalf("subscribe = %d %v", status, body)
	}
	_, body = api.do(http.MethodGet, "/federation/plugins?source="+url.QueryEscape(id), "", nil)
	page, _ := body["plugins"].([]any)
	if len(page) != 1 {
		t.Fatalf("mirrored before the rotation: %v", body)
	}
	before := page[0].(map[string]any)["plugin_id"].(string)
	if err := first.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_, _ = first.Process.Wait()

	rotate := exec.Command(pfn, "node", "rotate-key")
	rotate.Env = append(os.Environ(), env...)
	out, err := rotate.Output()
	if err != nil {
		t.Fatalf("pfn node rotate-key: %v\n%s", err, out)
	}
	var rotated map[string]string
	if err := json.Unmarshal(out, &rotated); err != nil {
		t.Fatalf("rotate-key printed %q: %v", out, err)
	}
	newID := rotated["key_id"]
	if newID == "" || newID == oldID || strings.Contains(string(out), "PRIVATE") {
		t.Fatalf("rotate-key printed %s (old key %s)", out, oldID)
	}

	_, base = startNodeWith(t, pfn, env...)
	api = apiClient{t, base}
	_, info = api.do(http.MethodGet, "/federation-info", "", nil)
	keys, _ := info["node_keys"].([]any)
	if info["key_id"] != newID || len(keys) != 2 {
		t.Fatalf("/federation-info after rotation: %v", info)
	}
	current, retired := keys[0].(map[string]any), keys[1].(map[string]any)
	if current["key_id"] != newID || current["valid_until"] != nil || current["public_key"] != rotated["public_key"] {
		t.Errorf("current key %v, want %s without valid_until", current, newID)
	}
	if retired["key_id"] != oldID || retired["valid_until"] != current["valid_from"] {
		t.Errorf("retired key %v, want %s valid until %v", retired, oldID, current["valid_from"])
	}

	status, report := api.do(http.MethodGet, "/federation/verify?source="+url.QueryEscape(id)+"&plugin="+before, "", nil)
	if plugin, _ := report["plugin"].(map[string]any); status != 200 || report["valid"] != true || plugin["node_key_id"] != oldID {
		t.Fatalf("%s mirrored before the rotation: %d %v", before, status, report)
	}

	setCatalog(t, pub, []map[string]any{{"slug": "after-rotation", "name": "After", "version": "1.0.0",
		"short_description": "mirrored under the new key", "tags": []string{"tools"}, "content_base64": "QUJD"}})
	if status, body := api.do(http.MethodPost, "/federation/sync-source", admin, map[string]string{"sourceId": id}); status != 200 {
		t.Fatalf("sync after restart = %d %v", status, body)
	}
	status, report = api.do(http.MethodGet, "/federation/verify?source="+url.QueryEscape(id)+"&plugin=after-rotation", "", nil)
	if plugin, _ := report["plugin"].(map[string]any); status != 200 || report["valid"] != true || plugin["node_key_id"] != newID {
		t.Fatalf("plugin mirrored after the rotation: %d %v, want it signed by %s", status, report, newID)
	}
}
