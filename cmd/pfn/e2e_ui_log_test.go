package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pfn-network/pfn/internal/tlogtiles"
)

// wantTransparencyLog says the node under test serves its transparency log
// (issue #16: the log routes and log_index come from the logstore and
// logserve branches). Until they are merged the node answers 404 for
// /federation/log/checkpoint and logNodeSteps checks that the page hides
// the panel; once merged, set it to true so that a 404 fails the test.
const wantTransparencyLog = true

// logFixture is a checkpoint as /federation/log/checkpoint serves it, with
// markup in its origin that the page must show as text.
const logFixture = "pfn/<img src=x onerror=window.__pwned=5>\n6\nJyK3MOZ5DakBJ+FdO9ywneYbra4oiF5Elbt1HlDAeBY=\n\n" +
	"— pfn/<img src=x onerror=window.__pwned=5> 27xb48tqDn1hFP/YyiuVp7N2522WK2VTsJtpeoDC3YYWheHhUt51ah6/PAAI+qglrd5EPcU/cwojIKjnfnzysPvBZww=\n"

// logFixtureSteps renders the page's transparency log module on made-up
// data, as the node's other branches will answer it (SPEC16 §2, §5): the
// panel's checkpoint, a catalogue entry's log index and bundle link, and
// an upstream's log fault with the accept action, whose request is caught
// before it leaves the page.
func logFixtureSteps(t *testing.T, b *uiBrowser) {
	t.Run("the transparency log's checkpoint, a card's log entry and an upstream's log fault, on fixtures", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
		defer cancel()
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](`import('/ui/translog.js').then(async (m) => {
			const signed = `+jsString(logFixture)+`;
			const got = {};
			got.parsed = m.parseCheckpoint(signed);
			got.unparsed = [m.parseCheckpoint(''), m.parseCheckpoint('o\nx\nroot\n\n'), m.parseCheckpoint(undefined)];
			const view = document.createElement('div');
			view.append(...m.checkpointView(signed, 'pfn/o+01234567+AQID'));
			document.body.append(view);
			got.size = view.querySelector('.log-size')?.textContent;
			got.root = view.querySelector('.log-root')?.textContent;
			got.origin = view.querySelector('.log-origin')?.textContent;
			got.vkey = view.querySelector('.log-vkey')?.textContent;
			got.text = view.querySelector('.checkpoint-text')?.textContent;
			view.remove();

			const status = document.createElement('p');
			const entry = m.logEntry({ log_index: 7, source_id: 'pub@host', plugin_id: 'p<x>', version: '1.0.0' }, status);
			got.entry = entry?.textContent;
			got.href = entry?.querySelector('a.bundle-link')?.getAttribute('href');
			got.noEntry = [m.logEntry({ log_index: null }, status), m.logEntry({}, status), m.logEntry({ log_index: -1 }, status), m.logEntry({ log_index: '3' }, status)];

			const fault = { kind: 'forked', reason: 'same size 6, other root <b>x</b>', offered: signed, at: '2026-12-01T10:00:00Z' };
			const src = { id: 'pub@host@a:8080', upstream_log: { checkpoint: signed, size: 6, fault } };
			got.fact = m.upstreamLogFact(src);
			got.quietFact = m.upstreamLogFact({ id: 'x', upstream_log: { checkpoint: signed, size: 6, fault: null } });
			got.none = [m.upstreamLogAlert({ id: 'x' }), m.upstreamLogAlert({ id: 'x', upstream_log: { size: 6, fault: null } }), m.upstreamLogFact({ id: 'x' })];
			let accepted = null;
			const alert = m.upstreamLogAlert(src, (s) => { accepted = s; });
			document.body.append(alert);
			got.kind = alert.querySelector('.fault-kind')?.textContent;
			got.reason = alert.querySelector('.fault-reason')?.textContent;
			got.offered = alert.querySelector('.checkpoint-text')?.textContent;
			got.button = alert.querySelector('button[data-step=open]')?.textContent;
			got.role = alert.getAttribute('role');

			// Accepting: a reason, a confirmation, then the POST, answered here.
			const calls = [];
			const realFetch = window.fetch;
			window.fetch = async (url, init) => {
				calls.push({ url: String(url), method: init.method, body: JSON.parse(init.body) });
				return new Response(JSON.stringify({ sourceId: src.id, success: true, message: 'The log is accepted.',
					source: { id: src.id, upstream_log: { checkpoint: '', size: 0, fault: null } } }),
					{ status: 200, headers: { 'Content-Type': 'application/json' } });
			};
			try {
				alert.querySelector('button[data-step=open]').click();
				alert.querySelector('textarea[name=reason]').value = 'the operator explained the fork';
				alert.querySelector('button[data-step=continue]').click();
				got.question = alert.querySelector('.confirm:not([hidden]) .question')?.textContent;
				alert.querySelector('button[data-step=confirm]').click();
				for (let i = 0; i < 100 && !accepted; i++) await new Promise((r) => setTimeout(r, 20));
			} finally {
				window.fetch = realFetch;
				alert.remove();
			}
			got.said = alert.querySelector('.admin-action .status.ok')?.textContent;
			got.afterFact = m.upstreamLogFact(accepted);
			got.calls = calls;
			got.accepted = accepted;
			got.images = document.querySelectorAll('img').length;
			return got;
		})`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Parsed struct {
				Origin     string
				Size       int
				Root       string
				Signatures int
			}
			Unparsed                                            []any
			Size, Root, Origin, Vkey, Text                      string
			Entry, Href                                         string
			NoEntry                                             []any
			Fact, QuietFact                                     []string
			None                                                []any
			Kind, Reason, Offered, Button, Role, Question, Said string
			AfterFact                                           []string
			Calls                                               []struct {
				URL, Method string
				Body        map[string]string
			}
			Accepted map[string]any
			Images   int
		}
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatalf("%v: %s", err, raw)
		}
		origin := "pfn/<img src=x onerror=window.__pwned=5>"
		root := "JyK3MOZ5DakBJ+FdO9ywneYbra4oiF5Elbt1HlDAeBY="
		if got.Parsed.Origin != origin || got.Parsed.Size != 6 || got.Parsed.Root != root || got.Parsed.Signatures != 1 {
			t.Errorf("parseCheckpoint = %+v", got.Parsed)
		}
		if len(got.Unparsed) != 3 || got.Unparsed[0] != nil || got.Unparsed[1] != nil || got.Unparsed[2] != nil {
			t.Errorf("parseCheckpoint of no checkpoint = %v, want nulls", got.Unparsed)
		}
		if got.Size != "6" || got.Root != root || got.Origin != origin || got.Vkey != "pfn/o+01234567+AQID" || got.Text != logFixture {
			t.Errorf("checkpoint shown as size %q, root %q, origin %q, vkey %q, text %q", got.Size, got.Root, got.Origin, got.Vkey, got.Text)
		}
		if got.Entry != "log #7 bundle" || got.Href != "/federation/bundle?source=pub%40host&plugin=p%3Cx%3E&version=1.0.0" {
			t.Errorf("log entry %q linking to %q", got.Entry, got.Href)
		}
		if len(got.NoEntry) != 4 || got.NoEntry[0] != nil || got.NoEntry[1] != nil || got.NoEntry[2] != nil || got.NoEntry[3] != nil {
			t.Errorf("rows without a log index show %v, want nothing", got.NoEntry)
		}
		if strings.Join(got.Fact, ": ") != "Upstream log: 6 entries, failed a consistency check" ||
			strings.Join(got.QuietFact, ": ") != "Upstream log: 6 entries, consistent so far" {
			t.Errorf("upstream log facts %q, %q", got.Fact, got.QuietFact)
		}
		if len(got.None) != 3 || got.None[0] != nil || got.None[1] != nil || got.None[2] != nil {
			t.Errorf("a source without a fault shows %v, want nothing", got.None)
		}
		if got.Kind != "forked" || got.Reason != "same size 6, other root <b>x</b>" || got.Offered != logFixture ||
			got.Button != "Accept the upstream's log…" || got.Role != "alert" {
			t.Errorf("alert shows kind %q, reason %q, offered %q, button %q, role %q", got.Kind, got.Reason, got.Offered, got.Button, got.Role)
		}
		if !strings.Contains(got.Question, "the operator explained the fork") || !strings.Contains(got.Question, "pub@host@a:8080") {
			t.Errorf("confirmation %q", got.Question)
		}
		if len(got.Calls) != 1 || got.Calls[0].URL != "/federation/accept-upstream-log" || got.Calls[0].Method != http.MethodPost ||
			got.Calls[0].Body["sourceId"] != "pub@host@a:8080" || got.Calls[0].Body["reason"] != "the operator explained the fork" || len(got.Calls[0].Body) != 2 {
			t.Errorf("accepting sent %+v", got.Calls)
		}
		if got.Said != "The log is accepted." || strings.Join(got.AfterFact, ": ") != "Upstream log: no checkpoint verified yet" {
			t.Errorf("after accepting: status %q, fact %q", got.Said, got.AfterFact)
		}
		if got.Accepted == nil || got.Accepted["id"] != "pub@host@a:8080" {
			t.Errorf("the accepted source view handed on: %v", got.Accepted)
		}
		if got.Images != 0 {
			t.Errorf("%d images: markup in the fixtures was parsed", got.Images)
		}
	})

	t.Run("a source card whose upstream's log failed a check", func(t *testing.T) {
		// sourceBody, shared by the source's card and its page, with the
		// source view's upstream_log as the upstream branch answers it.
		b.waitFor("the card drawn", `window.__faultCard !== undefined || (import('/ui/sources.js').then((m) => {
			const src = { id: 'pub@host@a:8080', status: 'verified', instance_url: 'http://a:8080',
				upstream_log: { checkpoint: `+jsString(logFixture)+`, size: 6,
					fault: { kind: 'rewritten', reason: 'entry 4 does not match the tree of size 6', offered: `+jsString(logFixture)+`, at: '2026-12-01T10:00:00Z' } } };
			const card = document.createElement('article');
			card.className = 'card source';
			card.append(...m.sourceBody(src, () => {}).filter(Boolean));
			window.__faultCard = document.body.appendChild(card);
		}), false)`)
		got := eval[string](b, `[...window.__faultCard.querySelectorAll('.log-fault .fault-kind, .log-fault .fault-reason, .log-fault button[data-step=open]')]
			.map((e) => e.textContent).join(' | ') + ' | ' + [...window.__faultCard.querySelectorAll('dt')].some((d) => d.textContent === 'Upstream log')`)
		b.screenshot("admin-ui-log-fault.png")
		b.do("remove the card", chromedp.Poll[chromedp.Void](`(window.__faultCard.remove(), true)`))
		if want := "rewritten | entry 4 does not match the tree of size 6 | Accept the upstream's log… | true"; got != want {
			t.Errorf("the card shows %q, want %q", got, want)
		}
	})

	t.Run("the Transparency log panel shows a served checkpoint and hides on a 404", func(t *testing.T) {
		// The page's own panel, its Reload answered in the page: a
		// checkpoint and /federation-info's log, then the 404 of a node
		// whose log is off; then the node itself again.
		ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
		defer cancel()
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](`(async () => {
			const panel = document.getElementById('log-panel');
			const reload = document.getElementById('log-reload');
			const settle = async () => { for (let i = 0; i < 100 && reload.disabled; i++) await new Promise((r) => setTimeout(r, 20)); };
			const realFetch = window.fetch;
			const got = {};
			let answer = null;
			window.fetch = async (url) => answer(String(url));
			try {
				answer = (url) => url === '/federation/log/checkpoint'
					? new Response(`+jsString(logFixture)+`, { status: 200, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
					: new Response(JSON.stringify({ features: ['transparency-log'], log: { origin: 'o', verifier_key: 'pfn/o+01234567+AQID' } }),
						{ status: 200, headers: { 'Content-Type': 'application/json' } });
				reload.click();
				await settle();
				got.shown = { hidden: panel.hidden, size: panel.querySelector('.log-size')?.textContent, vkey: panel.querySelector('.log-vkey')?.textContent,
					text: panel.querySelector('.checkpoint-text')?.textContent, status: panel.querySelector('.status').textContent };
				answer = () => new Response(JSON.stringify({ error: 'the transparency log is off' }), { status: 404, headers: { 'Content-Type': 'application/json' } });
				reload.click();
				await settle();
				got.off = { hidden: panel.hidden, body: document.getElementById('log-body').childElementCount };
				answer = () => new Response(JSON.stringify({ error: 'database unavailable' }), { status: 503, headers: { 'Content-Type': 'application/json' } });
				reload.click();
				await settle();
				got.failing = { hidden: panel.hidden, status: panel.querySelector('.status.error')?.textContent };
			} finally {
				window.fetch = realFetch;
			}
			reload.click();
			await settle();
			return got;
		})()`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Shown struct {
				Hidden                   bool
				Size, Vkey, Text, Status string
			}
			Off struct {
				Hidden bool
				Body   int
			}
			Failing struct {
				Hidden bool
				Status string
			}
		}
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatalf("%v: %s", err, raw)
		}
		if s := got.Shown; s.Hidden || s.Size != "6" || s.Vkey != "pfn/o+01234567+AQID" || s.Text != logFixture || s.Status != "6 entries in the log." {
			t.Errorf("a served checkpoint: %+v", s)
		}
		if !got.Off.Hidden || got.Off.Body != 0 {
			t.Errorf("a 404: %+v, want the panel hidden and empty", got.Off)
		}
		if got.Failing.Hidden || got.Failing.Status != "database unavailable" {
			t.Errorf("a 503: %+v, want the panel shown with the node's error", got.Failing)
		}
	})
}

// logNodeSteps checks what the admin page shows of a real node's log, with
// the catalogue mirrored: the panel's size is the served checkpoint's,
// every card of a logged row says "log #N" and its bundle link answers the
// bundle; a node that serves no log has the panel hidden and no log entry
// on a card. No source here follows an upstream with a log, so no card
// shows a log fault.
func logNodeSteps(t *testing.T, b *uiBrowser, api apiClient, admin string) {
	t.Run("a real node's transparency log panel and catalogue log entries", func(t *testing.T) {
		b.do("open the sources", chromedp.Click(chromedp.CSS(`.tabs a[data-view=sources]`)))
		b.waitFor("the sources", `document.querySelector('#view-sources .toolbar .status.ok') && !document.querySelector('#view-sources .status.busy')`)
		if n := eval[int](b, `document.querySelectorAll('#sources-list .log-fault').length`); n != 0 {
			t.Errorf("%d upstream log fault alerts; no source has an upstream log", n)
		}
		code, checkpoint := api.send(http.MethodGet, "/federation/log/checkpoint", admin, nil)
		served := code == http.StatusOK
		if wantTransparencyLog && !served {
			t.Fatalf("GET /federation/log/checkpoint = %d %s", code, checkpoint)
		}
		if !served && code != http.StatusNotFound {
			t.Fatalf("GET /federation/log/checkpoint = %d %s, want 200 or 404", code, checkpoint)
		}
		b.do("open the activity feed", chromedp.Click(chromedp.CSS(`.tabs a[data-view=activity]`)))
		b.do("open the catalogue", chromedp.Click(chromedp.CSS(`.tabs a[data-view=catalogue]`)))
		b.waitFor("the catalogue", `document.querySelector('#catalogue-form .status.ok') && !document.querySelector('#view-catalogue .status.busy')`)

		_, list := api.do(http.MethodGet, "/federation/plugins?limit=50", admin, nil)
		rows, _ := list["plugins"].([]any)
		logged := map[string]int64{} // plugin id -> log index
		for _, r := range rows {
			row, _ := r.(map[string]any)
			if i, ok := row["log_index"].(float64); ok {
				logged[row["plugin_id"].(string)] = int64(i)
			}
		}

		if !served {
			b.waitFor("the panel hidden", `document.getElementById('log-panel').hidden`)
			if n := eval[int](b, `document.querySelectorAll('#catalogue-list .log-entry').length`); n != len(logged) {
				t.Errorf("%d cards show a log entry, %d rows have a log index", n, len(logged))
			}
			return
		}

		c, err := tlogtiles.ParseCheckpoint([]byte(checkpoint[:strings.Index(string(checkpoint), "\n\n")+1]))
		if err != nil {
			t.Fatalf("the served checkpoint: %v\n%s", err, checkpoint)
		}
		b.waitFor("the panel with the log's size", `!document.getElementById('log-panel').hidden &&
			document.querySelector('#log-panel .log-size')?.textContent === `+jsString(strconv.FormatInt(c.N, 10)))
		if got := eval[string](b, `document.querySelector('#log-panel .checkpoint-text').textContent`); got != string(checkpoint) {
			t.Errorf("checkpoint shown %q, served %q", got, checkpoint)
		}
		if len(logged) == 0 || len(logged) != len(rows) {
			t.Fatalf("%d of %d catalogue rows have a log index", len(logged), len(rows))
		}
		for plugin, idx := range logged {
			sel := `#catalogue-list article.plugin[data-plugin=` + jsString(plugin) + `] .log-entry`
			if got := eval[string](b, `document.querySelector(`+jsString(sel)+`)?.textContent ?? ''`); got != "log #"+strconv.FormatInt(idx, 10)+" bundle" {
				t.Errorf("%s's card shows %q, want log #%d and a bundle link", plugin, got, idx)
			}
		}
		// The link answers the bundle, with the key as the page sends it.
		ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		defer cancel()
		bundle, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](`(async () => {
			const a = document.querySelector('#catalogue-list .log-entry a.bundle-link');
			const resp = await fetch(a.href, { headers: { Authorization: 'Bearer ' + sessionStorage.getItem('pfn.adminKey') } });
			return { status: resp.status, plugin: a.closest('article').dataset.plugin, body: await resp.json() };
		})()`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Status int
			Plugin string
			Body   struct {
				Format   string `json:"format"`
				Plugin   string `json:"plugin"`
				LogIndex int64  `json:"log_index"`
			}
		}
		if err := json.Unmarshal(bundle, &got); err != nil {
			t.Fatal(err)
		}
		if got.Status != http.StatusOK || got.Body.Format != "pfn-log-bundle/v1" || got.Body.Plugin != got.Plugin || got.Body.LogIndex != logged[got.Plugin] {
			t.Errorf("the bundle link answered %+v", got)
		}
		b.screenshot("admin-ui-log.png")

		// What the link answers checks out offline: pfn verify on the
		// bundle and the node's download, pinned to the log's verifier key
		// as /federation-info announces it.
		_, info := api.do(http.MethodGet, "/federation-info", "", nil)
		logInfo, _ := info["log"].(map[string]any)
		vkey, _ := logInfo["verifier_key"].(string)
		row, _ := rows[0].(map[string]any)
		q := url.Values{"source": {row["source_id"].(string)}, "plugin": {row["plugin_id"].(string)}, "version": {row["version"].(string)}}.Encode()
		dir := t.TempDir()
		for name, path := range map[string]string{"bundle.json": "/federation/bundle?" + q, "file.zip": "/federation/download?" + q} {
			code, body := api.send(http.MethodGet, path, admin, nil)
			if code != http.StatusOK {
				t.Fatalf("GET %s = %d %s", path, code, body)
			}
			if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		var out bytes.Buffer
		err = run(context.Background(), []string{"verify", "-bundle", filepath.Join(dir, "bundle.json"), filepath.Join(dir, "file.zip"), "-node-key", vkey},
			func(string) string { return "" }, &out, &out)
		if err != nil || strings.Count(out.String(), "(pinned)") != 2 {
			t.Errorf("pfn verify on %s's bundle with key %q: %v\n%s", row["plugin_id"], vkey, err, out.String())
		}
	})
}
