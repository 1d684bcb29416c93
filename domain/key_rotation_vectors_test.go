package domain_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/domain"
)

// TestKeyRotationJSVectors: rotation messages built and signed by Node's
// crypto (scripts/vectors/key-rotation.mjs) are the bytes Go builds, Go
// signs them the same way with the same key, the node accepts each
// announcement, and docs/protocol.md shows the first vector.
func TestKeyRotationJSVectors(t *testing.T) {
	raw, err := os.ReadFile("testdata/key-rotation-js-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Vectors []struct {
			InstanceURL string `json:"instance_url"`
			Username    string `json:"username"`
			Current     string `json:"current_public_key_raw_base64"`
			Seed        string `json:"current_seed_base64"`
			New         string `json:"new_public_key_raw_base64"`
			Message     string `json:"message"`
			Signature   string `json:"signature"`
		} `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	doc, err := os.ReadFile("../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	first := file.Vectors[0]
	for _, s := range []string{first.Current, first.New, first.Message, first.Signature} {
		if !strings.Contains(string(doc), s) {
			t.Errorf("docs/protocol.md does not show the first vector's %q", s)
		}
	}
	for _, v := range file.Vectors {
		current, err := domain.ParsePublicKey(v.Current)
		if err != nil {
			t.Fatal(err)
		}
		next, err := domain.ParsePublicKey(v.New)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := domain.KeyRotationMessage(v.InstanceURL, v.Username, next)
		if err != nil || string(msg) != v.Message {
			t.Fatalf("Go builds %q (%v), Node %q", msg, err, v.Message)
		}
		seed, err := base64.StdEncoding.DecodeString(v.Seed)
		if err != nil {
			t.Fatal(err)
		}
		priv := ed25519.NewKeyFromSeed(seed)
		if !priv.Public().(ed25519.PublicKey).Equal(current) {
			t.Fatalf("seed of %s gives another key", v.Current)
		}
		if got := base64.StdEncoding.EncodeToString(ed25519.Sign(priv, msg)); got != v.Signature {
			t.Errorf("Go signs %q as %s, Node as %s", v.Message, got, v.Signature)
		}
		st := domain.SourceState{InstanceURL: v.InstanceURL, Username: v.Username, PublicKey: current}
		got, err := domain.VerifyKeyRotation(st, domain.KeyRotation{PublicKey: v.New, Signature: v.Signature})
		if err != nil || !got.Equal(next) {
			t.Errorf("announcement of %s: %v", v.New, err)
		}
		st.Username += "x"
		if _, err := domain.VerifyKeyRotation(st, domain.KeyRotation{PublicKey: v.New, Signature: v.Signature}); err == nil {
			t.Errorf("announcement of %s verifies for another username", v.New)
		}
	}
}
