package nodekey

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"io"

	"golang.org/x/mod/sumdb/note"

	"github.com/pfn-network/pfn/internal/tlogtiles"
)

// The node signs the checkpoints of its transparency log (issue #16) with
// its own key, as a sumdb/note signature under the log's origin, so that a
// verifier needs nothing but the key the node already publishes.
//
// One key signs five kinds of message, and none can pass for another:
// federation statements (v1 and v2) are one line of JSON starting with
// '{'; an ownership challenge is what domain.ParseChallenge accepts
// ("pfn-ownership-challenge/v1 " and hex); yank and source-status markers
// are one line starting "pfn-yank/v1 " or "pfn-source-status/v1 "; a
// checkpoint starts with the origin (no spaces, so not a marker or a
// challenge) followed by a newline, a byte none of the others holds.
// NoteSigner signs nothing but a checkpoint of its origin.

// VerifierKey is the sumdb/note verifier key of pub under origin: what a
// client needs to open the node's checkpoints (note.NewVerifier).
func VerifierKey(origin string, pub ed25519.PublicKey) (string, error) {
	if err := tlogtiles.ValidOrigin(origin); err != nil {
		return "", err
	}
	vkey, err := note.NewEd25519VerifierKey(origin, pub)
	if err != nil {
		return "", fmt.Errorf("log verifier key: %w", err)
	}
	return vkey, nil
}

// NoteSigner is s as a sumdb/note signer of checkpoints of the log named
// origin.
func (s *Signer) NoteSigner(origin string) (*NoteSigner, error) {
	vkey, err := VerifierKey(origin, s.pub)
	if err != nil {
		return nil, err
	}
	// The key hash is note's own (name, algorithm and key), read back from
	// the verifier rather than computed again here.
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("log verifier key: %w", err)
	}
	return &NoteSigner{origin: origin, hash: v.KeyHash(), priv: s.priv, vkey: vkey}, nil
}

// NoteSigner signs the log's checkpoints with the node key (note.Signer).
type NoteSigner struct {
	origin string
	hash   uint32
	priv   ed25519.PrivateKey
	vkey   string
}

func (n *NoteSigner) Name() string    { return n.origin }
func (n *NoteSigner) KeyHash() uint32 { return n.hash }

// VerifierKey is the verifier key of the signer, for /federation-info and
// bundles.
func (n *NoteSigner) VerifierKey() string { return n.vkey }

// Sign signs a checkpoint body of the signer's origin, and refuses any
// other text: the node key must not sign arbitrary notes.
func (n *NoteSigner) Sign(msg []byte) ([]byte, error) {
	c, err := tlogtiles.ParseCheckpoint(msg)
	if err != nil {
		return nil, fmt.Errorf("node key signs only log checkpoints: %w", err)
	}
	if c.Origin != n.origin || !bytes.Equal(c.Format(), msg) {
		return nil, fmt.Errorf("node key signs only checkpoints of log %q, exactly as formatted", n.origin)
	}
	return ed25519.Sign(n.priv, msg), nil
}

// String names the log and key hash, never the private key.
//
// String and Format have value receivers for the reason Signer's have.
func (n NoteSigner) String() string {
	return fmt.Sprintf("nodekey.NoteSigner(%s+%08x)", n.origin, n.hash)
}

// Format prints String for every verb.
func (n NoteSigner) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, n.String()) }

// PublicKeyOf is the public key of the node's key keyID, current or
// retired; false for a key the node never had.
func (k *Keyring) PublicKeyOf(keyID string) (ed25519.PublicKey, bool) {
	pub, ok := k.byID[keyID]
	return bytes.Clone(pub), ok
}

// Oldest is the ID of the node's oldest key in the keyring, which a key
// rotation never changes: the default origin of the node's log is named
// after it.
func (k *Keyring) Oldest() string {
	keys := k.Keys()
	return keys[len(keys)-1].KeyID
}
