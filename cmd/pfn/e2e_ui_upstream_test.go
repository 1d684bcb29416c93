package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// upstreamSteps is TestAdminUI's step for adding an upstream node through
// its looked-up key: a real second node mirroring the same publisher. It
// runs last: the source it adds would be one more card for the steps
// before it.
func upstreamSteps(t *testing.T, b *uiBrowser, api apiClient, admin, pfn string, pub publisherProc) {
	t.Run("add an upstream node: its key is shown, confirming adds the source, its plugins show the chain", func(t *testing.T) {
		up := startUpstreamNode(t, pfn, pub)
		upSource, upKeyID, upKeyB64, upURL := up.source, up.keyID, up.keyB64, up.URL

		b.do("open the sources", chromedp.Click(chromedp.CSS(`.tabs a[data-view=sources]`)))
		b.do("a URL that is none", chromedp.SetValue(chromedp.ID("au-url"), "node.example.org"),
			chromedp.Click(chromedp.CSS(`#add-upstream button[type=submit]`)))
		b.waitFor("the URL error beside its field", `document.getElementById('au-url-error').textContent.includes('http://')`)

		b.do("look the node up", chromedp.SetValue(chromedp.ID("au-url"), upURL),
			chromedp.Click(chromedp.CSS(`#add-upstream button[type=submit]`)))
		b.waitFor("the node's key shown", `!document.getElementById('au-peer').hidden &&
			document.querySelector('#au-peer .node-key-id')?.textContent === `+jsString(upKeyID))
		if got := eval[string](b, `document.querySelector('#au-peer .node-key').textContent`); got != upKeyB64 {
			t.Fatalf("node key shown %q, want %q", got, upKeyB64)
		}
		if got := eval[string](b, `document.getElementById('au-source').value`); got != upSource {
			t.Fatalf("source offered %q, want %q", got, upSource)
		}
		before := api.sourceCount(admin)
		b.screenshot("admin-ui-upstream.png")

		b.do("confirm", chromedp.Click(chromedp.CSS(`#au-peer button[data-step=confirm]`)))
		b.waitFor("the source added and verified", `document.querySelector('#add-upstream .status.ok')?.textContent.startsWith(`+
			jsString("Added and verified "+upSource+"@")+`)`)
		id := upSource + "@" + strings.TrimPrefix(upURL, "http://")
		code, body := api.do(http.MethodGet, "/federation/source-status?sourceId="+url.QueryEscape(id), admin, nil)
		if code != http.StatusOK || body["public_key"] != upKeyB64 || body["instance_url"] != upURL || body["status"] != "verified" {
			t.Fatalf("the added source %s = %d %v", id, code, body)
		}
		if n := api.sourceCount(admin); n != before+1 {
			t.Fatalf("%d sources after the confirmation, %d before", n, before)
		}
		b.waitFor("its card", `[...document.querySelectorAll('article.source')].some(a => a.dataset.sourceId === `+jsString(id)+`)`)

		// Mirrored through it, a plugin's card names the publisher, then the
		// upstream node.
		if code, body := api.do(http.MethodPost, "/federation/subscribe", admin, map[string]any{"sourceId": id}); code != http.StatusOK {
			t.Fatalf("subscribe to %s = %d %v", id, code, body)
		}
		if code, body := api.do(http.MethodPost, "/federation/sync-source", admin, map[string]string{"sourceId": id}); code != http.StatusOK {
			t.Fatalf("sync-source %s = %d %v", id, code, body)
		}
		chain := "publisher " + upSource + " → node " + upURL + " (key " + upKeyID + ")"
		b.do("open the activity feed", chromedp.Click(chromedp.CSS(`.tabs a[data-view=activity]`)))
		b.do("open the catalogue", chromedp.Click(chromedp.CSS(`.tabs a[data-view=catalogue]`)))
		b.waitFor("a card with the chain", `[...document.querySelectorAll('#catalogue-list article.plugin .provenance')].some((e) => e.textContent === `+jsString(chain)+`)`)
		b.screenshot("admin-ui-provenance.png")
	})
}

// provenanceSteps is TestAdminUI's step for the provenance chain of
// catalogue entries (SPEC15 §5), while the catalogue has its plugins.
func provenanceSteps(t *testing.T, b *uiBrowser, api apiClient, admin string) {
	t.Run("a catalogue entry's provenance", func(t *testing.T) {
		// The chain as a node records it (SPEC15 §5), markup in it shown as text.
		fixture := `[{"role":"publisher","source":"pub@host","public_key":"cHVi"},
			{"role":"node","node":"0123456789abcdef","node_key":"a2V5","url":"http://a:8080","source":"pub@host"},
			{"role":"node","node":"fedcba9876543210","node_key":"a2V5","url":"http://b<img src=x onerror=window.__pwned=4>","source":"pub@host@a:8080"}]`
		ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		defer cancel()
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](`import('/ui/provenance.js').then((m) => {
			const el = m.provenance(`+fixture+`);
			document.body.append(el);
			const got = { text: m.provenanceText(`+fixture+`), shown: el.textContent, hops: el.querySelectorAll('.hop').length,
				images: document.querySelectorAll('img').length, none: [m.provenance(undefined), m.provenance([]), m.provenanceText(null)] };
			el.remove();
			return got;
		})`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Text, Shown string
			Hops        int
			Images      int
			None        []any
		}
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
		want := "publisher pub@host → node http://a:8080 (key 0123456789abcdef) → node http://b<img src=x onerror=window.__pwned=4> (key fedcba9876543210)"
		if got.Text != want || got.Shown != want || got.Hops != 3 || got.Images != 0 {
			t.Errorf("provenance = %+v, want %q in 3 hops and no image", got, want)
		}
		if len(got.None) != 3 || got.None[0] != nil || got.None[1] != nil || got.None[2] != "" {
			t.Errorf("no provenance rendered as %v, want nothing", got.None)
		}

		// Each catalogue card shows its row's chain, when the row has one.
		_, list := api.do(http.MethodGet, "/federation/plugins?limit=50", admin, nil)
		rows, _ := list["plugins"].([]any)
		withChain := 0
		for _, r := range rows {
			if p, _ := r.(map[string]any)["provenance"].([]any); len(p) > 0 {
				withChain++
			}
		}
		b.do("open the activity feed", chromedp.Click(chromedp.CSS(`.tabs a[data-view=activity]`)))
		b.do("open the catalogue", chromedp.Click(chromedp.CSS(`.tabs a[data-view=catalogue]`)))
		b.waitFor("the catalogue", `document.querySelector('#view-catalogue .status.ok') && !document.querySelector('#view-catalogue .status.busy')`)
		cards := eval[int](b, `document.querySelectorAll('#catalogue-list article.plugin').length`)
		shown := eval[int](b, `[...document.querySelectorAll('#catalogue-list article.plugin .provenance')].filter((e) => e.textContent.startsWith('publisher ')).length`)
		if cards == 0 || cards != len(rows) || shown != withChain {
			t.Errorf("%d cards, %d with a provenance chain; the API lists %d rows, %d with one", cards, shown, len(rows), withChain)
		}
	})
}
