package nodekey_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pfn-network/pfn/adapters/nodekey"
)

func signWith(t *testing.T, s *nodekey.Signer) (nodekey.Statement, string) {
	t.Helper()
	st := statementBy(s)
	sig, err := s.Sign(st)
	if err != nil {
		t.Fatal(err)
	}
	return st, sig
}

// Two rotations: every key's statements verify through the keyring by key
// ID, the periods chain, no private key of a retired key stays on disk, and
// the new key is what signs after a reload.
func TestRotateKeepsEarlierKeysVerifying(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "keys", "node.key")
	k0, err := nodekey.LoadKeyring(path)
	if err != nil {
		t.Fatal(err)
	}
	first := k0.Signer()
	st1, sig1 := signWith(t, first)

	t1 := time.Now().UTC().Add(time.Hour).Truncate(time.Second)
	second, err := nodekey.Rotate(path, t1)
	if err != nil {
		t.Fatal(err)
	}
	if second.KeyID() == first.KeyID() {
		t.Fatal("rotation kept the key")
	}
	st2, sig2 := signWith(t, second)
	t2 := t1.Add(24 * time.Hour)
	third, err := nodekey.Rotate(path, t2)
	if err != nil {
		t.Fatal(err)
	}

	k, err := nodekey.LoadKeyring(path)
	if err != nil {
		t.Fatal(err)
	}
	if k.Signer().KeyID() != third.KeyID() {
		t.Fatalf("reloaded key %s, want the newest %s", k.Signer().KeyID(), third.KeyID())
	}
	st3, sig3 := signWith(t, k.Signer())
	for i, c := range []struct {
		st  nodekey.Statement
		sig string
	}{{st1, sig1}, {st2, sig2}, {st3, sig3}} {
		if err := k.Verify(c.st, c.sig); err != nil {
			t.Errorf("statement %d by %s: %v", i+1, c.st.Node, err)
		}
	}
	// A retired key's signature over another statement still fails.
	changed := st1
	changed.Version = "9.9.9"
	if err := k.Verify(changed, sig1); !errors.Is(err, nodekey.ErrBadSignature) {
		t.Errorf("altered statement under a retired key: %v, want ErrBadSignature", err)
	}

	keys := k.Keys()
	if len(keys) != 3 {
		t.Fatalf("keys = %+v, want 3", keys)
	}
	wantIDs := []string{third.KeyID(), second.KeyID(), first.KeyID()}
	for i, key := range keys {
		if key.KeyID != wantIDs[i] {
			t.Errorf("keys[%d] = %s, want %s", i, key.KeyID, wantIDs[i])
		}
		if !strings.HasPrefix(key.PublicKeyPEM, "-----BEGIN PUBLIC KEY-----") {
			t.Errorf("keys[%d] public key %q", i, key.PublicKeyPEM)
		}
	}
	if keys[0].ValidUntil != nil || !keys[0].ValidFrom.Equal(t2) {
		t.Errorf("current key period %v..%v, want %v..", keys[0].ValidFrom, keys[0].ValidUntil, t2)
	}
	if keys[1].ValidUntil == nil || !keys[1].ValidFrom.Equal(t1) || !keys[1].ValidUntil.Equal(t2) {
		t.Errorf("second key period %v..%v, want %v..%v", keys[1].ValidFrom, keys[1].ValidUntil, t1, t2)
	}
	if keys[2].ValidUntil == nil || !keys[2].ValidUntil.Equal(t1) || keys[2].ValidFrom.After(t1) {
		t.Errorf("first key period %v..%v, want ..%v", keys[2].ValidFrom, keys[2].ValidUntil, t1)
	}

	ring, err := os.ReadFile(nodekey.KeyringPath(path))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(ring), "PRIVATE") {
		t.Errorf("keyring holds a private key:\n%s", ring)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Errorf("key directory holds %d files, want the key and its keyring (no temporary files left)", len(entries))
	}
}

func TestKeyringRefusesUnknownKeyAndBadFiles(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "node.key")
	k, err := nodekey.LoadKeyring(path)
	if err != nil {
		t.Fatal(err)
	}
	st, sig := signWith(t, newSigner(t)) // another node's key
	if err := k.Verify(st, sig); !errors.Is(err, nodekey.ErrBadSignature) {
		t.Errorf("statement by an unknown key: %v, want ErrBadSignature", err)
	}
	if got := k.Keys(); len(got) != 1 || got[0].ValidUntil != nil || got[0].KeyID != k.Signer().KeyID() {
		t.Errorf("keys of a never rotated node = %+v", got)
	}

	for name, ring := range map[string]string{
		"not JSON":    "{",
		"bad base64":  `{"retired":[{"key_id":"00","public_key":"%%%","valid_from":"2026-01-01T00:00:00Z"}]}`,
		"ID mismatch": `{"retired":[{"key_id":"0000000000000000","public_key":"` + strings.Repeat("A", 43) + `=","valid_from":"2026-01-01T00:00:00Z"}]}`,
	} {
		if err := os.WriteFile(nodekey.KeyringPath(path), []byte(ring), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := nodekey.LoadKeyring(path); err == nil {
			t.Errorf("%s: LoadKeyring = nil, want an error", name)
		}
	}
}

func TestRotateNeedsAnExistingKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "node.key")
	if _, err := nodekey.Rotate(path, time.Now()); err == nil {
		t.Fatal("Rotate without a key = nil, want an error")
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Rotate without a key created one: %v", err)
	}
}

// A rotation that stopped after writing the keyring but before replacing the
// key leaves the current key listed as retired: it stays current, listed
// once, and the next rotation retires it properly.
func TestKeyringAfterAnInterruptedRotation(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "node.key")
	k, err := nodekey.LoadKeyring(path)
	if err != nil {
		t.Fatal(err)
	}
	cur := k.Signer()
	ring := `{"retired":[{"key_id":"` + cur.KeyID() + `","public_key":"` + cur.PublicKeyBase64() +
		`","valid_from":"2026-01-01T00:00:00Z","valid_until":"2026-02-01T00:00:00Z"}]}`
	if err := os.WriteFile(nodekey.KeyringPath(path), []byte(ring), 0o600); err != nil {
		t.Fatal(err)
	}
	k, err = nodekey.LoadKeyring(path)
	if err != nil {
		t.Fatal(err)
	}
	if keys := k.Keys(); len(keys) != 1 || keys[0].KeyID != cur.KeyID() || keys[0].ValidUntil != nil {
		t.Fatalf("keys = %+v, want only the current key", keys)
	}
	st, sig := signWith(t, cur)
	if _, err := nodekey.Rotate(path, time.Now()); err != nil {
		t.Fatal(err)
	}
	k, err = nodekey.LoadKeyring(path)
	if err != nil {
		t.Fatal(err)
	}
	if keys := k.Keys(); len(keys) != 2 || keys[1].KeyID != cur.KeyID() {
		t.Fatalf("keys after rotating again = %+v, want the new key and %s once", keys, cur.KeyID())
	}
	if err := k.Verify(st, sig); err != nil {
		t.Fatal(err)
	}
}
