package app

import (
	"crypto/ed25519"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/domain"
)

// chainEntry is pub's version as node B lists it: mirrored by A straight
// from the publisher, then by B from A.
func chainEntry(t *testing.T, a, b MemorySigner) ListedPlugin {
	t.Helper()
	pubKey, _, _ := ed25519.GenerateKey(nil)
	p := ListedPlugin{Slug: "s", Version: "1.0.0", Signature: "c2ln", SHA256: strings.Repeat("ab", 32), Size: 7,
		Publisher: &ListedPublisher{Source: "pub@p.example", PublicKey: base64.StdEncoding.EncodeToString(pubKey)}}
	upstream := ""
	for _, hop := range []struct {
		s      MemorySigner
		source domain.SourceID
		url    string
	}{{a, "pub@p.example", "http://a.example"}, {b, "pub@p.example@a.example", "http://b.example:8080"}} {
		sig, err := hop.s.SignMirrorV2(StatementV2{Source: hop.source, Plugin: p.Slug, Version: p.Version, SHA256: p.SHA256,
			Size: p.Size, PublisherSignature: p.Signature, PublisherKey: p.Publisher.PublicKey, Upstream: upstream})
		if err != nil {
			t.Fatal(err)
		}
		p.Provenance = append(p.Provenance, domain.ProvenanceHop{Node: hop.s.KeyID(),
			NodeKey: base64.StdEncoding.EncodeToString(hop.s.PublicKey()), URL: hop.url, Source: hop.source, Signature: sig})
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
		{"a hop's source does not follow", MemorySigner{ID: "node-c"}, func(p *ListedPlugin, _ *domain.SourceState) { p.Provenance[0].URL = "http://other.example" }, "does not follow"},
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
