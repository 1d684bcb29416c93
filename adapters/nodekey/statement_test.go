package nodekey_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pfn-network/pfn/adapters/nodekey"
	"github.com/pfn-network/pfn/domain"
)

const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// golden statements with their canonical bytes written out by hand (checked
// against Node's JSON.stringify). Inside the backquoted strings `\n` is a
// backslash and an n, as in the JSON text.
var golden = []struct {
	name string
	st   nodekey.Statement
	want string
}{
	{
		name: "HTML characters, quotes, newline and non-ASCII",
		st: nodekey.Statement{
			Node:               "0123456789abcdef",
			Source:             "plugin-author@plugins.example.com",
			Plugin:             "<b>&\"quoted\"\n",
			Version:            "1.0.0-é ✓",
			SHA256:             emptySHA256,
			Size:               1234,
			PublisherSignature: "c2lnbmF0dXJl+/==",
		},
		want: `{"node":"0123456789abcdef","source":"plugin-author@plugins.example.com",` +
			`"plugin":"<b>&\"quoted\"\n","version":"1.0.0-é ✓",` +
			`"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",` +
			`"size":1234,"publisher_signature":"c2lnbmF0dXJl+/=="}`,
	},
	{
		name: "control characters, backslash, DEL, line and paragraph separators",
		st: nodekey.Statement{
			Node:               "fedcba9876543210",
			Source:             `back\slash/`,
			Plugin:             "\x00\x01\x1f\b\f\r\t\x7f",
			Version:            "1\u20282\u20293",
			SHA256:             emptySHA256,
			Size:               0,
			PublisherSignature: "😀",
		},
		want: `{"node":"fedcba9876543210","source":"back\\slash/",` +
			`"plugin":"\u0000\u0001\u001f\b\f\r\t` + "\x7f" + `",` +
			`"version":"1` + "\u2028" + `2` + "\u2029" + `3",` +
			`"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",` +
			`"size":0,"publisher_signature":"😀"}`,
	},
	{
		name: "zero value",
		st:   nodekey.Statement{},
		want: `{"node":"","source":"","plugin":"","version":"","sha256":"","size":0,"publisher_signature":""}`,
	},
	{
		name: "largest size a JavaScript number holds exactly",
		st:   nodekey.Statement{Size: 1<<53 - 1},
		want: `{"node":"","source":"","plugin":"","version":"","sha256":"","size":9007199254740991,"publisher_signature":""}`,
	},
}

func TestCanonicalBytesGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range golden {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.st.CanonicalBytes()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("CanonicalBytes =\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func TestCanonicalBytesRefuses(t *testing.T) {
	t.Parallel()
	invalid := map[string]string{
		"lone continuation byte": "a\x80b",
		"0xff":                   "\xff",
		"truncated sequence":     "\xe2\x80",
		"UTF-16 surrogate":       "\xed\xa0\x80",
		"overlong slash":         "\xc0\xaf",
	}
	fields := map[string]func(*nodekey.Statement, string){
		"node":                func(st *nodekey.Statement, v string) { st.Node = v },
		"source":              func(st *nodekey.Statement, v string) { st.Source = v },
		"plugin":              func(st *nodekey.Statement, v string) { st.Plugin = v },
		"version":             func(st *nodekey.Statement, v string) { st.Version = v },
		"sha256":              func(st *nodekey.Statement, v string) { st.SHA256 = v },
		"publisher_signature": func(st *nodekey.Statement, v string) { st.PublisherSignature = v },
	}
	for field, set := range fields {
		for what, value := range invalid {
			t.Run(field+"/"+what, func(t *testing.T) {
				t.Parallel()
				st := golden[0].st
				set(&st, value)
				got, err := st.CanonicalBytes()
				if !errors.Is(err, domain.ErrInvalidInput) {
					t.Fatalf("CanonicalBytes = %q, %v; want ErrInvalidInput", got, err)
				}
				if !strings.Contains(err.Error(), field) {
					t.Errorf("error %q does not name the field %s", err, field)
				}
			})
		}
	}
	for _, size := range []int64{-1, 1 << 53, math.MaxInt64, math.MinInt64} {
		st := golden[0].st
		st.Size = size
		if got, err := st.CanonicalBytes(); !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("size %d: CanonicalBytes = %q, %v; want ErrInvalidInput", size, got, err)
		}
	}
}

func newSigner(t *testing.T) *nodekey.Signer {
	t.Helper()
	s, err := nodekey.LoadOrCreate(filepath.Join(t.TempDir(), "node.key"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func statementBy(s *nodekey.Signer) nodekey.Statement {
	return nodekey.Statement{
		Node:               s.KeyID(),
		Source:             "plugin-author@plugins.example.com",
		Plugin:             "hello-<world>",
		Version:            "1.2.3",
		SHA256:             emptySHA256,
		Size:               4096,
		PublisherSignature: "c2lnbmF0dXJl+/==",
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	t.Parallel()
	s := newSigner(t)
	st := statementBy(s)
	sig, err := s.Sign(st)
	if err != nil {
		t.Fatal(err)
	}
	if err := nodekey.Verify(s.PublicKey(), st, sig); err != nil {
		t.Fatalf("Verify: %v", err)
	}

	// The signature is plain Ed25519 over CanonicalBytes, in standard base64.
	raw, err := base64.StdEncoding.Strict().DecodeString(sig)
	if err != nil {
		t.Fatalf("signature %q is not standard base64: %v", sig, err)
	}
	msg, err := st.CanonicalBytes()
	if err != nil {
		t.Fatal(err)
	}
	if !ed25519.Verify(s.PublicKey(), msg, raw) {
		t.Fatal("signature is not an Ed25519 signature over CanonicalBytes")
	}
	// Ed25519 is deterministic: the same statement gets the same signature.
	if again, err := s.Sign(st); err != nil || again != sig {
		t.Fatalf("second Sign = %q, %v; want %q", again, err, sig)
	}
}

func TestVerifyRefusesAnyChangedField(t *testing.T) {
	t.Parallel()
	s := newSigner(t)
	other := newSigner(t)
	st := statementBy(s)
	sig, err := s.Sign(st)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(*nodekey.Statement)
	}{
		{"node", func(st *nodekey.Statement) { st.Node = other.KeyID() }},
		{"source", func(st *nodekey.Statement) { st.Source = "plugin-author@plugins.example.org" }},
		{"plugin", func(st *nodekey.Statement) { st.Plugin = "hello-<world" }},
		{"version", func(st *nodekey.Statement) { st.Version = "1.2.4" }},
		{"sha256", func(st *nodekey.Statement) { st.SHA256 = strings.Repeat("0", 64) }},
		{"size", func(st *nodekey.Statement) { st.Size = 4097 }},
		{"publisher_signature", func(st *nodekey.Statement) { st.PublisherSignature = "c2lnbmF0dXJl+/=" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			changed := st
			tc.change(&changed)
			if changed == st {
				t.Fatal("the change changes nothing")
			}
			if err := nodekey.Verify(s.PublicKey(), changed, sig); !errors.Is(err, nodekey.ErrBadSignature) {
				t.Fatalf("Verify = %v, want ErrBadSignature", err)
			}
		})
	}
}

func TestVerifyRefusesBadSignatures(t *testing.T) {
	t.Parallel()
	s := newSigner(t)
	other := newSigner(t)
	st := statementBy(s)
	sig, err := s.Sign(st)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(sig)
	flipped := bytes.Clone(raw)
	flipped[10] ^= 1
	otherSt := statementBy(other)
	otherSig, err := other.Sign(otherSt)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		pub  ed25519.PublicKey
		st   nodekey.Statement
		sig  string
		want error
	}{
		{"another node's key", other.PublicKey(), st, sig, nodekey.ErrBadSignature},
		{"another node's signature", s.PublicKey(), st, otherSig, nodekey.ErrBadSignature},
		{"another node's statement under this node's name", s.PublicKey(), func() nodekey.Statement {
			c := otherSt
			c.Node = s.KeyID()
			return c
		}(), otherSig, nodekey.ErrBadSignature},
		{"flipped bit", s.PublicKey(), st, base64.StdEncoding.EncodeToString(flipped), nodekey.ErrBadSignature},
		{"truncated", s.PublicKey(), st, base64.StdEncoding.EncodeToString(raw[:63]), nodekey.ErrBadSignature},
		{"too long", s.PublicKey(), st, base64.StdEncoding.EncodeToString(append(bytes.Clone(raw), 0)), nodekey.ErrBadSignature},
		{"not base64", s.PublicKey(), st, "!" + sig[1:], nodekey.ErrBadSignature},
		{"unpadded base64", s.PublicKey(), st, strings.TrimRight(sig, "="), nodekey.ErrBadSignature},
		{"empty", s.PublicKey(), st, "", nodekey.ErrBadSignature},
		{"short public key", s.PublicKey()[:31], st, sig, domain.ErrInvalidInput},
		{"no public key", nil, st, sig, domain.ErrInvalidInput},
		{"invalid UTF-8", s.PublicKey(), func() nodekey.Statement {
			c := st
			c.Plugin = "\xff"
			return c
		}(), sig, domain.ErrInvalidInput},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := nodekey.Verify(tc.pub, tc.st, tc.sig); !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestSignRefuses(t *testing.T) {
	t.Parallel()
	s := newSigner(t)
	other := newSigner(t)
	tests := []struct {
		name   string
		change func(*nodekey.Statement)
	}{
		{"no node", func(st *nodekey.Statement) { st.Node = "" }},
		{"another node", func(st *nodekey.Statement) { st.Node = other.KeyID() }},
		{"node with a trailing space", func(st *nodekey.Statement) { st.Node = s.KeyID() + " " }},
		{"node prefix", func(st *nodekey.Statement) { st.Node = s.KeyID()[:15] }},
		{"no source", func(st *nodekey.Statement) { st.Source = "" }},
		{"no plugin", func(st *nodekey.Statement) { st.Plugin = "" }},
		{"no version", func(st *nodekey.Statement) { st.Version = "" }},
		{"no publisher signature", func(st *nodekey.Statement) { st.PublisherSignature = "" }},
		{"no sha256", func(st *nodekey.Statement) { st.SHA256 = "" }},
		{"upper-case sha256", func(st *nodekey.Statement) { st.SHA256 = strings.ToUpper(emptySHA256) }},
		{"short sha256", func(st *nodekey.Statement) { st.SHA256 = emptySHA256[:63] }},
		{"non-hex sha256", func(st *nodekey.Statement) { st.SHA256 = "g" + emptySHA256[1:] }},
		{"negative size", func(st *nodekey.Statement) { st.Size = -1 }},
		{"size beyond 2^53-1", func(st *nodekey.Statement) { st.Size = 1 << 53 }},
		{"invalid UTF-8", func(st *nodekey.Statement) { st.Version = "1.0\xff" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := statementBy(s)
			tc.change(&st)
			sig, err := s.Sign(st)
			if !errors.Is(err, domain.ErrInvalidInput) {
				t.Fatalf("Sign = %q, %v; want ErrInvalidInput", sig, err)
			}
		})
	}
}

// jsVerifier rebuilds the signed bytes the way docs/protocol.md tells a
// JavaScript verifier to, from values it got through JSON.parse, and checks
// the signature with Node's own crypto.
const jsVerifier = `
const crypto = require('crypto');
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', d => { input += d; });
process.stdin.on('end', () => {
  const {statement, public_key_pem, signature} = JSON.parse(input);
  const {node, source, plugin, version, sha256, size, publisher_signature} = statement;
  const msg = JSON.stringify({node, source, plugin, version, sha256, size, publisher_signature});
  const ok = crypto.verify(null, Buffer.from(msg, 'utf8'), public_key_pem, Buffer.from(signature, 'base64'));
  process.stdout.write(JSON.stringify({ok, msg}));
});
`

func TestJavaScriptVerifierAgrees(t *testing.T) {
	t.Parallel()
	nodeJS, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node (Node.js) is not installed")
	}
	s := newSigner(t)
	st := statementBy(s)
	st.Plugin = "<b>&\"quoted\"\n\x00\x1f\x7f\u2028\u2029 é ✓ 😀 \\"
	st.Size = 1<<53 - 1
	sig, err := s.Sign(st)
	if err != nil {
		t.Fatal(err)
	}
	// encoding/json escapes <, >, &, U+2028 and U+2029 unlike JSON.stringify:
	// the verifier must rebuild the bytes from the values, not copy the text.
	input, err := json.Marshal(map[string]any{
		"statement":      st,
		"public_key_pem": s.PublicKeyPEM(),
		"signature":      sig,
	})
	if err != nil {
		t.Fatal(err)
	}
	res := runJSVerifier(t, nodeJS, jsVerifier, input)
	want, err := st.CanonicalBytes()
	if err != nil {
		t.Fatal(err)
	}
	if res.Msg != string(want) {
		t.Errorf("JSON.stringify built\n%q\nCanonicalBytes is\n%q", res.Msg, want)
	}
	if !res.OK {
		t.Error("Node's crypto.verify refuses the signature")
	}
}

var canonicalKeys = []string{"node", "source", "plugin", "version", "sha256", "size", "publisher_signature"}

func FuzzCanonicalBytes(f *testing.F) {
	for _, tc := range golden {
		st := tc.st
		f.Add(st.Node, st.Source, st.Plugin, st.Version, st.SHA256, st.PublisherSignature, st.Size)
	}
	f.Add("\xff", "a\x80", "\xed\xa0\x80", "\xc0\xaf", "\\u0000", `"`, int64(-1))
	f.Add("\u2028", "</script>", "\x1b[0m", "\ufeff", "\U0010ffff", "\\\"", int64(1<<53))

	f.Fuzz(func(t *testing.T, node, source, plugin, version, sha, pubSig string, size int64) {
		st := nodekey.Statement{
			Node: node, Source: source, Plugin: plugin, Version: version,
			SHA256: sha, Size: size, PublisherSignature: pubSig,
		}
		got, err := st.CanonicalBytes()

		valid := size >= 0 && size <= 1<<53-1
		for _, s := range []string{node, source, plugin, version, sha, pubSig} {
			valid = valid && utf8.ValidString(s)
		}
		if !valid {
			if !errors.Is(err, domain.ErrInvalidInput) {
				t.Fatalf("CanonicalBytes(%+v) = %q, %v; want ErrInvalidInput", st, got, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("CanonicalBytes(%+v): %v", st, err)
		}
		if !json.Valid(got) {
			t.Fatalf("not valid JSON: %q", got)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, got); err != nil || !bytes.Equal(compact.Bytes(), got) {
			t.Fatalf("not compact JSON: %q", got)
		}

		// Exactly the seven keys, in order.
		dec := json.NewDecoder(bytes.NewReader(got))
		dec.UseNumber()
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			t.Fatalf("does not start an object: %q", got)
		}
		var keys []string
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				t.Fatal(err)
			}
			keys = append(keys, key.(string))
			if _, err := dec.Token(); err != nil {
				t.Fatal(err)
			}
		}
		if strings.Join(keys, ",") != strings.Join(canonicalKeys, ",") {
			t.Fatalf("keys %q, want %q", keys, canonicalKeys)
		}

		var back nodekey.Statement
		dec = json.NewDecoder(bytes.NewReader(got))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&back); err != nil {
			t.Fatalf("%q does not decode: %v", got, err)
		}
		if back != st {
			t.Fatalf("%q decodes to %+v, want %+v", got, back, st)
		}
	})
}

type jsVerdict struct {
	OK  bool   `json:"ok"`
	Msg string `json:"msg"`
}

// runJSVerifier runs a JavaScript verifier script under Node.js on input.
func runJSVerifier(t *testing.T, nodeJS, script string, input []byte) jsVerdict {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), nodeJS, "-e", script)
	cmd.Stdin = bytes.NewReader(input)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var res jsVerdict
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("node printed %q: %v", out, err)
	}
	return res
}
