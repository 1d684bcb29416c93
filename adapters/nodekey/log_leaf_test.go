package nodekey_test

import (
	"bytes"
	"testing"

	"github.com/pfn-network/pfn/adapters/nodekey"
	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// A log leaf is the statement the read model's view verifies: built from
// the event, it equals the one app.PluginView.StatementV2 builds from the
// row, upstream the last hop's signature.
func TestLogLeafIsTheViewsStatement(t *testing.T) {
	hop := func(sig string) domain.ProvenanceHop { return domain.ProvenanceHop{Node: "n", Signature: sig} }
	tests := []struct {
		name     string
		hops     []domain.ProvenanceHop
		upstream string
	}{
		{"direct mirror", nil, ""},
		{"one hop", []domain.ProvenanceHop{hop("first")}, "first"},
		{"two hops: the last one's", []domain.ProvenanceHop{hop("first"), hop("second")}, "second"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := domain.PluginMirrored{SourceID: "a@b.example", Plugin: "tool", Version: "1.0.0", SHA256: emptySHA256, Size: 7,
				PublisherSignature: "psig", NodeKeyID: "0123456789abcdef", PublisherKey: "pkey", Provenance: tt.hops,
				FederationSignatureV2: "nsig"}
			leaf, err := nodekey.LogLeaf(e)
			if err != nil {
				t.Fatal(err)
			}
			if st := nodekey.MirroredStatementV2(e); st.Upstream != tt.upstream {
				t.Fatalf("upstream %q, want %q", st.Upstream, tt.upstream)
			}
			v := app.PluginView{SourceID: string(e.SourceID), Plugin: e.Plugin, Version: e.Version, SHA256: e.SHA256, Size: e.Size,
				PublisherSignature: e.PublisherSignature, NodeKeyID: e.NodeKeyID, PublisherKey: e.PublisherKey, Provenance: e.Provenance}
			vs := v.StatementV2()
			want, err := nodekey.StatementV2{Node: vs.Node, Source: string(vs.Source), Plugin: vs.Plugin, Version: vs.Version,
				SHA256: vs.SHA256, Size: vs.Size, PublisherSignature: vs.PublisherSignature, PublisherKey: vs.PublisherKey,
				Upstream: vs.Upstream}.CanonicalBytes()
			if err != nil || !bytes.Equal(leaf, want) {
				t.Fatalf("leaf %s, the view's statement %s (%v)", leaf, want, err)
			}
		})
	}
}
