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

// attestNode is a node under test with an admin and a consumer key.
type attestNode struct {
	api             apiClient
	admin, consumer string
}

func startAttestNode(t *testing.T, bin string, env ...string) attestNode {
	t.Helper()
	const master = "master-key-for-the-attest-test-0123456789"
	api := apiClient{t, startNode(t, bin, append(env, "PFN_MASTER_KEY="+master)...)}
	_, body := api.do(http.MethodPost, "/federation/create-admin-key", master, map[string]string{})
	admin := body["key"].(string)
	_, body = api.do(http.MethodPost, "/federation/create-admin-key", admin, map[string]string{"role": "consumer"})
	return attestNode{api: api, admin: admin, consumer: body["key"].(string)}
}

// subscribe adds pub as a source, subscribes to all of it and returns the
// source id and the first sync's result.
func (n attestNode) subscribe(t *testing.T, pub publisherProc) (string, map[string]any) {
	t.Helper()
	status, body := n.api.do(http.MethodPost, "/federation/add-source", n.admin, map[string]string{
		"instance_url": pub.URL, "username": "plugin-author", "public_key": pub.PublicKey})
	if status != http.StatusCreated {
		t.Fatalf("add-source %s = %d %v", pub.URL, status, body)
	}
	id := body["sourceId"].(string)
	status, body = n.api.do(http.MethodPost, "/federation/subscribe", n.consumer, map[string]any{"sourceId": id})
	res, _ := body["syncResult"].(map[string]any)
	if status != http.StatusOK || res == nil {
		t.Fatalf("subscribe to %s = %d %v", id, status, body)
	}
	return id, res
}

// entries are the source's catalogue entries by plugin id.
func (n attestNode) entries(t *testing.T, source string) map[string]map[string]any {
	t.Helper()
	status, body := n.api.do(http.MethodGet, "/federation/plugins?limit=50&source="+url.QueryEscape(source), "", nil)
	if status != http.StatusOK {
		t.Fatalf("plugins of %s = %d %v", source, status, body)
	}
	out := map[string]map[string]any{}
	for _, p := range body["plugins"].([]any) {
		row := p.(map[string]any)
		out[row["plugin_id"].(string)] = row
	}
	return out
}

// wantAttested fails the test unless the source's catalogue holds count
// entries whose bytes are attested by by ("publisher", with the
// signature_v2, or "node", without), and the verify answer of its plugin-1
// says the same, valid, re-checking signature_v2 only when there is one.
func (n attestNode) wantAttested(t *testing.T, source string, count int, by string) {
	t.Helper()
	rows := n.entries(t, source)
	if len(rows) != count {
		t.Fatalf("the catalogue of %s %v, want %d entries", source, rows, count)
	}
	v2 := by == "publisher"
	for slug, row := range rows {
		if _, has := row["signature_v2"]; row["bytes_attested_by"] != by || has != v2 {
			t.Errorf("%s %s: bytes_attested_by %v, signature_v2 %v; want %s", source, slug, row["bytes_attested_by"], row["signature_v2"], by)
		}
	}
	status, body := n.api.do(http.MethodGet, "/federation/verify?source="+url.QueryEscape(source)+"&plugin=plugin-1", "", nil)
	check, has := body["publisher_signature_v2"].(map[string]any)
	if status != http.StatusOK || body["valid"] != true || body["bytes_attested_by"] != by || has != v2 || (v2 && check["ok"] != true) {
		t.Fatalf("verify of %s plugin-1 = %d %v, want valid and attested by %s", source, status, body, by)
	}
}

// wantRejected fails the test unless the sync result refused exactly
// wantCount versions, each with a reason holding reason, and the activity
// feed shows the refusal with it.
func (n attestNode) wantRejected(t *testing.T, source string, res map[string]any, wantCount int, reason string) {
	t.Helper()
	rejected, _ := res["rejected"].([]any)
	if res["mirroredCount"] != 0.0 || len(rejected) != wantCount {
		t.Fatalf("sync of %s = %v, want %d refused, none mirrored", source, res, wantCount)
	}
	for _, r := range rejected {
		if got := r.(map[string]any)["reason"].(string); !strings.Contains(got, reason) {
			t.Fatalf("refused with %q, want a reason saying %q", got, reason)
		}
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		_, body := n.api.do(http.MethodGet, "/federation/activity?limit=50&source="+url.QueryEscape(source), n.admin, nil)
		for _, e := range body["entries"].([]any) {
			en := e.(map[string]any)
			if en["kind"] == "plugin_rejected" && strings.Contains(en["summary"].(string), reason) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("activity of %s shows no refusal saying %q: %v", source, reason, body)
		}
	}
}

// TestEndToEndAttestedBytes: real publishers and nodes. A v2 publisher's
// files are shown as attested by the publisher, with a verify answer that
// re-checks signature_v2; an original (v1) publisher's as attested by the
// node only; a v2 publisher whose asset host serves other bytes is
// refused, with the reason in the sync answer and the activity feed; and a
// node with PFN_REQUIRE_ATTESTED_BYTES=true refuses the v1 publisher's
// plugin while it mirrors the v2 one's. Last, the v2 publisher lists a
// version without signature_v2 (it announces the feature) and one with a
// signature_v2 that does not verify: both are refused.
func TestEndToEndAttestedBytes(t *testing.T) {
	t.Parallel()
	pfn := buildBinary(t, ".", "pfn")
	pubBin := buildBinary(t, "../pfn-publisher", "pfn-publisher")
	dir := t.TempDir()
	v2 := startPublisher(t, pubBin, "-key-file", filepath.Join(dir, "v2.pem"), "-plugins", "2", "-admin")
	v1 := startPublisher(t, pubBin, "-key-file", filepath.Join(dir, "v1.pem"), "-plugins", "1", "-v1-only")
	// The asset host serves its own plugin-1 (5000 bytes) at the path where
	// the swapped publisher's signed plugin-1 (4096 bytes) should be.
	host := startPublisher(t, pubBin, "-key-file", filepath.Join(dir, "host.pem"), "-plugins", "1", "-plugin-size", "5000", "-v1-only")
	swapped := startPublisher(t, pubBin, "-key-file", filepath.Join(dir, "swapped.pem"), "-plugins", "1", "-asset-domain", host.URL)

	node := startAttestNode(t, pfn)
	v2ID, res := node.subscribe(t, v2)
	if res["mirroredCount"] != 2.0 {
		t.Fatalf("sync of the v2 publisher = %v, want 2 mirrored", res)
	}
	node.wantAttested(t, v2ID, 2, "publisher")

	v1ID, res := node.subscribe(t, v1)
	if res["mirroredCount"] != 1.0 {
		t.Fatalf("sync of the v1 publisher = %v, want 1 mirrored", res)
	}
	node.wantAttested(t, v1ID, 1, "node")

	swappedID, res := node.subscribe(t, swapped)
	node.wantRejected(t, swappedID, res, 1, "the asset host serves other bytes than the publisher signed (signature_v2): downloaded sha256 ")
	if got := node.entries(t, swappedID); len(got) != 0 {
		t.Fatalf("the swapped bytes are listed: %v", got)
	}

	strict := startAttestNode(t, pfn, "PFN_REQUIRE_ATTESTED_BYTES=true")
	v1ID, res = strict.subscribe(t, v1)
	strict.wantRejected(t, v1ID, res, 1, "(PFN_REQUIRE_ATTESTED_BYTES)")
	if _, res = strict.subscribe(t, v2); res["mirroredCount"] != 2.0 {
		t.Fatalf("a node requiring attested bytes mirrors of the v2 publisher %v, want 2", res)
	}

	// The same publisher lists a version without signature_v2 although it
	// announces the feature, and one whose signature_v2 does not verify.
	setCatalog(t, v2, []map[string]any{
		{"slug": "stripped", "name": "Stripped", "version": "1.0.0", "short_description": "x", "omit_signature_v2": true},
		{"slug": "forged", "name": "Forged", "version": "1.0.0", "short_description": "x", "bad_signature_v2": true},
	})
	status, body := node.api.do(http.MethodPost, "/federation/sync-source", node.admin, map[string]string{"sourceId": v2ID})
	res, _ = body["syncResult"].(map[string]any)
	var reasons []string
	for _, r := range res["rejected"].([]any) {
		reasons = append(reasons, fmt.Sprintf("%v: %v", r.(map[string]any)["plugin"], r.(map[string]any)["reason"]))
	}
	reasonList := strings.Join(reasons, "\n")
	for _, want := range []string{"stripped: the publisher announces plugin-signature-v2 but lists no signature_v2",
		"forged: signature_v2 of plugin forged 1.0.0: signature does not verify"} {
		if status != http.StatusOK || res["mirroredCount"] != 0.0 || !strings.Contains(reasonList, want) {
			t.Errorf("sync-source of the v2 publisher = %d %v, want a refusal %q", status, body, want)
		}
	}
}
