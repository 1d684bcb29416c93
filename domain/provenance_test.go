package domain_test

import (
	"testing"

	"github.com/pfn-network/pfn/domain"
)

// A v2 statement's upstream is the last hop's signature; the statement
// hop i signed names the hop before it.
func TestUpstreamSignature(t *testing.T) {
	hops := []domain.ProvenanceHop{{Node: "a", Signature: "sig-a"}, {Node: "b", Signature: "sig-b"}}
	tests := []struct {
		name string
		hops []domain.ProvenanceHop
		want string
	}{
		{"a direct mirror", nil, ""},
		{"the first hop's own statement", hops[:0], ""},
		{"one hop", hops[:1], "sig-a"},
		{"two hops: the last one's", hops, "sig-b"},
	}
	for _, tt := range tests {
		if got := domain.UpstreamSignature(tt.hops); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
