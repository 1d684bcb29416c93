package app

import (
	"context"
	"testing"

	"github.com/pfn-network/pfn/domain"
)

type oneSource struct{ view SourceView }

func (s oneSource) ListSources(context.Context) ([]SourceView, error) {
	return []SourceView{s.view}, nil
}
func (s oneSource) GetSource(context.Context, domain.SourceID) (SourceView, error) {
	return s.view, nil
}

type listedViews []PluginView

func (l listedViews) ListPlugins(context.Context, PluginQuery) ([]PluginView, error) { return l, nil }
func (l listedViews) PluginVersions(context.Context, string, string) ([]PluginView, error) {
	return l, nil
}

// TestListAuthorDataSignsMarkers: the node signs the source's status and
// each yanked version's marker with its key, so that a downstream can tell
// them from a relay's; a version not yanked carries no yank signature.
func TestListAuthorDataSignsMarkers(t *testing.T) {
	t.Parallel()
	node := MemorySigner{ID: "node-b"}
	const id = domain.SourceID("pub@p.example@a.example")
	sha := "ab"
	h := ListAuthorData{Sources: oneSource{SourceView{}}, Signer: node, Plugins: listedViews{
		{Plugin: "s", Version: "1.0.0", SHA256: sha, Yanked: "malware", FederationSignatureV2: "x", PublisherKey: "k"},
		{Plugin: "t", Version: "1.0.0", SHA256: sha, FederationSignatureV2: "x", PublisherKey: "k"},
	}}
	l, err := h.Handle(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if err := domain.VerifyMarker(node.PublicKey(), domain.SourceStatusMarker(id, "active", ""), l.StatusSignature); err != nil {
		t.Errorf("status signature: %v", err)
	}
	if len(l.Plugins) != 2 {
		t.Fatalf("listed %d versions, want 2", len(l.Plugins))
	}
	if err := domain.VerifyMarker(node.PublicKey(), domain.YankMarker(id, "s", "1.0.0", sha, "malware"), l.Plugins[0].YankSignature); err != nil {
		t.Errorf("yank signature: %v", err)
	}
	if l.Plugins[1].YankSignature != "" {
		t.Errorf("a version not yanked carries a yank signature")
	}
}
