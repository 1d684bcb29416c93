package nodekey

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/pfn-network/pfn/internal/fsdir"
)

// A rotated node keeps signing with one key, but every statement it signed
// before must still verify: the keyring file beside the key file
// (KeyringPath) holds the public keys of the retired keys with the period
// each one signed in. Their private keys are gone on purpose: a retired key
// only has to verify.

// KeyringPath is where the retired keys of the key at keyPath are listed.
func KeyringPath(keyPath string) string { return keyPath + ".keyring.json" }

// KeyInfo is one key of the node, current or retired.
type KeyInfo struct {
	KeyID        string
	PublicKeyPEM string
	ValidFrom    time.Time
	ValidUntil   *time.Time // nil for the current key
}

// keyringFile is the keyring on disk. Current records since when the current
// key signs, so that rotating it later gives it a complete period.
type keyringFile struct {
	Current *keyringEntry  `json:"current,omitempty"`
	Retired []keyringEntry `json:"retired"`
}

type keyringEntry struct {
	KeyID      string     `json:"key_id"`
	PublicKey  string     `json:"public_key"` // raw 32 bytes, standard base64
	ValidFrom  time.Time  `json:"valid_from"`
	ValidUntil *time.Time `json:"valid_until,omitempty"`
}

// Keyring is the node's current signing key and the public keys it signed
// with before.
type Keyring struct {
	current      *Signer
	currentSince time.Time
	retired      []KeyInfo
	byID         map[string]ed25519.PublicKey
}

// LoadKeyring loads (or, on first start, creates) the key at keyPath as
// LoadOrCreate does, and the retired keys listed beside it.
func LoadKeyring(keyPath string) (*Keyring, error) {
	s, err := LoadOrCreate(keyPath)
	if err != nil {
		return nil, err
	}
	kf, since, err := keyringOf(keyPath, s)
	if err != nil {
		return nil, err
	}
	k := &Keyring{current: s, currentSince: since, byID: map[string]ed25519.PublicKey{s.KeyID(): s.PublicKey()}}
	for _, e := range kf.Retired {
		pub, err := e.publicKey()
		if err != nil {
			return nil, fmt.Errorf("node keyring %s: %w", KeyringPath(keyPath), err)
		}
		// A rotation that stopped between writing the keyring and the new
		// key leaves the current key listed as retired: it is current.
		if _, dup := k.byID[e.KeyID]; dup {
			continue
		}
		k.byID[e.KeyID] = pub
		k.retired = append(k.retired, KeyInfo{KeyID: e.KeyID, PublicKeyPEM: publicPEM(pub), ValidFrom: e.ValidFrom, ValidUntil: e.ValidUntil})
	}
	return k, nil
}

// keyringOf reads the keyring beside the key at keyPath, and since when
// s, the key loaded from there, has been current.
func keyringOf(keyPath string, s *Signer) (keyringFile, time.Time, error) {
	kf, err := readKeyring(KeyringPath(keyPath))
	if err != nil {
		return keyringFile{}, time.Time{}, err
	}
	since, err := currentSince(keyPath, s, kf)
	return kf, since, err
}

// currentSince is when the current key began to sign: as the keyring
// recorded it at the last rotation, else (a key never rotated to) the key
// file's modification time, the best record of its creation there is.
func currentSince(keyPath string, s *Signer, kf keyringFile) (time.Time, error) {
	if kf.Current != nil && kf.Current.KeyID == s.KeyID() {
		return kf.Current.ValidFrom, nil
	}
	info, err := os.Stat(keyPath)
	if err != nil {
		return time.Time{}, fmt.Errorf("node key: %w", err)
	}
	return info.ModTime().UTC().Truncate(time.Second), nil
}

func (e keyringEntry) publicKey() (ed25519.PublicKey, error) {
	raw, err := base64.StdEncoding.Strict().DecodeString(e.PublicKey)
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("key %q: public_key is not base64 of %d bytes", e.KeyID, ed25519.PublicKeySize)
	}
	pub := ed25519.PublicKey(raw)
	if id := keyID(pub); id != e.KeyID {
		return nil, fmt.Errorf("key %q: its public key's ID is %q", e.KeyID, id)
	}
	return pub, nil
}

func publicPEM(pub ed25519.PublicKey) string {
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil { // only for a key of the wrong length, which publicKey refuses
		return ""
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki}))
}

func readKeyring(path string) (keyringFile, error) {
	var kf keyringFile
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return kf, nil
	}
	if err != nil {
		return kf, fmt.Errorf("node keyring: %w", err)
	}
	if err := json.Unmarshal(data, &kf); err != nil {
		return kf, fmt.Errorf("node keyring %s: %w", path, err)
	}
	return kf, nil
}

// Signer is the key that signs now.
func (k *Keyring) Signer() *Signer { return k.current }

// Keys lists the current key first, then the retired ones, newest first.
func (k *Keyring) Keys() []KeyInfo {
	keys := []KeyInfo{{KeyID: k.current.KeyID(), PublicKeyPEM: k.current.PublicKeyPEM(), ValidFrom: k.currentSince}}
	for i := len(k.retired) - 1; i >= 0; i-- {
		keys = append(keys, k.retired[i])
	}
	return keys
}

// Verify checks a federation signature with the key st.Node names, current
// or retired. A key the node never had is an error wrapping ErrBadSignature.
func (k *Keyring) Verify(st Statement, signatureB64 string) error {
	pub, ok := k.byID[st.Node]
	if !ok {
		return fmt.Errorf("statement by node %q on %q %q: no key of this node has that ID: %w", st.Node, st.Plugin, st.Version, ErrBadSignature)
	}
	return Verify(pub, st, signatureB64)
}

// Rotate replaces the key at keyPath with a new one and lists the old one's
// public key in the keyring as retired at now. The key must exist already.
//
// The keyring is written (atomically) before the key file is replaced, so
// that a crash between the two never loses the public key of a key that
// signed: at worst the old key stays current and is also listed as retired,
// which LoadKeyring ignores and the next Rotate repairs. A node that is
// running keeps the key it loaded until it restarts.
func Rotate(keyPath string, now time.Time) (*Signer, error) {
	old, err := load(keyPath)
	if err != nil {
		return nil, err
	}
	kf, since, err := keyringOf(keyPath, old)
	if err != nil {
		return nil, err
	}
	s, keyPEM, err := generate()
	if err != nil {
		return nil, err
	}
	now = now.UTC().Truncate(time.Second)
	retired := kf.Retired[:0:0]
	for _, e := range kf.Retired {
		if e.KeyID != old.KeyID() {
			retired = append(retired, e)
		}
	}
	kf.Retired = append(retired, keyringEntry{KeyID: old.KeyID(), PublicKey: old.PublicKeyBase64(), ValidFrom: since, ValidUntil: &now})
	kf.Current = &keyringEntry{KeyID: s.KeyID(), PublicKey: s.PublicKeyBase64(), ValidFrom: now}
	data, err := json.MarshalIndent(kf, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("node keyring: %w", err)
	}
	if err := replaceFile(KeyringPath(keyPath), append(data, '\n')); err != nil {
		return nil, fmt.Errorf("node keyring: %w", err)
	}
	if err := replaceFile(keyPath, keyPEM); err != nil {
		return nil, fmt.Errorf("node key: %w", err)
	}
	return s, nil
}

// replaceFile writes data to a temporary file (mode 0600) beside path,
// fsyncs it and renames it over path: readers see the old or the new
// content, never part of it.
func replaceFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmpName, err := writeTemp(dir, data)
	if err != nil {
		return err
	}
	defer os.Remove(tmpName) // a no-op after the rename
	if err := os.Rename(tmpName, path); err != nil {
		return err
	}
	return fsdir.Sync(dir)
}
