package nodekey_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pfn-network/pfn/adapters/nodekey"
	"github.com/pfn-network/pfn/internal/tlogtiles"
)

// rfc8410Seed is the private key of rfc8410PrivatePEM (RFC 8410 section 10.3).
const rfc8410Seed = "d4ee72dbf913584ad5b6d8f1f769f8ad3afe7c28cbf1d4fbe097a88f44755842"

func checkpointBody(origin string, n int64) string {
	return string(tlogtiles.Checkpoint{Origin: origin, Tree: tlog.Tree{N: n, Hash: tlog.RecordHash([]byte("leaf"))}}.Format())
}

// The node's checkpoint signer is note's own Ed25519 signer of the same key:
// same name, key hash and signature bytes, and note opens what it signs with
// the verifier key VerifierKey gives.
func TestNoteSignerIsNotesEd25519Signer(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "node.key")
	writeFile(t, path, []byte(rfc8410PrivatePEM), 0o600)
	s, err := nodekey.LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	const origin = "pfn/" + "example"
	ns, err := s.NoteSigner(origin)
	if err != nil {
		t.Fatal(err)
	}
	vkey, err := nodekey.VerifierKey(origin, s.PublicKey())
	if err != nil || vkey != ns.VerifierKey() {
		t.Fatalf("VerifierKey = %q, %v; the signer says %q", vkey, err, ns.VerifierKey())
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	if ns.Name() != origin || ns.KeyHash() != verifier.KeyHash() {
		t.Fatalf("signer %s hash %08x, verifier %s hash %08x", ns.Name(), ns.KeyHash(), verifier.Name(), verifier.KeyHash())
	}
	// note's private key text: PRIVATE+KEY+<name>+<hash>+base64(alg 1, seed).
	seed, _ := hex.DecodeString(rfc8410Seed)
	skey := fmt.Sprintf("PRIVATE+KEY+%s+%08x+%s", origin, verifier.KeyHash(), base64.StdEncoding.EncodeToString(append([]byte{1}, seed...)))
	reference, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	text := checkpointBody(origin, 7)
	ours, err := note.Sign(&note.Note{Text: text}, ns)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := note.Sign(&note.Note{Text: text}, reference)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ours, theirs) {
		t.Fatalf("signed checkpoint\n%s\nnote's own signer\n%s", ours, theirs)
	}
	opened, err := note.Open(ours, note.VerifierList(verifier))
	if err != nil || opened.Text != text {
		t.Fatalf("note.Open = %+v, %v", opened, err)
	}
	if _, err := tlogtiles.OpenCheckpoint(ours, origin, note.VerifierList(verifier)); err != nil {
		t.Fatalf("OpenCheckpoint: %v", err)
	}
}

// The node key signs checkpoints of its origin and nothing else.
func TestNoteSignerRefuses(t *testing.T) {
	t.Parallel()
	s := newSigner(t)
	ns, err := s.NoteSigner("pfn/abc")
	if err != nil {
		t.Fatal(err)
	}
	for name, msg := range map[string]string{
		"another origin":     checkpointBody("pfn/other", 3),
		"a statement":        `{"node":"x","source":"a@b"}` + "\n",
		"a challenge":        "pfn-challenge:00\n",
		"extension lines":    checkpointBody("pfn/abc", 3) + "more\n",
		"size spelled 03":    strings.Replace(checkpointBody("pfn/abc", 3), "\n3\n", "\n03\n", 1),
		"no final newline":   strings.TrimSuffix(checkpointBody("pfn/abc", 3), "\n"),
		"empty":              "",
		"origin only":        "pfn/abc\n",
		"checkpoint-looking": "pfn/abc\n3\nnot a hash\n",
	} {
		if sig, err := ns.Sign([]byte(msg)); err == nil {
			t.Errorf("%s: signed (%x)", name, sig)
		}
	}
	if sig, err := ns.Sign([]byte(checkpointBody("pfn/abc", 3))); err != nil || !ed25519.Verify(s.PublicKey(), []byte(checkpointBody("pfn/abc", 3)), sig) {
		t.Fatalf("a checkpoint of the origin: %x, %v", sig, err)
	}
	for _, origin := range []string{"", "a b", "a+b", "a\nb", "\xff"} {
		if _, err := s.NoteSigner(origin); err == nil {
			t.Errorf("NoteSigner(%q) was made", origin)
		}
		if _, err := nodekey.VerifierKey(origin, s.PublicKey()); err == nil {
			t.Errorf("VerifierKey(%q) was made", origin)
		}
	}
	if _, err := nodekey.VerifierKey("pfn/abc", s.PublicKey()[:31]); err == nil {
		t.Error("VerifierKey of a 31-byte key was made")
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x"} {
		if out := fmt.Sprintf(verb, ns); !strings.Contains(out, "pfn/abc") || strings.Contains(out, fmt.Sprintf("%x", s.PublicKey())) {
			t.Errorf("%s of the note signer prints %q", verb, out)
		}
		if out := fmt.Sprintf(verb, *ns); !strings.Contains(out, "pfn/abc") {
			t.Errorf("%s of the note signer's value prints %q", verb, out)
		}
	}
}

// The oldest key names the log for good: rotations do not change it, and
// every key, current or retired, is found by its ID.
func TestKeyringOldestAndPublicKeyOf(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "node.key")
	k0, err := nodekey.LoadKeyring(path)
	if err != nil {
		t.Fatal(err)
	}
	first := k0.Signer()
	if k0.Oldest() != first.KeyID() {
		t.Fatalf("Oldest of a new keyring = %s, want %s", k0.Oldest(), first.KeyID())
	}
	now := time.Now().UTC()
	second, err := nodekey.Rotate(path, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	third, err := nodekey.Rotate(path, now.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	k, err := nodekey.LoadKeyring(path)
	if err != nil {
		t.Fatal(err)
	}
	if k.Oldest() != first.KeyID() {
		t.Fatalf("Oldest after two rotations = %s, want %s", k.Oldest(), first.KeyID())
	}
	for _, s := range []*nodekey.Signer{first, second, third} {
		if pub, ok := k.PublicKeyOf(s.KeyID()); !ok || !pub.Equal(s.PublicKey()) {
			t.Errorf("PublicKeyOf(%s) = %x, %v", s.KeyID(), pub, ok)
		}
	}
	if _, ok := k.PublicKeyOf("0000000000000000"); ok {
		t.Error("PublicKeyOf found a key the node never had")
	}
}
