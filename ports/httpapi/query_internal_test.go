package httpapi

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pfn-network/pfn/domain"
)

func FuzzValidateQuery(f *testing.F) {
	for _, s := range []string{"", "q=plugin", "q=%00", "source=%ff", "%ff=1", "a=1&b=%E2%82%AC", "a=%zz", "a;b=c", "x=+%2B&&y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		err := validateQuery(raw)
		if err != nil {
			if !errors.Is(err, domain.ErrInvalidInput) {
				t.Fatalf("validateQuery(%q) = %v, not an invalid-input error", raw, err)
			}
			return
		}
		// Accepted: every name and value a handler can read is usable text.
		values, _ := url.ParseQuery(raw)
		for name, vs := range values {
			for _, s := range append(vs, name) {
				if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
					t.Fatalf("validateQuery(%q) accepted %q", raw, s)
				}
			}
		}
	})
}
