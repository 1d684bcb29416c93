package main

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// suspensionReason has markup in it: the page shows it as text.
const suspensionReason = `publisher key may be compromised <b>ticket 42</b>`

// sourcePage drives TestAdminUI's steps on a source's own page.
type sourcePage struct {
	b     *uiBrowser
	api   apiClient
	admin string
	id    string
}

// sourcePageSteps are TestAdminUI's steps on a source's own page: suspend
// and yank through the shared action form (reason, then confirmation), the
// charts drawn from the source's events, and resume. They run last: a
// suspended source is not synced again.
func sourcePageSteps(t *testing.T, b *uiBrowser, api apiClient, admin, sourceID string) {
	p := sourcePage{b: b, api: api, admin: admin, id: sourceID}
	// Health checks run every second: wait for a health summary and a
	// couple of trust adjustments, so the charts have one point and more.
	deadline := time.Now().Add(20 * time.Second)
	for p.eventCount(t, "source.health_summarized") < 1 || p.eventCount(t, "source.trust_adjusted") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no health summary and trust adjustments within 20s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	b.do("a wide screen again", chromedp.EmulateViewport(1280, 900))
	t.Run("suspend from the source's page, with a reason and a confirmation", p.suspend)
	t.Run("yank a version from the source's page", p.yank)
	t.Run("the source's trust, uptime and response time charts", p.charts)
	t.Run("a chart of no, one and several points", p.chartCases)
	t.Run("resume from the source's page", p.resume)
	t.Run("a key the publisher cannot prove, refused on the source's page", p.updateKeyRefused)
	t.Run("remove from the source's page", p.remove)
}

// suspend goes through the whole form: no reason is refused in the page,
// a reason the node refuses is shown with its words, and nothing changes
// before the confirmation.
func (p sourcePage) suspend(t *testing.T) {
	p.b.do("back to the sources", chromedp.Click(chromedp.CSS(`.tabs a[data-view=sources]`)))
	p.b.clickWhenThere("the source's page link", `article.source a[data-action=details]`)
	p.b.waitFor("the suspend action", `!document.getElementById('view-source').hidden &&
		document.querySelector('#source-actions [data-action=suspend] button[data-step=open]')`)
	p.b.waitFor("the update key form's allow_shared_key box", `document.querySelector('#source-actions input[type=checkbox][name=allow_shared_key]')`)
	const form = `#source-actions [data-action=suspend] `
	p.b.do("open the suspend form, continue without a reason",
		chromedp.Click(chromedp.CSS(form+`button[data-step=open]`)),
		chromedp.Click(chromedp.CSS(form+`button[data-step=continue]`)))
	p.b.waitFor("the missing reason named", `document.querySelector('`+form+`.field-error').textContent.includes('reason')`)

	// The node's own refusal (a reason over 500 characters, which the
	// textarea's maxlength does not stop a script from setting) is shown.
	p.b.do("a reason too long", chromedp.SetValue(chromedp.CSS(form+`textarea[name=reason]`), strings.Repeat("x", 600)),
		chromedp.Click(chromedp.CSS(form+`button[data-step=continue]`)),
		chromedp.Click(chromedp.CSS(form+`button[data-step=confirm]`)))
	p.b.waitFor("the node's refusal shown, and beside the reason", `document.querySelector('`+form+`.status.error')?.textContent.startsWith('Refused (400)') &&
		document.querySelector('`+form+`textarea[name=reason] ~ .field-error').textContent !== ''`)
	if status := p.status(t); status != "verified" {
		t.Fatalf("after a refused suspension the source is %q", status)
	}

	p.b.do("suspend with a reason", chromedp.SetValue(chromedp.CSS(form+`textarea[name=reason]`), suspensionReason),
		chromedp.Click(chromedp.CSS(form+`button[data-step=continue]`)))
	p.b.waitFor("the confirmation quoting the reason", `document.querySelector('`+form+`.confirm:not([hidden]) .question').textContent.includes(`+jsString(suspensionReason)+`)`)
	if status := p.status(t); status != "verified" {
		t.Fatalf("before the confirmation the source is already %q", status)
	}
	p.b.do("confirm", chromedp.Click(chromedp.CSS(form+`button[data-step=confirm]`)))
	p.b.waitFor("the source shown suspended, with the reason", `document.querySelector('#source-page article.source .badge')?.textContent === 'suspended' &&
		document.querySelector('#source-page .suspension')?.textContent.includes(`+jsString(suspensionReason)+`) &&
		document.querySelector('#view-source > .toolbar .status.ok')?.textContent.includes('suspended') &&
		document.querySelector('#source-actions [data-action=resume]')`)
	if status := p.status(t); status != "suspended" {
		t.Fatalf("after the confirmation the source is %q", status)
	}
}

// yank yanks a version from the source's page; the catalogue then leaves
// it out unless asked for yanked versions too.
func (p sourcePage) yank(t *testing.T) {
	const row = `#source-versions li.version[data-plugin=image-resizer] `
	p.b.waitFor("the versions", `document.querySelectorAll('#source-versions li.version').length === 4`)
	// The hostile plugin's name is listed here too, as text.
	if !eval[bool](p.b, `[...document.querySelectorAll('#source-versions strong')].some(e => e.textContent === `+jsString(hostileName)+`) &&
		window.__pwned === undefined && document.querySelectorAll('img').length === 0`) {
		t.Errorf("the versions list does not show the hostile name literally")
	}
	p.act("yank image-resizer 2.0.1", row+`[data-action=yank] `, "breaks thumbnails")
	p.b.waitFor("the version shown yanked", `document.querySelector('`+row+`')?.classList.contains('yanked') &&
		document.querySelector('`+row+`.reason').textContent.includes('breaks thumbnails') &&
		document.querySelector('`+row+`[data-action=unyank]') &&
		document.querySelector('#source-versions .status.ok')?.textContent === 'image-resizer 2.0.1 yanked.'`)

	p.b.do("open the catalogue", chromedp.Click(chromedp.CSS(`.tabs a[data-view=catalogue]`)))
	p.b.waitFor("the catalogue without it", `document.querySelector('#view-catalogue .status.ok') && !document.querySelector('#view-catalogue .status.busy') &&
		document.querySelectorAll('#catalogue-list article.plugin').length === 3 &&
		!document.querySelector('article.plugin[data-plugin=image-resizer]')`)
	p.b.do("ask for yanked versions too", chromedp.Click(chromedp.CSS(`#catalogue-form input[name=include_yanked]`)),
		chromedp.Click(chromedp.CSS(`#catalogue-form button[type=submit]`)))
	p.b.waitFor("the yanked version, marked", `document.querySelector('article.plugin[data-plugin=image-resizer] .yanked')?.textContent.includes('breaks thumbnails') &&
		document.querySelector('article.plugin[data-plugin=audit-log] .source-state')?.textContent.includes('suspended')`)
}

// charts checks the source's charts against its events: a point per
// trust adjustment or health summary, lines forward in time, labelled axes,
// redrawn at a phone's width.
func (p sourcePage) charts(t *testing.T) {
	p.b.waitFor("the source's page, by its address", `(location.hash = '#source/' + encodeURIComponent(`+jsString(p.id)+`), true)`)
	// The source is suspended, so no more health checks come; one may
	// still have been under way: count again until page and API agree.
	var want, got string
	for try := 0; try < 3; try++ {
		trust, health := p.eventCount(t, "source.trust_adjusted"), p.eventCount(t, "source.health_summarized")
		want = fmt.Sprintf("trust %d/%d uptime %d/%d response %d/%d", trust, trust-1, health, health-1, health, health-1)
		p.b.do("reload the source's page", chromedp.Click(chromedp.ID("source-reload")))
		p.b.waitFor("the charts drawn", `document.querySelector('#source-charts .status.ok') && !document.querySelector('#view-source .status.busy') &&
			document.querySelectorAll('#source-charts figure.chart svg').length === 3`)
		got = eval[string](p.b, `['trust', 'uptime', 'response'].map(s => {
			const svg = document.querySelector('#source-charts figure.chart[data-series=' + s + '] svg');
			const segments = (svg.querySelector('path.line').getAttribute('d').match(/L/g) || []).length;
			return s + ' ' + svg.querySelectorAll('circle.point').length + '/' + segments;
		}).join(' ')`)
		if got == want {
			break
		}
	}
	if got != want {
		t.Fatalf("charts show points/segments %q, the source's events %q", got, want)
	}
	// Each line runs forward in time, whatever order the log recorded
	// the events in.
	if back := eval[int](p.b, `[...document.querySelectorAll('#source-charts path.line')].filter(p => {
		const xs = p.getAttribute('d').slice(1).split(' L').map(pt => Number(pt.split(' ')[0]));
		return xs.some((x, i) => i > 0 && x < xs[i - 1]);
	}).length`); back != 0 {
		t.Errorf("%d chart lines go back in time", back)
	}
	// Axes are labelled: six values up the side, at least two times along.
	if labels := eval[string](p.b, `[...document.querySelectorAll('#source-charts figure.chart[data-series=trust] text.y-label')].map(e => e.textContent).join(' ') + ' | ' +
		document.querySelectorAll('#source-charts figure.chart[data-series=trust] text.x-label').length`); !strings.HasPrefix(labels, "0% 20% 40% 60% 80% 100% | ") ||
		strings.HasSuffix(labels, "| 0") || strings.HasSuffix(labels, "| 1") {
		t.Errorf("trust chart labels %q", labels)
	}
	// The charts start at the current incarnation's registration, not 30
	// days back: a removed incarnation's events are not this one's.
	if early := eval[int](p.b, `performance.getEntriesByType('resource').map(r => new URL(r.name)).filter(u =>
		u.pathname === '/federation/events' && u.searchParams.get('type') === 'source.trust_adjusted').filter(u =>
		!(Date.parse(u.searchParams.get('from')) >= Date.now() - 3600_000)).length`); early != 0 {
		t.Errorf("%d chart requests start before the source's registration", early)
	}
	p.b.screenshot("admin-ui-source.png")

	// On a phone the charts are drawn again at its width, labels the
	// same size, and nothing needs sideways scrolling.
	p.b.do("narrow the viewport", chromedp.EmulateViewport(375, 800, chromedp.EmulateMobile))
	p.b.waitFor("the charts redrawn narrow", `[...document.querySelectorAll('#source-charts svg')].every(s => s.getAttribute('width') < 375)`)
	if wide := eval[bool](p.b, `document.documentElement.scrollWidth > window.innerWidth`); wide {
		t.Errorf("a source's page is wider than a 375px screen")
	}
}

// chartCases draws the page's own chart module on made-up points: none is
// said so, one is a dot in the middle, several in any order are a line by
// time.
func (p sourcePage) chartCases(t *testing.T) {
	// The page's own chart module, on made-up points: none says so, one
	// is a dot in the middle, several in any order are a line by time.
	p.b.waitFor("the chart module loaded", `(window.__charts === undefined && import('/ui/chart.js').then(m => {
		const at = (s) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
		window.__charts = [[], [{ at: at(5), value: 0.5 }], [{ at: at(9), value: 1 }, { at: at(0), value: 0 }, { at: at(3), value: 0.2 }]]
			.map((points, i) => document.body.appendChild(m.lineChart({ title: 'case ' + i, series: 'case' + i, points, max: 1, format: String })));
	}), window.__charts !== undefined)`)
	p.b.waitFor("the cases drawn", `window.__charts.filter(f => f.querySelector('svg')).length === 2`)
	got := eval[string](p.b, `window.__charts.map(f => {
		const svg = f.querySelector('svg');
		if (!svg) return f.querySelector('.empty') ? 'empty' : 'nothing';
		const d = svg.querySelector('path.line').getAttribute('d');
		const xs = d.slice(1).split(' L').map(pt => Math.round(Number(pt.split(' ')[0])));
		const axis = svg.querySelectorAll('line.axis')[1]; // the time axis
		const mid = Math.round((Number(axis.getAttribute('x1')) + Number(axis.getAttribute('x2'))) / 2);
		return svg.querySelectorAll('circle.point').length + ' points, ' + (xs.length - 1) + ' segments' +
			(xs.length === 1 ? (Math.abs(xs[0] - mid) <= 1 ? ', centred' : ', at ' + xs[0] + ' not ' + mid) : '') +
			(xs.every((x, i) => i === 0 || x > xs[i - 1]) ? '' : ', backwards');
	}).join('; ')`)
	p.b.do("remove the cases", chromedp.Poll[chromedp.Void](`(window.__charts.forEach(f => f.remove()), true)`))
	if want := "empty; 1 points, 0 segments, centred; 3 points, 2 segments"; got != want {
		t.Errorf("charts of 0, 1 and 3 points: %q, want %q", got, want)
	}
}

// resume undoes the suspension from the source's page.
func (p sourcePage) resume(t *testing.T) {
	p.act("resume", `#source-actions [data-action=resume] `, "new key checked with the publisher")
	p.b.waitFor("the source shown verified again", `document.querySelector('#source-page article.source .badge')?.textContent === 'verified' &&
		!document.querySelector('#source-page .suspension') && document.querySelector('#source-actions [data-action=suspend]')`)
	if status := p.status(t); status != "verified" {
		t.Fatalf("after resuming the source is %q", status)
	}
}

// updateKeyRefused asks, through the page, for a key the publisher does
// not hold: the node's refusal (its proof failed) is shown, and the source
// keeps its key.
func (p sourcePage) updateKeyRefused(t *testing.T) {
	other, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	const sel = `#source-actions [data-action=updatekey] `
	p.b.do("update key to one the publisher does not hold", chromedp.Click(chromedp.CSS(sel+`button[data-step=open]`)),
		chromedp.SetValue(chromedp.CSS(sel+`textarea[name=reason]`), "moved to a new HSM"),
		chromedp.SetValue(chromedp.CSS(sel+`textarea[name=public_key]`), base64.StdEncoding.EncodeToString(other)),
		chromedp.Click(chromedp.CSS(sel+`button[data-step=continue]`)),
		chromedp.Click(chromedp.CSS(sel+`button[data-step=confirm]`)))
	p.b.waitFor("the refusal shown", `document.querySelector('#source-actions [data-action=updatekey]')?.textContent.includes('Refused (409)')`)
	code, body := p.api.do(http.MethodGet, "/federation/source-status?sourceId="+url.QueryEscape(p.id), p.admin, nil)
	if history, _ := body["key_history"].([]any); code != http.StatusOK || body["status"] != "verified" || len(history) != 1 {
		t.Fatalf("after a refused key update the source is %d %v", code, body)
	}
}

// remove removes the source from its page: the page then says so and
// offers no more actions.
func (p sourcePage) remove(t *testing.T) {
	p.act("remove", `#source-actions [data-action=remove] `, "the publisher asked to leave")
	p.b.waitFor("the source shown removed", `document.querySelector('#source-page article.source .badge')?.textContent === 'removed' &&
		!document.querySelector('#source-actions [data-action=suspend]')`)
	if status := p.status(t); status != "removed" {
		t.Fatalf("after removing, the source is %q", status)
	}
}

// act opens the action form under selector, gives the reason, continues
// and confirms.
func (p sourcePage) act(what, selector, reason string) {
	p.b.t.Helper()
	p.b.do(what, chromedp.Click(chromedp.CSS(selector+`button[data-step=open]`)),
		chromedp.SetValue(chromedp.CSS(selector+`textarea[name=reason]`), reason),
		chromedp.Click(chromedp.CSS(selector+`button[data-step=continue]`)),
		chromedp.Click(chromedp.CSS(selector+`button[data-step=confirm]`)))
}

func (p sourcePage) eventCount(t *testing.T, typ string) int {
	t.Helper()
	code, body := p.api.do(http.MethodGet, "/federation/events?limit=1000&type="+typ+"&source="+url.QueryEscape(p.id), p.admin, nil)
	if code != http.StatusOK {
		t.Fatalf("GET /federation/events type %s = %d %v", typ, code, body)
	}
	events, _ := body["events"].([]any)
	return len(events)
}

func (p sourcePage) status(t *testing.T) string {
	t.Helper()
	code, body := p.api.do(http.MethodGet, "/federation/source-status?sourceId="+url.QueryEscape(p.id), p.admin, nil)
	if code != http.StatusOK {
		t.Fatalf("source-status = %d %v", code, body)
	}
	s, _ := body["status"].(string)
	return s
}
