package publisher

import (
	"strings"
	"testing"
)

// TestParseMarkerSignatures: a node's yank marker and source_status carry
// its signatures through; one that is not a string makes the entry (or the
// listing) unusable, and a listing without them parses with "".
func TestParseMarkerSignatures(t *testing.T) {
	t.Parallel()
	entry := `{"slug":"s","name":"n","version":"1.0.0","signature":"sig","sha256":"` + strings.Repeat("ab", 32) +
		`","size":1,"publisher":{"source":"u@p","public_key":"k"},"provenance":[],"yanked":{"reason":"r","at":"t"YANKSIG}}`
	for _, tc := range []struct {
		name, yankSig, statusSig string
		wantYank, wantStatus     string
		wantErr, wantInvalid     bool
	}{
		{name: "signed", yankSig: `,"signature":"ys"`, statusSig: `,"signature":"ss"`, wantYank: "ys", wantStatus: "ss"},
		{name: "unsigned", wantYank: "", wantStatus: ""},
		{name: "a yank signature that is not a string", yankSig: `,"signature":1`, wantInvalid: true},
		{name: "a status signature that is not a string", statusSig: `,"signature":{}`, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body := `{"username":"u@h","source_status":{"status":"removed"` + tc.statusSig + `},"plugins":[` +
				strings.Replace(entry, "YANKSIG", tc.yankSig, 1) + `]}`
			a, err := parseAuthorData([]byte(body))
			if (err != nil) != tc.wantErr {
				t.Fatalf("parseAuthorData = %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			p := a.Plugins[0]
			if (p.Invalid != "") != tc.wantInvalid {
				t.Fatalf("entry invalid %q, want invalid %v", p.Invalid, tc.wantInvalid)
			}
			if !tc.wantInvalid && (p.Yanked == nil || p.Yanked.Signature != tc.wantYank || a.SourceStatus.Signature != tc.wantStatus) {
				t.Errorf("yank %+v, status %+v; want signatures %q, %q", p.Yanked, a.SourceStatus, tc.wantYank, tc.wantStatus)
			}
		})
	}
}
