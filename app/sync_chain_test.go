package app

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// chainEntry is pub's version as node B lists it: mirrored by A straight
// from the publisher, then by B from A.
func chainEntry(t *testing.T, a, b MemorySigner) ListedPlugin {
	t.Helper()
	return signedChain(t, chainHop{a, a.KeyID(), "pub@p.example", "http://a.example"},
		chainHop{b, b.KeyID(), "pub@p.example@a.example", "http://b.example:8080"})
}

// chainHop is one node of a chain a test builds: signer signs a statement
// naming node (its own id, or another's to forge one).
type chainHop struct {
	signer      MemorySigner
	node        string
	source, url domain.SourceID
}

func signedChain(t *testing.T, hops ...chainHop) ListedPlugin {
	t.Helper()
	pubKey, _, _ := ed25519.GenerateKey(nil)
	p := ListedPlugin{Slug: "s", Version: "1.0.0", Signature: "c2ln", SHA256: strings.Repeat("ab", 32), Size: 7,
		Publisher: &ListedPublisher{Source: "pub@p.example", PublicKey: base64.StdEncoding.EncodeToString(pubKey)}}
	upstream := ""
	for _, hop := range hops {
		st := StatementV2{Node: hop.node, Source: hop.source, Plugin: p.Slug, Version: p.Version, SHA256: p.SHA256,
			Size: p.Size, PublisherSignature: p.Signature, PublisherKey: p.Publisher.PublicKey, Upstream: upstream}
		sig := base64.StdEncoding.EncodeToString(ed25519.Sign(hop.signer.key(), mirrorStatementV2(st)))
		p.Provenance = append(p.Provenance, domain.ProvenanceHop{Node: hop.node,
			NodeKey: base64.StdEncoding.EncodeToString(hop.signer.PublicKey()), URL: string(hop.url), Source: hop.source, Signature: sig})
		upstream = sig
	}
	return p
}

// TestChainProblem: each rule of SPEC15 §3 refuses what breaks it, a cycle
// first, and a chain that holds passes.
func TestChainProblem(t *testing.T) {
	t.Parallel()
	a, b := MemorySigner{ID: "node-a"}, MemorySigner{ID: "node-b"}
	st := domain.SourceState{Username: "pub@p.example@a.example", PublicKey: b.PublicKey()}
	for _, tc := range []struct {
		name  string
		self  MemorySigner
		alter func(*ListedPlugin, *domain.SourceState)
		want  string // "" when the chain holds
	}{
		{"a chain that holds", MemorySigner{ID: "node-c"}, func(*ListedPlugin, *domain.SourceState) {}, ""},
		{"a cycle through this node", a, func(*ListedPlugin, *domain.SourceState) {}, "cycle"},
		{"no publisher", MemorySigner{ID: "node-c"}, func(p *ListedPlugin, _ *domain.SourceState) { p.Publisher = nil }, "without its publisher"},
		{"the last hop is not the proven key", MemorySigner{ID: "node-c"}, func(_ *ListedPlugin, st *domain.SourceState) { st.PublicKey = a.PublicKey() }, "proven key"},
		{"the last hop names another source", MemorySigner{ID: "node-c"}, func(_ *ListedPlugin, st *domain.SourceState) { st.Username = "pub@p.example" }, "last hop names"},
		{"the publisher is not the first hop's source", MemorySigner{ID: "node-c"}, func(p *ListedPlugin, _ *domain.SourceState) { p.Publisher.Source = "x@p.example" }, "first hop"},
		{"a hop's URL is not the host its next hop's source names (no signature covers it)", MemorySigner{ID: "node-c"},
			func(p *ListedPlugin, _ *domain.SourceState) { p.Provenance[0].URL = "http://other.example" }, ""},
		{"a hop's source does not follow its upstream's", MemorySigner{ID: "node-c"}, func(p *ListedPlugin, _ *domain.SourceState) {
			*p = signedChain(t, chainHop{a, a.KeyID(), "other@p.example", "http://a.example"},
				chainHop{b, b.KeyID(), "pub@p.example@a.example", "http://b.example"})
			p.Publisher.Source = "other@p.example" // the first hop's, as the rule before wants
		}, "does not follow"},
		{"a hop carries one node's id with another node's key", MemorySigner{ID: "node-c"}, func(p *ListedPlugin, _ *domain.SourceState) {
			*p = signedChain(t, chainHop{MemorySigner{ID: "node-x"}, a.KeyID(), "pub@p.example", "http://a.example"},
				chainHop{b, b.KeyID(), "pub@p.example@a.example", "http://b.example"})
		}, "hop 0"},
		{"a hop carries this node's key under another id (cycle)", MemorySigner{ID: "node-c"}, func(p *ListedPlugin, _ *domain.SourceState) {
			*p = signedChain(t, chainHop{MemorySigner{ID: "node-c"}, a.KeyID(), "pub@p.example", "http://a.example"},
				chainHop{b, b.KeyID(), "pub@p.example@a.example", "http://b.example"})
		}, "cycle"},
		{"other bytes than the statements name", MemorySigner{ID: "node-c"}, func(p *ListedPlugin, _ *domain.SourceState) { p.Size++ }, "statement"},
		{"another upstream signature", MemorySigner{ID: "node-c"}, func(p *ListedPlugin, _ *domain.SourceState) {
			p.Provenance[0].Signature = p.Provenance[1].Signature
		}, "hop 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, st := chainEntry(t, a, b), st
			tc.alter(&p, &st)
			got := SyncSource{Signer: tc.self}.chainProblem(st, p)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("chainProblem = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestFollowUpstreamYanks: a yank marker is followed only from an entry
// that is usable, whose chain holds, that names the bytes mirrored here,
// and that the upstream node signed; anything else changes nothing, and a
// marker without a good signature is refused on the source.
func TestFollowUpstreamYanks(t *testing.T) {
	t.Parallel()
	a, b, c := MemorySigner{ID: "node-a"}, MemorySigner{ID: "node-b"}, MemorySigner{ID: "node-c"}
	st := domain.SourceState{Username: "pub@p.example@a.example", PublicKey: b.PublicKey(), InstanceURL: "http://b.example:8080"}
	marker := func(p ListedPlugin, reason string) string {
		return domain.YankMarker(domain.SourceID(st.Username), p.Slug, p.Version, p.SHA256, reason)
	}
	signed := func(s MemorySigner, msg string) string {
		sig, err := s.SignMarker(msg)
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	for _, tc := range []struct {
		name       string
		self       MemorySigner
		yankedHere bool // yanked before, following the upstream
		alter      func(*ListedPlugin)
		mirrored   string // the sha256 mirrored here; the listed one when ""
		wantYanked bool
		refusals   int
	}{
		{name: "a signed yank of a chain that holds is followed", self: c, wantYanked: true,
			alter: func(p *ListedPlugin) {
				p.Yanked = &ListedYank{Reason: "malware", Signature: signed(b, marker(*p, "malware"))}
			}},
		{name: "no marker lifts a yank that followed the upstream", self: c, yankedHere: true, alter: func(*ListedPlugin) {}},
		{name: "a cycle entry marked yanked changes nothing", self: a,
			alter: func(p *ListedPlugin) {
				p.Yanked = &ListedYank{Reason: "malware", Signature: signed(b, marker(*p, "malware"))}
			}},
		{name: "a cycle entry without a marker lifts nothing", self: a, yankedHere: true, wantYanked: true, alter: func(*ListedPlugin) {}},
		{name: "a bad-signature entry marked yanked changes nothing", self: c, alter: func(p *ListedPlugin) {
			p.Provenance[0].Signature = p.Provenance[1].Signature
			p.Yanked = &ListedYank{Reason: "malware", Signature: signed(b, marker(*p, "malware"))}
		}},
		{name: "an entry with the wrong key marked yanked changes nothing", self: c, alter: func(p *ListedPlugin) {
			*p = chainEntry(t, a, MemorySigner{ID: "node-x"})
			p.Yanked = &ListedYank{Reason: "malware", Signature: signed(b, marker(*p, "malware"))}
		}},
		{name: "an unusable entry marked yanked changes nothing", self: c, alter: func(p *ListedPlugin) {
			p.Invalid = "bad"
			p.Yanked = &ListedYank{Reason: "malware", Signature: signed(b, marker(*p, "malware"))}
		}},
		{name: "a marker for other bytes than mirrored changes nothing", self: c, mirrored: strings.Repeat("cd", 32),
			alter: func(p *ListedPlugin) {
				p.Yanked = &ListedYank{Reason: "malware", Signature: signed(b, marker(*p, "malware"))}
			}},
		{name: "an unsigned marker is ignored and refused", self: c, refusals: 1,
			alter: func(p *ListedPlugin) { p.Yanked = &ListedYank{Reason: "malware"} }},
		{name: "a marker signed by another key is ignored and refused", self: c, refusals: 1,
			alter: func(p *ListedPlugin) {
				p.Yanked = &ListedYank{Reason: "malware", Signature: signed(a, marker(*p, "malware"))}
			}},
		{name: "a marker signed over another reason is ignored and refused", self: c, refusals: 1,
			alter: func(p *ListedPlugin) {
				p.Yanked = &ListedYank{Reason: "malware", Signature: signed(b, marker(*p, "old"))}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := chainEntry(t, a, b)
			tc.alter(&p)
			mirrored := tc.mirrored
			if mirrored == "" {
				mirrored = strings.Repeat("ab", 32)
			}
			hist := domain.NewPluginHistory("pub@p.example@a.example@b.example:8080", "s")
			hist.RecordMirrored(domain.PluginMirrored{SourceID: hist.Source, Plugin: "s", Version: "1.0.0", SHA256: mirrored, Size: 7, At: time.Unix(1, 0)})
			if tc.yankedHere {
				hist.FollowUpstreamYank("1.0.0", true, "earlier", domain.UpstreamActor(st.InstanceURL), time.Unix(2, 0))
			}
			listed := []ListedPlugin{p}
			h := SyncSource{Signer: tc.self}
			plan, rec := syncPlan{}, syncRecording{result: &SyncResult{}, now: time.Unix(3, 0)}
			followUpstreamYanks(st, listed, h.chainProblems(st, listed), map[string]*domain.PluginHistory{"s": hist}, &plan, &rec)
			if v, _ := hist.Mirrored("1.0.0"); v.Yanked != tc.wantYanked || len(rec.refusals) != tc.refusals {
				t.Errorf("yanked %v, refusals %+v; want yanked %v and %d refusals", v.Yanked, rec.refusals, tc.wantYanked, tc.refusals)
			}
		})
	}
}

// TestWithUpstreamURL: the upstream's hop is recorded with the source's
// instance URL, whatever URL the listing gave it; the listing's own slice
// is left alone.
func TestWithUpstreamURL(t *testing.T) {
	t.Parallel()
	p := chainEntry(t, MemorySigner{ID: "node-a"}, MemorySigner{ID: "node-b"})
	original := p.Provenance
	listed := []ListedPlugin{p, {Slug: "direct"}}
	withUpstreamURL(listed, "http://b.example:9090")
	if got := listed[0].Provenance; got[1].URL != "http://b.example:9090" || got[0].URL != "http://a.example" || original[1].URL != "http://b.example:8080" {
		t.Errorf("provenance %+v, the listing's %+v", got, original)
	}
	if listed[1].Provenance != nil {
		t.Errorf("a direct entry got provenance %+v", listed[1].Provenance)
	}
}

// TestRecordWithheld: an upstream's quarantined or removed status is
// recorded only when the upstream node signed it under the source's key;
// unsigned or signed by another key, it is ignored and refused once.
func TestRecordWithheld(t *testing.T) {
	t.Parallel()
	a, b := MemorySigner{ID: "node-a"}, MemorySigner{ID: "node-b"}
	status := func(s MemorySigner, username, reason string) string {
		sig, err := s.SignMarker(domain.SourceStatusMarker(domain.SourceID(username), "quarantined", reason))
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	for _, tc := range []struct {
		name         string
		signature    func(username string) string
		wantStatus   string
		wantRefusals int
	}{
		{"signed by the upstream node", func(u string) string { return status(b, u, "under investigation") }, "quarantined", 0},
		{"unsigned", func(string) string { return "" }, "", 1},
		{"signed by another key", func(u string) string { return status(a, u, "under investigation") }, "", 1},
		{"signed over another reason", func(u string) string { return status(b, u, "old") }, "", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src, err := domain.RegisterSource("http://b.example:8080", "pub@p.example@a.example", base64.StdEncoding.EncodeToString(b.PublicKey()), "admin", time.Unix(1, 0))
			if err != nil {
				t.Fatal(err)
			}
			sources := &MemorySources{}
			if err := sources.Save(context.Background(), src); err != nil {
				t.Fatal(err)
			}
			st := src.State()
			h := SyncSource{Sources: sources, Now: func() time.Time { return time.Unix(2, 0) }}
			for range 2 { // the second sync finds the same answer
				w := &UpstreamWithheld{Status: "quarantined", Reason: "under investigation", Signature: tc.signature(st.Username)}
				if err := h.recordWithheld(context.Background(), st.ID, st, w); err != nil {
					t.Fatal(err)
				}
			}
			refusals := 0
			for _, e := range sources.Events(st.ID) {
				if _, ok := e.(domain.SourceListingRefused); ok {
					refusals++
				}
			}
			got, _ := sources.Load(context.Background(), st.ID)
			if got.State().UpstreamStatus != tc.wantStatus || refusals != tc.wantRefusals {
				t.Errorf("upstream status %q, %d refusals; want %q, %d", got.State().UpstreamStatus, refusals, tc.wantStatus, tc.wantRefusals)
			}
		})
	}
}
