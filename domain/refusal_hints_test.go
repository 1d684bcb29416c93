package domain_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/domain"
)

// A refusal says what to give instead: the accepted key forms, the scheme
// an instance URL lacks.
func TestRefusalsNameWhatToChange(t *testing.T) {
	t.Parallel()
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	keyForms := []string{`PEM ("-----BEGIN PUBLIC KEY-----"`, "base64 of the raw 32-byte key", "base64 of its SPKI DER"}
	tests := []struct {
		name  string
		parse func() error
		want  []string
		never string // text that must not show (a Go parser's dump)
	}{
		{"a short base64 key", func() error { _, err := domain.ParsePublicKey("AAAA"); return err }, keyForms, "asn1"},
		{"base64 of 31 bytes", func() error { _, err := domain.ParsePublicKey(b64(edPub[:31])); return err }, keyForms, "asn1"},
		{"not base64", func() error { _, err := domain.ParsePublicKey("not a key!"); return err }, keyForms, ""},
		{"empty key", func() error { _, err := domain.ParsePublicKey(""); return err }, keyForms, ""},
		{"a broken PEM", func() error {
			_, err := domain.ParsePublicKey("-----BEGIN PUBLIC KEY-----\nAAAA")
			return err
		}, keyForms, ""},
		{"an IP and port without scheme", func() error { _, err := domain.NormalizeInstanceURL("127.0.0.1:8090"); return err },
			[]string{"must start with http:// or https://", `"http://127.0.0.1:8090"`}, "not a URL"},
		{"a name and port without scheme", func() error { _, err := domain.NormalizeInstanceURL("localhost:8090"); return err },
			[]string{"must start with http:// or https://", `"http://localhost:8090"`}, ""},
		{"a bare name", func() error { _, err := domain.NormalizeInstanceURL("plugins.example.com"); return err },
			[]string{"must start with http:// or https://"}, ""},
		{"another scheme", func() error { _, err := domain.NormalizeInstanceURL("ftp://plugins.example.com"); return err },
			[]string{"must start with http:// or https://"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.parse()
			if !errors.Is(err, domain.ErrInvalidInput) {
				t.Fatalf("error = %v, want ErrInvalidInput", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if tt.never != "" && strings.Contains(err.Error(), tt.never) {
				t.Errorf("error %q shows %q", err, tt.never)
			}
		})
	}
}
