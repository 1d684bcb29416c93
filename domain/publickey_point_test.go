package domain_test

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"filippo.io/edwards25519"

	"github.com/pfn-network/pfn/domain"
)

// smallOrderEncodings are the eight points of order dividing 8 in all
// fourteen of their encodings ("eight plus six alternative encodings" in
// C2SP/CCTV ed25519/README.md, after ed25519-speccheck). The eight
// canonical ones are curve25519-dalek's EIGHT_TORSION table; the six
// non-canonical ones are libsodium's blocklist entries p (y = 0) and p+1
// (y = 1) with either sign bit, and the sign bit set on the two points with
// x = 0 (y = 1 and y = p-1), which RFC 8032 decoding refuses and
// crypto/ed25519 accepts.
var smallOrderEncodings = []struct{ name, hex string }{
	{"identity (order 1)", "0100000000000000000000000000000000000000000000000000000000000000"},
	{"y = p-1 (order 2)", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"},
	{"y = 0, x > 0 (order 4)", "0000000000000000000000000000000000000000000000000000000000000000"},
	{"y = 0, x < 0 (order 4)", "0000000000000000000000000000000000000000000000000000000000000080"},
	{"order 8, first y, x > 0", "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"},
	{"order 8, first y, x < 0", "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85"},
	{"order 8, second y, x > 0", "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"},
	{"order 8, second y, x < 0", "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa"},
	// Non-canonical.
	{"identity with the sign bit on x = 0", "0100000000000000000000000000000000000000000000000000000000000080"},
	{"y = p-1 with the sign bit on x = 0", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
	{"y = p (= 0), x > 0", "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"},
	{"y = p (= 0), x < 0", "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
	{"y = p+1 (= 1)", "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"},
	{"y = p+1 (= 1) with the sign bit on x = 0", "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		t.Fatalf("bad test encoding %q", s)
	}
	return b
}

// keyForms writes 32 key bytes in the three forms ParsePublicKey reads.
func keyForms(t *testing.T, raw []byte) map[string]string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(ed25519.PublicKey(raw))
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"raw base64":      base64.StdEncoding.EncodeToString(raw),
		"SPKI DER base64": base64.StdEncoding.EncodeToString(der),
		"SPKI PEM":        string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})),
	}
}

func TestParsePublicKeyRefusesEverySmallOrderEncoding(t *testing.T) {
	t.Parallel()
	distinct := map[string]bool{}
	for _, tt := range smallOrderEncodings {
		raw := mustHex(t, tt.hex)
		distinct[tt.hex] = true
		// The list itself: each entry decodes (as crypto/ed25519 would
		// decode it) to a point whose order divides 8, so the refusal below
		// is for small order and not for being off the curve.
		p, err := new(edwards25519.Point).SetBytes(raw)
		if err != nil {
			t.Fatalf("%s: not a point: %v", tt.name, err)
		}
		if new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) != 1 {
			t.Fatalf("%s: not of small order", tt.name)
		}
		for form, text := range keyForms(t, raw) {
			_, err := domain.ParsePublicKey(text)
			if !errors.Is(err, domain.ErrInvalidInput) || !strings.Contains(err.Error(), "small-order") {
				t.Errorf("%s as %s: %v, want a small-order refusal", tt.name, form, err)
			}
		}
	}
	if len(distinct) != 14 {
		t.Fatalf("%d distinct encodings, want 14", len(distinct))
	}
}

func TestParsePublicKeyRefusesOffCurveAndNonCanonicalKeys(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, hex, reason string }{
		// y = 2 has no x on the curve.
		{"off the curve", "0200000000000000000000000000000000000000000000000000000000000000", "not a point"},
		// y = p+3 is the point with y = 3 (of large order) spelt with y >= p.
		{"y = p+3", "f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "non-canonical"},
		{"y = p+3, x < 0", "f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "non-canonical"},
	}
	for _, tt := range tests {
		for form, text := range keyForms(t, mustHex(t, tt.hex)) {
			_, err := domain.ParsePublicKey(text)
			if !errors.Is(err, domain.ErrInvalidInput) || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("%s as %s: %v, want %q", tt.name, form, err, tt.reason)
			}
		}
	}
	// The canonical y = 3 point is a valid (if unusual) key.
	if _, err := domain.ParsePublicKey(base64.StdEncoding.EncodeToString(mustHex(t,
		"0300000000000000000000000000000000000000000000000000000000000000"))); err != nil {
		t.Errorf("canonical y = 3: %v", err)
	}
}

// A key stored before registration refused small-order points must not
// verify the signature anyone can make: R = identity, S = 0 ("AQAA…").
func TestVerifyRefusesAStoredSmallOrderKey(t *testing.T) {
	t.Parallel()
	identity := ed25519.PublicKey(mustHex(t, smallOrderEncodings[0].hex))
	sig := make([]byte, ed25519.SignatureSize)
	sig[0] = 1
	sigB64 := base64.StdEncoding.EncodeToString(sig)
	if !strings.HasPrefix(sigB64, "AQAA") {
		t.Fatalf("forged signature is %s", sigB64)
	}
	msg := "any challenge at all"
	if !ed25519.Verify(identity, []byte(msg), sig) {
		t.Fatal("crypto/ed25519 no longer accepts the forgery; this test shows nothing")
	}
	if err := domain.VerifyChallenge(identity, msg, sigB64); err == nil {
		t.Error("challenge verified under the identity key")
	}
	claim := domain.PluginClaim{ID: "p", Name: "P", Version: "1.0.0", Description: "d"}
	if err := domain.VerifyPlugin(identity, claim, sigB64); err == nil {
		t.Error("plugin signature verified under the identity key")
	}
	for _, tt := range smallOrderEncodings {
		if err := domain.VerifyChallenge(mustHex(t, tt.hex), msg, sigB64); err == nil {
			t.Errorf("%s: verified", tt.name)
		}
	}
}
