package nodekey_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/pfn-network/pfn/adapters/nodekey"
	"github.com/pfn-network/pfn/domain"
)

// The example key of RFC 8410 section 10.3, and its public key from 10.1.
const (
	rfc8410PrivatePEM = "-----BEGIN PRIVATE KEY-----\n" +
		"MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n" +
		"-----END PRIVATE KEY-----\n"
	rfc8410PublicPEM = "-----BEGIN PUBLIC KEY-----\n" +
		"MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n" +
		"-----END PUBLIC KEY-----\n"
	rfc8410PublicRaw = "Gb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE="
)

func writeFile(t *testing.T, path string, data []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
	// WriteFile's mode passes through the umask.
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestLoadOrCreateCreatesThenReloads(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	dir := filepath.Join(base, "state", "keys")
	path := filepath.Join(dir, "node.key")

	created, err := nodekey.LoadOrCreate(path)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if runtime.GOOS != "windows" {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != 0o600 {
			t.Errorf("key file mode %04o, want 0600", got)
		}
		for _, d := range []string{dir, filepath.Dir(dir)} {
			st, err := os.Stat(d)
			if err != nil {
				t.Fatal(err)
			}
			if got := st.Mode().Perm(); got&0o077 != 0 || got&0o700 != 0o700 {
				t.Errorf("directory %s mode %04o, want 0700", d, got)
			}
		}
	}
	if got := dirEntries(t, dir); len(got) != 1 || got[0] != "node.key" {
		t.Errorf("directory holds %q, want only node.key (no temporary files left)", got)
	}

	reloaded, err := nodekey.LoadOrCreate(path)
	if err != nil {
		t.Fatalf("reload: %v", err)
	}
	if !reloaded.PublicKey().Equal(created.PublicKey()) {
		t.Fatal("reloaded key differs from the created one")
	}
	if reloaded.KeyID() != created.KeyID() {
		t.Fatalf("key ID %s after reload, %s before", reloaded.KeyID(), created.KeyID())
	}

	// What was written is a standard PKCS#8 PEM that other tools read.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, rest := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" || len(bytes.TrimSpace(rest)) != 0 {
		t.Fatalf("key file is not one PRIVATE KEY PEM block:\n%s", data)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		t.Fatalf("key file holds %T", key)
	}
	if !priv.Public().(ed25519.PublicKey).Equal(created.PublicKey()) {
		t.Fatal("key file holds another key than the signer uses")
	}
}

func TestLoadOrCreateReadsExistingKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "node.key")
	writeFile(t, path, []byte(rfc8410PrivatePEM), 0o600)

	s, err := nodekey.LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.PublicKeyBase64(); got != rfc8410PublicRaw {
		t.Errorf("PublicKeyBase64 = %s, want %s", got, rfc8410PublicRaw)
	}
	if got := s.PublicKeyPEM(); got != rfc8410PublicPEM {
		t.Errorf("PublicKeyPEM =\n%s\nwant\n%s", got, rfc8410PublicPEM)
	}
	if got, _ := os.ReadFile(path); string(got) != rfc8410PrivatePEM {
		t.Error("loading changed the key file")
	}
}

func TestLoadOrCreateRefusesLooseMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no Unix mode bits")
	}
	t.Parallel()
	tests := []struct {
		mode    os.FileMode
		wantErr bool
	}{
		{0o644, true},
		{0o640, true},
		{0o604, true},
		{0o660, true},
		{0o620, true},
		{0o606, true},
		{0o610, true},
		{0o600, false},
		{0o400, false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%04o", tc.mode), func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "node.key")
			writeFile(t, path, []byte(rfc8410PrivatePEM), tc.mode)
			_, err := nodekey.LoadOrCreate(path)
			if !tc.wantErr {
				if err != nil {
					t.Fatalf("mode %04o refused: %v", tc.mode, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("mode %04o accepted", tc.mode)
			}
			if !strings.Contains(err.Error(), "chmod 600") {
				t.Errorf("error does not say to chmod 600: %v", err)
			}
			if got, _ := os.ReadFile(path); string(got) != rfc8410PrivatePEM {
				t.Error("refusing the file changed it")
			}
		})
	}
}

func pkcs8PEM(t *testing.T, key any) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func TestLoadOrCreateRefusesWhatIsNotOneEd25519PrivateKey(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalECPrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	rfcBlock, _ := pem.Decode([]byte(rfc8410PrivatePEM))
	withDERTrailer := string(pem.EncodeToMemory(&pem.Block{
		Type:  "PRIVATE KEY",
		Bytes: append(bytes.Clone(rfcBlock.Bytes), 0x05, 0x00), // an ASN.1 NULL
	}))
	notPKCS8, err := asn1.Marshal(42)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		content string
		wantErr string
	}{
		{"empty", "", "empty"},
		{"whitespace", " \n\t\n", "empty"},
		{"garbage", "not a key at all\n", "not PEM"},
		{"binary", "\x30\x2e\x02\x01\x00\xff\xfe", "not PEM"},
		{"raw DER", string(rfcBlock.Bytes), "not PEM"},
		{"broken PEM", "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n", "malformed"},
		{"RSA PKCS#8", pkcs8PEM(t, rsaKey), "want an Ed25519 key"},
		{"EC PKCS#8", pkcs8PEM(t, ecKey), "want an Ed25519 key"},
		{"EC SEC1", string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER})), `"EC PRIVATE KEY"`},
		{"public key", rfc8410PublicPEM, "public key"},
		{"encrypted", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n", "encrypted"},
		{"PEM headers", "-----BEGIN PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\n" +
			"MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n-----END PRIVATE KEY-----\n", "headers"},
		{"not PKCS#8", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: notPKCS8})), "not a PKCS#8"},
		{"trailing text", rfc8410PrivatePEM + "trailing\n", "trailing data"},
		{"second key", rfc8410PrivatePEM + rfc8410PrivatePEM, "trailing data"},
		{"key then public key", rfc8410PrivatePEM + rfc8410PublicPEM, "trailing data"},
		{"leading text", "comment\n" + rfc8410PrivatePEM, "not PEM"},
		{"trailing DER", withDERTrailer, "after the PKCS#8 structure"},
		{"too large", rfc8410PrivatePEM + strings.Repeat("\n", 20<<10), "over"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "node.key")
			writeFile(t, path, []byte(tc.content), 0o600)
			s, err := nodekey.LoadOrCreate(path)
			if err == nil {
				t.Fatalf("accepted, key ID %s", s.KeyID())
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not mention %q", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			// A refused file is never replaced by a fresh key.
			if got, _ := os.ReadFile(path); string(got) != tc.content {
				t.Error("refusing the file changed it")
			}
		})
	}
}

func TestLoadOrCreateRefusesOtherPaths(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	aFile := filepath.Join(dir, "file")
	writeFile(t, aFile, []byte("x"), 0o600)
	tests := []struct {
		name string
		path string
	}{
		{"empty path", ""},
		{"directory", dir},
		{"parent is a file", filepath.Join(aFile, "node.key")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if s, err := nodekey.LoadOrCreate(tc.path); err == nil {
				t.Fatalf("accepted, key ID %s", s.KeyID())
			}
		})
	}
}

func TestLoadOrCreateConcurrentCreatorsAgree(t *testing.T) {
	t.Parallel()
	const rounds, workers = 20, 8
	for round := range rounds {
		dir := filepath.Join(t.TempDir(), "keys")
		path := filepath.Join(dir, "node.key")
		start := make(chan struct{})
		keys := make([]ed25519.PublicKey, workers)
		errs := make([]error, workers)
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() {
				<-start
				s, err := nodekey.LoadOrCreate(path)
				errs[i] = err
				if err == nil {
					keys[i] = s.PublicKey()
				}
			})
		}
		close(start)
		wg.Wait()

		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, worker %d: %v", round, i, err)
			}
		}
		for i, k := range keys[1:] {
			if !k.Equal(keys[0]) {
				t.Fatalf("round %d: worker %d got another key than worker 0", round, i+1)
			}
		}
		onDisk, err := nodekey.LoadOrCreate(path)
		if err != nil {
			t.Fatal(err)
		}
		if !onDisk.PublicKey().Equal(keys[0]) {
			t.Fatalf("round %d: the file holds another key than the workers use", round)
		}
		if got := dirEntries(t, dir); len(got) != 1 {
			t.Fatalf("round %d: directory holds %q, want only node.key", round, got)
		}
	}
}

func TestSignerPublicKeyForms(t *testing.T) {
	t.Parallel()
	s, err := nodekey.LoadOrCreate(filepath.Join(t.TempDir(), "node.key"))
	if err != nil {
		t.Fatal(err)
	}
	pub := s.PublicKey()
	if len(pub) != ed25519.PublicKeySize {
		t.Fatalf("public key has %d bytes", len(pub))
	}

	// Both forms are ones a node accepts from a publisher.
	for name, text := range map[string]string{"PEM": s.PublicKeyPEM(), "base64": s.PublicKeyBase64()} {
		got, err := domain.ParsePublicKey(text)
		if err != nil {
			t.Errorf("%s form %q does not parse: %v", name, text, err)
			continue
		}
		if !got.Equal(pub) {
			t.Errorf("%s form is another key", name)
		}
	}
	if !strings.HasPrefix(s.PublicKeyPEM(), "-----BEGIN PUBLIC KEY-----\n") {
		t.Errorf("PublicKeyPEM is not SPKI PEM: %q", s.PublicKeyPEM())
	}
	if len(s.PublicKeyBase64()) != 44 {
		t.Errorf("PublicKeyBase64 %q is not 32 bytes in padded base64", s.PublicKeyBase64())
	}

	sum := sha256.Sum256(pub)
	if want := hex.EncodeToString(sum[:])[:16]; s.KeyID() != want {
		t.Errorf("KeyID = %s, want %s", s.KeyID(), want)
	}

	pub[0] ^= 0xff
	if s.PublicKey().Equal(pub) {
		t.Error("PublicKey returns the signer's own slice, not a copy")
	}
}

func TestSignerPrintsNoPrivateKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "node.key")
	writeFile(t, path, []byte(rfc8410PrivatePEM), 0o600)
	s, err := nodekey.LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "nodekey.Signer(" + s.KeyID() + ")"
	// A config struct that holds the signer, by value or by pointer.
	type config struct {
		Key    nodekey.Signer
		KeyPtr *nodekey.Signer
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q", "%d"} {
		for _, arg := range []any{s, *s} {
			if got := fmt.Sprintf(verb, arg); got != want {
				t.Errorf("Sprintf(%q, %T) = %q, want %q", verb, arg, got, want)
			}
		}
		got := fmt.Sprintf(verb, config{Key: *s, KeyPtr: s})
		// The seed of the RFC 8410 key is d4ee72db...; fmt would print it in
		// hex, upper-case hex or decimal bytes.
		for _, leak := range []string{"d4ee72db", "D4EE72DB", "212 238 114 219"} {
			if strings.Contains(got, leak) {
				t.Errorf("Sprintf(%q, config) leaks the private key: %s", verb, got)
			}
		}
	}
}
