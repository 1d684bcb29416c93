package domain_test

import (
	"encoding/base64"
	"strings"
)

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// validRunes replaces every invalid byte (not every run) with U+FFFD, as
// utf8 decoding one rune at a time does.
func validRunes(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r)
	}
	return b.String()
}
