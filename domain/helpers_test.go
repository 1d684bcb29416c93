package domain_test

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// validRunes replaces every invalid byte (not every run) with U+FFFD, as
// utf8 decoding one rune at a time does.
func validRunes(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r)
	}
	return b.String()
}

// wantInProtocolDoc fails the test unless docs/protocol.md shows every one
// of a test vector's values.
func wantInProtocolDoc(t *testing.T, values ...string) {
	t.Helper()
	doc, err := os.ReadFile("../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range values {
		if !strings.Contains(string(doc), v) {
			t.Errorf("docs/protocol.md does not show the vector's %q", v)
		}
	}
}

// readTestdata decodes the JSON file testdata/name into v.
func readTestdata(t *testing.T, name string, v any) {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("testdata/%s: %v", name, err)
	}
}
