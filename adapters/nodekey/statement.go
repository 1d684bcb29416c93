package nodekey

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/pfn-network/pfn/domain"
)

// ErrBadSignature means a federation signature does not verify: wrong key,
// altered statement, or not a signature at all.
var ErrBadSignature = errors.New("federation signature does not verify")

// maxSafeInteger is JavaScript's Number.MAX_SAFE_INTEGER: a larger size would
// not survive JSON.parse in a JavaScript verifier, so it could not rebuild
// the signed bytes.
const maxSafeInteger = 1<<53 - 1

// Statement is what the node attests about one mirrored file.
type Statement struct {
	Node               string `json:"node"`   // KeyID of the signing node
	Source             string `json:"source"` // e.g. "plugin-author@plugins.example.com"
	Plugin             string `json:"plugin"` // slug
	Version            string `json:"version"`
	SHA256             string `json:"sha256"` // lower-case hex of the file
	Size               int64  `json:"size"`
	PublisherSignature string `json:"publisher_signature"` // base64, as the publisher sent it
}

// CanonicalBytes returns the bytes a federation signature covers: the JSON
// object
//
//	{"node":…,"source":…,"plugin":…,"version":…,"sha256":…,"size":…,"publisher_signature":…}
//
// with exactly these keys in exactly this order and no whitespace. Strings
// are escaped as JavaScript's JSON.stringify escapes them: only '"', '\\' and
// control characters below U+0020 (as \b \f \n \r \t, else \u00xx in
// lower-case hex); '<', '>', '&', U+2028 and U+2029 are written as they are.
// Size is a decimal integer. A JavaScript verifier therefore rebuilds the
// bytes with
//
//	JSON.stringify({node, source, plugin, version, sha256, size, publisher_signature})
//
// A field that is not valid UTF-8, or a size outside 0..2^53-1 (what a
// JavaScript number holds exactly), is an error wrapping
// domain.ErrInvalidInput: replacing bytes would sign something other than
// what the caller passed.
func (st Statement) CanonicalBytes() ([]byte, error) {
	return canonicalObject(leadingFields(st), st.Size, []field{{"publisher_signature", st.PublisherSignature}})
}

// leadingFields are the members before "size", the same in v1 and v2.
func leadingFields(st Statement) []field {
	return []field{
		{"node", st.Node},
		{"source", st.Source},
		{"plugin", st.Plugin},
		{"version", st.Version},
		{"sha256", st.SHA256},
	}
}

// field is one string member of a statement, in signing order.
type field struct{ key, value string }

// canonicalObject writes {before..., "size": size, after...} as
// JSON.stringify writes it (CanonicalBytes): v1 and v2 statements differ
// only in their members.
func canonicalObject(before []field, size int64, after []field) ([]byte, error) {
	n := 128
	for _, f := range append(before[:len(before):len(before)], after...) {
		if !utf8.ValidString(f.value) {
			return nil, fmt.Errorf("statement %s is not valid UTF-8: %w", f.key, domain.ErrInvalidInput)
		}
		n += len(f.key) + len(f.value) + 6
	}
	if size < 0 || size > maxSafeInteger {
		return nil, fmt.Errorf("statement size %d is outside 0..%d: %w", size, int64(maxSafeInteger), domain.ErrInvalidInput)
	}
	b := make([]byte, 0, n)
	sep := byte('{')
	member := func(key string) {
		b = append(b, sep, '"')
		b = append(b, key...)
		b = append(b, '"', ':')
		sep = ','
	}
	for _, f := range before {
		member(f.key)
		b = appendJSString(b, f.value)
	}
	member("size")
	b = strconv.AppendInt(b, size, 10)
	for _, f := range after {
		member(f.key)
		b = appendJSString(b, f.value)
	}
	return append(b, '}'), nil
}

// appendJSString appends s, which must be valid UTF-8, quoted as
// JSON.stringify quotes it. Every byte of a multi-byte UTF-8 sequence is
// 0x80 or above, so going byte by byte never splits a character.
func appendJSString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			b = append(b, `\"`...)
		case '\\':
			b = append(b, `\\`...)
		case '\b':
			b = append(b, `\b`...)
		case '\f':
			b = append(b, `\f`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		default:
			if c < 0x20 {
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			} else {
				b = append(b, c)
			}
		}
	}
	return append(b, '"')
}

// Sign returns the base64 Ed25519 signature over st.CanonicalBytes().
//
// It fills in nothing: st.Node must already be s.KeyID(). Because a signed
// statement is a permanent claim, Sign also refuses one that cannot describe
// a mirrored file: an empty source, plugin, version or publisher signature,
// or a SHA256 that is not 64 lower-case hex characters. These errors wrap
// domain.ErrInvalidInput.
func (s *Signer) Sign(st Statement) (string, error) {
	msg, err := st.CanonicalBytes()
	if err != nil {
		return "", err
	}
	return s.signComplete(st.Node, msg, st.checkComplete)
}

// signComplete signs msg once the statement names this node and is complete.
func (s *Signer) signComplete(node string, msg []byte, complete func() error) (string, error) {
	if node != s.keyID {
		return "", fmt.Errorf("statement names node %q, but this node's key ID is %q: %w", node, s.keyID, domain.ErrInvalidInput)
	}
	if err := complete(); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(ed25519.Sign(s.priv, msg)), nil
}

func (st Statement) checkComplete() error {
	for _, f := range [...]struct{ key, value string }{
		{"source", st.Source},
		{"plugin", st.Plugin},
		{"version", st.Version},
		{"publisher_signature", st.PublisherSignature},
	} {
		if f.value == "" {
			return fmt.Errorf("statement %s is empty: %w", f.key, domain.ErrInvalidInput)
		}
	}
	if !isLowerHex(st.SHA256, 64) {
		return fmt.Errorf("statement sha256 %q is not 64 lower-case hex characters: %w", st.SHA256, domain.ErrInvalidInput)
	}
	return nil
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Verify checks a federation signature (standard base64, as Sign returns it)
// over st.CanonicalBytes() with pub. A statement that names another node than
// pub's key ID, a signature that is not base64 of 64 bytes, or one that does
// not match is an error wrapping ErrBadSignature. A public key of the wrong
// length or a statement CanonicalBytes refuses wraps domain.ErrInvalidInput.
func Verify(pub ed25519.PublicKey, st Statement, signatureB64 string) error {
	return verifyStatement(pub, st.Node, fmt.Sprintf("statement by node %q on %q %q", st.Node, st.Plugin, st.Version),
		st.CanonicalBytes, signatureB64)
}

// verifyStatement checks signatureB64 over the canonical bytes of a
// statement (v1 or v2) that names node.
func verifyStatement(pub ed25519.PublicKey, node, what string, canonical func() ([]byte, error), signatureB64 string) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("federation public key has %d bytes, want %d: %w", len(pub), ed25519.PublicKeySize, domain.ErrInvalidInput)
	}
	msg, err := canonical()
	if err != nil {
		return err
	}
	// The node field is signed, but only the key ID makes it mean "this key":
	// without the check a node could sign statements in another node's name.
	if id := keyID(pub); node != id {
		return fmt.Errorf("%s: the key's ID is %q: %w", what, id, ErrBadSignature)
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(signatureB64)
	if err != nil {
		return fmt.Errorf("%s: signature is not standard base64: %w", what, ErrBadSignature)
	}
	if len(sig) != ed25519.SignatureSize {
		return fmt.Errorf("%s: signature has %d bytes, want %d: %w", what, len(sig), ed25519.SignatureSize, ErrBadSignature)
	}
	if !ed25519.Verify(pub, msg, sig) {
		return fmt.Errorf("%s: %w", what, ErrBadSignature)
	}
	return nil
}
