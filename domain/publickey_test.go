package domain_test

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"filippo.io/edwards25519"

	"github.com/pfn-network/pfn/domain"
)

func spkiPEM(t *testing.T, key any) (string, []byte) {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), der
}

func TestParsePublicKeyAcceptsTheThreeForms(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pemText, der := spkiPEM(t, pub)
	tests := map[string]string{
		"SPKI PEM":                         pemText,
		"SPKI PEM with CRLF and padding":   "  " + strings.ReplaceAll(pemText, "\n", "\r\n") + "\n\n",
		"SPKI DER base64":                  b64(der),
		"raw base64":                       b64(pub),
		"raw base64 without padding":       strings.TrimRight(b64(pub), "="),
		"raw base64 broken over two lines": b64(pub)[:20] + "\n" + b64(pub)[20:],
	}
	for name, text := range tests {
		got, err := domain.ParsePublicKey(text)
		if err != nil || !got.Equal(pub) {
			t.Errorf("%s: %v (key equal: %v)", name, err, got.Equal(pub))
		}
	}
}

func TestParsePublicKeyRejectsWithAReason(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	xKey, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	rsaPEM, _ := spkiPEM(t, &rsaKey.PublicKey)
	ecPEM, _ := spkiPEM(t, &ecKey.PublicKey)
	xPEM, _ := spkiPEM(t, xKey.PublicKey())
	edPEM, edDER := spkiPEM(t, edPub)

	tests := []struct {
		name, text, reason string
	}{
		{"empty", "", "empty"},
		{"blank", "  \n\t", "empty"},
		{"RSA", rsaPEM, "RSA"},
		{"EC", ecPEM, "EC key"},
		{"X25519", xPEM, "X25519"},
		{"raw key too short", b64(edPub[:31]), "not a raw 32-byte key"},
		{"raw key too long", b64(append(edPub, 1)), "not a raw 32-byte key"},
		{"DER with trailing garbage", b64(append(edDER, 0, 0)), "not a raw 32-byte key"},
		{"PEM with trailing garbage", edPEM + "garbage", "trailing data"},
		{"private key PEM", strings.ReplaceAll(edPEM, "PUBLIC KEY", "PRIVATE KEY"), `"PRIVATE KEY"`},
		{"truncated PEM", edPEM[:40], "malformed"},
		{"not base64", "this is not a key!", "neither PEM nor base64"},
		{"SQL", "' OR '1'='1", "neither PEM nor base64"},
		{"huge", strings.Repeat("A", 100_000), "far shorter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := domain.ParsePublicKey(tt.text)
			if !errors.Is(err, domain.ErrInvalidInput) {
				t.Fatalf("ParsePublicKey = %v, want ErrInvalidInput", err)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("error %q does not say %q", err, tt.reason)
			}
		})
	}
}

func FuzzParsePublicKey(f *testing.F) {
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(pub)
	f.Add(string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})))
	f.Add(b64(der))
	f.Add(b64(pub))
	f.Add("-----BEGIN PUBLIC KEY-----\n\n-----END PUBLIC KEY-----")
	for _, e := range smallOrderEncodings {
		raw, _ := hex.DecodeString(e.hex)
		f.Add(b64(raw))
	}
	f.Fuzz(func(t *testing.T, text string) {
		key, err := domain.ParsePublicKey(text)
		if err != nil {
			if !errors.Is(err, domain.ErrInvalidInput) {
				t.Fatalf("error %v is not ErrInvalidInput", err)
			}
			return
		}
		if len(key) != ed25519.PublicKeySize {
			t.Fatalf("accepted a %d-byte key", len(key))
		}
		p, err := new(edwards25519.Point).SetBytes(key)
		if err != nil || !bytes.Equal(p.Bytes(), key) {
			t.Fatalf("accepted %x, not a canonical point encoding", []byte(key))
		}
		if new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) == 1 {
			t.Fatalf("accepted the small-order point %x", []byte(key))
		}
	})
}
