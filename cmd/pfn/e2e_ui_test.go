package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPath is where Debian's chromium package puts the browser; .ci/run
// installs it.
const chromiumPath = "/usr/bin/chromium"

// hostileName would set window.__pwned if the page ever parsed it as markup.
const hostileName = `<img src=x onerror="window.__pwned=1">`

// uiBrowser is a headless Chromium tab with a fresh profile, and the
// uncaught page exceptions seen so far.
type uiBrowser struct {
	t          *testing.T
	ctx        context.Context
	shots      string // where screenshots go
	mu         sync.Mutex
	exceptions []string
}

// screenshotDir is where the UI test saves its screenshots: a temporary
// directory, so that tests never touch the committed ones, or
// PFN_SCREENSHOT_DIR, which make screenshots points at docs/screenshots.
func screenshotDir(t *testing.T) string {
	if dir := os.Getenv("PFN_SCREENSHOT_DIR"); dir != "" {
		return dir
	}
	return t.TempDir()
}

func startBrowser(t *testing.T, downloads string) *uiBrowser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("headless Chromium is needed at %s (Debian's chromium package; .ci/run installs it): %v", chromiumPath, err)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900))
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	b := &uiBrowser{t: t, ctx: ctx, shots: screenshotDir(t)}

	// The first Run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
	go func() {
		for ev, err := range chromedp.Events(ctx, runtime.ExceptionThrown) {
			if err != nil {
				return
			}
			msg := ev.ExceptionDetails.Text
			if ex := ev.ExceptionDetails.Exception; ex != nil {
				msg += " " + ex.Description
			}
			b.mu.Lock()
			b.exceptions = append(b.exceptions, msg)
			b.mu.Unlock()
		}
	}()
	// Before any page script: dialogs would block the tab, and counting
	// them shows whether anything ran that should not have.
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.__dialogs = 0; for (const f of ['alert', 'confirm', 'prompt']) window[f] = () => { window.__dialogs++; };`,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads,
	}); err != nil {
		t.Fatal(err)
	}
	return b
}

// do runs steps with a deadline, failing the test with what the page says.
func (b *uiBrowser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v\npage says: %s", what, err, b.pageText())
	}
}

// waitFor waits until the JavaScript expression is truthy.
func (b *uiBrowser) waitFor(what, expr string) {
	b.t.Helper()
	b.do(what, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond),
		chromedp.WithPollingTimeout(15*time.Second)))
}

// clickWhenThere clicks the first element selector matches once there is
// one. Opening a tab reloads its list, which can replace an element under a
// click by node id ("could not find node"): this clicks from the page, on
// whichever element is there.
func (b *uiBrowser) clickWhenThere(what, selector string) {
	b.t.Helper()
	b.waitFor(what+", clicked", `(() => {
		const el = document.querySelector(`+jsString(selector)+`);
		if (!el) return false;
		el.click();
		return true;
	})()`)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return fmt.Sprintf("%q", s)
}

func eval[T any](b *uiBrowser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

func (b *uiBrowser) pageText() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](
		`[...document.querySelectorAll('.status, .field-error')].map(e => e.textContent).filter(Boolean).join(' | ')`))
	return s
}

func (b *uiBrowser) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		b.t.Fatal(err)
	}
	if err := os.MkdirAll(b.shots, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.shots, name), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func TestAdminUI(t *testing.T) {
	t.Parallel()
	pfn := buildBinary(t, ".", "pfn")
	pubBin := buildBinary(t, "../pfn-publisher", "pfn-publisher")
	dir := t.TempDir()
	pub := startPublisher(t, pubBin, "-key-file", filepath.Join(dir, "pub.pem"), "-admin", "-with-sha256")
	// The screenshots show this catalogue; the hostile entry comes later.
	friendly := []map[string]any{
		{"slug": "audit-log", "name": "Audit Log", "version": "1.2.0", "short_description": "Records who changed what, and when.", "tags": []string{"security"}},
		{"slug": "image-resizer", "name": "Image Resizer", "version": "2.0.1", "short_description": "Makes thumbnails in three sizes.", "tags": []string{"media"}},
		{"slug": "markdown-preview", "name": "Markdown Preview", "version": "0.9.4", "short_description": "Renders Markdown as you type.", "tags": []string{"productivity"}},
	}
	setCatalog(t, pub, friendly)
	files := map[string]catalogEntry{}
	for _, f := range publisherFiles(t, pub) {
		files[f.Slug] = f
	}
	const master = "master-key-for-the-ui-test-0123456789"
	// Health checks every second give the source's charts points to draw.
	api := apiClient{t, startNode(t, pfn, "PFN_MASTER_KEY="+master, "PFN_HEALTH_INTERVAL=1s")}
	_, body := api.do(http.MethodPost, "/federation/create-admin-key", master, map[string]string{"description": "ui test"})
	admin, _ := body["key"].(string)
	if admin == "" {
		t.Fatalf("create-admin-key: %v", body)
	}

	downloads := t.TempDir()
	b := startBrowser(t, downloads)
	b.do("open the page", chromedp.Navigate(api.base+"/"), chromedp.WaitVisible(chromedp.ID("signin-key")))

	b.do("sign in", chromedp.SendKeys(chromedp.ID("signin-key"), admin), chromedp.Click(chromedp.CSS("#signin-form button")))
	b.waitFor("the app after sign-in", `!document.getElementById('app').hidden`)
	if got := eval[string](b, `sessionStorage.getItem('pfn.adminKey')`); got != admin {
		t.Fatalf("key kept in session storage = %q", got)
	}

	// An error from the API is shown next to the field it is about.
	b.do("add a source with a wrong URL",
		chromedp.SetValue(chromedp.ID("as-instance_url"), "ftp://"+strings.TrimPrefix(pub.URL, "http://")),
		chromedp.SetValue(chromedp.ID("as-username"), "plugin-author"),
		chromedp.SetValue(chromedp.ID("as-public_key"), pub.PublicKey),
		chromedp.Click(chromedp.CSS("#add-source button[type=submit]")))
	b.waitFor("the URL error beside its field", `document.getElementById('as-instance_url-error').textContent.includes('http://')`)

	// allow_shared_key ticked: the node takes the page's body with it (the
	// key is shared with no one, so it changes nothing here).
	b.do("add the source", chromedp.SetValue(chromedp.ID("as-instance_url"), pub.URL),
		chromedp.Click(chromedp.ID("as-allow_shared_key")),
		chromedp.Click(chromedp.CSS("#add-source button[type=submit]")))
	b.waitFor("the source verified",
		`document.querySelector('#add-source .status.ok') && document.querySelector('article.source .badge')?.textContent === 'verified'`)
	sourceID := eval[string](b, `document.querySelector('article.source').dataset.sourceId`)
	if !strings.HasPrefix(sourceID, "plugin-author@127.0.0.1:") {
		t.Fatalf("source card for %q", sourceID)
	}

	b.do("subscribe", chromedp.Click(chromedp.CSS(`article.source button[data-action=subscribe]`)))
	b.waitFor("the subscription's sync result", `document.querySelector('article.source .status.ok')?.textContent.includes('Mirrored 3 new')`)
	b.waitFor("the plugin count on the card", `[...document.querySelectorAll('article.source dd')].some(d => d.textContent === '3')`)
	b.do("show the trust components", chromedp.Click(chromedp.CSS(`article.source details.trust summary`)))
	b.screenshot("admin-ui-sources.png")

	b.do("open the catalogue", chromedp.Click(chromedp.CSS(`.tabs a[data-view=catalogue]`)))
	b.waitFor("the mirrored plugins", `document.querySelectorAll('#catalogue-list article.plugin').length === 3`)

	t.Run("download gives the publisher's bytes", func(t *testing.T) {
		b.do("download", chromedp.Click(chromedp.CSS(`article.plugin[data-plugin=audit-log] button[data-action=download]`)))
		b.waitFor("the download result",
			`document.querySelector('article.plugin[data-plugin=audit-log] .status.ok')?.textContent.includes('sha256 matches the catalogue')`)
		want := files["audit-log"].SHA256
		saved := filepath.Join(downloads, "audit-log-1.2.0.zip")
		deadline := time.Now().Add(10 * time.Second)
		for {
			data, err := os.ReadFile(saved)
			sum := sha256.Sum256(data)
			if err == nil && hex.EncodeToString(sum[:]) == want {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("saved download %s: %v, sha256 %x, want %s", saved, err, sum, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	t.Run("verify shows what passed", func(t *testing.T) {
		b.do("verify", chromedp.Click(chromedp.CSS(`article.plugin[data-plugin=audit-log] button[data-action=verify]`)))
		b.waitFor("the verify report", `document.querySelectorAll('article.plugin[data-plugin=audit-log] .status.ok .checks li.pass').length === 3`)
		b.screenshot("admin-ui.png")
	})

	t.Run("the activity feed and a source's event history", func(t *testing.T) {
		b.do("open the activity feed", chromedp.Click(chromedp.CSS(`.tabs a[data-view=activity]`)))
		b.waitFor("activity entries", `document.querySelectorAll('#view-activity li.entry.kind-source_added').length === 1 &&
			document.querySelectorAll('#view-activity li.entry.kind-verified').length >= 1`)
		b.screenshot("admin-ui-activity.png")
		b.do("back to the sources", chromedp.Click(chromedp.CSS(`.tabs a[data-view=sources]`)))
		b.clickWhenThere("a source's events button", `article.source button[data-action=events]`)
		b.waitFor("the source's events", `!document.getElementById('view-audit').hidden &&
			[...document.querySelectorAll('#view-audit li.event .type')].some(e => e.textContent === 'source.registered')`)
		// Every event shown belongs to the source asked for.
		if foreign := eval[int](b, `[...document.querySelectorAll('#view-audit li.event p.meta')]
			.filter(m => !m.textContent.includes('plugin-author@')).length`); foreign != 0 {
			t.Errorf("%d events of other streams in one source's history", foreign)
		}
	})

	t.Run("a narrow screen needs no sideways scrolling", func(t *testing.T) {
		b.do("narrow the viewport", chromedp.EmulateViewport(375, 800, chromedp.EmulateMobile))
		for _, view := range []string{"sources", "catalogue"} {
			b.do("open "+view, chromedp.Click(chromedp.CSS(`.tabs a[data-view=`+view+`]`)))
			// .ok may still be the previous load's until the new one starts.
			b.waitFor(view+" loaded", `document.querySelector('#view-`+view+` .status.ok') && !document.querySelector('#view-`+view+` .status.busy')`)
			if wide := eval[bool](b, `document.documentElement.scrollWidth > window.innerWidth`); wide {
				t.Errorf("%s is wider than a 375px screen", view)
			}
		}
		b.screenshot("admin-ui-narrow.png")
	})

	t.Run("a hostile plugin name is text, and nothing in it runs", func(t *testing.T) {
		setCatalog(t, pub, append(friendly, map[string]any{"slug": "hostile", "name": hostileName, "version": "1.0.0",
			"short_description": `<script>window.__pwned=2</script>`, "tags": []string{`"><svg onload="window.__pwned=3">`}}))
		if code, body := api.do(http.MethodPost, "/federation/sync-source", admin, map[string]string{"sourceId": sourceID}); code != http.StatusOK {
			t.Fatalf("sync-source = %d %v", code, body)
		}
		// The tab reloads its list when the view changes (the hash), so
		// leave it first.
		b.do("open the activity feed", chromedp.Click(chromedp.CSS(`.tabs a[data-view=activity]`)))
		b.do("open the catalogue", chromedp.Click(chromedp.CSS(`.tabs a[data-view=catalogue]`)))
		b.waitFor("the hostile plugin mirrored", `document.querySelectorAll('#catalogue-list article.plugin').length === 4`)
		var got struct {
			Names       []string
			Description string
			Tag         string
			Images      int
			SVGs        int
			Scripts     int
			Pwned       any
			Dialogs     int
		}
		raw := eval[[]byte](b, `({
			names: [...document.querySelectorAll('.plugin-name')].map(e => e.textContent),
			description: document.querySelector('article.plugin[data-plugin=hostile] .description').textContent,
			tag: document.querySelector('article.plugin[data-plugin=hostile] .tag').textContent,
			images: document.querySelectorAll('img').length,
			svgs: document.querySelectorAll('main svg').length,
			scripts: document.scripts.length,
			pwned: window.__pwned ?? null,
			dialogs: window.__dialogs,
		})`)
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, n := range got.Names {
			found = found || n == hostileName
		}
		if !found || got.Description != `<script>window.__pwned=2</script>` || got.Tag != `"><svg onload="window.__pwned=3">` {
			t.Errorf("publisher text not shown literally: names %q, description %q, tag %q", got.Names, got.Description, got.Tag)
		}
		if got.Images != 0 || got.SVGs != 0 || got.Scripts != 1 || got.Pwned != nil || got.Dialogs != 0 {
			t.Errorf("publisher text became markup: %+v", got)
		}
	})

	provenanceSteps(t, b, api, admin)
	logFixtureSteps(t, b)
	logNodeSteps(t, b, api, admin)
	sourcePageSteps(t, b, api, admin, sourceID)
	upstreamSteps(t, b, api, admin, pfn, pub)

	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.exceptions) > 0 {
		t.Errorf("the page threw: %q", b.exceptions)
	}
}
