package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/internal/logbundle"
	"github.com/pfn-network/pfn/internal/logbundle/bundletest"
)

// TestVerifyCommand runs pfn verify on a real bundle built in process: no
// node, no network, no PFN_ variable.
func TestVerifyCommand(t *testing.T) {
	t.Parallel()
	m := bundletest.Make(t, bundletest.Options{})
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	raw, err := json.Marshal(m.Bundle)
	if err != nil {
		t.Fatal(err)
	}
	bundle := write("bundle.json", raw)
	file := write("hello.zip", m.File)
	flipped := bytes.Clone(m.File)
	flipped[3] ^= 1
	flippedFile := write("flipped.zip", flipped)
	stranger, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	strangerKey := base64.StdEncoding.EncodeToString(stranger)
	nodeKeyB64 := base64.StdEncoding.EncodeToString(m.NodeKey)
	garbage := write("garbage.json", []byte(`{"format": 1}`))

	tests := []struct {
		name   string
		args   []string
		code   int      // exit status; -1: run returns nil
		lines  []string // lines of stdout that must be there (regexps)
		absent string   // a line that must not be there
		oks    int      // how many "ok" lines, when above 0
	}{
		{"unpinned", []string{"-bundle", bundle, file}, 3,
			[]string{`^ok    bundle: `, `^ok    statement: `, `^ok    file: sha256 [0-9a-f]{64}, \d+ bytes, as the statement says$`,
				`^ok    publisher signature: v1 and v2`,
				`^UNPINNED  node signature: verifies under node key [0-9a-f]{16} \(` + regexp.QuoteMeta(nodeKeyB64) + `\), the bundle's own: no -node-key pins it$`,
				`^UNPINNED  checkpoint signature: .*signed by verifier key "` + regexp.QuoteMeta(m.VerifierKey) + `", the bundle's own: no -node-key pins it$`,
				`^ok    inclusion proof: the statement is entry 3 of the log of size 6$`,
				`^UNPINNED: no -node-key given: the signatures were checked under the bundle's own keys \(node key ` + regexp.QuoteMeta(nodeKeyB64) +
					`, verifier key ` + regexp.QuoteMeta(m.VerifierKey) + `\), and anyone can make a bundle that verifies so\.$`,
				`^  Pin the node's key, obtained another way \(its /federation-info public_key, or its log verifier_key\): -node-key KEY$`},
			"FAIL", 5},
		{"pinned by base64, after FILE", []string{"-bundle", bundle, file, "-node-key", strangerKey, "-node-key", nodeKeyB64}, -1,
			[]string{`^ok    node signature: .*\(pinned\)$`, `^ok    checkpoint signature: .*\(pinned\)$`}, "UNPINNED", 7},
		{"pinned by a PEM file", []string{"-node-key", m.KeyPEMPath, "-bundle", bundle, file}, -1,
			[]string{`^ok    node signature: .*\(pinned\)$`}, "UNPINNED", 7},
		{"pinned by the note verifier key", []string{"-bundle", bundle, file, "-node-key", m.VerifierKey}, -1,
			[]string{`^ok    checkpoint signature: .*\(pinned\)$`}, "FAIL", 7},
		{"a flipped byte of the file, unpinned", []string{"-bundle", bundle, flippedFile}, 1,
			[]string{`^FAIL  file: sha256 [0-9a-f]{64}, \d+ bytes; the statement says`, `^ok    inclusion proof: `, `^UNPINNED  node signature: `, `^UNPINNED: no -node-key given`}, "FAIL  node", 0},
		{"a flipped byte of the file, pinned", []string{"-bundle", bundle, flippedFile, "-node-key", nodeKeyB64}, 1,
			[]string{`^FAIL  file: `, `^ok    node signature: .*\(pinned\)$`}, "UNPINNED", 6},
		{"a wrong pin", []string{"-bundle", bundle, file, "-node-key", strangerKey}, 1,
			[]string{`^FAIL  node signature: .*none of the 1 pinned`, `^FAIL  checkpoint signature: `, `^ok    file: `}, "UNPINNED", 5},
		{"not a bundle", []string{"-bundle", garbage, file}, 1, []string{`^FAIL  bundle: `}, "ok ", 0},
		{"no FILE", []string{"-bundle", bundle}, 2, nil, "", 0},
		{"no -bundle", []string{file}, 2, nil, "", 0},
		{"two files", []string{"-bundle", bundle, file, file}, 2, nil, "", 0},
		{"a key that is none", []string{"-bundle", bundle, file, "-node-key", "not-a-key"}, 2, nil, "", 0},
		{"a FILE that is not there", []string{"-bundle", bundle, filepath.Join(dir, "nope.zip")}, 2, nil, "", 0},
		{"an unknown flag", []string{"-bundle", bundle, "-nope", file}, 2, nil, "", 0},
		{"help", []string{"-h"}, -1, nil, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), append([]string{"verify"}, tt.args...), func(string) string { return "" }, &stdout, &stderr)
			switch {
			case tt.code == -1 && err != nil:
				t.Fatalf("run = %v, want success\n%s", err, stdout.String())
			case tt.code != -1 && (err == nil || exitCode(err) != tt.code):
				t.Fatalf("run = %v (exit %d), want exit %d\n%s%s", err, exitCode(err), tt.code, stdout.String(), stderr.String())
			}
			out := stdout.String()
			for _, re := range tt.lines {
				if !regexp.MustCompile(`(?m)` + re).MatchString(out) {
					t.Errorf("no line matching %q in\n%s", re, out)
				}
			}
			if tt.absent != "" && strings.Contains(out, tt.absent) {
				t.Errorf("%q in\n%s", tt.absent, out)
			}
			if oks := len(regexp.MustCompile(`(?m)^ok    `).FindAllString(out, -1)); tt.oks > 0 && oks != tt.oks {
				t.Errorf("%d ok lines, want %d:\n%s", oks, tt.oks, out)
			}
		})
	}
}

// A hostile bundle's text reaches the terminal without its control
// characters.
func TestVerifyCommandPrintsNoControlCharacters(t *testing.T) {
	t.Parallel()
	m := bundletest.Make(t, bundletest.Options{})
	b := m.Bundle
	b.Version = "1.2.3\x1b[2J\x07"
	b.Format = logbundle.Format + "\x1b]0;owned\x07"
	raw, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bundle, file := filepath.Join(dir, "b.json"), filepath.Join(dir, "f.zip")
	if err := os.WriteFile(bundle, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, m.File, 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	err = run(context.Background(), []string{"verify", "-bundle", bundle, file}, func(string) string { return "" }, &stdout, &bytes.Buffer{})
	if exitCode(err) != 1 {
		t.Fatalf("run = %v, want exit 1", err)
	}
	if strings.ContainsAny(stdout.String(), "\x1b\x07") {
		t.Errorf("control characters printed: %q", stdout.String())
	}
}
