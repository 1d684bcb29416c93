package main

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// keyRotationRun is a node, a real publisher with two plugins mirrored,
// and the publisher's key file, ready for the publisher's key to change.
type keyRotationRun struct {
	api           apiClient
	admin, source string
	pubBin, key   string
	pub           publisherProc
}

func startKeyRotationRun(t *testing.T, env ...string) *keyRotationRun {
	t.Helper()
	pfn := buildBinary(t, ".", "pfn")
	r := &keyRotationRun{pubBin: buildBinary(t, "../pfn-publisher", "pfn-publisher"), key: filepath.Join(t.TempDir(), "pub.pem")}
	r.pub = startPublisher(t, r.pubBin, "-key-file", r.key, "-plugins", "2")
	const master = "master-key-for-the-key-rotation-test-0123"
	r.api = apiClient{t, startNode(t, pfn, append(env, "PFN_MASTER_KEY="+master)...)}
	_, body := r.api.do(http.MethodPost, "/federation/create-admin-key", master, map[string]string{})
	r.admin = body["key"].(string)
	_, body = r.api.do(http.MethodPost, "/federation/create-admin-key", r.admin, map[string]string{"role": "consumer"})
	consumer := body["key"].(string)
	status, body := r.api.do(http.MethodPost, "/federation/add-source", r.admin, map[string]string{
		"instance_url": r.pub.URL, "username": "plugin-author", "public_key": r.pub.PublicKey})
	if status != http.StatusCreated || body["verified"] != true {
		t.Fatalf("add-source = %d %v", status, body)
	}
	r.source = body["sourceId"].(string)
	status, body = r.api.do(http.MethodPost, "/federation/subscribe", consumer, map[string]any{"sourceId": r.source})
	if res, _ := body["syncResult"].(map[string]any); status != http.StatusOK || res["mirroredCount"] != 2.0 {
		t.Fatalf("subscribe = %d %v, want 2 mirrored", status, body)
	}
	return r
}

// restartPublisher stops the publisher and starts it again on the same
// address with args (its third plugin is new).
func (r *keyRotationRun) restartPublisher(t *testing.T, args ...string) {
	t.Helper()
	port := r.pub.URL[strings.LastIndex(r.pub.URL, ":")+1:]
	_ = r.pub.cmd.Process.Signal(syscall.SIGTERM)
	waitFor(t, "the publisher to stop", 10*time.Second, func() (bool, string) {
		resp, err := http.Get(r.pub.URL + "/federation-info")
		if err == nil {
			resp.Body.Close()
		}
		return err != nil, "still answering"
	})
	r.pub = startPublisher(t, r.pubBin, append([]string{"-listen", "127.0.0.1:" + port, "-plugins", "3"}, args...)...)
}

func (r *keyRotationRun) status(t *testing.T) map[string]any {
	t.Helper()
	status, body := r.api.do(http.MethodGet, "/federation/source-status?sourceId="+url.QueryEscape(r.source), r.admin, nil)
	if status != http.StatusOK {
		t.Fatalf("source-status = %d %v", status, body)
	}
	return body
}

func keyHistory(source map[string]any) []map[string]any {
	var out []map[string]any
	for _, k := range source["key_history"].([]any) {
		out = append(out, k.(map[string]any))
	}
	return out
}

func keyIDOf(t *testing.T, raw string) string {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		t.Fatal(err)
	}
	return domain.KeyID(key)
}

// checkRotated: the history holds the old key, closed, then the new one
// by `by`; a sync mirrors the new plugin (signed with the new key) and
// takes the re-signed old ones as they are; the version mirrored before
// verifies under the old key, the new one under the new key.
func (r *keyRotationRun) checkRotated(t *testing.T, oldKey, newKey, by string) {
	t.Helper()
	r.checkKeyHistory(t, oldKey, newKey, by)
	r.syncRotated(t)
	r.checkRotationShown(t, oldKey, newKey, by)
}

func (r *keyRotationRun) checkKeyHistory(t *testing.T, oldKey, newKey, by string) {
	t.Helper()
	h := keyHistory(r.status(t))
	if len(h) != 2 || h[0]["public_key"] != oldKey || h[0]["valid_until"] == nil || h[0]["rotated_by"] != "registration" ||
		h[1]["public_key"] != newKey || h[1]["valid_until"] != nil || h[1]["rotated_by"] != by {
		t.Fatalf("key history %v, want %s then %s by %s", h, oldKey, newKey, by)
	}
}

// syncRotated syncs the rotated publisher: plugin-3 (new) is mirrored,
// and the re-signed plugin-1 and plugin-2 are not taken for tampering.
func (r *keyRotationRun) syncRotated(t *testing.T) {
	t.Helper()
	status, body := r.api.do(http.MethodPost, "/federation/sync-source", r.admin, map[string]string{"sourceId": r.source})
	// Tampering would show among the rejected entries.
	res, _ := body["syncResult"].(map[string]any)
	if rejected, _ := res["rejected"].([]any); status != http.StatusOK || res["mirroredCount"] != 1.0 || len(rejected) != 0 {
		t.Fatalf("sync-source after the rotation = %d %v, want plugin-3 mirrored and nothing rejected", status, body)
	}
}

// checkRotationShown: the activity shows the rotation, and each version
// verifies under the key it was mirrored with.
func (r *keyRotationRun) checkRotationShown(t *testing.T, oldKey, newKey, by string) {
	t.Helper()
	// The activity feed is its own projection, eventually consistent.
	waitFor(t, "the rotation in the activity feed", 30*time.Second, func() (bool, string) {
		_, body := r.api.do(http.MethodGet, "/federation/activity?limit=50&source="+url.QueryEscape(r.source), r.admin, nil)
		entries, _ := body["entries"].([]any)
		for _, e := range entries {
			en := e.(map[string]any)
			if en["kind"] == "key_rotated" && strings.Contains(fmt.Sprint(en["summary"]), keyIDOf(t, newKey)+", rotated by the "+by) {
				return true, ""
			}
		}
		return false, fmt.Sprint(entries)
	})
	for plugin, key := range map[string]string{"plugin-1": oldKey, "plugin-3": newKey} {
		status, report := r.api.do(http.MethodGet, "/federation/verify?source="+url.QueryEscape(r.source)+"&plugin="+plugin, "", nil)
		if status != http.StatusOK || report["valid"] != true || report["publisher_key_id"] != keyIDOf(t, key) ||
			report["publisher_key_current"] != (key == newKey) {
			t.Errorf("verify %s = %d %v, want valid under key %s", plugin, status, report, keyIDOf(t, key))
		}
	}
}

// TestEndToEndKeyRotationByPublisher: the publisher runs rotate-key and
// restarts; the node's next health check sees key_rotation, checks it
// under the current key, proves the new key and rotates, with no admin.
func TestEndToEndKeyRotationByPublisher(t *testing.T) {
	t.Parallel()
	r := startKeyRotationRun(t, "PFN_HEALTH_INTERVAL=1s", "PFN_SYNC_INTERVAL=1h", "PFN_REVERIFY_INTERVAL=1h", "PFN_RECHECK_INTERVAL=1h")
	oldKey := r.pub.PublicKey
	out, err := exec.Command(r.pubBin, "rotate-key", "-key-file", r.key).CombinedOutput()
	if err != nil {
		t.Fatalf("rotate-key: %v: %s", err, out)
	}
	r.restartPublisher(t, "-key-file", r.key)
	if r.pub.PublicKey == oldKey || !strings.Contains(string(out), r.pub.PublicKey) {
		t.Fatalf("rotate-key printed %q; the publisher now has %s (was %s)", out, r.pub.PublicKey, oldKey)
	}
	waitFor(t, "the health check to follow the rotation", 30*time.Second, func() (bool, string) {
		src := r.status(t)
		return src["public_key"] == r.pub.PublicKey, fmt.Sprint(src["key_history"])
	})
	r.checkRotated(t, oldKey, r.pub.PublicKey, "publisher")
}

// TestEndToEndKeyRotationSyncedFirst: with no scheduler, no health check
// follows the publisher's rotate-key before an admin's sync-source, which
// sees every mirrored version re-signed with a key the node does not know
// yet. The sync follows the announced rotation first: nothing is taken for
// tampering, the signatures' trust is untouched, the key rotated.
func TestEndToEndKeyRotationSyncedFirst(t *testing.T) {
	t.Parallel()
	r := startKeyRotationRun(t, "PFN_SCHEDULER=false")
	oldKey := r.pub.PublicKey
	if out, err := exec.Command(r.pubBin, "rotate-key", "-key-file", r.key).CombinedOutput(); err != nil {
		t.Fatalf("rotate-key: %v: %s", err, out)
	}
	r.restartPublisher(t, "-key-file", r.key)
	before := r.status(t)
	if before["public_key"] != oldKey {
		t.Fatalf("the key changed before the sync: %v", before["key_history"])
	}
	r.syncRotated(t)
	r.checkKeyHistory(t, oldKey, r.pub.PublicKey, "publisher")
	after := r.status(t)
	signatures := func(src map[string]any) any { return src["trust_components"].(map[string]any)["signatures"] }
	if signatures(after) != signatures(before) {
		t.Errorf("the signatures' trust changed at the sync: %v -> %v", signatures(before), signatures(after))
	}
	r.checkRotationShown(t, oldKey, r.pub.PublicKey, "publisher")
}

// TestEndToEndKeyRotationByAdmin: the publisher now holds another key; an
// admin's update-source with a key the publisher cannot prove changes
// nothing, with the right key rotates.
func TestEndToEndKeyRotationByAdmin(t *testing.T) {
	t.Parallel()
	r := startKeyRotationRun(t, "PFN_SCHEDULER=false")
	oldKey := r.pub.PublicKey
	r.restartPublisher(t, "-key-file", filepath.Join(t.TempDir(), "new.pem"))
	before := r.status(t)

	wrong := startPublisher(t, r.pubBin).PublicKey // a key this publisher does not hold
	status, body := r.api.do(http.MethodPost, "/federation/update-source", r.admin, map[string]any{
		"sourceId": r.source, "public_key": wrong, "reason": "typo", "allowed_asset_hosts": []string{"cdn.example.org"}})
	if status != http.StatusConflict || !strings.Contains(fmt.Sprint(body["error"]), "nothing changed") {
		t.Fatalf("update-source with a key the publisher cannot prove = %d %v, want 409", status, body)
	}
	after := r.status(t)
	for _, field := range []string{"public_key", "status", "key_history", "last_verification", "successful_verifications"} {
		if fmt.Sprint(after[field]) != fmt.Sprint(before[field]) {
			t.Errorf("a failed proof changed %s: %v -> %v", field, before[field], after[field])
		}
	}

	status, body = r.api.do(http.MethodPost, "/federation/update-source", r.admin, map[string]any{
		"sourceId": r.source, "public_key": r.pub.PublicKey, "reason": "publisher lost its old key"})
	if status != http.StatusOK {
		t.Fatalf("update-source with the publisher's new key = %d %v", status, body)
	}
	r.checkRotated(t, oldKey, r.pub.PublicKey, "admin")
}
