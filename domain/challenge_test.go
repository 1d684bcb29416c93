package domain_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/domain"
)

const goodNonce = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

func TestParseChallenge(t *testing.T) {
	tests := []struct {
		name      string
		challenge string
		ok        bool
	}{
		{"well formed", domain.ChallengePrefix + goodNonce, true},
		{"bare hex nonce (the old format)", goodNonce, false},
		{"empty", "", false},
		{"prefix only", domain.ChallengePrefix, false},
		{"upper-case hex", domain.ChallengePrefix + strings.ToUpper(goodNonce), false},
		{"short nonce", domain.ChallengePrefix + goodNonce[2:], false},
		{"long nonce", domain.ChallengePrefix + goodNonce + "00", false},
		{"not hex", domain.ChallengePrefix + "zz" + goodNonce[2:], false},
		{"trailing newline", domain.ChallengePrefix + goodNonce + "\n", false},
		{"other version", "pfn-ownership-challenge/v2 " + goodNonce, false},
		{"no space", strings.TrimSuffix(domain.ChallengePrefix, " ") + goodNonce, false},
		{"plugin claim", `{"id":"a","name":"A","version":"1.0.0","description":"d"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nonce, err := domain.ParseChallenge(tt.challenge)
			if tt.ok {
				if err != nil {
					t.Fatalf("ParseChallenge: %v", err)
				}
				back, err := domain.BuildChallenge(nonce)
				if err != nil || back != tt.challenge {
					t.Fatalf("BuildChallenge(parsed) = %q, %v; want %q", back, err, tt.challenge)
				}
				return
			}
			if !errors.Is(err, domain.ErrInvalidInput) {
				t.Fatalf("ParseChallenge(%q) = %x, %v; want ErrInvalidInput", tt.challenge, nonce, err)
			}
		})
	}
}

func TestBuildChallengeWantsThirtyTwoBytes(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33} {
		if _, err := domain.BuildChallenge(make([]byte, n)); !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("BuildChallenge(%d bytes) = %v, want ErrInvalidInput", n, err)
		}
	}
	c, err := domain.BuildChallenge(bytes.Repeat([]byte{0xab}, 32))
	if err != nil || c != domain.ChallengePrefix+strings.Repeat("ab", 32) {
		t.Fatalf("BuildChallenge = %q, %v", c, err)
	}
}

// FuzzParseChallenge: whatever parses as a challenge is not JSON at all, so
// a signature over a challenge can never pass for a signature over a plugin
// claim (whose signed bytes are a JSON object).
func FuzzParseChallenge(f *testing.F) {
	f.Add(domain.ChallengePrefix + goodNonce)
	f.Add(goodNonce)
	f.Add(`{"id":"a","name":"A","version":"1.0.0","description":"d"}`)
	f.Add(domain.ChallengePrefix + `{"id":"a"}`)
	f.Fuzz(func(t *testing.T, s string) {
		nonce, err := domain.ParseChallenge(s)
		if err != nil {
			return
		}
		if json.Valid([]byte(s)) {
			t.Fatalf("challenge %q is valid JSON", s)
		}
		var claim map[string]any
		if json.Unmarshal([]byte(s), &claim) == nil {
			t.Fatalf("challenge %q parses as a JSON object", s)
		}
		if strings.ContainsAny(s, "{}\"") {
			t.Fatalf("challenge %q holds JSON punctuation", s)
		}
		if back, err := domain.BuildChallenge(nonce); err != nil || back != s {
			t.Fatalf("challenge %q does not round-trip: %q, %v", s, back, err)
		}
	})
}

// TestChallengeJSVectors: challenges signed by Node's crypto
// (scripts/vectors/challenge.mjs) parse as challenges, verify with their
// keys, and stop verifying when one byte of the challenge changes.
func TestChallengeJSVectors(t *testing.T) {
	var file struct {
		Vectors []struct {
			PublicKey string `json:"public_key_raw_base64"`
			Challenge string `json:"challenge"`
			Signature string `json:"signature"`
		} `json:"vectors"`
	}
	readTestdata(t, "challenge-js-vectors.json", &file)
	if len(file.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	first := file.Vectors[0]
	wantInProtocolDoc(t, first.PublicKey, first.Challenge, first.Signature)
	for _, v := range file.Vectors {
		key, err := domain.ParsePublicKey(v.PublicKey)
		if err != nil {
			t.Fatalf("key %s: %v", v.PublicKey, err)
		}
		if _, err := domain.ParseChallenge(v.Challenge); err != nil {
			t.Errorf("vector challenge %q does not parse: %v", v.Challenge, err)
		}
		if err := domain.VerifyChallenge(key, v.Challenge, v.Signature); err != nil {
			t.Errorf("challenge %q: %v", v.Challenge, err)
		}
		altered := v.Challenge[:len(v.Challenge)-1] + "0"
		if altered == v.Challenge {
			altered = v.Challenge[:len(v.Challenge)-1] + "1"
		}
		if err := domain.VerifyChallenge(key, altered, v.Signature); !errors.Is(err, domain.ErrBadSignature) {
			t.Errorf("altered challenge %q: %v, want ErrBadSignature", altered, err)
		}
	}
}
