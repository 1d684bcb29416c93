// Package nodekey holds the node's own Ed25519 identity and the federation
// layer signature made with it: the node's signed statement of what it
// mirrored (docs/protocol.md, "What a plugin signature covers").
//
// The key lives in one PKCS#8 PEM file ("-----BEGIN PRIVATE KEY-----", the
// form `openssl genpkey -algorithm ed25519` writes). It is created on first
// start and never changes by itself: a node that silently minted a second key
// would disown its own history. Hence a file that is there but unusable is an
// error, never a reason to generate a new one. Only `pfn node rotate-key`
// (Rotate) replaces it, and it keeps the old public key in the keyring so
// that what the old key signed still verifies (keyring.go).
package nodekey

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/pfn-network/pfn/internal/fsdir"
)

// maxKeyFile bounds what LoadOrCreate reads; an Ed25519 PKCS#8 PEM is 119
// bytes.
const maxKeyFile = 16 << 10

// errLostRace: another process created the key file between load and link.
var errLostRace = errors.New("node key created concurrently")

// Signer is the node's own Ed25519 identity.
type Signer struct {
	priv   ed25519.PrivateKey
	pub    ed25519.PublicKey
	pubPEM string
	keyID  string
}

// LoadOrCreate reads the node's Ed25519 private key (PKCS#8 PEM, "PRIVATE
// KEY") from path. When the file does not exist it generates a key and writes
// it with mode 0600, creating missing parent directories with mode 0700.
//
// The new file is written to a temporary name in the same directory, fsynced,
// and then hard-linked to path. A link, unlike a rename, fails when path
// already exists, so when two processes start at once exactly one key wins and
// the other process reads it instead of replacing it.
//
// An existing file that anyone but its owner may access is refused (the error
// says to chmod 600), and so is one that holds anything but exactly one
// unencrypted PKCS#8 Ed25519 private key.
func LoadOrCreate(path string) (*Signer, error) {
	if path == "" {
		return nil, errors.New("node key: no path given")
	}
	s, err := load(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return s, err
	}
	s, err = create(path)
	if errors.Is(err, errLostRace) {
		// Another process created the key since load looked: use its key.
		return load(path)
	}
	return s, err
}

func load(path string) (*Signer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("node key: %w", err)
	}
	defer f.Close()
	// Stat the open file, not the path, so the mode checked is that of the
	// bytes read.
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("node key: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("node key %s is not a regular file (%s)", path, info.Mode().Type())
	}
	// Windows reports 0666 for every writable file; its ACLs are not mode bits.
	if perm := info.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("node key %s has mode %04o, so users other than its owner can access the private key; run chmod 600 %s", path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("node key %s: %w", path, err)
	}
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("node key %s is over %d bytes, an Ed25519 key PEM is about 120", path, maxKeyFile)
	}
	priv, err := parsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("node key %s: %w", path, err)
	}
	return newSigner(priv)
}

// parsePrivateKey accepts exactly one PEM block of type "PRIVATE KEY" holding
// PKCS#8 DER of an Ed25519 key, with nothing but whitespace around it.
func parsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	text := bytes.TrimSpace(data)
	if len(text) == 0 {
		return nil, errors.New("file is empty, want an Ed25519 private key in PKCS#8 PEM (-----BEGIN PRIVATE KEY-----)")
	}
	// pem.Decode skips text before the BEGIN line; a key file has none.
	if !bytes.HasPrefix(text, []byte("-----BEGIN ")) {
		return nil, errors.New("file is not PEM, want an Ed25519 private key in PKCS#8 PEM (-----BEGIN PRIVATE KEY-----)")
	}
	block, rest := pem.Decode(text)
	if block == nil {
		return nil, errors.New("PEM is malformed")
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, errors.New("file has trailing data after the PEM END line, want exactly one private key")
	}
	switch block.Type {
	case "PRIVATE KEY":
	case "PUBLIC KEY":
		return nil, errors.New("file holds a public key; the node needs its private key (PKCS#8 PEM, -----BEGIN PRIVATE KEY-----)")
	case "ENCRYPTED PRIVATE KEY":
		return nil, errors.New("file holds an encrypted private key; the node needs it unencrypted (PKCS#8 PEM, -----BEGIN PRIVATE KEY-----)")
	default:
		return nil, fmt.Errorf("PEM block is %q, want \"PRIVATE KEY\" (PKCS#8 Ed25519)", block.Type)
	}
	if len(block.Headers) > 0 {
		return nil, errors.New("PEM block has headers (an encrypted key?), want a plain PKCS#8 key")
	}
	// x509.ParsePKCS8PrivateKey ignores bytes after the DER structure.
	var outer asn1.RawValue
	if rest, err := asn1.Unmarshal(block.Bytes, &outer); err != nil {
		return nil, fmt.Errorf("PEM body is not DER: %v", err)
	} else if len(rest) > 0 {
		return nil, fmt.Errorf("PEM body has %d bytes after the PKCS#8 structure", len(rest))
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("PEM body is not a PKCS#8 private key: %v", err)
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("file holds a %T, want an Ed25519 key", key)
	}
	return priv, nil
}

func create(path string) (*Signer, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("node key: create directory: %w", err)
	}
	s, data, err := generate()
	if err != nil {
		return nil, err
	}
	tmpName, err := writeTemp(dir, data)
	if err != nil {
		return nil, fmt.Errorf("node key: %w", err)
	}
	defer os.Remove(tmpName) // after a successful link only the name goes
	if err := os.Link(tmpName, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, errLostRace
		}
		return nil, fmt.Errorf("node key: %w (the key's directory must support hard links; or create the key beforehand with `openssl genpkey -algorithm ed25519 -out %s` and chmod 600)", err, path)
	}
	if err := os.Remove(tmpName); err != nil {
		return nil, fmt.Errorf("node key: %w", err)
	}
	if err := fsdir.Sync(dir); err != nil {
		return nil, fmt.Errorf("node key: sync %s: %w", dir, err)
	}
	return s, nil
}

// generate makes a new node key: its signer and its PKCS#8 PEM file content.
func generate() (*Signer, []byte, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("node key: generate: %w", err)
	}
	s, err := newSigner(priv)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, fmt.Errorf("node key: encode: %w", err)
	}
	return s, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// writeTemp writes data to a new temporary file in dir (mode 0600) and
// fsyncs it, for the caller to link or rename into place; the caller
// removes the name it returns.
func writeTemp(dir string, data []byte) (string, error) {
	tmp, err := os.CreateTemp(dir, ".nodekey-*")
	if err != nil {
		return "", err
	}
	name := tmp.Name()
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", fmt.Errorf("write %s: %w", name, err)
	}
	return name, nil
}

func newSigner(priv ed25519.PrivateKey) (*Signer, error) {
	pub, ok := priv.Public().(ed25519.PublicKey)
	if !ok {
		return nil, errors.New("node key: Ed25519 private key without an Ed25519 public key")
	}
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("node key: encode public key: %w", err)
	}
	return &Signer{
		priv:   priv,
		pub:    pub,
		pubPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki})),
		keyID:  keyID(pub),
	}, nil
}

// PublicKey returns a copy of the node's public key.
func (s *Signer) PublicKey() ed25519.PublicKey {
	return bytes.Clone(s.pub)
}

// PublicKeyPEM returns the public key as SPKI PEM ("-----BEGIN PUBLIC
// KEY-----"), the form publishers hand to nodes as well.
func (s *Signer) PublicKeyPEM() string { return s.pubPEM }

// PublicKeyBase64 returns the raw 32-byte public key in standard base64.
func (s *Signer) PublicKeyBase64() string {
	return base64.StdEncoding.EncodeToString(s.pub)
}

// KeyID names the key in statements: the first 16 hex characters of the
// SHA-256 of the raw public key.
func (s *Signer) KeyID() string { return s.keyID }

func keyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// String names the key by its ID.
//
// String and Format have value receivers so that a Signer printed by value,
// or as a field of a config struct, shows its ID too: fmt would otherwise
// print the private key bytes.
func (s Signer) String() string { return "nodekey.Signer(" + s.keyID + ")" }

// Format prints String for every verb.
func (s Signer) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// SignChallenge signs an ownership challenge (base64 Ed25519). The caller
// must have checked it is a challenge (domain.ParseChallenge): those bytes
// can never be a federation statement, which starts with '{'.
func (s *Signer) SignChallenge(challenge string) string {
	return base64.StdEncoding.EncodeToString(ed25519.Sign(s.priv, []byte(challenge)))
}
