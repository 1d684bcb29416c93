package publisher

import (
	"errors"
	"strings"
	"testing"
)

const infoAssets = `"assetInfo":{"domain":"d","namingScheme":"n"}`

func TestParseKeyRotation(t *testing.T) {
	key := strings.Repeat("A", 43) + "="
	tests := []struct {
		name    string
		body    string
		want    *KeyRotation
		wantMsg string // "" when it parses
	}{
		{name: "none", body: `{` + infoAssets + `}`},
		{name: "null", body: `{` + infoAssets + `,"key_rotation":null}`},
		{name: "announced", body: `{` + infoAssets + `,"key_rotation":{"public_key":"` + key + `","signature":"c2ln","extra":1}}`,
			want: &KeyRotation{PublicKey: key, Signature: "c2ln"}},
		{name: "not an object", body: `{` + infoAssets + `,"key_rotation":"k"}`, wantMsg: `"key_rotation" is a string, want an object`},
		{name: "no signature", body: `{` + infoAssets + `,"key_rotation":{"public_key":"k"}}`, wantMsg: `"key_rotation" has no "signature"`},
		{name: "key a number", body: `{` + infoAssets + `,"key_rotation":{"public_key":1,"signature":"s"}}`, wantMsg: `in "key_rotation": "public_key" is a number`},
		{name: "key too long", body: `{` + infoAssets + `,"key_rotation":{"public_key":"` + strings.Repeat("k", maxAnnouncedKeyBytes+1) + `","signature":"s"}}`,
			wantMsg: `"public_key" in "key_rotation" is 513 bytes, the cap is 512`},
		{name: "signature too long", body: `{` + infoAssets + `,"key_rotation":{"public_key":"k","signature":"` + strings.Repeat("s", maxSignatureBytes+1) + `"}}`,
			wantMsg: `"signature" in "key_rotation" is 257 bytes, the cap is 256`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := parseFederationInfo([]byte(tt.body))
			if tt.wantMsg != "" {
				if !errors.Is(err, ErrIncompatible) || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("error %v, want ErrIncompatible saying %q", err, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (info.KeyRotation == nil) != (tt.want == nil) || (tt.want != nil && *info.KeyRotation != *tt.want) {
				t.Fatalf("key rotation %+v, want %+v", info.KeyRotation, tt.want)
			}
		})
	}
}

// FuzzParseKeyRotation feeds arbitrary bytes as a key_rotation member: no
// panic, every error is ErrIncompatible on one line, and an announcement
// that parses has both members within their caps.
func FuzzParseKeyRotation(f *testing.F) {
	for _, s := range []string{
		`{"public_key":"k","signature":"s"}`, `null`, `"x"`, `[]`, `{}`, `{"public_key":null,"signature":1}`,
		`{"public_key":"` + strings.Repeat("k", 600) + `","signature":"s"}`, "{\"public_key\":\"\xff\",\"signature\":\"s\"}",
		`{"public_key":"k","signature":"s"} {}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, member []byte) {
		body := append([]byte(`{`+infoAssets+`,"key_rotation":`), member...)
		info, err := parseFederationInfo(append(body, '}'))
		if err != nil {
			if !errors.Is(err, ErrIncompatible) || strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("error %q", err)
			}
			return
		}
		if r := info.KeyRotation; r != nil && (r.PublicKey == "" || r.Signature == "" ||
			len(r.PublicKey) > maxAnnouncedKeyBytes || len(r.Signature) > maxSignatureBytes) {
			t.Fatalf("announcement %+v parsed outside its caps", r)
		}
	})
}
