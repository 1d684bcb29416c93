package main

import (
	"io/fs"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/internal/testservers"
)

// filesIn lists the regular files under dir (a file blob store).
func filesIn(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			out = append(out, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// catalogue is the listing's plugin_id → version rows of the source.
func (s opsSetup) catalogue(t *testing.T, query string) map[string]string {
	t.Helper()
	code, body := s.api.do(http.MethodGet, "/federation/plugins?limit=50"+query, s.admin, nil)
	if code != http.StatusOK {
		t.Fatalf("plugins%s = %d %v", query, code, body)
	}
	out := map[string]string{}
	for _, p := range body["plugins"].([]any) {
		if row := p.(map[string]any); row["source_id"] == s.source {
			out[row["plugin_id"].(string)] = row["version"].(string)
		}
	}
	return out
}

// download fetches a plugin version of the source with key.
func (s opsSetup) download(t *testing.T, key, plugin, version string) (int, string) {
	t.Helper()
	code, raw := s.api.send(http.MethodGet, "/federation/download?source="+url.QueryEscape(s.source)+"&plugin="+plugin+"&version="+version, key, nil)
	return code, string(raw)
}

// listedSource finds the source in GET /federation/sources with query.
func (s opsSetup) listedSource(t *testing.T, query string) map[string]any {
	t.Helper()
	code, body := s.api.do(http.MethodGet, "/federation/sources"+query, s.admin, nil)
	if code != http.StatusOK {
		t.Fatalf("sources%s = %d %v", query, code, body)
	}
	for _, row := range body["sources"].([]any) {
		if src := row.(map[string]any); src["id"] == s.source {
			return src
		}
	}
	return nil
}

// A removed source, on either blob store: its files are gone (the
// directory, the S3 bucket), downloads answer 410 with the reason, its
// plugins leave the catalogue and the source leaves the sources list
// (include_removed shows it), its subscription ends, its events stay, and
// the same publisher can be added again as a new incarnation that mirrors
// afresh.
func TestRemovedSourceIsGoneAndCanBeAddedAgain(t *testing.T) {
	t.Parallel()
	t.Run("file store", func(t *testing.T) {
		t.Parallel()
		s := startOps(t, 2)
		removeAndAddAgain(t, s, func() []string { return filesIn(t, s.blobs) })
	})
	t.Run("S3 store", func(t *testing.T) {
		t.Parallel()
		srv := testservers.StartVersityGW(t)
		srv.CreateBucket(t, "removal-bucket")
		s := startOpsOn(t, 2, s3Env(t, srv, "removal-bucket", srv.Access, srv.Secret)...)
		removeAndAddAgain(t, s, func() []string { return srv.Keys(t, "removal-bucket") })
	})
}

func removeAndAddAgain(t *testing.T, s opsSetup, stored func() []string) {
	code, body := s.api.do(http.MethodPost, "/federation/subscribe", s.admin, map[string]any{"sourceId": s.source})
	if res, _ := body["syncResult"].(map[string]any); code != http.StatusOK || res["mirroredCount"] != 2.0 {
		t.Fatalf("subscribe = %d %v, want 2 mirrored", code, body)
	}
	if files := stored(); len(files) != 2 {
		t.Fatalf("stored before the removal: %v", files)
	}
	var plugin, version string
	for plugin, version = range s.catalogue(t, "") {
		break
	}

	const reason = "publisher account compromised"
	code, body = s.api.do(http.MethodPost, "/federation/remove-source", s.admin, map[string]any{"sourceId": s.source, "reason": reason})
	src, _ := body["source"].(map[string]any)
	rm, _ := src["removal"].(map[string]any)
	if code != http.StatusOK || src["status"] != "removed" || rm["reason"] != reason || rm["actor"] == "" || rm["files_pending"] != 0.0 {
		t.Fatalf("remove-source = %d %v", code, body)
	}
	if files := stored(); len(files) != 0 {
		t.Fatalf("files left after the removal: %v", files)
	}
	if code, body := s.download(t, s.admin, plugin, version); code != http.StatusGone || !strings.Contains(body, reason) {
		t.Fatalf("download from a removed source = %d %s, want 410 with the reason", code, body)
	}
	if got := s.catalogue(t, ""); len(got) != 0 {
		t.Fatalf("a removed source's plugins are listed: %v", got)
	}
	if got := s.listedSource(t, ""); got != nil {
		t.Fatalf("a removed source is listed: %v", got)
	}
	if got := s.listedSource(t, "?include_removed=true"); got["status"] != "removed" || got["incarnation"] != 1.0 {
		t.Fatalf("include_removed shows %v", got)
	}
	code, body = s.api.do(http.MethodGet, "/federation/subscriptions", s.admin, nil)
	if subs, _ := body["subscriptions"].([]any); code != http.StatusOK || len(subs) != 0 {
		t.Fatalf("subscriptions after the removal = %d %v", code, body)
	}
	if ends := sourceEvents(t, s.api, s.admin, s.source, domain.EventUnsubscribed); len(ends) != 1 || !strings.Contains(string(ends[0].Data), reason) {
		t.Fatalf("the subscription's end: %v", ends)
	}
	if code, body := s.api.do(http.MethodPost, "/federation/remove-source", s.admin, map[string]any{"sourceId": s.source, "reason": "again"}); code != http.StatusConflict {
		t.Fatalf("remove twice = %d %v", code, body)
	}

	code, body = s.api.do(http.MethodPost, "/federation/add-source", s.admin, map[string]string{
		"instance_url": s.pub.URL, "username": "plugin-author", "public_key": s.pub.PublicKey})
	if code != http.StatusCreated || body["verified"] != true {
		t.Fatalf("add-source after the removal = %d %v", code, body)
	}
	if st := s.status(t); st["status"] != "verified" || st["incarnation"] != 2.0 || st["removal"] != nil {
		t.Fatalf("the new incarnation: %v", st)
	}
	code, body = s.api.do(http.MethodPost, "/federation/subscribe", s.admin, map[string]any{"sourceId": s.source})
	if res, _ := body["syncResult"].(map[string]any); code != http.StatusOK || res["mirroredCount"] != 2.0 {
		t.Fatalf("subscribe to the new incarnation = %d %v, want both plugins mirrored afresh", code, body)
	}
	if code, _ := s.download(t, s.admin, plugin, version); code != http.StatusOK {
		t.Fatalf("download from the new incarnation = %d", code)
	}
	if files := stored(); len(files) != 2 {
		t.Fatalf("stored after adding again: %v", files)
	}
	// The first incarnation's history stays readable.
	removed := sourceEvents(t, s.api, s.admin, s.source, domain.EventSourceRemoved)
	registered := sourceEvents(t, s.api, s.admin, s.source, domain.EventSourceRegistered)
	if len(removed) != 1 || !strings.Contains(string(removed[0].Data), reason) || removed[0].Metadata.Actor == "" || len(registered) != 2 ||
		!strings.Contains(string(registered[1].Data), `"incarnation":2`) {
		t.Fatalf("events after adding again: removed %v, registered %v", removed, registered)
	}
	// Each incarnation's mirrors show as first mirrors.
	waitFor(t, "the removal and both incarnations' mirrors in the activity feed", 30*time.Second, func() (bool, string) {
		_, body := s.api.do(http.MethodGet, "/federation/activity?limit=50&source="+url.QueryEscape(s.source), s.admin, nil)
		var kinds []string
		mirrored := 0
		for _, e := range body["entries"].([]any) {
			kind := e.(map[string]any)["kind"].(string)
			kinds = append(kinds, kind)
			if kind == "mirrored" {
				mirrored++
			}
		}
		return slices.Contains(kinds, "removed") && mirrored == 4, strings.Join(kinds, ",")
	})
}

// A quarantined source's plugins are not served: downloads and verify
// answer 451 with the reason, the catalogue leaves them out unless an
// admin passes include_quarantined=true (a consumer is refused); a resume
// serves them again.
func TestQuarantinedSourceIsNotServed(t *testing.T) {
	t.Parallel()
	s := startOps(t, 2)
	if code, body := s.api.do(http.MethodPost, "/federation/subscribe", s.admin, map[string]any{"sourceId": s.source}); code != http.StatusOK {
		t.Fatalf("subscribe = %d %v", code, body)
	}
	_, body := s.api.do(http.MethodPost, "/federation/create-admin-key", s.admin, map[string]string{"role": "consumer"})
	consumer := body["key"].(string)
	var plugin, version string
	for plugin, version = range s.catalogue(t, "") {
		break
	}
	const reason = "court order 7"
	code, body := s.api.do(http.MethodPost, "/federation/suspend-source", s.admin,
		map[string]any{"sourceId": s.source, "reason": reason, "quarantine": true})
	if code != http.StatusOK {
		t.Fatalf("suspend-source = %d %v", code, body)
	}
	if code, body := s.download(t, consumer, plugin, version); code != http.StatusUnavailableForLegalReasons || !strings.Contains(body, reason) {
		t.Fatalf("download from a quarantined source = %d %s, want 451 with the reason", code, body)
	}
	verify := "/federation/verify?source=" + url.QueryEscape(s.source) + "&plugin=" + plugin + "&version=" + version
	if code, body := s.api.do(http.MethodGet, verify, consumer, nil); code != http.StatusUnavailableForLegalReasons {
		t.Fatalf("verify of a quarantined source's plugin = %d %v", code, body)
	}
	if got := s.catalogue(t, ""); len(got) != 0 {
		t.Fatalf("a quarantined source's plugins are listed: %v", got)
	}
	if got := s.catalogue(t, "&include_quarantined=true"); len(got) != 2 {
		t.Fatalf("include_quarantined lists %v", got)
	}
	code, body = s.api.do(http.MethodGet, "/federation/plugins?include_quarantined=true", consumer, nil)
	if code != http.StatusForbidden || !strings.Contains(body["error"].(string), "include_quarantined") {
		t.Fatalf("include_quarantined with a consumer key = %d %v, want 403", code, body)
	}
	if code, body := s.api.do(http.MethodPost, "/federation/resume-source", s.admin, map[string]any{"sourceId": s.source}); code != http.StatusOK {
		t.Fatalf("resume-source = %d %v", code, body)
	}
	if code, _ := s.download(t, consumer, plugin, version); code != http.StatusOK {
		t.Fatalf("download after the resume = %d", code)
	}
	if got := s.catalogue(t, ""); len(got) != 2 {
		t.Fatalf("listing after the resume: %v", got)
	}
}

// A removal while the S3 store is down is recorded at once, its files
// shown pending; once the store is back the node's sweep deletes them
// (on a 2-second PFN_REMOVAL_SWEEP_INTERVAL) and adding the source again is allowed.
func TestRemovalWithTheStoreDownConverges(t *testing.T) {
	t.Parallel()
	srv := testservers.StartVersityGW(t)
	srv.CreateBucket(t, "down-bucket")
	s := startOpsOn(t, 2, append(s3Env(t, srv, "down-bucket", srv.Access, srv.Secret), "PFN_REMOVAL_SWEEP_INTERVAL=2s")...)
	if code, body := s.api.do(http.MethodPost, "/federation/subscribe", s.admin, map[string]any{"sourceId": s.source}); code != http.StatusOK {
		t.Fatalf("subscribe = %d %v", code, body)
	}
	srv.Stop(t)
	code, body := s.api.do(http.MethodPost, "/federation/remove-source", s.admin, map[string]any{"sourceId": s.source, "reason": "gone rogue"})
	src, _ := body["source"].(map[string]any)
	if rm, _ := src["removal"].(map[string]any); code != http.StatusOK || src["status"] != "removed" || rm["files_pending"] != 2.0 {
		t.Fatalf("remove-source with the store down = %d %v, want it recorded with 2 files pending", code, body)
	}
	addAgain := map[string]string{"instance_url": s.pub.URL, "username": "plugin-author", "public_key": s.pub.PublicKey}
	if code, body := s.api.do(http.MethodPost, "/federation/add-source", s.admin, addAgain); code != http.StatusConflict {
		t.Fatalf("add-source while files are pending = %d %v, want 409", code, body)
	}
	srv.Start(t)
	waitFor(t, "the sweep to delete the removed source's files", 30*time.Second, func() (bool, string) {
		keys := srv.Keys(t, "down-bucket")
		return len(keys) == 0 && s.status(t)["removal"].(map[string]any)["files_pending"] == 0.0, strings.Join(keys, ",")
	})
	if code, body := s.api.do(http.MethodPost, "/federation/add-source", s.admin, addAgain); code != http.StatusCreated {
		t.Fatalf("add-source after the sweep = %d %v", code, body)
	}
}
