package follow

import (
	"strings"
	"testing"
)

func TestCheckRow(t *testing.T) {
	t.Parallel()
	publisher, node, other := newKey(t, 1), newKey(t, 40), newKey(t, 90)
	const source = "plugin-author@pub.example:8090"
	good := signedRow(t, publisher, node, source, "tool", "1.0.0", []byte("PK\x03\x04tool"))

	// A row that came through an upstream node: provenance names the
	// publisher and the upstream, whose v2 statement this node's covers.
	// Every signature holds in each; the source ids must follow too.
	upstream := newKey(t, 70)
	chainedRow := func(hopSource, rowSource string) Row {
		r := signedRow(t, publisher, node, rowSource, "tool", "1.0.0", []byte("PK\x03\x04tool"))
		r.Provenance[0].Source = source
		hopSig := upstream.sign(t, mustV2(t, r.statementV2(upstream.id(), hopSource, publisher.b64(), "")))
		r.Provenance = append(r.Provenance, Hop{Role: "node", Node: upstream.id(), NodeKey: upstream.b64(),
			URL: "http://a.example:8080", Source: hopSource, Signature: hopSig})
		r.FederationSignatureV2 = node.sign(t, mustV2(t, r.statementV2(node.id(), r.Source, publisher.b64(), hopSig)))
		return r
	}
	chained := chainedRow(source, source+"@a.example:8080")

	tests := []struct {
		name   string
		row    Row
		change func(*Change)
		want   string // the Failure's What, "" for none
	}{
		{"a row signed by the pinned keys", good, nil, ""},
		{"a v1-only row (no signature_v2, no statement v2)", with(good, func(r *Row) { r.SignatureV2, r.FederationSignatureV2, r.Provenance = "", "", nil }), nil, ""},
		{"a chain through an upstream node", chained, nil, ""},
		{"the feed announced other bytes", good, func(c *Change) { c.SHA256 = strings.Repeat("0", 64) }, "feed entry"},
		{"the feed announced another size", good, func(c *Change) { c.Size++ }, "feed entry"},
		{"the node answered for another version", with(good, func(r *Row) { r.Version = "2.0.0" }), nil, "catalogue row"},
		{"the description was altered", with(good, func(r *Row) { r.Description += "!" }), nil, "publisher signature"},
		{"signed by another publisher", signedRow(t, other, node, source, "tool", "1.0.0", []byte("PK\x03\x04tool")), nil, "publisher signature"},
		{"signature_v2 over other bytes", with(good, func(r *Row) { r.SignatureV2 = good.Signature }), nil, "publisher signature_v2"},
		{"a node key not pinned", signedRow(t, publisher, other, source, "tool", "1.0.0", []byte("PK\x03\x04tool")), nil, "node key"},
		{"a federation signature that does not verify", with(good, func(r *Row) { r.FederationSignature = r.Signature }), nil, "federation signature"},
		{"a statement v2 that does not verify", with(good, func(r *Row) { r.FederationSignatureV2 = r.FederationSignature }), nil, "federation signature v2"},
		{"a statement v2 without provenance", with(good, func(r *Row) { r.Provenance = nil }), nil, "federation signature v2"},
		{"provenance naming another publisher key", with(good, func(r *Row) { r.Provenance[0].PublicKey = other.b64() }), nil, "federation signature v2"},
		{"an upstream hop's signature altered", with(chained, func(r *Row) { r.Provenance[1].Signature = good.FederationSignatureV2 }), nil, "federation signature v2"},
		{"an upstream hop naming another key id", with(chained, func(r *Row) { r.Provenance[1].Node = node.id() }), nil, "federation signature v2"},
		{"an upstream hop under another source than the publisher's", chainedRow("someone-else@pub.example:8090", source+"@a.example:8080"), nil, "federation signature v2"},
		{"a row whose source does not follow the last hop's", chainedRow(source, "plugin-author@elsewhere.example@a.example:8080"), nil, "federation signature v2"},
		{"a direct mirror under another source than the publisher's", with(good, func(r *Row) { r.Provenance[0].Source = "someone-else@pub.example:8090" }), nil, "federation signature v2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ch := changeOf(1, good)
			ch.Source = tt.row.Source
			if tt.change != nil {
				tt.change(&ch)
			}
			err := CheckRow(tt.row, ch, pinned(t, node, publisher, tt.row.Source))
			if got := failureOf(err); got != tt.want {
				t.Fatalf("CheckRow = %v (failure %q), want %q", err, got, tt.want)
			}
		})
	}
}

// with is a copy of r changed by f (the provenance copied, not shared).
func with(r Row, f func(*Row)) Row {
	r.Provenance = append([]Hop(nil), r.Provenance...)
	f(&r)
	return r
}

func TestCheckBytes(t *testing.T) {
	t.Parallel()
	ch := Change{Source: "s@h", Plugin: "p", Version: "1.0.0", SHA256: strings.Repeat("a", 64), Size: 3}
	if err := CheckBytes(ch, ch.SHA256, 3); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct {
		sum  string
		size int64
	}{{strings.Repeat("b", 64), 3}, {ch.SHA256, 4}} {
		if err := CheckBytes(ch, bad.sum, bad.size); failureOf(err) != "sha256" {
			t.Errorf("CheckBytes(%s, %d) = %v", bad.sum, bad.size, err)
		}
	}
}
