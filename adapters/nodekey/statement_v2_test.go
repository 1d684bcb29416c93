package nodekey_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os/exec"
	"testing"

	"github.com/pfn-network/pfn/adapters/nodekey"
	"github.com/pfn-network/pfn/domain"
)

func statementV2By(s *nodekey.Signer) nodekey.StatementV2 {
	return nodekey.StatementV2{
		Node: s.KeyID(), Source: "pub@publisher.example@a.example:8080", Plugin: "hello-<world>", Version: "1.2.3",
		SHA256: emptySHA256, Size: 4096, PublisherSignature: "c2lnbmF0dXJl+/==",
		PublisherKey: base64.StdEncoding.EncodeToString(make([]byte, 32)), Upstream: "dXBzdHJlYW0=",
	}
}

func TestStatementV2CanonicalBytesGolden(t *testing.T) {
	t.Parallel()
	st := nodekey.StatementV2{Node: "n", Source: "a@b", Plugin: "<p>&\"\n", Version: "1\u2028", SHA256: "h", Size: 7,
		PublisherSignature: "s", PublisherKey: "k", Upstream: ""}
	got, err := st.CanonicalBytes()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"node":"n","source":"a@b","plugin":"<p>&\"\n","version":"1` + "\u2028" + `","sha256":"h","size":7,` +
		`"publisher_signature":"s","publisher_key":"k","upstream":""}`
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestVerifyV2RefusesAnyChangedField: every member is signed, the chain's
// upstream and the publisher's key included.
func TestVerifyV2RefusesAnyChangedField(t *testing.T) {
	t.Parallel()
	s := newSigner(t)
	st := statementV2By(s)
	sig, err := s.SignV2(st)
	if err != nil {
		t.Fatal(err)
	}
	if err := nodekey.VerifyV2(s.PublicKey(), st, sig); err != nil {
		t.Fatalf("the signed statement does not verify: %v", err)
	}
	for _, tc := range []struct {
		name  string
		alter func(*nodekey.StatementV2)
	}{
		{"source", func(st *nodekey.StatementV2) { st.Source += "x" }},
		{"plugin", func(st *nodekey.StatementV2) { st.Plugin += "x" }},
		{"version", func(st *nodekey.StatementV2) { st.Version = "1.2.4" }},
		{"sha256", func(st *nodekey.StatementV2) { st.SHA256 = "0" + st.SHA256[1:] }},
		{"size", func(st *nodekey.StatementV2) { st.Size++ }},
		{"publisher_signature", func(st *nodekey.StatementV2) { st.PublisherSignature = "b3RoZXI=" }},
		{"publisher_key", func(st *nodekey.StatementV2) {
			st.PublisherKey = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
		}},
		{"upstream", func(st *nodekey.StatementV2) { st.Upstream = "" }},
		{"node", func(st *nodekey.StatementV2) { st.Node = "0000000000000000" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			altered := st
			tc.alter(&altered)
			if err := nodekey.VerifyV2(s.PublicKey(), altered, sig); !errors.Is(err, nodekey.ErrBadSignature) {
				t.Errorf("altered %s: got %v, want ErrBadSignature", tc.name, err)
			}
		})
	}
	// A v1 signature is not a v2 signature over the same file.
	v1sig, err := s.Sign(nodekey.Statement{Node: st.Node, Source: st.Source, Plugin: st.Plugin, Version: st.Version,
		SHA256: st.SHA256, Size: st.Size, PublisherSignature: st.PublisherSignature})
	if err != nil {
		t.Fatal(err)
	}
	if err := nodekey.VerifyV2(s.PublicKey(), st, v1sig); !errors.Is(err, nodekey.ErrBadSignature) {
		t.Errorf("a v1 signature verifies as v2: %v", err)
	}
}

func TestSignV2Refuses(t *testing.T) {
	t.Parallel()
	s := newSigner(t)
	for _, tc := range []struct {
		name  string
		alter func(*nodekey.StatementV2)
	}{
		{"another node", func(st *nodekey.StatementV2) { st.Node = "0000000000000000" }},
		{"no publisher key", func(st *nodekey.StatementV2) { st.PublisherKey = "" }},
		{"a short publisher key", func(st *nodekey.StatementV2) { st.PublisherKey = "AAAA" }},
		{"no publisher signature", func(st *nodekey.StatementV2) { st.PublisherSignature = "" }},
		{"a bad sha256", func(st *nodekey.StatementV2) { st.SHA256 = "ABC" }},
		{"invalid UTF-8", func(st *nodekey.StatementV2) { st.Upstream = "\xff" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := statementV2By(s)
			tc.alter(&st)
			if _, err := s.SignV2(st); !errors.Is(err, domain.ErrInvalidInput) {
				t.Errorf("got %v, want ErrInvalidInput", err)
			}
		})
	}
}

// jsVerifierV2 is how a JavaScript client checks a v2 statement: it
// rebuilds the bytes from the values with JSON.stringify, members in this
// order (docs/protocol.md).
const jsVerifierV2 = `
const crypto = require('crypto');
let input = '';
process.stdin.on('data', d => { input += d; });
process.stdin.on('end', () => {
  const {statement, public_key_pem, signature} = JSON.parse(input);
  const {node, source, plugin, version, sha256, size, publisher_signature, publisher_key, upstream} = statement;
  const msg = JSON.stringify({node, source, plugin, version, sha256, size, publisher_signature, publisher_key, upstream});
  const ok = crypto.verify(null, Buffer.from(msg, 'utf8'), public_key_pem, Buffer.from(signature, 'base64'));
  process.stdout.write(JSON.stringify({ok, msg}));
});
`

func TestJavaScriptVerifierAgreesV2(t *testing.T) {
	t.Parallel()
	nodeJS, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node (Node.js) is not installed")
	}
	s := newSigner(t)
	st := statementV2By(s)
	st.Plugin = "<b>&\"quoted\"\n\x00\x1f\x7f\u2028\u2029 é ✓ 😀 \\"
	sig, err := s.SignV2(st)
	if err != nil {
		t.Fatal(err)
	}
	input, err := json.Marshal(map[string]any{
		"statement": map[string]any{"node": st.Node, "source": st.Source, "plugin": st.Plugin, "version": st.Version,
			"sha256": st.SHA256, "size": st.Size, "publisher_signature": st.PublisherSignature,
			"publisher_key": st.PublisherKey, "upstream": st.Upstream},
		"public_key_pem": s.PublicKeyPEM(), "signature": sig,
	})
	if err != nil {
		t.Fatal(err)
	}
	res := runJSVerifier(t, nodeJS, jsVerifierV2, input)
	want, _ := st.CanonicalBytes()
	if res.Msg != string(want) || !res.OK {
		t.Errorf("JSON.stringify built\n%q\nCanonicalBytes is\n%q\nverified: %v", res.Msg, want, res.OK)
	}
}
