package publisher

import (
	"errors"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/internal/tlogtiles"
)

func TestParseLogInfo(t *testing.T) {
	const logFeature = `"features":["pfn-node/v1","transparency-log"],`
	tests := []struct {
		name    string
		body    string
		want    *LogInfo
		wantMsg string // "" when it parses
	}{
		{name: "no feature, no log", body: `{` + infoAssets + `}`},
		{name: "a log without the feature is not read", body: `{` + infoAssets + `,"log":{"origin":"has space"}}`},
		{name: "announced", body: `{` + logFeature + infoAssets + `,"log":{"origin":"pfn/0123456789abcdef","verifier_key":"pfn/0123456789abcdef+1a2b3c4d+AQ==","checkpoint":"https://b.example/federation/log/checkpoint","x":1}}`,
			want: &LogInfo{Origin: "pfn/0123456789abcdef", VerifierKey: "pfn/0123456789abcdef+1a2b3c4d+AQ==", Checkpoint: "https://b.example/federation/log/checkpoint"}},
		{name: "the feature without a log", body: `{` + logFeature + infoAssets + `}`, wantMsg: `the "transparency-log" feature comes without "log"`},
		{name: "log not an object", body: `{` + logFeature + infoAssets + `,"log":"pfn/x"}`, wantMsg: `"log" is a string, want an object`},
		{name: "no origin", body: `{` + logFeature + infoAssets + `,"log":{}}`, wantMsg: `"log" has no "origin"`},
		{name: "origin with a space", body: `{` + logFeature + infoAssets + `,"log":{"origin":"pfn x"}}`, wantMsg: `log origin "pfn x"`},
		{name: "origin with a plus", body: `{` + logFeature + infoAssets + `,"log":{"origin":"pfn+x"}}`, wantMsg: `log origin "pfn+x"`},
		{name: "origin too long", body: `{` + logFeature + infoAssets + `,"log":{"origin":"` + strings.Repeat("o", tlogtiles.MaxOrigin+1) + `"}}`,
			wantMsg: `want a name of 1 to 256 bytes`},
		{name: "origin at the cap", body: `{` + logFeature + infoAssets + `,"log":{"origin":"` + strings.Repeat("o", tlogtiles.MaxOrigin) + `"}}`,
			want: &LogInfo{Origin: strings.Repeat("o", tlogtiles.MaxOrigin)}},
		{name: "checkpoint URL too long", body: `{` + logFeature + infoAssets + `,"log":{"origin":"o","checkpoint":"` + strings.Repeat("c", maxLogMember+1) + `"}}`,
			wantMsg: `"checkpoint" in "log" is 2049 bytes, the cap is 2048`},
		{name: "verifier key a number", body: `{` + logFeature + infoAssets + `,"log":{"origin":"o","verifier_key":1}}`, wantMsg: `"verifier_key" is a number`},
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
			if (info.Log == nil) != (tt.want == nil) || (tt.want != nil && *info.Log != *tt.want) {
				t.Fatalf("log %+v, want %+v", info.Log, tt.want)
			}
		})
	}
}

// FuzzParseLogInfo feeds arbitrary bytes as the log member of a node that
// announces one: no panic, every error ErrIncompatible on one line, and a
// log that parses has a valid origin within the caps.
func FuzzParseLogInfo(f *testing.F) {
	for _, s := range []string{`{"origin":"pfn/abc"}`, `null`, `"x"`, `{}`, `{"origin":"a b"}`, `{"origin":"\u00ff"}`,
		"{\"origin\":\"\xff\"}", `{"origin":"o","checkpoint":[]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, member []byte) {
		body := append([]byte(`{"features":["transparency-log"],`+infoAssets+`,"log":`), member...)
		info, err := parseFederationInfo(append(body, '}'))
		if err != nil {
			if !errors.Is(err, ErrIncompatible) || strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("error %q", err)
			}
			return
		}
		l := info.Log
		if l == nil || tlogtiles.ValidOrigin(l.Origin) != nil || len(l.Origin) > tlogtiles.MaxOrigin || len(l.VerifierKey) > maxLogMember ||
			len(l.Checkpoint) > maxLogMember {
			t.Fatalf("log %+v parsed outside its rules", l)
		}
	})
}

func TestLogIndexMember(t *testing.T) {
	entry := func(logIndex string) string {
		return `{"slug":"s","name":"n","version":"1.0.0","signature":"c2ln"` + logIndex + `}`
	}
	tests := []struct {
		name, entry string
		want        int64 // -1: nil
		invalid     string
	}{
		{"absent", entry(""), -1, ""},
		{"null", entry(`,"log_index":null`), -1, ""},
		{"zero", entry(`,"log_index":0`), 0, ""},
		{"a number", entry(`,"log_index":4711`), 4711, ""},
		{"negative", entry(`,"log_index":-1`), -1, `"log_index" is negative`},
		{"a fraction", entry(`,"log_index":1.5`), -1, `"log_index" is 1.5, want a whole number`},
		{"a string", entry(`,"log_index":"3"`), -1, `"log_index" is a string, want a number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := parsePlugin([]byte(tt.entry))
			if !strings.Contains(p.Invalid, tt.invalid) || (tt.invalid == "") != (p.Invalid == "") {
				t.Fatalf("invalid %q, want %q", p.Invalid, tt.invalid)
			}
			if tt.invalid != "" {
				return
			}
			if (p.LogIndex == nil) != (tt.want < 0) || (p.LogIndex != nil && *p.LogIndex != tt.want) {
				t.Fatalf("log index %v, want %d", p.LogIndex, tt.want)
			}
		})
	}
}
