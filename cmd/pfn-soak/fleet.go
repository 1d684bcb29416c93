package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// kind is how a publisher behaves during the soak.
type kind int

const (
	wellBehaved kind = iota
	slow             // file downloads held back 1-2 s
	failing          // down for half of every failPeriod
	hostile          // a catalogue of bad entries; some trickle their files
)

func (k kind) String() string {
	return [...]string{"well-behaved", "slow", "failing", "hostile"}[k]
}

// kindOf spreads the kinds evenly over the sources, 11:4:3:2 in every 20.
func kindOf(i int) kind {
	switch r := i % 20; {
	case r < 4:
		return slow
	case r < 7:
		return failing
	case r < 9:
		return hostile
	default:
		return wellBehaved
	}
}

const (
	failPeriod    = 30 * time.Second // a failing publisher is down for the first half of each
	bumpEvery     = 30 * time.Second // new versions of publishers that release
	trickleBPS    = 256              // bytes a second from a trickling publisher
	hugeDescBytes = 256 << 10
	manyTags      = 1000
)

// publisher is one pfn-publisher process and what the soak does to it.
type publisher struct {
	i        int
	kind     kind
	url      string
	key      string // raw base64 public key
	username string
	proc     *proc
	sourceID string // once registered

	releases bool     // publishes a new version every bumpEvery
	trickles bool     // hostile: files at trickleBPS after set-up
	versions []string // current version of plugin-1..plugin-N
}

func newPublisher(i, plugins int) *publisher {
	p := &publisher{i: i, kind: kindOf(i), username: fmt.Sprintf("soak-author-%d", i), versions: make([]string, plugins)}
	for j := range p.versions {
		p.versions[j] = "1.0.0"
	}
	p.releases = (p.kind == wellBehaved || p.kind == slow) && i%3 == 0
	p.trickles = p.kind == hostile && i%2 == 0
	return p
}

// pluginSize varies file sizes over 4, 8, 12 and 16 KiB.
func pluginSize(i int) int { return 4096 * (1 + i%4) }

// start runs the process and reads the two lines it announces itself with.
func (p *publisher) start(bin string, env []string) error {
	proc, out, err := startProc(fmt.Sprintf("publisher %d", p.i), bin, env, nil,
		"-listen", "127.0.0.1:0", "-username", p.username, "-admin",
		"-plugins", strconv.Itoa(len(p.versions)), "-plugin-size", strconv.Itoa(pluginSize(p.i)))
	if err != nil {
		return err
	}
	p.proc = proc
	line1, err1 := out.ReadString('\n')
	line2, err2 := out.ReadString('\n')
	if err1 != nil || err2 != nil || !strings.HasPrefix(line1, "listening on ") || !strings.HasPrefix(line2, "public key: ") {
		return fmt.Errorf("publisher %d %w: %q %q %v", p.i, errNotAnnounced, line1, line2, p.proc.tail.lastLines(5))
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	p.url = strings.TrimSpace(strings.TrimPrefix(line1, "listening on "))
	p.key = strings.TrimSpace(strings.TrimPrefix(line2, "public key: "))
	return nil
}

// entry is one plugin as POST /_admin/catalog takes it; no content means the
// publisher's bytes generated from slug and version.
type entry struct {
	Slug             string   `json:"slug"`
	Name             string   `json:"name"`
	Version          string   `json:"version"`
	ShortDescription string   `json:"short_description"`
	Tags             []string `json:"tags"`
	BadSignature     bool     `json:"bad_signature,omitempty"`
	OmitSignature    bool     `json:"omit_signature,omitempty"`
	SHA256           string   `json:"sha256,omitempty"`
}

var tagCycle = []string{"utilities", "productivity", "security", "media", "dev"}

// catalog is the publisher's listing: its plugins at their current
// versions, the last eight replaced by hostile entries for a hostile one.
func (p *publisher) catalog() []entry {
	out := make([]entry, 0, len(p.versions))
	for j, v := range p.versions {
		out = append(out, entry{
			Slug: fmt.Sprintf("plugin-%d", j+1), Name: fmt.Sprintf("Plugin %d of %s", j+1, p.username), Version: v,
			ShortDescription: fmt.Sprintf("Soak plugin %d <%s> & friends", j+1, p.kind),
			Tags:             []string{tagCycle[j%5], tagCycle[(j+1)%5]},
		})
	}
	if p.kind != hostile {
		return out
	}
	bad := hostileEntries()
	return append(out[:len(out)-len(bad)], bad...)
}

// hostileEntries are what a publisher the node does not control may list.
func hostileEntries() []entry {
	ok := func(slug string) entry {
		return entry{Slug: slug, Name: "Hostile " + slug, Version: "1.0.0", ShortDescription: "hostile", Tags: []string{"dev"}}
	}
	traversal, deep, huge, tags, badSig, noSig, badHash, badVersion :=
		ok("../x"), ok("../../etc/passwd"), ok("huge-description"), ok("many-tags"),
		ok("wrong-signature"), ok("no-signature"), ok("wrong-sha256"), ok("bad-version")
	huge.ShortDescription = strings.Repeat("a very long description ", hugeDescBytes/24)
	tags.Tags = make([]string, manyTags)
	for k := range tags.Tags {
		tags.Tags[k] = fmt.Sprintf("tag-%d", k)
	}
	badSig.BadSignature = true
	noSig.OmitSignature = true
	badHash.SHA256 = strings.Repeat("00", 32)
	badVersion.Version = "../../1.0.0"
	return []entry{traversal, deep, huge, tags, badSig, noSig, badHash, badVersion}
}

// admin calls one of the publisher's /_admin/ hooks.
func (p *publisher) admin(ctx context.Context, c *http.Client, path string, body any) error {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url+path, rd)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("publisher %d %s: %w", p.i, path, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("publisher %d %s: %d %s", p.i, path, resp.StatusCode, msg)
	}
	return nil
}

// prepare gives the publisher its catalogue and, for a slow one, its delay,
// before the node sees it.
func (p *publisher) prepare(ctx context.Context, c *http.Client) error {
	if err := p.admin(ctx, c, "/_admin/catalog", p.catalog()); err != nil {
		return err
	}
	if p.kind == slow {
		return p.admin(ctx, c, "/_admin/slow?ms="+strconv.Itoa(1000+500*(p.i%3)), nil)
	}
	return nil
}

// chaos runs the publishers' behaviour over the soak until ctx ends:
// trickling from the start, failing ones going down and up, releases.
// Hook failures are counted, not fatal: a publisher that stops answering
// its own admin hook shows up in the end report as dead.
type chaos struct {
	client *http.Client
	pubs   []*publisher
	mu     sync.Mutex
	errs   []error
	counts struct{ downs, releases int }
}

func (c *chaos) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.errs) < 20 {
		c.errs = append(c.errs, err)
	}
}

func (c *chaos) run(ctx context.Context) {
	for _, p := range c.pubs {
		if p.trickles {
			if err := p.admin(ctx, c.client, "/_admin/trickle?bps="+strconv.Itoa(trickleBPS), nil); err != nil {
				c.fail(err)
			}
		}
	}
	start := time.Now()
	down := map[int]bool{}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lastBump := start
	round := 0
	for {
		select {
		case <-ctx.Done():
			for _, p := range c.pubs {
				if down[p.i] {
					_ = p.admin(context.WithoutCancel(ctx), c.client, "/_admin/up", nil)
				}
			}
			return
		case now := <-tick.C:
			for _, p := range c.pubs {
				if p.kind != failing {
					continue
				}
				want := shouldBeDown(now.Sub(start), p.i)
				if want == down[p.i] {
					continue
				}
				path := map[bool]string{true: "/_admin/down", false: "/_admin/up"}[want]
				if err := p.admin(ctx, c.client, path, nil); err != nil {
					c.fail(err)
					continue
				}
				down[p.i] = want
				if want {
					c.mu.Lock()
					c.counts.downs++
					c.mu.Unlock()
				}
			}
			if now.Sub(lastBump) >= bumpEvery {
				lastBump = now
				round++
				c.release(ctx, round)
			}
		}
	}
}

// shouldBeDown: each failing publisher is down for the first half of every
// failPeriod, its phase shifted by its index so they do not fail together.
func shouldBeDown(since time.Duration, i int) bool {
	phase := (since + time.Duration(i)*3*time.Second) % failPeriod
	return phase < failPeriod/2
}

// release publishes a new version of one plugin on every releasing
// publisher: new listings, downloads and events all through the soak.
func (c *chaos) release(ctx context.Context, round int) {
	for _, p := range c.pubs {
		if !p.releases {
			continue
		}
		j := (round - 1) % len(p.versions)
		p.versions[j] = fmt.Sprintf("1.%d.0", round)
		if err := p.admin(ctx, c.client, "/_admin/catalog", p.catalog()); err != nil {
			c.fail(err)
			continue
		}
		c.mu.Lock()
		c.counts.releases++
		c.mu.Unlock()
	}
}

// startFleet starts every publisher and gives it its catalogue and delay.
// It returns the processes started, also when it fails part way.
func startFleet(ctx context.Context, bin string, pubs []*publisher, hooks *http.Client) ([]*proc, error) {
	env := childEnv(map[string]string{"GOMAXPROCS": "1"})
	var mu sync.Mutex
	var errs []error
	each := func(f func(p *publisher) error) {
		forEach(len(pubs), func(i int) {
			if err := f(pubs[i]); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	each(func(p *publisher) error { return p.start(bin, env) })
	var procs []*proc
	for _, p := range pubs {
		if p.proc != nil {
			procs = append(procs, p.proc)
		}
	}
	if len(errs) == 0 {
		each(func(p *publisher) error { return p.prepare(ctx, hooks) })
	}
	return procs, errors.Join(errs...)
}
