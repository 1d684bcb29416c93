package domain_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/domain"
)

// TestPluginSignatureV2JSVectors: Go rebuilds the bytes JavaScript's
// JSON.stringify signed (testdata/plugin-signature-v2-js-vectors.json, made
// by scripts/vectors/plugin-signature-v2.mjs) and verifies Node's
// signatures over them; docs/protocol.md shows the first vector.
func TestPluginSignatureV2JSVectors(t *testing.T) {
	var file struct {
		PublicKey string `json:"public_key_raw_base64"`
		Vectors   []struct {
			Slug, Name, Version string
			Description         string `json:"short_description"`
			SHA256              string `json:"sha256"`
			Size                int64  `json:"size"`
			SignedMessage       string `json:"signed_message"`
			Signature           string `json:"signature_v2"`
		} `json:"vectors"`
	}
	readTestdata(t, "plugin-signature-v2-js-vectors.json", &file)
	if len(file.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	key, err := domain.ParsePublicKey(file.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	first := file.Vectors[0]
	wantInProtocolDoc(t, file.PublicKey, first.SignedMessage, first.Signature)
	for _, v := range file.Vectors {
		t.Run(v.Slug, func(t *testing.T) {
			c := domain.PluginBytesClaim{PluginClaim: domain.PluginClaim{ID: v.Slug, Name: v.Name, Version: v.Version,
				Description: v.Description}, SHA256: v.SHA256, Size: v.Size}
			if got := string(c.SignedMessage()); got != v.SignedMessage {
				t.Fatalf("Go bytes\n%q\nJavaScript bytes\n%q", got, v.SignedMessage)
			}
			if err := domain.VerifyPluginBytes(key, c, v.Signature); err != nil {
				t.Fatalf("Node's signature does not verify: %v", err)
			}
			c.Size++
			if err := domain.VerifyPluginBytes(key, c, v.Signature); err == nil && c.Size <= domain.MaxAttestedSize {
				t.Fatal("the signature verifies for another size")
			}
		})
	}
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestPluginBytesClaimRefusesWhatJavaScriptCannotSay(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	tests := []struct {
		name   string
		sha256 string
		size   int64
	}{
		{"negative size", sum("x"), -1},
		{"size beyond 2^53-1", sum("x"), domain.MaxAttestedSize + 1},
		{"upper-case sha256", strings.ToUpper(sum("x")), 1},
		{"short sha256", sum("x")[:63], 1},
		{"not hex", strings.Repeat("g", 64), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := domain.PluginBytesClaim{PluginClaim: domain.PluginClaim{ID: "p", Version: "1.0.0"}, SHA256: tt.sha256, Size: tt.size}
			sig := b64(ed25519.Sign(priv, c.SignedMessage())) // signed, yet refused
			if err := domain.VerifyPluginBytes(pub, c, sig); !errors.Is(err, domain.ErrInvalidInput) {
				t.Fatalf("VerifyPluginBytes = %v, want ErrInvalidInput", err)
			}
		})
	}
}

func TestAttestBytes(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	_, other, _ := ed25519.GenerateKey(nil)
	claim := domain.PluginClaim{ID: "tool", Name: "Tool", Version: "1.0.0", Description: "<a> & b"}
	good := domain.ServedBytes{SHA256: sum("good"), Size: 4}
	sign := func(key ed25519.PrivateKey, b domain.ServedBytes) string {
		c := domain.PluginBytesClaim{PluginClaim: claim, SHA256: b.SHA256, Size: b.Size}
		return b64(ed25519.Sign(key, c.SignedMessage()))
	}
	swapped := domain.ServedBytes{SHA256: sum("evil"), Size: 4}
	tests := []struct {
		name        string
		signature   string
		listed, got domain.ServedBytes
		want        domain.BytesAttester
		wantErr     string
	}{
		{"v1 only: the node vouches", "", good, swapped, domain.AttestedByNode, ""},
		{"v2 over the downloaded bytes", sign(priv, good), good, good, domain.AttestedByPublisher, ""},
		{"asset host serves other bytes", sign(priv, good), good, swapped, domain.BytesAttester{}, "the asset host serves other bytes"},
		{"other size", sign(priv, good), good, domain.ServedBytes{SHA256: good.SHA256, Size: 5}, domain.BytesAttester{}, "5 bytes"},
		{"listing and bytes agree, signature over others", sign(priv, swapped), good, good, domain.BytesAttester{}, "signature does not verify"},
		{"signed by another key", sign(other, good), good, good, domain.BytesAttester{}, "signature does not verify"},
		{"not base64", "!!", good, good, domain.BytesAttester{}, "not base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.AttestBytes(pub, claim, tt.signature, tt.listed, tt.got)
			if got != tt.want {
				t.Errorf("attested by %q, want %q", got, tt.want)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("err = %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("err = %v, want one saying %q", err, tt.wantErr)
			}
		})
	}
}

func TestAttestationPolicyRefusal(t *testing.T) {
	tests := []struct {
		name   string
		policy domain.AttestationPolicy
		hasV2  bool
		want   string // a part of the reason; "" for none
	}{
		{"v1 publisher, node takes v1", domain.AttestationPolicy{}, false, ""},
		{"v2 entry always passes", domain.AttestationPolicy{Announced: true, Required: true}, true, ""},
		{"announced but missing", domain.AttestationPolicy{Announced: true}, false, "announces plugin-signature-v2"},
		{"node requires attested bytes", domain.AttestationPolicy{Required: true}, false, "PFN_REQUIRE_ATTESTED_BYTES"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.policy.Refusal(tt.hasV2)
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Fatalf("Refusal = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestBytesAttesterText(t *testing.T) {
	for _, a := range []domain.BytesAttester{domain.AttestedByPublisher, domain.AttestedByNode} {
		text, _ := a.MarshalText()
		var back domain.BytesAttester
		if err := back.UnmarshalText(text); err != nil || back != a {
			t.Errorf("%v round trip = %v, %v", a, back, err)
		}
	}
	var a domain.BytesAttester
	if err := a.UnmarshalText([]byte("someone")); !errors.Is(err, domain.ErrInvalidInput) {
		t.Errorf("unknown attester: %v", err)
	}
}

func TestRecordMirroredSaysWhoAttests(t *testing.T) {
	tests := []struct {
		name, signatureV2 string
		want              domain.BytesAttester
	}{
		{"v1", "", domain.AttestedByNode},
		{"v2", "c2ln", domain.AttestedByPublisher},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := domain.NewPluginHistory("s", "p")
			// A caller's claim of the attester is overruled by the signature.
			h.RecordMirrored(domain.PluginMirrored{SourceID: "s", Plugin: "p", Version: "1.0.0",
				PublisherSignatureV2: tt.signatureV2, BytesAttestedBy: domain.AttestedByPublisher})
			e := h.Changes()[0].(domain.PluginMirrored)
			if e.BytesAttestedBy != tt.want {
				t.Fatalf("recorded %v, want %v", e.BytesAttestedBy, tt.want)
			}
		})
	}
}
