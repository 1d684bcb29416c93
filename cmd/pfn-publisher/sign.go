package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/pfn-network/pfn/domain"
)

// Keys are the publisher's private keys.
type Keys struct {
	// Plugin signs plugin claims; its public key is the one a node registers.
	Plugin ed25519.PrivateKey
	// Challenge signs ownership challenges: the same key as Plugin unless
	// -challenge-key-file names another one.
	Challenge ed25519.PrivateKey
}

// signPlugin is what a JavaScript publisher sends as a plugin's signature:
// base64 of Ed25519 over JSON.stringify({id, name, version, description}).
// bad signs a different claim, so the result is well formed but does not
// verify.
func signPlugin(key ed25519.PrivateKey, c domain.PluginClaim, bad bool) string {
	if bad {
		c.Description += " (not what was published)"
	}
	return base64.StdEncoding.EncodeToString(ed25519.Sign(key, c.SignedMessage()))
}

// signPluginBytes is a plugin's signature_v2: base64 of Ed25519 over
// JSON.stringify({id, name, version, description, sha256, size}).
// bad signs other bytes' claim, so the result is well formed but does not
// verify.
func signPluginBytes(key ed25519.PrivateKey, c domain.PluginBytesClaim, bad bool) string {
	if bad {
		c.Size++
	}
	return base64.StdEncoding.EncodeToString(ed25519.Sign(key, c.SignedMessage()))
}

// signChallenge is base64 of Ed25519 over the UTF-8 bytes of the challenge.
func signChallenge(key ed25519.PrivateKey, challenge string) string {
	return base64.StdEncoding.EncodeToString(ed25519.Sign(key, []byte(challenge)))
}

// loadKey reads the Ed25519 PKCS#8 PEM private key at path, creating it
// (mode 0600) when the file does not exist. An empty path is a fresh key
// that lives in memory only.
func loadKey(path string) (key ed25519.PrivateKey, created bool, err error) {
	if path == "" {
		_, key, err := ed25519.GenerateKey(rand.Reader)
		return key, false, err
	}
	text, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key, err = createKeyFile(path)
		if !errors.Is(err, fs.ErrExist) {
			return key, err == nil, err
		}
		// Another process created it first: use theirs.
		text, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, false, fmt.Errorf("read key file: %w", err)
	}
	key, err = parsePrivateKey(text)
	if err != nil {
		return nil, false, fmt.Errorf("key file %s: %w", path, err)
	}
	return key, false, nil
}

// createKeyFile writes a new key with O_EXCL, so an existing key is never
// overwritten, and removes the file again if writing fails half way.
func createKeyFile(path string) (ed25519.PrivateKey, error) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create key file: %w", err)
	}
	err = pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("write key file: %w", err)
	}
	return key, nil
}

// parsePrivateKey accepts what Node's generateKeyPairSync("ed25519") writes
// with {type: "pkcs8", format: "pem"}, and nothing else.
func parsePrivateKey(text []byte) (ed25519.PrivateKey, error) {
	block, rest := pem.Decode(text)
	switch {
	case block == nil:
		return nil, errors.New("not PEM")
	case block.Type != "PRIVATE KEY":
		return nil, fmt.Errorf("PEM block is %q, want \"PRIVATE KEY\" (PKCS#8)", block.Type)
	case len(bytes.TrimSpace(rest)) > 0:
		return nil, errors.New("trailing data after the PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("key is a %T, want Ed25519", k)
	}
	return key, nil
}

// publicKeyPEM is the SPKI PEM form a publisher hands to a node.
func publicKeyPEM(pub ed25519.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// rawPublicKey is the raw 32-byte key in base64, the shortest form a node
// accepts.
func rawPublicKey(key ed25519.PrivateKey) string {
	return base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey))
}
