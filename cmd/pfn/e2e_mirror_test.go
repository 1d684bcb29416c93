package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// catalogEntry is the reference publisher's own view of one of its files.
type catalogEntry struct {
	Slug, Version, URL, SHA256 string
	Size                       int
}

func publisherFiles(t testing.TB, pub publisherProc) []catalogEntry {
	t.Helper()
	resp, err := http.Get(pub.URL + "/_admin/catalog")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Plugins []catalogEntry }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("publisher catalog: %v", err)
	}
	return out.Plugins
}

func publisherTagged(t testing.TB, pub publisherProc, tag string) []string {
	t.Helper()
	resp, err := http.Get(pub.URL + "/author-data?author=plugin-author")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Plugins []struct {
			Slug string            `json:"slug"`
			Tags map[string]string `json:"tags"`
		} `json:"plugins"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	var slugs []string
	for _, p := range doc.Plugins {
		for _, v := range p.Tags {
			if v == tag {
				slugs = append(slugs, p.Slug)
				break
			}
		}
	}
	slices.Sort(slugs)
	return slugs
}

func setCatalog(t testing.TB, pub publisherProc, entries []map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(entries)
	resp, err := http.Post(pub.URL+"/_admin/catalog", "application/json", strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("set publisher catalog: %d", resp.StatusCode)
	}
}

func TestEndToEndMirroring(t *testing.T) {
	t.Parallel()
	pfn := buildBinary(t, ".", "pfn")
	pubBin := buildBinary(t, "../pfn-publisher", "pfn-publisher")
	dir := t.TempDir()
	// -with-sha256: the publisher lists each file's sha256, as publishers
	// that want their signature to cover the bytes do.
	pub := startPublisher(t, pubBin, "-key-file", filepath.Join(dir, "pub.pem"), "-plugins", "50", "-admin", "-with-sha256")
	const master = "master-key-for-the-e2e-test-0123456789"
	api := apiClient{t, startNode(t, pfn, "PFN_MASTER_KEY="+master)}

	_, body := api.do(http.MethodPost, "/federation/create-admin-key", master, map[string]string{})
	admin := body["key"].(string)
	_, body = api.do(http.MethodPost, "/federation/create-admin-key", admin, map[string]string{"role": "consumer"})
	consumer := body["key"].(string)
	status, body := api.do(http.MethodPost, "/federation/add-source", admin, map[string]string{
		"instance_url": pub.URL, "username": "plugin-author", "public_key": pub.PublicKey})
	if status != http.StatusCreated || body["verified"] != true {
		t.Fatalf("add-source = %d %v", status, body)
	}
	sourceID := body["sourceId"].(string)

	wantSlugs := publisherTagged(t, pub, "security")
	if len(wantSlugs) == 0 || len(wantSlugs) == 50 {
		t.Fatalf("test premise: the security tag selects %d of 50 plugins", len(wantSlugs))
	}

	t.Run("subscribing with a tag filter mirrors exactly the matching plugins", func(t *testing.T) {
		status, body := api.do(http.MethodPost, "/federation/subscribe", consumer, map[string]any{
			"sourceId": sourceID, "filters": map[string]any{"tags": []string{"security"}}})
		res, _ := body["syncResult"].(map[string]any)
		if status != http.StatusOK || res["mirroredCount"] != float64(len(wantSlugs)) || res["totalPlugins"] != 50.0 {
			t.Fatalf("subscribe = %d %v, want %d mirrored of 50", status, body, len(wantSlugs))
		}
	})

	t.Run("again: nothing downloaded twice, no row duplicated", func(t *testing.T) {
		status, body := api.do(http.MethodPost, "/federation/subscribe", consumer, map[string]any{
			"sourceId": sourceID, "filters": map[string]any{"tags": []string{"security"}}})
		res, _ := body["syncResult"].(map[string]any)
		if status != http.StatusOK || res["mirroredCount"] != 0.0 || res["alreadyMirrored"] != float64(len(wantSlugs)) {
			t.Fatalf("re-subscribe = %d %v", status, body)
		}
		status, body = api.do(http.MethodPost, "/federation/sync-source", admin, map[string]string{"sourceId": sourceID})
		res, _ = body["syncResult"].(map[string]any)
		if status != http.StatusOK || res["mirroredCount"] != 0.0 {
			t.Fatalf("sync-source = %d %v", status, body)
		}
		status, body = api.do(http.MethodGet, "/federation/subscriptions", consumer, nil)
		if subs, _ := body["subscriptions"].([]any); status != 200 || len(subs) != 1 {
			t.Fatalf("subscriptions = %d %v", status, body)
		}
	})

	var listed []map[string]any
	t.Run("the catalogue pages through every mirrored plugin once", func(t *testing.T) {
		cursor := ""
		for range 20 {
			_, body := api.do(http.MethodGet, "/federation/plugins?limit=7&cursor="+cursor, "", nil)
			page, _ := body["plugins"].([]any)
			for _, p := range page {
				listed = append(listed, p.(map[string]any))
			}
			cursor, _ = body["next_cursor"].(string)
			if cursor == "" {
				break
			}
		}
		var got []string
		for _, p := range listed {
			got = append(got, p["plugin_id"].(string))
		}
		slices.Sort(got)
		if !slices.Equal(got, wantSlugs) {
			t.Fatalf("catalogue lists %v, want %v", got, wantSlugs)
		}
		_, body := api.do(http.MethodGet, "/federation/plugins?tag=security&q="+url.QueryEscape(wantSlugs[0]), "", nil)
		if page, _ := body["plugins"].([]any); len(page) == 0 {
			t.Fatalf("search for %s found nothing: %v", wantSlugs[0], body)
		}
	})

	t.Run("every download equals the publisher's file", func(t *testing.T) {
		files := map[string]catalogEntry{}
		for _, f := range publisherFiles(t, pub) {
			files[f.Slug] = f
		}
		for _, slug := range wantSlugs {
			resp, err := http.Get(api.base + "/federation/download?source=" + url.QueryEscape(sourceID) + "&plugin=" + slug)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			sum := sha256.Sum256(b)
			got := hex.EncodeToString(sum[:])
			if resp.StatusCode != 200 || got != files[slug].SHA256 || resp.Header.Get("ETag") != `"`+got+`"` ||
				resp.Header.Get("Content-Length") != fmt.Sprint(len(b)) || resp.Header.Get("Digest") == "" {
				t.Fatalf("download %s: %d, sha256 %s (publisher %s), headers %v", slug, resp.StatusCode, got, files[slug].SHA256, resp.Header)
			}
		}
		head, err := http.Head(api.base + "/federation/download?source=" + url.QueryEscape(sourceID) + "&plugin=" + wantSlugs[0])
		if err != nil {
			t.Fatal(err)
		}
		head.Body.Close()
		if head.StatusCode != 200 || head.Header.Get("Content-Length") != fmt.Sprint(files[wantSlugs[0]].Size) ||
			head.Header.Get("ETag") != `"`+files[wantSlugs[0]].SHA256+`"` {
			t.Fatalf("HEAD download: %d %v", head.StatusCode, head.Header)
		}
		status, body := api.do(http.MethodGet, "/federation/download?source="+url.QueryEscape(sourceID)+"&plugin=no-such-plugin", "", nil)
		if status != 404 || body["error"] == nil {
			t.Fatalf("download of a missing plugin = %d %v", status, body)
		}
	})

	t.Run("verify says what passed", func(t *testing.T) {
		status, body := api.do(http.MethodGet, "/federation/verify?source="+url.QueryEscape(sourceID)+"&plugin="+wantSlugs[0], "", nil)
		if status != 200 || body["valid"] != true {
			t.Fatalf("verify = %d %v", status, body)
		}
		status, body = api.do(http.MethodGet, "/federation-info", "", nil)
		if status != 200 || !strings.Contains(fmt.Sprint(body["public_key"]), "BEGIN PUBLIC KEY") {
			t.Fatalf("federation-info = %d %v", status, body)
		}
	})

	t.Run("bad signatures, tampering, rollbacks and hostile slugs are refused with reasons", func(t *testing.T) {
		first := wantSlugs[0]
		var firstVersion, firstName, firstDescription string
		for _, p := range listed {
			if p["plugin_id"] == first {
				firstVersion, firstName, firstDescription = p["version"].(string), p["name"].(string), p["description"].(string)
			}
		}
		sec := []string{"security"}
		setCatalog(t, pub, []map[string]any{
			// Other bytes under a version already mirrored (same name and
			// description, so the publisher's signature is unchanged; the
			// listed sha256 gives it away).
			{"slug": first, "name": firstName, "version": firstVersion, "short_description": firstDescription, "tags": sec,
				"content_base64": base64.StdEncoding.EncodeToString([]byte("PK\x03\x04 other bytes, same version"))},
			{"slug": "forged", "name": "Forged", "version": "1.0.0", "short_description": "x", "tags": sec, "bad_signature": true},
			{"slug": wantSlugs[1], "name": "Old", "version": "0.9.0", "short_description": "x", "tags": sec},
			{"slug": "../escape", "name": "Escape", "version": "1.0.0", "short_description": "x", "tags": sec},
			{"slug": wantSlugs[2], "name": "New", "version": "2.0.0", "short_description": "x", "tags": sec},
		})
		status, body := api.do(http.MethodPost, "/federation/sync-source", admin, map[string]string{"sourceId": sourceID})
		res, _ := body["syncResult"].(map[string]any)
		if status != 200 || res["mirroredCount"] != 1.0 {
			t.Fatalf("sync = %d %v, want the one new version mirrored", status, body)
		}
		reasons := fmt.Sprint(res["rejected"])
		for _, want := range []string{"forged", "signature does not verify", "rollback", "../escape", "tampering", first} {
			if !strings.Contains(reasons, want) {
				t.Errorf("rejections %s do not mention %q", reasons, want)
			}
		}
		// The tampered version still downloads as first mirrored.
		status, body = api.do(http.MethodGet, "/federation/verify?source="+url.QueryEscape(sourceID)+"&plugin="+first+"&version="+firstVersion, "", nil)
		if status != 200 || body["valid"] != true {
			t.Fatalf("first copy after tampering: %d %v", status, body)
		}
		status, body = api.do(http.MethodGet, "/federation/source-status?sourceId="+url.QueryEscape(sourceID), admin, nil)
		comps, _ := body["trust_components"].(map[string]any)
		if status != 200 || comps["signatures"] == 1.0 {
			t.Fatalf("a bad signature did not lower the signatures component: %v", body)
		}
		// The same findings on the next sync are reported again, penalised once.
		status, body = api.do(http.MethodPost, "/federation/sync-source", admin, map[string]string{"sourceId": sourceID})
		if res, _ := body["syncResult"].(map[string]any); status != 200 || !strings.Contains(fmt.Sprint(res["rejected"]), "tampering") {
			t.Fatalf("second sync = %d %v", status, body)
		}
		_, body = api.do(http.MethodGet, "/federation/source-status?sourceId="+url.QueryEscape(sourceID), admin, nil)
		if again, _ := body["trust_components"].(map[string]any); again["signatures"] != comps["signatures"] {
			t.Fatalf("signatures component went from %v to %v on a sync that found nothing new", comps["signatures"], again["signatures"])
		}
	})

	t.Run("filters are checked before anything is written", func(t *testing.T) {
		for name, filters := range map[string]any{
			"unknown key": map[string]any{"colour": []string{"red"}},
			"wrong type":  map[string]any{"tags": "security"},
		} {
			status, body := api.do(http.MethodPost, "/federation/subscribe", consumer, map[string]any{"sourceId": sourceID, "filters": filters})
			if status != 400 || body["error"] == nil {
				t.Errorf("%s: %d %v", name, status, body)
			}
		}
	})
}

func TestEndToEndSubscriptionEdges(t *testing.T) {
	t.Parallel()
	pfn := buildBinary(t, ".", "pfn")
	pubBin := buildBinary(t, "../pfn-publisher", "pfn-publisher")
	dir := t.TempDir()
	// An author called "slugger" breaks the original's naming scheme
	// substitution; PFN substitutes in one pass.
	slugger := startPublisher(t, pubBin, "-key-file", filepath.Join(dir, "s.pem"), "-username", "slugger", "-plugins", "3", "-admin")
	const master = "master-key-for-the-e2e-test-0123456789"
	api := apiClient{t, startNode(t, pfn, "PFN_MASTER_KEY="+master)}
	_, body := api.do(http.MethodPost, "/federation/create-admin-key", master, map[string]string{})
	admin := body["key"].(string)

	status, body := api.do(http.MethodPost, "/federation/add-source", admin, map[string]string{
		"instance_url": slugger.URL, "username": "slugger", "public_key": slugger.PublicKey})
	if status != http.StatusCreated || body["verified"] != true {
		t.Fatalf("add-source = %d %v", status, body)
	}
	id := body["sourceId"].(string)

	t.Run("legacy naming scheme with an author called slugger", func(t *testing.T) {
		status, body := api.do(http.MethodPost, "/federation/subscribe", admin, map[string]any{"sourceId": id})
		res, _ := body["syncResult"].(map[string]any)
		if status != 200 || res["mirroredCount"] != 3.0 {
			t.Fatalf("subscribe = %d %v", status, body)
		}
	})

	t.Run("two syncs at once download each new file once", func(t *testing.T) {
		var entries []map[string]any
		for i := 1; i <= 6; i++ {
			entries = append(entries, map[string]any{"slug": fmt.Sprintf("plugin-%d", i), "name": fmt.Sprintf("Plugin %d", i),
				"version": "1.0.0", "short_description": "d", "tags": []string{"utilities"}})
		}
		setCatalog(t, slugger, entries)
		results := make(chan float64, 2)
		for range 2 {
			go func() {
				_, body := api.do(http.MethodPost, "/federation/sync-source", admin, map[string]string{"sourceId": id})
				res, _ := body["syncResult"].(map[string]any)
				n, _ := res["mirroredCount"].(float64)
				results <- n
			}()
		}
		total := <-results + <-results
		if total != 3 {
			t.Fatalf("two concurrent syncs mirrored %v new files in all, want 3", total)
		}
		_, body := api.do(http.MethodGet, "/federation/plugins?source="+url.QueryEscape(id), "", nil)
		if page, _ := body["plugins"].([]any); len(page) != 6 {
			t.Fatalf("catalogue has %d rows, want 6", len(page))
		}
	})

	t.Run("unsubscribe, twice", func(t *testing.T) {
		if status, body := api.do(http.MethodPost, "/federation/unsubscribe", admin, map[string]string{"sourceId": id}); status != 200 {
			t.Fatalf("unsubscribe = %d %v", status, body)
		}
		if status, body := api.do(http.MethodPost, "/federation/unsubscribe", admin, map[string]string{"sourceId": id}); status != 404 {
			t.Fatalf("second unsubscribe = %d %v", status, body)
		}
		_, body := api.do(http.MethodGet, "/federation/source-status?sourceId="+url.QueryEscape(id), admin, nil)
		if body["subscriber_count"] != 0.0 {
			t.Fatalf("subscriber count after unsubscribing: %v", body["subscriber_count"])
		}
	})

	t.Run("a source that is not verified cannot be subscribed to", func(t *testing.T) {
		down := freeAddr(t)
		api.do(http.MethodPost, "/federation/add-source", admin, map[string]string{
			"instance_url": "http://" + down, "username": "slugger", "public_key": slugger.PublicKey})
		status, body := api.do(http.MethodPost, "/federation/subscribe", admin, map[string]any{"sourceId": "slugger@" + down})
		if status != http.StatusConflict || !strings.Contains(fmt.Sprint(body["error"]), "verified") {
			t.Fatalf("subscribe to a failed source = %d %v", status, body)
		}
		status, body = api.do(http.MethodPost, "/federation/subscribe", admin, map[string]any{"sourceId": "nobody@nowhere.example"})
		if status != http.StatusNotFound {
			t.Fatalf("subscribe to an unknown source = %d %v", status, body)
		}
	})
}
