package follow

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"

	"github.com/pfn-network/pfn/adapters/nodekey"
	"github.com/pfn-network/pfn/domain"
)

// key is a test signer: a publisher's or a node's.
type key struct {
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
}

func newKey(t testing.TB, seed byte) key {
	t.Helper()
	priv := ed25519.NewKeyFromSeed(bytesOf(seed, ed25519.SeedSize))
	return key{priv: priv, pub: priv.Public().(ed25519.PublicKey)}
}

func bytesOf(b byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b + byte(i)
	}
	return out
}

func (k key) id() string       { return domain.KeyID(k.pub) }
func (k key) b64() string      { return base64.StdEncoding.EncodeToString(k.pub) }
func (k key) nodeKey() NodeKey { return NodeKey{KeyID: k.id(), PublicKey: k.b64()} }

func (k key) sign(t testing.TB, msg []byte) string {
	t.Helper()
	return base64.StdEncoding.EncodeToString(ed25519.Sign(k.priv, msg))
}

// signedRow is a catalogue row for content, signed by publisher and node
// as a node signs what it mirrors straight from a publisher (v1 and v2).
func signedRow(t testing.TB, publisher, node key, source, plugin, version string, content []byte) Row {
	t.Helper()
	sum := sha256.Sum256(content)
	r := Row{Plugin: plugin, Source: source, Name: "Name of " + plugin, Version: version, Description: "what " + plugin + " does",
		SHA256: hex.EncodeToString(sum[:]), Size: int64(len(content)), NodeKeyID: node.id()}
	r.Signature = publisher.sign(t, r.claim().SignedMessage())
	r.SignatureV2 = publisher.sign(t, domain.PluginBytesClaim{PluginClaim: r.claim(), SHA256: r.SHA256, Size: r.Size}.SignedMessage())
	st := r.statement(node.id(), source)
	msg, err := st.CanonicalBytes()
	if err != nil {
		t.Fatal(err)
	}
	r.FederationSignature = node.sign(t, msg)
	r.Provenance = []Hop{{Role: "publisher", Source: source, PublicKey: publisher.b64()}}
	r.FederationSignatureV2 = node.sign(t, mustV2(t, r.statementV2(node.id(), source, publisher.b64(), "")))
	return r
}

// mustV2 is the bytes a node signs for st (nodekey's, as the node builds them).
func mustV2(t testing.TB, st nodekey.StatementV2) []byte {
	t.Helper()
	b, err := st.CanonicalBytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// changeOf is the feed entry announcing a row.
func changeOf(cursor int, r Row) Change {
	return Change{Cursor: fmt.Sprint(cursor), Kind: domain.ChangeVersionMirrored.String(), Source: r.Source, Plugin: r.Plugin,
		Version: r.Version, SHA256: r.SHA256, Size: r.Size}
}

// pinned is pins holding the node's and the publisher's keys for source.
func pinned(t testing.TB, node, publisher key, source string) *Pins {
	t.Helper()
	p := &Pins{}
	if err := p.PinNode([]NodeKey{node.nodeKey()}); err != nil {
		t.Fatal(err)
	}
	if err := p.PinPublisher(source, []string{publisher.b64()}); err != nil {
		t.Fatal(err)
	}
	return p
}

func failureOf(err error) string {
	var f *Failure
	if errors.As(err, &f) {
		return f.What
	}
	if err == nil {
		return ""
	}
	return "not a Failure: " + err.Error()
}
