package main

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// activityNode is a node with a verified source, a source whose
// verification failed, and one plugin mirrored at 1.0.0 then updated to
// 1.1.0 (the publisher renamed it on the way).
type activityNode struct {
	api            apiClient
	admin          string
	source, failed string
	env            map[string]string
}

func startActivityNode(t *testing.T, pfn string, pub publisherProc, env ...string) activityNode {
	t.Helper()
	const master = "master-key-for-the-activity-test-0123456789"
	n := activityNode{env: map[string]string{"PFN_DATABASE_URL": databaseURL(t), "PFN_MASTER_KEY": master, "PFN_SCHEDULER": "false"}}
	for k, v := range dataEnv(t) {
		n.env[k] = v
	}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		n.env[k] = v
	}
	var list []string
	for k, v := range n.env {
		list = append(list, k+"="+v)
	}
	_, base := startNodeWith(t, pfn, list...)
	s := register(t, apiClient{t, base}, pub, master)
	n.api, n.admin, n.source = s.api, s.admin, s.source
	down := freeAddr(t) // nothing listens: the verification fails
	n.api.do(http.MethodPost, "/federation/add-source", n.admin, map[string]string{"instance_url": "http://" + down, "username": "plugin-author", "public_key": pub.PublicKey})
	n.failed = "plugin-author@" + down
	return n
}

func (n activityNode) post(t *testing.T, path string, body any) {
	t.Helper()
	if code, res := n.api.do(http.MethodPost, path, n.admin, body); code != http.StatusOK {
		t.Fatalf("%s = %d %v", path, code, res)
	}
}

// get answers the JSON of GET path, whatever its shape, read through the
// node's client so that every answer is held to the OpenAPI document; the
// client reports on t, the (sub)test asking.
func (n activityNode) get(t *testing.T, path string) (int, any) {
	t.Helper()
	return apiClient{t, n.api.base}.getAny(path, n.admin)
}

// waitForFeed waits until the feed (PFN's envelope or the original's
// array) holds count entries of the given kind or type.
func (n activityNode) waitForFeed(t *testing.T, field, value string, count int) {
	t.Helper()
	waitFor(t, "activity "+field+" "+value, 30*time.Second, func() (bool, string) {
		_, body := n.get(t, "/federation/activity?limit=500")
		list, ok := body.([]any)
		if !ok {
			list, _ = body.(map[string]any)["entries"].([]any)
		}
		got := 0
		for _, e := range list {
			if e.(map[string]any)[field] == value {
				got++
			}
		}
		return got == count, string(must(json.Marshal(list)))
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// Every field the original network's clients read of GET
// /federation/activity, in both shapes: beside PFN's own fields in its
// envelope, and as the original's bare array with PFN_API_COMPAT=original;
// paged by offset; kept by a rebuild of the feed.
func TestEndToEndActivityForTheOriginalsClients(t *testing.T) {
	t.Parallel()
	pfn := buildBinary(t, ".", "pfn")
	pubBin := buildBinary(t, "../pfn-publisher", "pfn-publisher")
	pub := startPublisher(t, pubBin, "-key-file", filepath.Join(t.TempDir(), "pub.pem"), "-plugins", "0", "-admin")
	start := time.Now().Unix()
	nodes := map[string]activityNode{
		"pfn":      startActivityNode(t, pfn, pub),
		"original": startActivityNode(t, pfn, pub, "PFN_API_COMPAT=original"),
	}
	tool := func(version, name string) []map[string]any {
		return []map[string]any{{"slug": "tool", "name": name, "version": version, "short_description": "x", "tags": []string{"utilities"}}}
	}
	setCatalog(t, pub, tool("1.0.0", "Tool"))
	for _, n := range nodes {
		n.post(t, "/federation/subscribe", map[string]any{"sourceId": n.source})
	}
	setCatalog(t, pub, tool("1.1.0", "Tool Pro"))
	for _, n := range nodes {
		n.post(t, "/federation/sync-source", map[string]string{"sourceId": n.source})
	}
	nodes["pfn"].waitForFeed(t, "kind", "version_updated", 1)
	nodes["original"].waitForFeed(t, "type", "version_update", 2)
	end := time.Now().Unix()

	t.Run("PFN's envelope: PFN's fields and the original's beside them", func(t *testing.T) {
		n := nodes["pfn"]
		code, body := n.get(t, "/federation/activity")
		page, _ := body.(map[string]any)
		entries, _ := page["entries"].([]any)
		if code != http.StatusOK || len(entries) == 0 {
			t.Fatalf("activity = %d %v", code, body)
		}
		if !reflect.DeepEqual(page["activities"], page["entries"]) {
			t.Fatalf("activities %v differ from entries %v", page["activities"], page["entries"])
		}
		byKind := map[string]map[string]any{}
		for _, raw := range entries {
			e := raw.(map[string]any)
			for _, k := range []string{"id", "position", "at", "kind", "sourceId", "summary",
				"type", "timestamp", "plugin_id", "plugin_name", "source_id", "source_username", "old_version", "new_version"} {
				if _, ok := e[k]; !ok {
					t.Errorf("entry %v has no %s", e, k)
				}
			}
			at, err := time.Parse(time.RFC3339Nano, e["at"].(string))
			if err != nil || e["timestamp"] != float64(at.Unix()) || at.Unix() < start || at.Unix() > end {
				t.Errorf("entry %s: timestamp %v, at %v (%v): want at's unix seconds, within the test", e["kind"], e["timestamp"], e["at"], err)
			}
			if e["source_id"] != e["sourceId"] || e["source_username"] != "plugin-author" {
				t.Errorf("entry %s: source_id %v, sourceId %v, source_username %v", e["kind"], e["source_id"], e["sourceId"], e["source_username"])
			}
			if p, ok := e["plugin"]; (ok && e["plugin_id"] != p) || (!ok && e["plugin_id"] != nil) {
				t.Errorf("entry %s: plugin_id %v, plugin %v", e["kind"], e["plugin_id"], p)
			}
			want := map[string]string{"mirrored": "version_update", "version_updated": "version_update",
				"verified": "source_verification", "verification_failed": "source_verification"}[e["kind"].(string)]
			if want == "" {
				want = e["kind"].(string) // PFN's other kinds keep their name
			}
			if e["type"] != want {
				t.Errorf("entry %s: type %v, want %s", e["kind"], e["type"], want)
			}
			byKind[e["kind"].(string)] = e
		}
		for kind, want := range map[string]map[string]any{
			"mirrored":            {"sourceId": n.source, "plugin": "tool", "plugin_id": "tool", "plugin_name": "Tool", "old_version": "0.0.0", "new_version": "1.0.0"},
			"version_updated":     {"sourceId": n.source, "plugin": "tool", "plugin_id": "tool", "plugin_name": "Tool Pro", "old_version": "1.0.0", "new_version": "1.1.0"},
			"verified":            {"sourceId": n.source, "plugin_id": nil, "plugin_name": nil, "old_version": nil, "new_version": nil},
			"verification_failed": {"sourceId": n.failed, "plugin_id": nil, "plugin_name": nil, "old_version": nil, "new_version": nil},
			"synced":              {"sourceId": n.source, "type": "synced", "plugin_id": nil, "old_version": nil, "new_version": nil},
		} {
			e, ok := byKind[kind]
			if !ok {
				t.Errorf("no %s entry in %v", kind, entries)
				continue
			}
			for k, v := range want {
				if e[k] != v {
					t.Errorf("%s entry: %s = %v, want %v", kind, k, e[k], v)
				}
			}
		}

		// offset pages as the original did, beside the cursor.
		for _, off := range []int{0, 1, len(entries) - 1, len(entries)} {
			_, body := n.get(t, "/federation/activity?limit=1&offset="+strconv.Itoa(off))
			got, _ := body.(map[string]any)["entries"].([]any)
			if off == len(entries) {
				if len(got) != 0 {
					t.Errorf("offset %d past the end: %v", off, got)
				}
				continue
			}
			if len(got) != 1 || !reflect.DeepEqual(got[0], entries[off]) {
				t.Errorf("offset %d: %v, want %v", off, got, entries[off])
			}
		}
		for _, q := range []string{"offset=-1", "offset=x", "offset=100001", "offset=1&cursor=5"} {
			code, body := n.get(t, "/federation/activity?"+q)
			if msg, _ := body.(map[string]any)["error"].(string); code != http.StatusBadRequest || !strings.Contains(msg, "offset") {
				t.Errorf("?%s = %d %v, want 400 naming offset", q, code, body)
			}
		}
	})

	t.Run("original shapes: a bare array of the original's entries, paged by limit and offset", func(t *testing.T) {
		n := nodes["original"]
		code, body := n.get(t, "/federation/activity")
		list, ok := body.([]any)
		if code != http.StatusOK || !ok {
			t.Fatalf("activity = %d %v, want a bare array", code, body)
		}
		str := func(s string) any { return s }
		want := []map[string]any{ // newest first
			{"type": "version_update", "plugin_id": str("tool"), "plugin_name": str("Tool Pro"), "source_id": n.source, "old_version": str("1.0.0"), "new_version": str("1.1.0")},
			{"type": "version_update", "plugin_id": str("tool"), "plugin_name": str("Tool"), "source_id": n.source, "old_version": str("0.0.0"), "new_version": str("1.0.0")},
			{"type": "source_verification", "plugin_id": nil, "plugin_name": nil, "source_id": n.failed, "old_version": nil, "new_version": nil},
			{"type": "source_verification", "plugin_id": nil, "plugin_name": nil, "source_id": n.source, "old_version": nil, "new_version": nil},
		}
		if len(list) != len(want) {
			t.Fatalf("%d entries, want %d: %v", len(list), len(want), list)
		}
		for i, w := range want {
			e := list[i].(map[string]any)
			keys := slices.Sorted(maps.Keys(e))
			if !slices.Equal(keys, []string{"new_version", "old_version", "plugin_id", "plugin_name", "source_id", "source_username", "timestamp", "type"}) {
				t.Errorf("entry %d has the fields %v", i, keys)
			}
			w["source_username"] = "plugin-author"
			for k, v := range w {
				if e[k] != v {
					t.Errorf("entry %d (%s): %s = %v, want %v", i, w["type"], k, e[k], v)
				}
			}
			if ts, _ := e["timestamp"].(float64); ts < float64(start) || ts > float64(end) {
				t.Errorf("entry %d: timestamp %v, want unix seconds within the test (%d to %d)", i, e["timestamp"], start, end)
			}
		}
		for _, c := range []struct {
			query string
			want  []any
		}{
			{"limit=1", list[:1]}, {"limit=1&offset=1", list[1:2]}, {"limit=2&offset=2", list[2:4]},
			{"offset=3", list[3:]}, {"offset=4", []any{}},
		} {
			code, body := n.get(t, "/federation/activity?"+c.query)
			if code != http.StatusOK || !reflect.DeepEqual(body, c.want) {
				t.Errorf("?%s = %d %v, want %v", c.query, code, body, c.want)
			}
		}
		if code, body := n.get(t, "/federation/activity?offset=1&cursor=5"); code != http.StatusBadRequest {
			t.Errorf("offset with cursor = %d %v", code, body)
		}
	})

	t.Run("a rebuild of the feed keeps versions and names", func(t *testing.T) {
		n := nodes["pfn"]
		_, before := n.get(t, "/federation/activity")
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), []string{"projections", "rebuild", "activity"}, func(k string) string { return n.env[k] }, &stdout, &stderr); err != nil {
			t.Fatalf("pfn projections rebuild activity: %v\n%s", err, stderr.String())
		}
		if !strings.Contains(stdout.String(), "rebuilt activity") {
			t.Errorf("rebuild said %q", stdout.String())
		}
		_, after := n.get(t, "/federation/activity")
		if !reflect.DeepEqual(before, after) {
			t.Fatalf("after a rebuild the feed reads\n%v\nnot\n%v", after, before)
		}
		for _, raw := range after.(map[string]any)["entries"].([]any) {
			if e := raw.(map[string]any); e["kind"] == "version_updated" && (e["old_version"] != "1.0.0" || e["plugin_name"] != "Tool Pro") {
				t.Fatalf("rebuilt version update: %v", e)
			}
		}
	})
}
