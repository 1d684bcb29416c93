package domain_test

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/pfn-network/pfn/domain"
)

// vectors are keys, challenges and plugin entries signed by Node's crypto
// over JSON.stringify output (testdata/ed25519-js-interop.json).
type vectors struct {
	Keys []struct {
		Name         string `json:"name"`
		PublicKeyPEM string `json:"public_key_pem"`
		PublicKeyRaw string `json:"public_key_raw_base64"`
	} `json:"keys"`
	Challenges []struct {
		Key       string `json:"key"`
		Challenge string `json:"challenge"`
		Signature string `json:"signature"`
	} `json:"challenges"`
	Plugins []struct {
		Key              string `json:"key"`
		Slug             string `json:"slug"`
		Name             string `json:"name"`
		Version          string `json:"version"`
		ShortDescription string `json:"short_description"`
		SignedMessage    string `json:"signed_message"`
		Signature        string `json:"signature"`
		ExpectValid      bool   `json:"expect_valid"`
	} `json:"plugins"`
}

func loadVectors(t *testing.T) (vectors, map[string]ed25519.PublicKey) {
	t.Helper()
	raw, err := os.ReadFile("testdata/ed25519-js-interop.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	keys := map[string]ed25519.PublicKey{}
	for _, k := range v.Keys {
		fromPEM, err := domain.ParsePublicKey(k.PublicKeyPEM)
		if err != nil {
			t.Fatalf("key %s PEM: %v", k.Name, err)
		}
		fromRaw, err := domain.ParsePublicKey(k.PublicKeyRaw)
		if err != nil {
			t.Fatalf("key %s raw: %v", k.Name, err)
		}
		if !fromPEM.Equal(fromRaw) {
			t.Fatalf("key %s: PEM and raw forms parse to different keys", k.Name)
		}
		keys[k.Name] = fromPEM
	}
	if len(keys) == 0 || len(v.Challenges) == 0 || len(v.Plugins) == 0 {
		t.Fatal("interop vectors are empty")
	}
	return v, keys
}

func TestInteropChallengesVerify(t *testing.T) {
	v, keys := loadVectors(t)
	for _, c := range v.Challenges {
		if err := domain.VerifyChallenge(keys[c.Key], c.Challenge, c.Signature); err != nil {
			t.Errorf("challenge %q with %s: %v", c.Challenge, c.Key, err)
		}
		if err := domain.VerifyChallenge(keys[c.Key], c.Challenge+"x", c.Signature); !errors.Is(err, domain.ErrBadSignature) {
			t.Errorf("altered challenge %q verified: %v", c.Challenge, err)
		}
	}
}

func TestInteropPluginSignaturesVerifyAsLabelled(t *testing.T) {
	v, keys := loadVectors(t)
	for _, p := range v.Plugins {
		t.Run(p.Slug, func(t *testing.T) {
			claim := domain.PluginClaim{ID: p.Slug, Name: p.Name, Version: p.Version, Description: p.ShortDescription}
			if got := string(claim.SignedMessage()); got != p.SignedMessage {
				t.Fatalf("signed bytes differ from JSON.stringify:\n got %s\nwant %s", got, p.SignedMessage)
			}
			err := domain.VerifyPlugin(keys[p.Key], claim, p.Signature)
			switch {
			case p.ExpectValid && err != nil:
				t.Fatalf("labelled valid, did not verify: %v", err)
			case !p.ExpectValid && !errors.Is(err, domain.ErrBadSignature):
				t.Fatalf("labelled invalid, got %v", err)
			}
		})
	}
}

func TestSignedMessageEscapesLikeJavaScript(t *testing.T) {
	tests := []struct {
		desc string
		want string
	}{
		{"<script>&</script>", `"<script>&</script>"`},
		{"line\u2028para\u2029", "\"line\u2028para\u2029\""},
		{"\x00\x01\x1f\x7f", `"\u0000\u0001\u001f` + "\x7f" + `"`},
		{"\b\f\n\r\t", `"\b\f\n\r\t"`},
		{`quote " back \`, `"quote \" back \\"`},
		{"bad \xff byte", "\"bad \uFFFD byte\""},
		{"emoji 🚀", `"emoji 🚀"`},
	}
	for _, tt := range tests {
		got := string(domain.PluginClaim{Description: tt.desc}.SignedMessage())
		want := `{"id":"","name":"","version":"","description":` + tt.want + `}`
		if got != want {
			t.Errorf("description %q:\n got %s\nwant %s", tt.desc, got, want)
		}
	}
}

func TestVerifyRejectsMalformedSignatures(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	claim := domain.PluginClaim{ID: "p", Name: "P", Version: "1.0.0"}
	good := ed25519.Sign(priv, claim.SignedMessage())
	tests := map[string]string{
		"empty":         "",
		"not base64":    "%%%",
		"short":         "AAAA",
		"wrong message": b64(ed25519.Sign(priv, []byte("other"))),
		"trailing":      b64(append(good, 0)),
	}
	for name, sig := range tests {
		if err := domain.VerifyPlugin(pub, claim, sig); !errors.Is(err, domain.ErrBadSignature) {
			t.Errorf("%s: %v, want ErrBadSignature", name, err)
		}
	}
	if err := domain.VerifyPlugin(pub, claim, b64(good)); err != nil {
		t.Fatalf("good signature: %v", err)
	}
}

func FuzzSignedMessageIsJSON(f *testing.F) {
	f.Add("plugin-0", "Plugin & Co", "1.0.0", "Tips <b>\"x\"</b>\n\u2028")
	f.Add("", "", "", "\x00\xff")
	f.Fuzz(func(t *testing.T, id, name, version, desc string) {
		msg := domain.PluginClaim{ID: id, Name: name, Version: version, Description: desc}.SignedMessage()
		var back struct{ ID, Name, Version, Description string }
		if err := json.Unmarshal(msg, &back); err != nil {
			t.Fatalf("signed message %q is not JSON: %v", msg, err)
		}
		// Decoding gives back the input, each invalid byte replaced by U+FFFD.
		for _, pair := range [][2]string{{back.ID, id}, {back.Name, name}, {back.Version, version}, {back.Description, desc}} {
			if pair[0] != validRunes(pair[1]) {
				t.Fatalf("round trip of %q gave %q", pair[1], pair[0])
			}
		}
	})
}
