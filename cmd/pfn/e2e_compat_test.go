package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// getAny is apiClient.do for answers that need not be an object (the
// original's bare arrays).
func (c apiClient) getAny(path, key string) (int, any) {
	c.t.Helper()
	status, raw := c.send(http.MethodGet, path, key, nil)
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		c.t.Fatalf("GET %s answered %d with non-JSON %q", path, status, raw)
	}
	return status, out
}

// sourceRows reads GET /federation/sources in the node's shape: PFN's
// envelope {"sources": [...]}, or the original's bare array.
func (c apiClient) sourceRows(key string, original bool) map[string]map[string]any {
	c.t.Helper()
	status, body := c.getAny("/federation/sources", key)
	var list []any
	if original {
		list, _ = body.([]any)
	} else if env, ok := body.(map[string]any); ok {
		list, _ = env["sources"].([]any)
	}
	if status != http.StatusOK || list == nil {
		c.t.Fatalf("GET /federation/sources (original shapes: %v) = %d %v", original, status, body)
	}
	rows := map[string]map[string]any{}
	for _, r := range list {
		row, _ := r.(map[string]any)
		rows[fmt.Sprint(row["id"])] = row
	}
	return rows
}

// The fields the original network's admin page and scripts read, asserted
// on a node in PFN's shapes (the default) and on one started with
// PFN_API_COMPAT=original; port-less ids (username@hostname) as those
// clients build them, in both.
func TestEndToEndOriginalClients(t *testing.T) {
	t.Parallel()
	pfn := buildBinary(t, ".", "pfn")
	pubBin := buildBinary(t, "../pfn-publisher", "pfn-publisher")
	for _, mode := range []struct {
		name     string
		env      []string
		original bool
	}{
		{name: "pfn (default)"},
		{name: "original", env: []string{"PFN_API_COMPAT=original"}, original: true},
	} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			solo := startPublisher(t, pubBin, "-key-file", filepath.Join(dir, "solo.pem"), "-username", "solo", "-plugins", "2")
			twin := startPublisher(t, pubBin, "-key-file", filepath.Join(dir, "twin.pem"), "-username", "twin")
			// The same author on a second port, answering challenges with
			// another key: its verification fails.
			liar := startPublisher(t, pubBin, "-key-file", filepath.Join(dir, "liar.pem"), "-username", "twin",
				"-challenge-key-file", filepath.Join(dir, "other.pem"))
			const master = "master-key-for-the-compat-test-0123456789"
			api := apiClient{t, startNode(t, pfn, append(mode.env, "PFN_MASTER_KEY="+master)...)}
			hostPort := func(p publisherProc) string { return strings.TrimPrefix(p.URL, "http://") }
			soloID, twinID, liarID := "solo@"+hostPort(solo), "twin@"+hostPort(twin), "twin@"+hostPort(liar)

			var admin string
			t.Run("create-admin-key: key, description, created", func(t *testing.T) {
				before := time.Now()
				status, body := api.do(http.MethodPost, "/federation/create-admin-key", master, map[string]string{"description": "compat"})
				admin, _ = body["key"].(string)
				if status != http.StatusCreated || !strings.HasPrefix(admin, "fadmin_") || body["description"] != "compat" {
					t.Fatalf("create-admin-key = %d %v", status, body)
				}
				var created time.Time
				if mode.original { // epoch milliseconds
					ms, ok := body["created"].(float64)
					if !ok {
						t.Fatalf("created %#v, want epoch milliseconds", body["created"])
					}
					created = time.UnixMilli(int64(ms))
				} else { // RFC 3339
					s, _ := body["created"].(string)
					var err error
					if created, err = time.Parse(time.RFC3339, s); err != nil {
						t.Fatalf("created %#v, want RFC 3339: %v", body["created"], err)
					}
				}
				if created.Before(before.Add(-time.Minute)) || created.After(time.Now().Add(time.Minute)) {
					t.Fatalf("created %v, want about %v", created, before)
				}
			})

			t.Run("add-source: success, source_id, status, message", func(t *testing.T) {
				for _, tc := range []struct {
					pub     publisherProc
					user    string
					id      string
					success bool
					status  string
					message string
				}{
					{solo, "solo", soloID, true, "verified", "verified"},
					{twin, "twin", twinID, true, "verified", "verified"},
					{liar, "twin", liarID, false, "failed", "not verified"},
				} {
					status, body := api.do(http.MethodPost, "/federation/add-source", admin, map[string]string{
						"instance_url": tc.pub.URL, "username": tc.user, "public_key": tc.pub.PublicKey})
					source, _ := body["source"].(map[string]any)
					if status != http.StatusCreated || body["success"] != tc.success || body["verified"] != tc.success ||
						body["source_id"] != tc.id || body["sourceId"] != tc.id || body["status"] != tc.status ||
						!strings.Contains(fmt.Sprint(body["message"]), tc.message) || source["id"] != tc.id {
						t.Fatalf("add-source %s = %d %v", tc.id, status, body)
					}
				}
			})

			t.Run("sources: the node's shape, rows with last_verification_result and successful_verifications", func(t *testing.T) {
				rows := api.sourceRows(admin, mode.original)
				if len(rows) != 3 {
					t.Fatalf("%d rows, want 3: %v", len(rows), rows)
				}
				for id, want := range map[string]struct {
					result    string
					successes float64
				}{soloID: {"success", 1}, twinID: {"success", 1}, liarID: {"failed: ", 0}} {
					row := rows[id]
					if !strings.HasPrefix(fmt.Sprint(row["last_verification_result"]), want.result) ||
						row["successful_verifications"] != want.successes {
						t.Fatalf("row %s: last_verification_result %v, successful_verifications %v; want %q…, %v",
							id, row["last_verification_result"], row["successful_verifications"], want.result, want.successes)
					}
				}
			})

			t.Run("verify-source: success only when verified; port-less ids", func(t *testing.T) {
				for _, tc := range []struct {
					given   string
					code    int
					id      string
					success bool
				}{
					{"solo@127.0.0.1", http.StatusOK, soloID, true},
					{soloID, http.StatusOK, soloID, true},
					{liarID, http.StatusOK, liarID, false},
					{"twin@127.0.0.1", http.StatusConflict, "", false},
					{"nobody@127.0.0.1", http.StatusNotFound, "", false},
				} {
					status, body := api.do(http.MethodPost, "/federation/verify-source", admin, map[string]string{"sourceId": tc.given})
					if status != tc.code {
						t.Fatalf("verify-source %s = %d %v, want %d", tc.given, status, body, tc.code)
					}
					if tc.code != http.StatusOK {
						continue
					}
					if body["success"] != tc.success || body["verified"] != tc.success || body["source_id"] != tc.id ||
						body["sourceId"] != tc.id || body["message"] == "" || body["message"] == nil {
						t.Fatalf("verify-source %s = %v", tc.given, body)
					}
				}
				if row := api.sourceRows(admin, mode.original)[soloID]; row["successful_verifications"] != 3.0 ||
					row["last_verification_result"] != "success" {
					t.Fatalf("solo after two more verifications: %v", row)
				}
				rows := api.sourceRows(admin, mode.original)
				if row := rows[liarID]; !strings.Contains(fmt.Sprint(row["last_verification_result"]), "does not verify") {
					t.Fatalf("liar's last_verification_result %v", row["last_verification_result"])
				}
				// The sources rebuilt from their events say the same.
				at := url.QueryEscape(time.Now().UTC().Add(time.Second).Format(time.RFC3339))
				for _, id := range []string{soloID, liarID} {
					status, then := api.do(http.MethodGet, "/federation/source-status?sourceId="+url.QueryEscape(id)+"&at="+at, admin, nil)
					for _, f := range []string{"last_verification_result", "successful_verifications"} {
						if status != http.StatusOK || then[f] != rows[id][f] {
							t.Fatalf("%s as of now = %d %v: %s %v, the read model says %v", id, status, then, f, then[f], rows[id][f])
						}
					}
				}
			})

			t.Run("an ambiguous port-less id is 409 listing the candidates", func(t *testing.T) {
				for _, path := range []string{"/federation/verify-source", "/federation/update-source", "/federation/subscribe",
					"/federation/unsubscribe", "/federation/sync-source"} {
					status, body := api.do(http.MethodPost, path, admin, map[string]string{"sourceId": "twin@127.0.0.1"})
					var candidates []string
					for _, c := range body["candidates"].([]any) {
						candidates = append(candidates, fmt.Sprint(c))
					}
					slices.Sort(candidates)
					want := []string{twinID, liarID}
					slices.Sort(want)
					if status != http.StatusConflict || !slices.Equal(candidates, want) ||
						!strings.Contains(fmt.Sprint(body["error"]), twinID) {
						t.Fatalf("%s twin@127.0.0.1 = %d %v", path, status, body)
					}
				}
				for _, path := range []string{"/federation/source-status?sourceId=", "/federation/download?plugin=x&source=",
					"/federation/verify?plugin=x&source=", "/federation/plugins?source="} {
					if status, body := api.do(http.MethodGet, path+url.QueryEscape("twin@127.0.0.1"), admin, nil); status != http.StatusConflict {
						t.Fatalf("GET %s twin@127.0.0.1 = %d %v", path, status, body)
					}
				}
			})

			t.Run("update-source: success, message, source", func(t *testing.T) {
				status, body := api.do(http.MethodPost, "/federation/update-source", admin, map[string]string{"sourceId": "solo@127.0.0.1"})
				source, _ := body["source"].(map[string]any)
				if status != http.StatusOK || body["success"] != true || !strings.Contains(fmt.Sprint(body["message"]), "updated") ||
					source["id"] != soloID || body["source_id"] != soloID || body["sourceId"] != soloID {
					t.Fatalf("update-source = %d %v", status, body)
				}
			})

			t.Run("subscribe: success, message, source, syncResult", func(t *testing.T) {
				status, body := api.do(http.MethodPost, "/federation/subscribe", admin, map[string]string{"sourceId": "solo@127.0.0.1"})
				sync, _ := body["syncResult"].(map[string]any)
				if status != http.StatusOK || body["success"] != true || body["subscribed"] != true ||
					!strings.Contains(fmt.Sprint(body["message"]), "Mirrored 2 new of 2") ||
					body["source"] != soloID || body["source_id"] != soloID || body["sourceId"] != soloID ||
					sync["success"] != true || sync["mirroredCount"] != 2.0 || sync["totalPlugins"] != 2.0 {
					t.Fatalf("subscribe = %d %v", status, body)
				}
			})

			t.Run("port-less ids in queries: source-status, plugins, download, verify", func(t *testing.T) {
				for _, q := range []string{"sourceId", "source"} {
					status, body := api.do(http.MethodGet, "/federation/source-status?"+q+"=solo%40127.0.0.1", admin, nil)
					if status != http.StatusOK || body["id"] != soloID {
						t.Fatalf("source-status?%s=solo@127.0.0.1 = %d %v", q, status, body)
					}
				}
				status, body := api.do(http.MethodGet, "/federation/plugins?source=solo%40127.0.0.1", admin, nil)
				plugins, _ := body["plugins"].([]any)
				if status != http.StatusOK || len(plugins) != 2 {
					t.Fatalf("plugins?source=solo@127.0.0.1 = %d %v", status, body)
				}
				slug := fmt.Sprint(plugins[0].(map[string]any)["plugin_id"])
				if status, body := api.do(http.MethodGet, "/federation/verify?source=solo%40127.0.0.1&plugin="+slug, admin, nil); status != http.StatusOK {
					t.Fatalf("verify = %d %v", status, body)
				}
				req, _ := http.NewRequest(http.MethodHead, api.base+"/federation/download?source=solo%40127.0.0.1&plugin="+slug, nil)
				req.Header.Set("Authorization", "Bearer "+admin)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("HEAD download = %d", resp.StatusCode)
				}
				if status, body := api.do(http.MethodGet, "/federation/plugins?source=nobody%40127.0.0.1", admin, nil); status != http.StatusOK ||
					len(body["plugins"].([]any)) != 0 {
					t.Fatalf("plugins of nobody = %d %v", status, body)
				}
			})

			t.Run("sync-source and unsubscribe take port-less ids", func(t *testing.T) {
				for _, path := range []string{"/federation/sync-source", "/federation/unsubscribe"} {
					status, body := api.do(http.MethodPost, path, admin, map[string]string{"sourceId": "solo@127.0.0.1"})
					if status != http.StatusOK || body["success"] != true || body["source_id"] != soloID || body["sourceId"] != soloID ||
						body["message"] == nil {
						t.Fatalf("%s = %d %v", path, status, body)
					}
				}
			})
		})
	}
}
