package main

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// One publisher reached as 127.0.0.1 and as localhost is one key on two
// hosts: the second add-source is 409 naming the first source, unless the
// admin passes allow_shared_key. The real publisher signs the node's
// challenges, so they are in the documented format.
func TestEndToEndSourcesSharedKey(t *testing.T) {
	t.Parallel()
	pfn := buildBinary(t, ".", "pfn")
	pub := buildBinary(t, "../pfn-publisher", "pfn-publisher")
	good := startPublisher(t, pub, "-key-file", filepath.Join(t.TempDir(), "good.pem"))
	const master = "master-key-for-the-e2e-test-0123456789"
	api := apiClient{t, startNode(t, pfn, "PFN_MASTER_KEY="+master)}
	_, body := api.do(http.MethodPost, "/federation/create-admin-key", master, map[string]string{"description": "e2e"})
	admin, _ := body["key"].(string)

	status, body := api.do(http.MethodPost, "/federation/add-source", admin, map[string]string{
		"instance_url": good.URL, "username": "plugin-author", "public_key": good.PublicKey})
	if status != http.StatusCreated || body["verified"] != true {
		t.Fatalf("first add-source = %d %v", status, body)
	}
	first := "plugin-author@" + strings.TrimPrefix(good.URL, "http://")
	other := strings.Replace(good.URL, "127.0.0.1", "localhost", 1)
	req := map[string]any{"instance_url": other, "username": "plugin-author", "public_key": good.PublicKey,
		"allowed_asset_hosts": []string{"127.0.0.1"}}
	status, body = api.do(http.MethodPost, "/federation/add-source", admin, req)
	if msg := fmt.Sprint(body["error"]); status != http.StatusConflict || !strings.Contains(msg, first) || !strings.Contains(msg, "allow_shared_key") {
		t.Fatalf("same key on another host = %d %v, want 409 naming %s", status, body, first)
	}
	req["allow_shared_key"] = true
	status, body = api.do(http.MethodPost, "/federation/add-source", admin, req)
	if status != http.StatusCreated || body["verified"] != true {
		t.Fatalf("same key on another host, allowed = %d %v", status, body)
	}
}
