package domain

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"strings"
)

// maxKeyText bounds what ParsePublicKey looks at; a PEM Ed25519 key is
// about 113 bytes.
const maxKeyText = 4096

// keyForms ends every refusal of a key's encoding, so that whoever pasted
// the wrong thing learns what to paste instead.
const keyForms = `give an Ed25519 public key as PEM ("-----BEGIN PUBLIC KEY-----" ...), ` +
	`as base64 of the raw 32-byte key (44 characters), or as base64 of its SPKI DER (60 characters)`

// ParsePublicKey reads a publisher's Ed25519 public key given as SPKI PEM
// ("-----BEGIN PUBLIC KEY-----"), SPKI DER in base64, or the raw 32-byte key
// in base64. Anything else (another algorithm, a wrong length, trailing
// bytes, nothing) is an ErrInvalidInput that says what was wrong. Unlike the
// original network it never takes "the last 32 bytes" of whatever decoded.
// Whatever the form, the key must be a canonically encoded curve point that
// is not of small order (checkPublicKeyPoint says why).
func ParsePublicKey(text string) (ed25519.PublicKey, error) {
	pub, err := parsePublicKey(text)
	if err != nil {
		return nil, err
	}
	if err := checkPublicKeyPoint(pub); err != nil {
		return nil, err
	}
	return pub, nil
}

func parsePublicKey(text string) (ed25519.PublicKey, error) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return nil, fmt.Errorf("public key is empty; %s: %w", keyForms, ErrInvalidInput)
	case len(text) > maxKeyText:
		return nil, fmt.Errorf("public key is %d bytes long, an Ed25519 key is far shorter: %w", len(text), ErrInvalidInput)
	case strings.HasPrefix(text, "-----BEGIN"):
		return parsePEM(text)
	}
	der, err := decodeBase64(text)
	if err != nil {
		return nil, fmt.Errorf("public key is neither PEM nor base64; %s: %w", keyForms, ErrInvalidInput)
	}
	if len(der) == ed25519.PublicKeySize {
		return ed25519.PublicKey(der), nil
	}
	return parseSPKI(der)
}

func parsePEM(text string) (ed25519.PublicKey, error) {
	block, rest := pem.Decode([]byte(text))
	if block == nil {
		return nil, fmt.Errorf("public key PEM is malformed; %s: %w", keyForms, ErrInvalidInput)
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, fmt.Errorf("public key PEM has trailing data after the END line: %w", ErrInvalidInput)
	}
	if block.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("public key PEM block is %q, want \"PUBLIC KEY\" (SPKI): %w", block.Type, ErrInvalidInput)
	}
	return parseSPKI(block.Bytes)
}

func parseSPKI(der []byte) (ed25519.PublicKey, error) {
	key, err := x509.ParsePKIXPublicKey(der)
	if err != nil { // the parser's own text is an ASN.1 dump nobody can act on
		return nil, fmt.Errorf("public key decodes to %d bytes, which is not a raw 32-byte key nor SPKI DER; %s: %w", len(der), keyForms, ErrInvalidInput)
	}
	pub, ok := key.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("public key is %s, want Ed25519: %w", keyAlgorithm(key), ErrInvalidInput)
	}
	return pub, nil
}

func keyAlgorithm(key any) string {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return "an RSA key"
	case *ecdsa.PublicKey:
		return "an EC key"
	case *ecdh.PublicKey:
		if k.Curve() == ecdh.X25519() {
			return "an X25519 key"
		}
		return "an ECDH key"
	default:
		return fmt.Sprintf("a %T", key)
	}
}

// decodeBase64 accepts standard base64 with or without padding; whitespace
// (line breaks in a pasted key) is ignored.
func decodeBase64(s string) ([]byte, error) {
	s = strings.Join(strings.Fields(s), "")
	if b, err := base64.StdEncoding.Strict().DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.Strict().DecodeString(s)
}
