package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/domain"
)

func TestKeyFileIsCreatedPrivateAndReused(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "publisher.pem")
	first, created, err := loadKey(path)
	if err != nil || !created {
		t.Fatalf("first load: created %v, %v", created, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", st.Mode().Perm())
	}
	text, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(text), "-----BEGIN PRIVATE KEY-----\n") {
		t.Fatalf("key file is not PKCS#8 PEM:\n%s", text)
	}
	second, created, err := loadKey(path)
	if err != nil || created {
		t.Fatalf("second load: created %v, %v", created, err)
	}
	if !first.Equal(second) {
		t.Fatal("the key changed on the second load")
	}
}

func TestEmptyKeyFileMeansAFreshKey(t *testing.T) {
	t.Parallel()
	a, _, errA := loadKey("")
	b, _, errB := loadKey("")
	if errA != nil || errB != nil || a.Equal(b) {
		t.Fatalf("two in-memory keys: equal %v, errors %v %v", a.Equal(b), errA, errB)
	}
}

func TestLoadKeyRefusesWhatIsNotAnEd25519PrivateKey(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8 := func(k any) string {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	}
	good := pkcs8(newKey(t))
	pubPEM, _ := publicKeyPEM(public(newKey(t)))
	tests := []struct{ name, text, wantErr string }{
		{"RSA", pkcs8(rsaKey), "want Ed25519"},
		{"EC", pkcs8(ecKey), "want Ed25519"},
		{"public key", pubPEM, `"PUBLIC KEY"`},
		{"not PEM", "hello", "not PEM"},
		{"trailing data", good + "garbage", "trailing data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "key.pem")
			if err := os.WriteFile(path, []byte(tt.text), 0o600); err != nil {
				t.Fatal(err)
			}
			_, _, err := loadKey(path)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("loadKey = %v, want an error with %q", err, tt.wantErr)
			}
		})
	}
}

func TestMissingKeyDirectoryIsAnError(t *testing.T) {
	t.Parallel()
	if _, _, err := loadKey(filepath.Join(t.TempDir(), "no", "such", "dir", "key.pem")); err == nil {
		t.Fatal("a key was created in a directory that does not exist")
	}
}

func TestPublicKeyFormsAreWhatANodeAccepts(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	text, err := publicKeyPEM(public(key))
	if err != nil {
		t.Fatal(err)
	}
	for _, form := range []string{text, rawPublicKey(key)} {
		got, err := domain.ParsePublicKey(form)
		if err != nil || !got.Equal(public(key)) {
			t.Fatalf("domain.ParsePublicKey(%q) = %v, %v", form, got, err)
		}
	}
}

func TestBadSignatureIsWellFormedButDoesNotVerify(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	c := domain.PluginClaim{ID: "x", Name: "X", Version: "1", Description: "d"}
	if err := domain.VerifyPlugin(public(key), c, signPlugin(key, c, false)); err != nil {
		t.Fatal(err)
	}
	bad := signPlugin(key, c, true)
	if err := domain.VerifyPlugin(public(key), c, bad); err == nil || len(bad) != 88 {
		t.Fatalf("bad signature %q verifies (%v) or is malformed", bad, err)
	}
}
