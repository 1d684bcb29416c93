package follow

import (
	"strings"
	"testing"

	"github.com/pfn-network/pfn/domain"
)

func TestParsePage(t *testing.T) {
	t.Parallel()
	sha := strings.Repeat("a", 64)
	entry := func(cursor, kind, source, plugin, version, sum string) string {
		return `{"cursor":"` + cursor + `","kind":"` + kind + `","source":"` + source + `","plugin":"` + plugin +
			`","version":"` + version + `","sha256":"` + sum + `","size":3}`
	}
	page := func(next string, entries ...string) string {
		return `{"changes":[` + strings.Join(entries, ",") + `],"next":"` + next + `","more":false}`
	}
	tests := []struct {
		name  string
		body  string
		after uint64
		ok    bool
	}{
		{"an empty page", page("0"), 0, true},
		{"an empty page beyond the head keeps the cursor", page("7"), 7, true},
		{"versions and a source change", page("3", entry("2", domain.ChangeVersionMirrored.String(), "a@h:1", "p", "1.0.0", sha),
			`{"cursor":"3","kind":"source.removed","source":"a@h:1","reason":"gone"}`), 1, true},
		{"a yank needs no sha256", page("5", entry("5", domain.ChangeVersionYanked.String(), "a@h", "p", "1.0.0", "")), 4, true},
		{"a kind this version does not know", page("5", `{"cursor":"5","kind":"plugin.renamed"}`), 0, true},
		{"a downstream source id", page("1", entry("1", domain.ChangeVersionMirrored.String(), "a@h:1@b:2", "p", "1.0.0", sha)), 0, true},
		{"not JSON", `<html>`, 0, false},
		{"a cursor at or before after", page("3", entry("3", domain.ChangeVersionMirrored.String(), "a@h", "p", "1.0.0", sha)), 3, false},
		{"cursors going back", page("4", entry("4", domain.ChangeVersionMirrored.String(), "a@h", "p", "1.0.0", sha), entry("2", domain.ChangeVersionMirrored.String(), "a@h", "p", "1.0.0", sha)), 0, false},
		{"a cursor that is not decimal", page("x", entry("x", domain.ChangeVersionMirrored.String(), "a@h", "p", "1.0.0", sha)), 0, false},
		{"a negative cursor", page("-1"), 0, false},
		{"next before the last change", page("1", entry("2", domain.ChangeVersionMirrored.String(), "a@h", "p", "1.0.0", sha)), 0, false},
		{"a source that climbs out of the directory", page("1", entry("1", domain.ChangeVersionMirrored.String(), "..", "p", "1.0.0", sha)), 0, false},
		{"a source with a slash", page("1", entry("1", domain.ChangeVersionMirrored.String(), "a/../../etc", "p", "1.0.0", sha)), 0, false},
		{"a hidden source", page("1", entry("1", domain.ChangeSourceRemoved.String(), ".pfn-follow.json", "", "", "")), 0, false},
		{"a version with a slash", page("1", entry("1", domain.ChangeVersionMirrored.String(), "a@h", "p", "1/../../x", sha)), 0, false},
		{"a plugin that is not a slug", page("1", entry("1", domain.ChangeVersionMirrored.String(), "a@h", "p q", "1.0.0", sha)), 0, false},
		{"a sha256 in upper case", page("1", entry("1", domain.ChangeVersionMirrored.String(), "a@h", "p", "1.0.0", strings.ToUpper(sha))), 0, false},
		{"a short sha256", page("1", entry("1", domain.ChangeVersionMirrored.String(), "a@h", "p", "1.0.0", "abc")), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParsePage([]byte(tt.body), tt.after)
			if (err == nil) != tt.ok {
				t.Fatalf("ParsePage = %v, want ok %v", err, tt.ok)
			}
			if err != nil && failureOf(err) != "feed page" {
				t.Fatalf("error %v is not a feed page failure", err)
			}
		})
	}
}

// Whatever a node sends, ParsePage never panics, and what it accepts has
// increasing cursors and file-safe names.
func FuzzParsePage(f *testing.F) {
	f.Add([]byte(`{"changes":[{"cursor":"1","kind":"version.mirrored","source":"a@h","plugin":"p","version":"1.0.0","sha256":"`+strings.Repeat("a", 64)+`","size":3}],"next":"1","more":false}`), uint64(0))
	f.Add([]byte(`{"changes":[],"next":"0"}`), uint64(0))
	f.Fuzz(func(t *testing.T, body []byte, after uint64) {
		p, err := ParsePage(body, after)
		if err != nil {
			return
		}
		last := after
		for _, c := range p.Changes {
			if c.seq <= last {
				t.Fatalf("cursor %s after %d", c.Cursor, last)
			}
			last = c.seq
			if !c.known() {
				continue // passed over, never a file name
			}
			for _, s := range []string{c.Source, c.Version} {
				if strings.ContainsAny(s, `/\`) || s == ".." {
					t.Fatalf("unsafe name %q accepted", s)
				}
			}
		}
	})
}

func TestParseCursor(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"0", "42", "18446744073709551615"} {
		if _, err := ParseCursor(s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
	for _, s := range []string{"", "-1", "+1", "1.0", " 1", "18446744073709551616", "0x10"} {
		if _, err := ParseCursor(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}
