package domain

import (
	"strings"
	"unicode/utf8"
)

// appendJSString appends s as JavaScript's JSON.stringify writes a string:
// only '"', '\\' and control characters below U+0020 are escaped (\b \f \n
// \r \t, else \u00xx in lower-case hex); '<', '>', '&', U+2028 and U+2029
// stay as they are, unlike Go's encoding/json. A lone surrogate cannot occur
// in a valid Go string; invalid UTF-8 is written as U+FFFD, as a
// JavaScript string decoded from the same bytes would hold it.
func appendJSString(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hex[r>>4])
			b.WriteByte(hex[r&0xf])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}
