package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// sourcePageSteps are TestAdminUI's steps on a source's own page: suspend
// and yank through the shared action form (reason, then confirmation), and
// the charts drawn from the source's events. They run last: a suspended
// source is not synced again.
func sourcePageSteps(t *testing.T, b *uiBrowser, api apiClient, admin, sourceID string) {
	eventCount := func(typ string) int {
		t.Helper()
		code, body := api.do(http.MethodGet, "/federation/events?limit=1000&type="+typ+"&source="+url.QueryEscape(sourceID), admin, nil)
		events, _ := body["events"].([]any)
		if code != http.StatusOK {
			t.Fatalf("GET /federation/events type %s = %d %v", typ, code, body)
		}
		return len(events)
	}
	// Health checks run every second: wait for a health summary and a
	// couple of trust adjustments, so the charts have one point and more.
	deadline := time.Now().Add(20 * time.Second)
	for eventCount("source.health_summarized") < 1 || eventCount("source.trust_adjusted") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no health summary and trust adjustments within 20s")
		}
		time.Sleep(200 * time.Millisecond)
	}

	const reason = `publisher key may be compromised <b>ticket 42</b>`
	b.do("a wide screen again", chromedp.EmulateViewport(1280, 900))
	t.Run("suspend from the source's page, with a reason and a confirmation", func(t *testing.T) {
		b.do("back to the sources", chromedp.Click(chromedp.CSS(`.tabs a[data-view=sources]`)))
		b.clickWhenThere("the source's page link", `article.source a[data-action=details]`)
		b.waitFor("the suspend action", `!document.getElementById('view-source').hidden &&
			document.querySelector('#source-actions [data-action=suspend] button[data-step=open]')`)
		const form = `#source-actions [data-action=suspend] `
		b.do("open the suspend form, continue without a reason",
			chromedp.Click(chromedp.CSS(form+`button[data-step=open]`)),
			chromedp.Click(chromedp.CSS(form+`button[data-step=continue]`)))
		b.waitFor("the missing reason named", `document.querySelector('`+form+`.field-error').textContent.includes('reason')`)

		// The node's own refusal (a reason over 500 characters, which the
		// textarea's maxlength does not stop a script from setting) is shown.
		b.do("a reason too long", chromedp.SetValue(chromedp.CSS(form+`textarea[name=reason]`), strings.Repeat("x", 600)),
			chromedp.Click(chromedp.CSS(form+`button[data-step=continue]`)),
			chromedp.Click(chromedp.CSS(form+`button[data-step=confirm]`)))
		b.waitFor("the node's refusal shown, and beside the reason", `document.querySelector('`+form+`.status.error')?.textContent.startsWith('Refused (400)') &&
			document.querySelector('`+form+`textarea[name=reason] ~ .field-error').textContent !== ''`)
		if status := sourceStatus(t, api, admin, sourceID); status != "verified" {
			t.Fatalf("after a refused suspension the source is %q", status)
		}

		b.do("suspend with a reason", chromedp.SetValue(chromedp.CSS(form+`textarea[name=reason]`), reason),
			chromedp.Click(chromedp.CSS(form+`button[data-step=continue]`)))
		b.waitFor("the confirmation quoting the reason", `document.querySelector('`+form+`.confirm:not([hidden]) .question').textContent.includes(`+jsString(reason)+`)`)
		if status := sourceStatus(t, api, admin, sourceID); status != "verified" {
			t.Fatalf("before the confirmation the source is already %q", status)
		}
		b.do("confirm", chromedp.Click(chromedp.CSS(form+`button[data-step=confirm]`)))
		b.waitFor("the source shown suspended, with the reason", `document.querySelector('#source-page article.source .badge')?.textContent === 'suspended' &&
			document.querySelector('#source-page .suspension')?.textContent.includes(`+jsString(reason)+`) &&
			document.querySelector('#view-source > .toolbar .status.ok')?.textContent.includes('suspended') &&
			document.querySelector('#source-actions [data-action=resume]')`)
		if status := sourceStatus(t, api, admin, sourceID); status != "suspended" {
			t.Fatalf("after the confirmation the source is %q", status)
		}
	})

	t.Run("yank a version from the source's page", func(t *testing.T) {
		const row = `#source-versions li.version[data-plugin=image-resizer] `
		b.waitFor("the versions", `document.querySelectorAll('#source-versions li.version').length === 4`)
		// The hostile plugin's name is listed here too, as text.
		if !eval[bool](b, `[...document.querySelectorAll('#source-versions strong')].some(e => e.textContent === `+jsString(hostileName)+`) &&
			window.__pwned === undefined && document.querySelectorAll('img').length === 0`) {
			t.Errorf("the versions list does not show the hostile name literally")
		}
		b.do("yank image-resizer 2.0.1", chromedp.Click(chromedp.CSS(row+`[data-action=yank] button[data-step=open]`)),
			chromedp.SetValue(chromedp.CSS(row+`textarea[name=reason]`), "breaks thumbnails"),
			chromedp.Click(chromedp.CSS(row+`button[data-step=continue]`)),
			chromedp.Click(chromedp.CSS(row+`button[data-step=confirm]`)))
		b.waitFor("the version shown yanked", `document.querySelector('`+row+`')?.classList.contains('yanked') &&
			document.querySelector('`+row+`.reason').textContent.includes('breaks thumbnails') &&
			document.querySelector('`+row+`[data-action=unyank]') &&
			document.querySelector('#source-versions .status.ok')?.textContent === 'image-resizer 2.0.1 yanked.'`)

		b.do("open the catalogue", chromedp.Click(chromedp.CSS(`.tabs a[data-view=catalogue]`)))
		b.waitFor("the catalogue without it", `document.querySelector('#view-catalogue .status.ok') && !document.querySelector('#view-catalogue .status.busy') &&
			document.querySelectorAll('#catalogue-list article.plugin').length === 3 &&
			!document.querySelector('article.plugin[data-plugin=image-resizer]')`)
		b.do("ask for yanked versions too", chromedp.Click(chromedp.CSS(`#catalogue-form input[name=include_yanked]`)),
			chromedp.Click(chromedp.CSS(`#catalogue-form button[type=submit]`)))
		b.waitFor("the yanked version, marked", `document.querySelector('article.plugin[data-plugin=image-resizer] .yanked')?.textContent.includes('breaks thumbnails') &&
			document.querySelector('article.plugin[data-plugin=audit-log] .source-state')?.textContent.includes('suspended')`)
	})

	t.Run("the source's trust, uptime and response time charts", func(t *testing.T) {
		b.waitFor("the source's page, by its address", `(location.hash = '#source/' + encodeURIComponent(`+jsString(sourceID)+`), true)`)
		// The source is suspended, so no more health checks come; one may
		// still have been under way: count again until page and API agree.
		var want, got string
		for try := 0; try < 3; try++ {
			trust, health := eventCount("source.trust_adjusted"), eventCount("source.health_summarized")
			want = fmt.Sprintf("trust %d/%d uptime %d/%d response %d/%d", trust, trust-1, health, health-1, health, health-1)
			b.do("reload the source's page", chromedp.Click(chromedp.ID("source-reload")))
			b.waitFor("the charts drawn", `document.querySelector('#source-charts .status.ok') && !document.querySelector('#view-source .status.busy') &&
				document.querySelectorAll('#source-charts figure.chart svg').length === 3`)
			got = eval[string](b, `['trust', 'uptime', 'response'].map(s => {
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
		if back := eval[int](b, `[...document.querySelectorAll('#source-charts path.line')].filter(p => {
			const xs = p.getAttribute('d').slice(1).split(' L').map(pt => Number(pt.split(' ')[0]));
			return xs.some((x, i) => i > 0 && x < xs[i - 1]);
		}).length`); back != 0 {
			t.Errorf("%d chart lines go back in time", back)
		}
		// Axes are labelled: six values up the side, at least two times along.
		if labels := eval[string](b, `[...document.querySelectorAll('#source-charts figure.chart[data-series=trust] text.y-label')].map(e => e.textContent).join(' ') + ' | ' +
			document.querySelectorAll('#source-charts figure.chart[data-series=trust] text.x-label').length`); !strings.HasPrefix(labels, "0% 20% 40% 60% 80% 100% | ") ||
			strings.HasSuffix(labels, "| 0") || strings.HasSuffix(labels, "| 1") {
			t.Errorf("trust chart labels %q", labels)
		}
		b.screenshot("admin-ui-source.png")

		// On a phone the charts are drawn again at its width, labels the
		// same size, and nothing needs sideways scrolling.
		b.do("narrow the viewport", chromedp.EmulateViewport(375, 800, chromedp.EmulateMobile))
		b.waitFor("the charts redrawn narrow", `[...document.querySelectorAll('#source-charts svg')].every(s => s.getAttribute('width') < 375)`)
		if wide := eval[bool](b, `document.documentElement.scrollWidth > window.innerWidth`); wide {
			t.Errorf("a source's page is wider than a 375px screen")
		}
	})

	t.Run("a chart of no, one and several points", func(t *testing.T) {
		// The page's own chart module, on made-up points: none says so, one
		// is a dot in the middle, several in any order are a line by time.
		b.waitFor("the chart module loaded", `(window.__charts === undefined && import('/ui/chart.js').then(m => {
			const at = (s) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
			window.__charts = [[], [{ at: at(5), value: 0.5 }], [{ at: at(9), value: 1 }, { at: at(0), value: 0 }, { at: at(3), value: 0.2 }]]
				.map((points, i) => document.body.appendChild(m.lineChart({ title: 'case ' + i, series: 'case' + i, points, max: 1, format: String })));
		}), window.__charts !== undefined)`)
		b.waitFor("the cases drawn", `window.__charts.filter(f => f.querySelector('svg')).length === 2`)
		got := eval[string](b, `window.__charts.map(f => {
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
		b.do("remove the cases", chromedp.Poll[chromedp.Void](`(window.__charts.forEach(f => f.remove()), true)`))
		if want := "empty; 1 points, 0 segments, centred; 3 points, 2 segments"; got != want {
			t.Errorf("charts of 0, 1 and 3 points: %q, want %q", got, want)
		}
	})

	t.Run("resume from the source's page", func(t *testing.T) {
		const form = `#source-actions [data-action=resume] `
		b.do("resume", chromedp.Click(chromedp.CSS(form+`button[data-step=open]`)),
			chromedp.SetValue(chromedp.CSS(form+`textarea[name=reason]`), "new key checked with the publisher"),
			chromedp.Click(chromedp.CSS(form+`button[data-step=continue]`)),
			chromedp.Click(chromedp.CSS(form+`button[data-step=confirm]`)))
		b.waitFor("the source shown verified again", `document.querySelector('#source-page article.source .badge')?.textContent === 'verified' &&
			!document.querySelector('#source-page .suspension') && document.querySelector('#source-actions [data-action=suspend]')`)
		if status := sourceStatus(t, api, admin, sourceID); status != "verified" {
			t.Fatalf("after resuming the source is %q", status)
		}
	})
}

func sourceStatus(t *testing.T, api apiClient, admin, id string) string {
	t.Helper()
	code, body := api.do(http.MethodGet, "/federation/source-status?sourceId="+url.QueryEscape(id), admin, nil)
	if code != http.StatusOK {
		t.Fatalf("source-status = %d %v", code, body)
	}
	s, _ := body["status"].(string)
	return s
}
