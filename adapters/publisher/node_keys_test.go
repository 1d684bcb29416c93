package publisher

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseNodeKeys(t *testing.T) {
	t.Parallel()
	key := strings.Repeat("A", 43) + "="
	tests := []struct {
		name    string
		body    string
		want    []NodeKey
		wantMsg string // "" when it parses
	}{
		{name: "a publisher", body: `{` + infoAssets + `}`},
		{name: "node_keys, current first", body: `{` + infoAssets + `,"key_id":"k2","public_key":"` + key + `","node_keys":[{"key_id":"k2","public_key":"` + key + `","valid_from":"x","valid_until":null},{"key_id":"k1","public_key":"old"}]}`,
			want: []NodeKey{{"k2", key}, {"k1", "old"}}},
		{name: "only the top-level pair", body: `{` + infoAssets + `,"key_id":"k1","public_key":"` + key + `"}`, want: []NodeKey{{"k1", key}}},
		// A publisher may use the names for something else: not held against it.
		{name: "a publisher's public_key alone", body: `{` + infoAssets + `,"public_key":"` + key + `"}`},
		{name: "a publisher's odd key_id", body: `{` + infoAssets + `,"key_id":7,"public_key":"` + key + `"}`},
		{name: "node_keys not an array", body: `{` + infoAssets + `,"node_keys":{}}`, wantMsg: `"node_keys" is an object, want an array`},
		{name: "a node key not an object", body: `{` + infoAssets + `,"node_keys":["k"]}`, wantMsg: `"node_keys[0]" is not an object`},
		{name: "a node key without its key", body: `{` + infoAssets + `,"node_keys":[{"key_id":"k"}]}`, wantMsg: `"node_keys[0]" has no "public_key"`},
		{name: "a key too long", body: `{` + infoAssets + `,"node_keys":[{"key_id":"k","public_key":"` + strings.Repeat("k", maxAnnouncedKeyBytes+1) + `"}]}`, wantMsg: "the cap is 512"},
		{name: "too many keys", body: `{` + infoAssets + `,"node_keys":[` + strings.Repeat(`{"key_id":"k","public_key":"p"},`, maxNodeKeys) + `{"key_id":"k","public_key":"p"}]}`, wantMsg: `"node_keys" lists 65 keys`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			info, err := parseFederationInfo([]byte(tt.body))
			if tt.wantMsg != "" {
				if !errors.Is(err, ErrIncompatible) || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("error %v, want ErrIncompatible saying %q", err, tt.wantMsg)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(info.NodeKeys, tt.want) {
				t.Fatalf("NodeKeys = %+v, %v; want %+v", info.NodeKeys, err, tt.want)
			}
		})
	}
}

func TestParseIDs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		body    string
		limit   int
		want    []string
		wantMsg string
	}{
		{name: "envelope", body: `{"sources":[{"id":"a@h"},{"id":"b@h"}]}`, limit: 10, want: []string{"a@h", "b@h"}},
		{name: "bare array", body: ` [{"id":"a@h"}]`, limit: 10, want: []string{"a@h"}},
		{name: "distinct, first seen first, at most limit", body: `{"sources":[{"id":"b"},{"id":"a"},{"id":"b"},{"id":"c"}]}`, limit: 2, want: []string{"b", "a"}},
		{name: "empty", body: `{"sources":[]}`, limit: 10, want: nil},
		{name: "no member", body: `{"plugins":[]}`, limit: 10, wantMsg: `no "sources"`},
		{name: "a row without id", body: `{"sources":[{"name":"x"}]}`, limit: 10, wantMsg: `sources[0] has no "id"`},
		{name: "an id too long", body: `{"sources":[{"id":"` + strings.Repeat("x", maxSourceIDBytes+1) + `"}]}`, limit: 10, wantMsg: "1 to 512 bytes"},
		{name: "an id not a string", body: `{"sources":[{"id":1}]}`, limit: 10, wantMsg: `"id" is a number`},
		{name: "not JSON", body: `<html>`, limit: 10, wantMsg: "not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseIDs([]byte(tt.body), "sources", "id", tt.limit)
			if tt.wantMsg != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("error %v, want one saying %q", err, tt.wantMsg)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("parseIDs = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// A node's listing is outside input: parsing it never panics and never
// gives more than asked for.
func FuzzParseIDs(f *testing.F) {
	for _, seed := range []string{`{"sources":[{"id":"a@h"}]}`, `[{"id":"a"},{"id":"a"}]`, `{"sources":null}`, `[`, `{"sources":[1]}`} {
		f.Add([]byte(seed), 2)
	}
	f.Fuzz(func(t *testing.T, body []byte, limit int) {
		ids, err := parseIDs(body, "sources", "id", limit)
		if err == nil && limit > 0 && len(ids) > limit {
			t.Fatalf("%d ids, limit %d", len(ids), limit)
		}
	})
}

// FuzzParseNodeKeys feeds arbitrary bytes as a node_keys member: no panic,
// every error is ErrIncompatible on one line, and keys that parse are
// within their caps.
func FuzzParseNodeKeys(f *testing.F) {
	for _, s := range []string{
		`[{"key_id":"k","public_key":"p"}]`, `null`, `"x"`, `[]`, `[{}]`, `[1]`, `[{"key_id":null,"public_key":1}]`,
		`[{"key_id":"k","public_key":"` + strings.Repeat("p", 600) + `"}]`, "[{\"key_id\":\"\xff\",\"public_key\":\"p\"}]",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, member []byte) {
		body := append([]byte(`{`+infoAssets+`,"node_keys":`), member...)
		info, err := parseFederationInfo(append(body, '}'))
		if err != nil {
			if !errors.Is(err, ErrIncompatible) || strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("error %q", err)
			}
			return
		}
		if len(info.NodeKeys) > maxNodeKeys {
			t.Fatalf("%d keys parsed", len(info.NodeKeys))
		}
		for _, k := range info.NodeKeys {
			if k.KeyID == "" || k.PublicKey == "" || len(k.KeyID) > maxKeyIDBytes || len(k.PublicKey) > maxAnnouncedKeyBytes {
				t.Fatalf("key %+v parsed outside its caps", k)
			}
		}
	})
}
