package publisher

import (
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/domain"
)

func TestParsePlugin(t *testing.T) {
	t.Parallel()
	const base = `"slug":"s","name":"n","version":"1","signature":"sig"`
	ok := Plugin{Slug: "s", Name: "n", Version: "1", Signature: "sig"}
	with := func(f func(*Plugin)) Plugin {
		p := ok
		f(&p)
		return p
	}
	tests := []struct {
		name, entry string
		want        Plugin
	}{
		{"minimal", `{` + base + `}`, ok},
		{"nulls are absent", `{` + base + `,"tags":null,"icons":null,"rating":null,"sha256":null,"short_description":null}`, ok},
		{"tags object by key", `{` + base + `,"tags":{"b":"two","a":"one","c":"three"}}`, with(func(p *Plugin) { p.Tags = []string{"one", "two", "three"} })},
		{"tags array as sent", `{` + base + `,"tags":["z","a"]}`, with(func(p *Plugin) { p.Tags = []string{"z", "a"} })},
		{"empty tags", `{` + base + `,"tags":{}}`, with(func(p *Plugin) { p.Tags = []string{} })},
		{"installs as 1e3", `{` + base + `,"active_installs":1e3}`, with(func(p *Plugin) { p.ActiveInstalls = 1000 })},
		{"installs as 5.0", `{` + base + `,"active_installs":5.0}`, with(func(p *Plugin) { p.ActiveInstalls = 5 })},
		{"rating integer", `{` + base + `,"rating":4}`, with(func(p *Plugin) { p.Rating = 4 })},
		{"sha256 upper-case", `{` + base + `,"sha256":"` + strings.Repeat("AB", 32) + `"}`, with(func(p *Plugin) { p.SHA256 = strings.Repeat("ab", 32) })},
		{"empty sha256 is absent", `{` + base + `,"sha256":""}`, ok},
		{"unknown fields", `{` + base + `,"downloads":[1],"author":{"x":1}}`, ok},
		{"missing signature", `{"slug":"s","name":"n","version":"1"}`, Plugin{Slug: "s", Name: "n", Version: "1", Invalid: `missing "signature"`}},
		{"everything missing", `{}`, Plugin{Invalid: `missing "slug"; missing "name"; missing "version"; missing "signature"`}},
		{"slug a number", `{"slug":5,"name":"n","version":"1","signature":"sig"}`, Plugin{Name: "n", Version: "1", Signature: "sig", Invalid: `"slug" is a number, want a string`}},
		{"tags a string", `{` + base + `,"tags":"utilities"}`, with(func(p *Plugin) { p.Invalid = `"tags" is a string, want an object or an array of strings` })},
		{"tag value a number", `{` + base + `,"tags":{"a":1}}`, with(func(p *Plugin) { p.Invalid = `"tags.a" is a number, want a string` })},
		{"tag element an object", `{` + base + `,"tags":["a",{}]}`, with(func(p *Plugin) { p.Invalid = `"tags[1]" is an object, want a string` })},
		{"icons an array", `{` + base + `,"icons":["a"]}`, with(func(p *Plugin) { p.Invalid = `"icons" is an array, want an object` })},
		{"rating a string", `{` + base + `,"rating":"4.5"}`, with(func(p *Plugin) { p.Invalid = `"rating" is a string, want a number` })},
		{"rating out of range", `{` + base + `,"rating":1e400}`, with(func(p *Plugin) { p.Invalid = `"rating" is out of range` })},
		{"installs fractional", `{` + base + `,"active_installs":1.5}`, with(func(p *Plugin) { p.Invalid = `"active_installs" is 1.5, want a whole number below 2^63` })},
		{"installs negative", `{` + base + `,"active_installs":-1}`, with(func(p *Plugin) { p.Invalid = `"active_installs" is negative` })},
		{"installs too big", `{` + base + `,"active_installs":9223372036854775808}`, with(func(p *Plugin) {
			p.Invalid = `"active_installs" is 9223372036854775808, want a whole number below 2^63`
		})},
		{"installs a string", `{` + base + `,"active_installs":"1000"}`, with(func(p *Plugin) { p.Invalid = `"active_installs" is a string, want a number` })},
		{"signature_v2 with sha256 and size", `{` + base + `,"signature_v2":"v2","sha256":"` + strings.Repeat("ab", 32) + `","size":4096}`,
			with(func(p *Plugin) { p.SignatureV2, p.SHA256, p.Size = "v2", strings.Repeat("ab", 32), 4096 })},
		{"signature_v2 with size 4.096e3", `{` + base + `,"signature_v2":"v2","sha256":"` + strings.Repeat("ab", 32) + `","size":4.096e3}`,
			with(func(p *Plugin) { p.SignatureV2, p.SHA256, p.Size = "v2", strings.Repeat("ab", 32), 4096 })},
		{"size without signature_v2 is not read", `{` + base + `,"size":"2 MB"}`, ok},
		{"signature_v2 without size", `{` + base + `,"signature_v2":"v2","sha256":"` + strings.Repeat("ab", 32) + `"}`,
			with(func(p *Plugin) {
				p.SHA256, p.Invalid = strings.Repeat("ab", 32), `"signature_v2" comes without "sha256" and "size", which it signs`
			})},
		{"signature_v2 without sha256", `{` + base + `,"signature_v2":"v2","size":1}`,
			with(func(p *Plugin) { p.Invalid = `"signature_v2" comes without "sha256" and "size", which it signs` })},
		{"signature_v2 with a size as a string", `{` + base + `,"signature_v2":"v2","sha256":"` + strings.Repeat("ab", 32) + `","size":"1"}`,
			with(func(p *Plugin) { p.SHA256, p.Invalid = strings.Repeat("ab", 32), `"size" is a string, want a number` })},
		{"signature_v2 with a size beyond 2^53-1", `{` + base + `,"signature_v2":"v2","sha256":"` + strings.Repeat("ab", 32) + `","size":9007199254740992}`,
			with(func(p *Plugin) {
				p.SHA256, p.Invalid = strings.Repeat("ab", 32), `"size" 9007199254740992 is beyond 2^53-1`
			})},
		{"signature_v2 that is a number", `{` + base + `,"signature_v2":1}`,
			with(func(p *Plugin) { p.Invalid = `"signature_v2" is a number, want a string` })},
		{"sha256 too short", `{` + base + `,"sha256":"abcd"}`, with(func(p *Plugin) { p.Invalid = `"sha256" is not 64 hex digits` })},
		{"sha256 not hex", `{` + base + `,"sha256":"` + strings.Repeat("zz", 32) + `"}`, with(func(p *Plugin) { p.Invalid = `"sha256" is not 64 hex digits` })},
		{"entry a string", `"plugin-id"`, Plugin{Invalid: "entry is a string, want an object"}},
		{"entry null", `null`, Plugin{Invalid: "entry is null, want an object"}},
		{"entry an array", `[]`, Plugin{Invalid: "entry is an array, want an object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := parsePlugin([]byte(tt.entry)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parsePlugin(%s) =\n%+v\nwant\n%+v", tt.entry, got, tt.want)
			}
		})
	}
}

func TestParseAuthorDataKeepsGoodPlugins(t *testing.T) {
	t.Parallel()
	body := `{"username":"u","plugins":[
		{"slug":"a","name":"A","version":"1","signature":"s1"},
		{"slug":"b","name":"B","version":"1"},
		42,
		{"slug":"c","name":"C","version":"1","signature":"s3","rating":"high"},
		{"slug":"d","name":"D","version":"2","signature":"s4"}
	]}`
	a, err := parseAuthorData([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	var valid, invalid []string
	for _, p := range a.Plugins {
		if p.Invalid == "" {
			valid = append(valid, p.Slug)
		} else {
			invalid = append(invalid, p.Slug+": "+p.Invalid)
		}
	}
	wantValid := []string{"a", "d"}
	wantInvalid := []string{`b: missing "signature"`, ": entry is a number, want an object", `c: "rating" is a string, want a number`}
	if !reflect.DeepEqual(valid, wantValid) || !reflect.DeepEqual(invalid, wantInvalid) {
		t.Errorf("valid %q, invalid %q; want %q and %q", valid, invalid, wantValid, wantInvalid)
	}
}

func TestParseAuthorDataNoPlugins(t *testing.T) {
	t.Parallel()
	for _, body := range []string{`{}`, `{"plugins":null}`, `{"plugins":[]}`} {
		a, err := parseAuthorData([]byte(body))
		if err != nil || a.Plugins != nil {
			t.Errorf("parseAuthorData(%s) = %+v, %v; want no plugins, no error", body, a, err)
		}
	}
}

// FuzzAuthorData feeds arbitrary bytes as an /author-data body: no panic,
// every error is ErrIncompatible, and every plugin not marked Invalid has
// what the node needs to verify it and stays within the field caps.
func FuzzAuthorData(f *testing.F) {
	seeds := []string{
		`{"username":"u","plugins":[{"slug":"s","name":"n","version":"1","signature":"sig","tags":{"a":"b"},"icons":{"1x":"i"},"rating":4.5,"active_installs":1000,"sha256":"` + strings.Repeat("A0", 32) + `"}]}`,
		`{"plugins":[{"slug":"s","name":"n","version":"1","signature":"sig","tags":["x","y"]}]}`,
		`{"plugins":[{"slug":"s"},null,1,"x",[],{"slug":{"a":1}}]}`,
		`{"plugins":{"a":1}}`,
		`{"plugins":[{"active_installs":1e308,"rating":-0,"tags":{"":""}}]}`,
		`{"username":"\ud800","plugins":[{"slug":"\u0000"}]}`,
		`[{"plugins":[]}]`,
		`null`,
		``,
		`{"a":` + strings.Repeat("[", 20000) + `}`,
		"{\"slug\":\"\xff\"}",
		`{} {}`,
		`{"plugins":[{"slug":"s","name":"n","version":"1","signature":"sig","signature_v2":"v2","sha256":"` + strings.Repeat("ab", 32) + `","size":4096}]}`,
		`{"plugins":[{"slug":"s","name":"n","version":"1","signature":"sig","signature_v2":"v2","sha256":"` + strings.Repeat("ab", 32) + `","size":-1}]}`,
		`{"plugins":[{"slug":"s","name":"n","version":"1","signature":"sig","signature_v2":"v2","size":1e300}]}`,
		// A node's listing (SPEC15 §2): publisher, provenance, yanked, source_status.
		`{"username":"u@h","source_status":{"status":"active"},"plugins":[{"slug":"s","name":"n","version":"1","signature":"sig","sha256":"` + strings.Repeat("ab", 32) + `","size":1,"publisher":{"source":"u@p","public_key":"k"},"provenance":[{"node":"n","node_key":"k","url":"http://a","source":"u@p","signature":"s"}],"yanked":{"reason":"r","at":"t"}}]}`,
		`{"source_status":{"status":"gone"},"plugins":[]}`,
		`{"plugins":[{"slug":"s","name":"n","version":"1","signature":"sig","provenance":[1,null,{"node":2}],"publisher":[]}]}`,
		`{"plugins":[{"slug":"s","name":"n","version":"1","signature":"sig","provenance":[` + strings.Repeat(`{},`, 20) + `{}]}]}`,
		`{"plugins":[{"slug":"s","name":"` + strings.Repeat("n", MaxNameChars+1) + `","version":"1","signature":"sig","tags":["` + strings.Repeat("t", MaxTagChars+1) + `"]}]}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := parseAuthorData(body)
		if err != nil {
			if !errors.Is(err, ErrIncompatible) {
				t.Fatalf("error %v does not wrap ErrIncompatible", err)
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("error %q is not one line", err)
			}
			return
		}
		for i, p := range a.Plugins {
			if p.Invalid != "" {
				continue
			}
			if p.Slug == "" || p.Name == "" || p.Version == "" || p.Signature == "" {
				t.Fatalf("plugin %d is valid without slug, name, version or signature: %+v", i, p)
			}
			if p.SHA256 != "" {
				if _, err := hex.DecodeString(p.SHA256); err != nil || len(p.SHA256) != 64 || strings.ToLower(p.SHA256) != p.SHA256 {
					t.Fatalf("plugin %d has sha256 %q", i, p.SHA256)
				}
			}
			if len(p.Provenance) > maxHops {
				t.Fatalf("plugin %d has %d hops, over the cap", i, len(p.Provenance))
			}
			if p.SignatureV2 != "" && (p.SHA256 == "" || p.Size < 0 || p.Size > domain.MaxAttestedSize) {
				t.Fatalf("plugin %d has a signature_v2 without a usable sha256 and size: %+v", i, p)
			}
			if p.ActiveInstalls < 0 {
				t.Fatalf("plugin %d has %d installs", i, p.ActiveInstalls)
			}
			if !withinCaps(p) {
				t.Fatalf("plugin %d is usable over a field cap: %+v", i, p)
			}
		}
	})
}
