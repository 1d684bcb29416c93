package domain_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/pfn-network/pfn/domain"
)

func TestParseFilters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw string
		want      domain.Filters
	}{
		{"empty input", "", domain.Filters{}},
		{"whitespace", " \n", domain.Filters{}},
		{"null", "null", domain.Filters{}},
		{"empty object", "{}", domain.Filters{}},
		{"empty lists", `{"tags":[],"slugs":[],"exclude_tags":[]}`, domain.Filters{}},
		{"null lists", `{"tags":null,"slugs":null,"exclude_tags":null}`, domain.Filters{}},
		{"seed example", `{"tags": ["utilities", "productivity"]}`,
			domain.Filters{Tags: []string{"productivity", "utilities"}}},
		{"normalised", `{"tags":[" Utilities ","UTILITIES","dev"],"slugs":["Plugin-B "," plugin-a","Plugin-B"],"exclude_tags":["Beta","beta"]}`,
			domain.Filters{Tags: []string{"dev", "utilities"}, Slugs: []string{"Plugin-B", "plugin-a"}, ExcludeTags: []string{"beta"}}},
		{"unicode tags lower-cased", `{"tags":["ÉTÉ","été"]}`, domain.Filters{Tags: []string{"été"}}},
		{"escapes decoded", `{"slugs":["a\u002fb"]}`, domain.Filters{Slugs: []string{"a/b"}}},
		{"100 entries", `{"tags":[` + entries(100, true) + `]}`, domain.Filters{Tags: sortedEntries(100)}},
		{"200-byte entry", `{"slugs":["` + strings.Repeat("s", 200) + `"]}`, domain.Filters{Slugs: []string{strings.Repeat("s", 200)}}},
		{"200 bytes once trimmed", `{"slugs":["  ` + strings.Repeat("s", 200) + `  "]}`, domain.Filters{Slugs: []string{strings.Repeat("s", 200)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := domain.ParseFilters([]byte(tt.raw))
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ParseFilters(%q) = %#v, %v; want %#v", tt.raw, got, err, tt.want)
			}
		})
	}
}

func TestParseFiltersRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw, wantErr string
	}{
		{"not JSON", `{"tags":`, "not JSON"},
		{"array", `["utilities"]`, "must be an object"},
		{"string", `"utilities"`, "must be an object"},
		{"unknown key", `{"tag":["a"]}`, `"tag"`},
		{"key in another case", `{"Tags":["a"]}`, `"Tags"`},
		{"duplicate key", `{"tags":["a"],"tags":["b"]}`, `"tags" given twice`},
		{"tags as a string", `{"tags":"utilities"}`, "filters.tags must be an array"},
		{"slugs as an object", `{"slugs":{"a":"b"}}`, "filters.slugs must be an array"},
		{"number in tags", `{"tags":["a",1]}`, "filters.tags must be an array of strings, not one holding a number"},
		{"null in exclude_tags", `{"exclude_tags":[null]}`, "filters.exclude_tags must be an array of strings, not one holding null"},
		{"array in slugs", `{"slugs":[["a"]]}`, "filters.slugs must be an array of strings"},
		{"101 entries", `{"exclude_tags":[` + entries(101, true) + `]}`, "filters.exclude_tags has more than 100"},
		{"101 entries with duplicates", `{"tags":[` + entries(101, false) + `]}`, "filters.tags has more than 100"},
		{"201-byte entry", `{"slugs":["` + strings.Repeat("s", 201) + `"]}`, "filters.slugs entry 1 is longer than 200"},
		{"long once lower-cased", `{"tags":["` + strings.Repeat("Ⱥ", 100) + `"]}`, "filters.tags entry 1 is longer than 200"},
		{"empty entry", `{"tags":["a",""]}`, "filters.tags entry 2 is empty"},
		{"blank entry", `{"slugs":["  "]}`, "filters.slugs entry 1 is empty"},
		{"invalid UTF-8", "{\"tags\":[\"a\",\"b\xff\"]}", "filters.tags entry 2 is not valid UTF-8"},
		{"NUL", `{"slugs":["a\u0000b"]}`, "filters.slugs entry \"a\\x00b\" holds a control character"},
		{"newline inside", `{"tags":["a\nb"]}`, "control character"},
		{"trailing data", `{} {}`, "after the value"},
		{"trailing garbage", `{}x`, "after the value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := domain.ParseFilters([]byte(tt.raw))
			if !errors.Is(err, domain.ErrInvalidInput) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ParseFilters(%q) = %#v, %v; want ErrInvalidInput saying %q", truncated(tt.raw), got, err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q is not one line", err)
			}
		})
	}
}

func TestFiltersMatch(t *testing.T) {
	t.Parallel()
	parse := func(raw string) domain.Filters {
		f, err := domain.ParseFilters([]byte(raw))
		if err != nil {
			t.Fatalf("ParseFilters(%q): %v", raw, err)
		}
		return f
	}
	tests := []struct {
		name    string
		filters domain.Filters
		slug    string
		tags    []string
		want    bool
	}{
		{"empty filters match everything", domain.Filters{}, "p", nil, true},
		{"empty filters match tagged", domain.Filters{}, "p", []string{"x"}, true},
		{"any tag", parse(`{"tags":["utilities","productivity"]}`), "p", []string{"media", "productivity"}, true},
		{"no tag in common", parse(`{"tags":["utilities"]}`), "p", []string{"media"}, false},
		{"untagged plugin and tag filter", parse(`{"tags":["utilities"]}`), "p", nil, false},
		{"tags case-insensitive", parse(`{"tags":["Utilities"]}`), "p", []string{" UTILITIES"}, true},
		{"unnormalised filters still case-insensitive", domain.Filters{Tags: []string{"Utilities"}}, "p", []string{"utilities"}, true},
		{"slug allowed", parse(`{"slugs":["a","b"]}`), "b", nil, true},
		{"slug not allowed", parse(`{"slugs":["a","b"]}`), "c", nil, false},
		{"slugs case-sensitive", parse(`{"slugs":["a"]}`), "A", nil, false},
		{"excluded tag", parse(`{"exclude_tags":["beta"]}`), "p", []string{"stable", "BETA"}, false},
		{"not excluded", parse(`{"exclude_tags":["beta"]}`), "p", []string{"stable"}, true},
		{"exclude wins over tags", parse(`{"tags":["dev"],"exclude_tags":["beta"]}`), "p", []string{"dev", "beta"}, false},
		{"all three pass", parse(`{"tags":["dev"],"slugs":["p"],"exclude_tags":["beta"]}`), "p", []string{"dev"}, true},
		{"all three, wrong slug", parse(`{"tags":["dev"],"slugs":["p"],"exclude_tags":["beta"]}`), "q", []string{"dev"}, false},
		{"all three, no tag", parse(`{"tags":["dev"],"slugs":["p"],"exclude_tags":["beta"]}`), "p", []string{"ops"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.filters.Match(tt.slug, tt.tags); got != tt.want {
				t.Fatalf("%#v.Match(%q, %q) = %v, want %v", tt.filters, tt.slug, tt.tags, got, tt.want)
			}
		})
	}
}

func TestFiltersEqual(t *testing.T) {
	t.Parallel()
	parse := func(raw string) domain.Filters {
		f, err := domain.ParseFilters([]byte(raw))
		if err != nil {
			t.Fatalf("ParseFilters(%q): %v", raw, err)
		}
		return f
	}
	equal := [][2]string{
		{`{"tags":["b","A","a"]}`, `{"tags":["a","b"]}`},
		{`{"slugs":[" x","y"],"tags":[]}`, `{"slugs":["y","x"]}`},
		{`null`, `{}`},
		{``, `{"tags":null}`},
	}
	for _, p := range equal {
		if f, g := parse(p[0]), parse(p[1]); !f.Equal(g) || !g.Equal(f) {
			t.Errorf("%s and %s are not Equal: %#v, %#v", p[0], p[1], f, g)
		}
	}
	differ := [][2]string{
		{`{"tags":["a"]}`, `{"exclude_tags":["a"]}`},
		{`{"tags":["a"]}`, `{"slugs":["a"]}`},
		{`{"slugs":["A"]}`, `{"slugs":["a"]}`},
		{`{"tags":["a","b"]}`, `{"tags":["a"]}`},
		{`{}`, `{"tags":["a"]}`},
	}
	for _, p := range differ {
		if f, g := parse(p[0]), parse(p[1]); f.Equal(g) || g.Equal(f) {
			t.Errorf("%s and %s are Equal", p[0], p[1])
		}
	}
	if !(domain.Filters{Tags: []string{}}).Equal(domain.Filters{}) {
		t.Error("an empty list and no list differ")
	}
}

func TestFiltersJSONRoundTrip(t *testing.T) {
	t.Parallel()
	f, err := domain.ParseFilters([]byte(`{"tags":["B","a"],"exclude_tags":["c"]}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"tags":["a","b"],"exclude_tags":["c"]}`; string(b) != want {
		t.Fatalf("json.Marshal = %s, want %s", b, want)
	}
	if empty, _ := json.Marshal(domain.Filters{}); string(empty) != "{}" {
		t.Fatalf("empty filters marshal to %s", empty)
	}
}

func FuzzParseFilters(f *testing.F) {
	for _, s := range []string{"", "null", "{}", `{"tags":["Utilities"," dev ","dev"]}`,
		`{"slugs":["a","b"],"exclude_tags":["beta"]}`, `{"tags":"x"}`, `{"tags":[1]}`, `{"x":[]}`,
		"{\"tags\":[\"\xff\"]}", `{"tags":["a\u0000"]}`, `{"tags":["ǅ"]}`, `{"tags":[" ẞ "]}`} {
		f.Add([]byte(s), "a", "Dev")
	}
	f.Fuzz(func(t *testing.T, raw []byte, slug, tag string) {
		got, err := domain.ParseFilters(raw)
		if err != nil {
			if !errors.Is(err, domain.ErrInvalidInput) {
				t.Fatalf("error %v does not wrap ErrInvalidInput", err)
			}
			return
		}
		for key, list := range map[string][]string{"tags": got.Tags, "slugs": got.Slugs, "exclude_tags": got.ExcludeTags} {
			if list != nil && len(list) == 0 || len(list) > 100 {
				t.Fatalf("%s: %d entries (%#v)", key, len(list), list)
			}
			if !slices.IsSorted(list) || len(slices.Compact(slices.Clone(list))) != len(list) {
				t.Fatalf("%s not sorted and unique: %q", key, list)
			}
			for _, e := range list {
				if e == "" || len(e) > 200 || e != strings.TrimSpace(e) || !utf8.ValidString(e) || strings.ContainsFunc(e, unicode.IsControl) {
					t.Fatalf("%s entry %q is not normalised", key, e)
				}
				if key != "slugs" && e != strings.ToLower(e) {
					t.Fatalf("%s entry %q is not lower-case", key, e)
				}
			}
		}
		b, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		again, err := domain.ParseFilters(b)
		if err != nil || !again.Equal(got) || !got.Equal(again) {
			t.Fatalf("normalised filters %s parse to %#v, %v", b, again, err)
		}
		probes := [][]string{nil, {tag}, append(slices.Clone(got.Tags), tag), got.ExcludeTags}
		slugs := append([]string{slug}, got.Slugs...)
		for _, s := range slugs {
			for _, tags := range probes {
				if m := got.Match(s, tags); m != got.Match(s, tags) || m != again.Match(s, tags) {
					t.Fatalf("Match(%q, %q) is not deterministic", s, tags)
				}
			}
		}
		if !(domain.Filters{}).Match(slug, []string{tag}) {
			t.Fatal("empty filters refused a plugin")
		}
	})
}

// entries is n JSON strings: "t0", "t1", ... when distinct, else "t0" n times.
func entries(n int, distinct bool) string {
	list := make([]string, n)
	for i := range list {
		list[i] = `"t0"`
		if distinct {
			list[i] = fmt.Sprintf(`"t%d"`, i)
		}
	}
	return strings.Join(list, ",")
}

// sortedEntries is what entries(n, true) normalises to.
func sortedEntries(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("t%d", i)
	}
	slices.Sort(out)
	return out
}

func truncated(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
