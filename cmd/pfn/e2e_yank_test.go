package main

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEndToEndYank: an admin yanks a mirrored version of a real publisher's
// plugin; its download answers 410 with the reason, listings leave it out
// unless include_yanked=true, the next sync-source does not mirror it
// again, the activity feed names who and why, and unyank restores it.
func TestEndToEndYank(t *testing.T) {
	t.Parallel()
	pfn := buildBinary(t, ".", "pfn")
	pubBin := buildBinary(t, "../pfn-publisher", "pfn-publisher")
	dir := t.TempDir()
	pub := startPublisher(t, pubBin, "-key-file", filepath.Join(dir, "pub.pem"), "-plugins", "3", "-with-sha256")
	const master = "master-key-for-the-yank-test-0123456789"
	api := apiClient{t, startNode(t, pfn, "PFN_MASTER_KEY="+master)}

	_, body := api.do(http.MethodPost, "/federation/create-admin-key", master, map[string]string{})
	admin := body["key"].(string)
	_, body = api.do(http.MethodPost, "/federation/create-admin-key", admin, map[string]string{"role": "consumer"})
	consumer := body["key"].(string)
	status, body := api.do(http.MethodPost, "/federation/add-source", admin, map[string]string{
		"instance_url": pub.URL, "username": "plugin-author", "public_key": pub.PublicKey})
	if status != http.StatusCreated {
		t.Fatalf("add-source = %d %v", status, body)
	}
	sourceID := body["sourceId"].(string)
	status, body = api.do(http.MethodPost, "/federation/subscribe", consumer, map[string]any{"sourceId": sourceID})
	if res, _ := body["syncResult"].(map[string]any); status != http.StatusOK || res["mirroredCount"] != 3.0 {
		t.Fatalf("subscribe = %d %v, want 3 mirrored", status, body)
	}
	listing := func(query string) map[string]string { // plugin_id → version, plus ":reason" when yanked
		t.Helper()
		status, body := api.do(http.MethodGet, "/federation/plugins?limit=50"+query, "", nil)
		if status != http.StatusOK {
			t.Fatalf("plugins%s = %d %v", query, status, body)
		}
		out := map[string]string{}
		for _, p := range body["plugins"].([]any) {
			row := p.(map[string]any)
			v := row["version"].(string)
			if y, ok := row["yanked"].(map[string]any); ok {
				v += ":" + y["reason"].(string)
			}
			out[row["plugin_id"].(string)] = v
		}
		return out
	}
	before := listing("")
	var slug, version string
	for s, v := range before {
		slug, version = s, v
		break
	}
	download := func() (int, string) {
		t.Helper()
		status, raw := api.send(http.MethodGet, "/federation/download?source="+url.QueryEscape(sourceID)+"&plugin="+slug+"&version="+version, "", nil)
		return status, string(raw)
	}
	if status, _ := download(); status != http.StatusOK {
		t.Fatalf("download before the yank = %d", status)
	}
	req := map[string]string{"sourceId": sourceID, "plugin": slug, "version": version, "reason": "malware reported by a user"}
	if status, body := api.do(http.MethodPost, "/federation/yank", consumer, req); status != http.StatusForbidden {
		t.Fatalf("yank with a consumer key = %d %v, want 403", status, body)
	}
	if status, body := api.do(http.MethodPost, "/federation/yank", admin, req); status != http.StatusOK || body["yanked"] != true || body["recorded"] != true {
		t.Fatalf("yank = %d %v", status, body)
	}
	if status, body := api.do(http.MethodPost, "/federation/yank", admin, req); status != http.StatusOK || body["recorded"] != false {
		t.Fatalf("yank again = %d %v, want nothing recorded", status, body)
	}

	if status, body := download(); status != http.StatusGone || !strings.Contains(body, "malware reported by a user") {
		t.Fatalf("download of the yanked version = %d %s, want 410 with the reason", status, body)
	}
	if got := listing(""); len(got) != 2 || got[slug] != "" {
		t.Fatalf("listing after the yank %v, want %s left out", got, slug)
	}
	if got := listing("&include_yanked=true"); got[slug] != version+":malware reported by a user" {
		t.Fatalf("listing with include_yanked %v, want %s shown as yanked", got, slug)
	}
	status, body = api.do(http.MethodPost, "/federation/sync-source", admin, map[string]string{"sourceId": sourceID})
	if res, _ := body["syncResult"].(map[string]any); status != http.StatusOK || res["mirroredCount"] != 0.0 {
		t.Fatalf("sync-source after the yank = %d %v, want nothing mirrored", status, body)
	}
	if got := listing(""); got[slug] != "" {
		t.Fatalf("after a sync the yanked version is listed again: %v", got)
	}
	if status, _ := download(); status != http.StatusGone {
		t.Fatalf("after a sync the yanked version downloads: %d", status)
	}

	req["reason"] = "report was false"
	if status, body := api.do(http.MethodPost, "/federation/unyank", admin, req); status != http.StatusOK || body["yanked"] != false || body["recorded"] != true {
		t.Fatalf("unyank = %d %v", status, body)
	}
	if status, _ := download(); status != http.StatusOK {
		t.Fatalf("download after the unyank = %d", status)
	}
	if got := listing(""); got[slug] != version {
		t.Fatalf("listing after the unyank %v", got)
	}
	// The activity feed is its own projection, eventually consistent: wait for both entries.
	var summaries []string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		status, body = api.do(http.MethodGet, "/federation/activity?limit=50&source="+url.QueryEscape(sourceID), admin, nil)
		summaries = summaries[:0]
		for _, e := range body["entries"].([]any) {
			en := e.(map[string]any)
			if k := en["kind"]; k == "yanked" || k == "unyanked" {
				summaries = append(summaries, en["summary"].(string))
			}
		}
		if len(summaries) >= 2 || time.Now().After(deadline) {
			break
		}
	}
	if status != http.StatusOK || len(summaries) != 2 || !strings.Contains(summaries[0], "unyanked by ") ||
		!strings.Contains(summaries[0], "report was false") || !strings.Contains(summaries[1], "malware reported by a user") {
		t.Fatalf("activity yank entries %q (status %d), want unyank then yank, newest first, with actor and reason", summaries, status)
	}
}
