package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A wanted entry whose version does not parse is refused before any
// download like a bad slug: recorded once on the source (not as a plugin
// rejection), shown in source status, trust lowered once, and a publisher
// that lists it under a new unparsable version every sync adds nothing
// more. (It used to be recorded only as plugin_rejected, once per version,
// and never touched trust or refused_entries.)
func TestEndToEndListingRefusalOfAnUnparsableVersion(t *testing.T) {
	t.Parallel()
	s := startOps(t, 1, "PFN_SCHEDULER=false")
	tool := map[string]any{"slug": "tool", "name": "Tool", "version": "1.0.0", "short_description": "a tool", "tags": []string{"utilities"}}
	setCatalog(t, s.pub, []map[string]any{tool})
	if code, body := s.api.do(http.MethodPost, "/federation/subscribe", s.admin, map[string]any{"sourceId": s.source}); code != http.StatusOK {
		t.Fatalf("subscribe = %d %v", code, body)
	}
	for i := range 3 {
		version := fmt.Sprintf("not-a-version-%d!", i)
		setCatalog(t, s.pub, []map[string]any{tool,
			{"slug": "odd", "name": "Odd", "version": version, "short_description": "x", "tags": []string{"utilities"}}})
		code, body := s.api.do(http.MethodPost, "/federation/sync-source", s.admin, map[string]string{"sourceId": s.source})
		if r := rejections(t, body)["odd@"+version]; code != http.StatusOK || !strings.Contains(r, "is not a version like 1.2.3") {
			t.Fatalf("sync %d = %d %v", i, code, body)
		}
	}
	var refused, rejected, trustDrops []string
	waitFor(t, "the refusal in the activity feed", 20*time.Second, func() (bool, string) {
		refused, rejected, trustDrops = nil, nil, nil
		for _, e := range s.activity(t, "&source="+s.source, 200) {
			switch {
			case e.Kind == "listing_refused":
				refused = append(refused, e.Summary)
			case e.Kind == "plugin_rejected":
				rejected = append(rejected, e.Summary)
			case e.Kind == "trust_changed" && strings.Contains(e.Summary, "listing entries refused"):
				trustDrops = append(trustDrops, e.Summary)
			}
		}
		return len(refused) > 0, fmt.Sprint(refused)
	})
	if len(refused) != 1 || !strings.Contains(refused[0], `"odd" version "not-a-version-0!"`) || len(rejected) != 0 || len(trustDrops) != 1 {
		t.Fatalf("listing refusals %q, plugin rejections %q, trust changes %q; want one refusal, no rejection, one trust change",
			refused, rejected, trustDrops)
	}
	st := s.status(t)
	if st["refused_entries"] != 1.0 || !strings.Contains(fmt.Sprint(st["last_refusal"]), `"odd"`) {
		t.Fatalf("source status: refused_entries %v, last_refusal %v", st["refused_entries"], st["last_refusal"])
	}
}
