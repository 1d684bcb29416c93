package domain_test

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/pfn-network/pfn/domain"
)

func TestCatalogChangeOfEvents(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	const src = domain.SourceID("pub@127.0.0.1:9000")
	cases := []struct {
		name string
		got  func() (domain.CatalogChange, bool)
		want domain.CatalogChange
		ok   bool
	}{
		{"mirrored", func() (domain.CatalogChange, bool) {
			return domain.PluginChange(domain.PluginMirrored{SourceID: src, Plugin: "p", Version: "1.0.0", SHA256: "ab", Size: 3, At: at})
		}, domain.CatalogChange{Kind: domain.ChangeVersionMirrored, Source: src, Plugin: "p", Version: "1.0.0", SHA256: "ab", Size: 3, At: at}, true},
		{"updated names the new version", func() (domain.CatalogChange, bool) {
			return domain.PluginChange(domain.PluginVersionUpdated{SourceID: src, Plugin: "p", From: "1.0.0", To: "1.1.0", At: at})
		}, domain.CatalogChange{Kind: domain.ChangeVersionUpdated, Source: src, Plugin: "p", Version: "1.1.0", At: at}, true},
		{"yanked", func() (domain.CatalogChange, bool) {
			return domain.PluginChange(domain.PluginYanked{SourceID: src, Plugin: "p", Version: "1.0.0", Reason: "malware", At: at})
		}, domain.CatalogChange{Kind: domain.ChangeVersionYanked, Source: src, Plugin: "p", Version: "1.0.0", Reason: "malware", At: at}, true},
		{"unyanked", func() (domain.CatalogChange, bool) {
			return domain.PluginChange(domain.PluginUnyanked{SourceID: src, Plugin: "p", Version: "1.0.0", Reason: "ok", At: at})
		}, domain.CatalogChange{Kind: domain.ChangeVersionUnyanked, Source: src, Plugin: "p", Version: "1.0.0", Reason: "ok", At: at}, true},
		{"pruned", func() (domain.CatalogChange, bool) {
			return domain.PluginChange(domain.PluginPruned{SourceID: src, Plugin: "p", Version: "0.9.0", Reason: "keep 1", At: at})
		}, domain.CatalogChange{Kind: domain.ChangeVersionPruned, Source: src, Plugin: "p", Version: "0.9.0", Reason: "keep 1", At: at}, true},
		{"a refusal changes no listing", func() (domain.CatalogChange, bool) {
			return domain.PluginChange(domain.PluginRejected{SourceID: src, Plugin: "p", Version: "1.0.0", At: at})
		}, domain.CatalogChange{}, false},
		{"suspended", func() (domain.CatalogChange, bool) {
			return domain.SourceChange(src, domain.SourceSuspended{Reason: "spam", At: at})
		}, domain.CatalogChange{Kind: domain.ChangeSourceSuspended, Source: src, Reason: "spam", At: at}, true},
		{"quarantined", func() (domain.CatalogChange, bool) {
			return domain.SourceChange(src, domain.SourceSuspended{Reason: "malware", Quarantine: true, At: at})
		}, domain.CatalogChange{Kind: domain.ChangeSourceQuarantine, Source: src, Reason: "malware", At: at}, true},
		{"resumed", func() (domain.CatalogChange, bool) {
			return domain.SourceChange(src, domain.SourceResumed{Reason: "fixed", At: at})
		}, domain.CatalogChange{Kind: domain.ChangeSourceResumed, Source: src, Reason: "fixed", At: at}, true},
		{"removed", func() (domain.CatalogChange, bool) {
			return domain.SourceChange(src, domain.SourceRemoved{Reason: "gone", At: at})
		}, domain.CatalogChange{Kind: domain.ChangeSourceRemoved, Source: src, Reason: "gone", At: at}, true},
		{"quarantined upstream", func() (domain.CatalogChange, bool) {
			return domain.SourceChange(src, domain.SourceUpstreamStatusChanged{Status: domain.UpstreamQuarantined, Reason: "malware", At: at})
		}, domain.CatalogChange{Kind: domain.ChangeSourceQuarantine, Source: src, Reason: "upstream: malware", At: at}, true},
		{"removed upstream", func() (domain.CatalogChange, bool) {
			return domain.SourceChange(src, domain.SourceUpstreamStatusChanged{Status: domain.UpstreamRemoved, Reason: "gone", At: at})
		}, domain.CatalogChange{Kind: domain.ChangeSourceRemoved, Source: src, Reason: "upstream: gone", At: at}, true},
		{"served again upstream", func() (domain.CatalogChange, bool) {
			return domain.SourceChange(src, domain.SourceUpstreamStatusChanged{At: at})
		}, domain.CatalogChange{Kind: domain.ChangeSourceResumed, Source: src, Reason: "upstream: serves the source again", At: at}, true},
		{"a health check changes no listing", func() (domain.CatalogChange, bool) {
			return domain.SourceChange(src, domain.SourceSynced{At: at})
		}, domain.CatalogChange{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.got()
			if ok != tc.ok || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
			if ok {
				back, err := domain.ParseChangeKind(got.Kind.String())
				if err != nil || back != got.Kind {
					t.Fatalf("kind %q does not round-trip: %v, %v", got.Kind, back, err)
				}
			}
		})
	}
	if _, err := domain.ParseChangeKind("version.deleted"); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("unknown kind: %v", err)
	}
}

func TestParseChangeCursor(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"42", 42, true}, {"007", 7, true}, {"9223372036854775807", 1<<63 - 1, true},
		{"", 0, false}, {"-1", 0, false}, {"+1", 0, false}, {" 1", 0, false}, {"1e3", 0, false},
		{"9223372036854775808", 0, false}, {"12345678901234567890", 0, false}, {"abc", 0, false}, {"٣", 0, false},
	}
	for _, tc := range cases {
		got, err := domain.ParseChangeCursor("after", tc.in)
		var fe *domain.FieldError
		switch {
		case tc.ok && (err != nil || got != tc.want):
			t.Errorf("ParseChangeCursor(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		case !tc.ok && (!errors.As(err, &fe) || fe.Field != "after" || !errors.Is(err, domain.ErrInvalidInput)):
			t.Errorf("ParseChangeCursor(%q) = %d, %v; want an invalid after", tc.in, got, err)
		}
	}
}

// FuzzParseChangeCursor: a cursor that parses is a number from 0 that
// prints back as the digits sent (leading zeros aside).
func FuzzParseChangeCursor(f *testing.F) {
	for _, s := range []string{"0", "17", "-3", "1e9", "9223372036854775808", "00042"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := domain.ParseChangeCursor("after", s)
		if err != nil {
			if !errors.Is(err, domain.ErrInvalidInput) {
				t.Fatalf("%q: %v is not invalid input", s, err)
			}
			return
		}
		if n < 0 {
			t.Fatalf("%q parsed to %d", s, n)
		}
		back := strconv.FormatInt(n, 10)
		if len(back) > len(s) || s[len(s)-len(back):] != back {
			t.Fatalf("%q parsed to %d", s, n)
		}
	})
}
