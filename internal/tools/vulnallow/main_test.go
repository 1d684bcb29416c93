package main

import (
	"strings"
	"testing"
)

func TestCalledVulnsCountsOnlyCalledSymbols(t *testing.T) {
	// Shapes as govulncheck -format json writes them: a finding whose first
	// frame names a function is called; module or package level is not.
	stream := `
{"osv": {"id": "GO-1", "summary": "called one"}}
{"osv": {"id": "GO-2", "summary": "imported only"}}
{"finding": {"osv": "GO-1", "fixed_version": "v1.2.3", "trace": [{"module": "example.com/m", "version": "v1.0.0", "package": "example.com/m/p", "function": "F"}]}}
{"finding": {"osv": "GO-2", "trace": [{"module": "example.com/n", "version": "v0.1.0", "package": "example.com/n"}]}}
{"finding": {"osv": "GO-3", "trace": [{"module": "example.com/o", "version": "v0.1.0"}]}}
`
	called, summaries, err := calledVulns(strings.NewReader(stream))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id         string
		wantCalled string
	}{
		{"GO-1", "(example.com/m@v1.0.0, fixed in v1.2.3)"},
		{"GO-2", ""},
		{"GO-3", ""},
	}
	for _, tc := range tests {
		if got := called[tc.id]; got != tc.wantCalled {
			t.Errorf("%s: called %q, want %q", tc.id, got, tc.wantCalled)
		}
	}
	if summaries["GO-1"] != "called one" {
		t.Errorf("summary of GO-1: %q", summaries["GO-1"])
	}
}
