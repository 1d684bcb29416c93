// Package bundletest builds real log bundles in process, for the tests of
// the bundle's verifier and of `pfn verify -bundle`: a node key loaded by
// adapters/nodekey, a publisher's fresh Ed25519 key signing its claim, a
// tlog tree in memory holding the node's v2 statement among others, and a
// checkpoint of it signed as a sumdb/note. Only tests import it.
package bundletest

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pfn-network/pfn/adapters/nodekey"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/internal/logbundle"
	"github.com/pfn-network/pfn/internal/tlogtiles"
)

// Options choose what Make builds; the zero value is a bundle of a file
// mirrored from an upstream node, entry 3 of a log of 6, whose statement
// and checkpoint the same node key signs.
type Options struct {
	// Retired signs the statement with a second, older node key, and the
	// checkpoint with the node's current one (a node after a rotation).
	Retired bool
	// NoV2 leaves out the publisher's signature_v2.
	NoV2 bool
}

// Made is a bundle, the file it is about, and the keys behind it.
type Made struct {
	Bundle       logbundle.Bundle
	File         []byte
	NodeKey      ed25519.PublicKey // the key that signed the checkpoint (the current one)
	StatementKey ed25519.PublicKey // the key that signed the statement
	PublisherKey ed25519.PublicKey
	Origin       string
	VerifierKey  string
	KeyPEMPath   string // a PEM public key file of NodeKey
}

const (
	logSize = 6
	index   = 3
)

// Make builds a bundle that verifies.
func Make(t testing.TB, o Options) Made {
	t.Helper()
	dir := t.TempDir()
	current, currentPriv := nodeKey(t, filepath.Join(dir, "node.key"))
	signer := current
	if o.Retired {
		signer, _ = nodeKey(t, filepath.Join(dir, "old.key"))
	}
	pubKey, pubPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}

	file := []byte("PK\x03\x04 a plugin's zip, as a publisher served it \x00\xff")
	sum := sha256.Sum256(file)
	claim := domain.PluginClaim{ID: "hello-<world>", Name: "Hello \"World\"", Version: "1.2.3", Description: "Says hello & waves.\n"}
	pubSig := base64.StdEncoding.EncodeToString(ed25519.Sign(pubPriv, claim.SignedMessage()))
	pubSigV2 := ""
	if !o.NoV2 {
		bc := domain.PluginBytesClaim{PluginClaim: claim, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(file))}
		pubSigV2 = base64.StdEncoding.EncodeToString(ed25519.Sign(pubPriv, bc.SignedMessage()))
	}
	st := nodekey.StatementV2{
		Node: signer.KeyID(), Source: "pub@publisher.example@a.example:8080", Plugin: claim.ID, Version: claim.Version,
		SHA256: hex.EncodeToString(sum[:]), Size: int64(len(file)),
		PublisherSignature: pubSig, PublisherKey: base64.StdEncoding.EncodeToString(pubKey),
		Upstream: base64.StdEncoding.EncodeToString(make([]byte, ed25519.SignatureSize)),
	}
	entry, err := st.CanonicalBytes()
	if err != nil {
		t.Fatal(err)
	}
	nodeSig, err := signer.SignV2(st)
	if err != nil {
		t.Fatal(err)
	}

	// The log: other statements around this one.
	var stored []tlog.Hash
	hashes := tlog.HashReaderFunc(func(ids []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(ids))
		for i, id := range ids {
			if id < 0 || id >= int64(len(stored)) {
				return nil, fmt.Errorf("hash %d not stored", id)
			}
			out[i] = stored[id]
		}
		return out, nil
	})
	for i := range int64(logSize) {
		leaf := entry
		if i != index {
			leaf = fmt.Appendf(nil, `{"node":"other","entry":%d}`, i)
		}
		add, err := tlog.StoredHashes(i, leaf, hashes)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, add...)
	}
	root, err := tlog.TreeHash(logSize, hashes)
	if err != nil {
		t.Fatal(err)
	}
	proof, err := tlog.ProveRecord(logSize, index, hashes)
	if err != nil {
		t.Fatal(err)
	}
	var proofB64 []string
	for _, h := range proof {
		proofB64 = append(proofB64, base64.StdEncoding.EncodeToString(h[:]))
	}

	// The checkpoint, signed with the current key, named as logserve names it.
	origin := "pfn/" + current.KeyID()
	vkey, err := note.NewEd25519VerifierKey(origin, current.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	ns, err := newNoteSigner(origin, currentPriv, vkey)
	if err != nil {
		t.Fatal(err)
	}
	body := tlogtiles.Checkpoint{Origin: origin, Tree: tlog.Tree{N: logSize, Hash: root}}.Format()
	signed, err := note.Sign(&note.Note{Text: string(body)}, ns)
	if err != nil {
		t.Fatal(err)
	}

	pemPath := filepath.Join(dir, "node.pub.pem")
	if err := os.WriteFile(pemPath, []byte(current.PublicKeyPEM()), 0o644); err != nil {
		t.Fatal(err)
	}
	return Made{
		Bundle: logbundle.Bundle{
			Format: logbundle.Format, Source: st.Source, Plugin: st.Plugin, Version: st.Version,
			Statement: base64.StdEncoding.EncodeToString(entry), NodeSignature: nodeSig, NodeKey: signer.PublicKeyBase64(),
			PublisherClaim:     logbundle.Claim{ID: claim.ID, Name: claim.Name, Version: claim.Version, Description: claim.Description},
			PublisherSignature: pubSig, PublisherSignatureV2: pubSigV2, PublisherKey: st.PublisherKey,
			LogIndex: index, InclusionProof: proofB64, Checkpoint: string(signed), VerifierKey: vkey,
		},
		File: file, NodeKey: current.PublicKey(), StatementKey: signer.PublicKey(), PublisherKey: pubKey,
		Origin: origin, VerifierKey: vkey, KeyPEMPath: pemPath,
	}
}

// nodeKey writes a fresh Ed25519 key where the node keeps its key and
// loads it as the node does; the private key is returned too, for the
// note signer (adapters/nodekey does not hand it out).
func nodeKey(t testing.TB, path string) (*nodekey.Signer, ed25519.PrivateKey) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := nodekey.LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	return s, priv
}

// noteSigner is a sumdb/note Signer over an Ed25519 key, as the node's
// (adapters/nodekey/note.go, another branch of issue #16) is meant to be:
// its key hash is the one note computes for the verifier key.
type noteSigner struct {
	name string
	hash uint32
	priv ed25519.PrivateKey
}

func newNoteSigner(name string, priv ed25519.PrivateKey, vkey string) (*noteSigner, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, err
	}
	return &noteSigner{name: name, hash: v.KeyHash(), priv: priv}, nil
}

func (s *noteSigner) Name() string                    { return s.name }
func (s *noteSigner) KeyHash() uint32                 { return s.hash }
func (s *noteSigner) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.priv, msg), nil }
