package domain

import (
	"crypto/ed25519"
	"fmt"
	"strconv"
	"strings"
)

// FeaturePluginSignatureV2 is what a publisher lists in the "features" of
// its /federation-info when every plugin it lists carries a signature_v2:
// a signature over the plugin's bytes too (docs/protocol.md).
const FeaturePluginSignatureV2 = "plugin-signature-v2"

// MaxAttestedSize is the largest size a v2 claim can state: 2^53-1, the
// largest integer a JavaScript number holds exactly, so JSON.stringify
// writes every size up to it as the same digits Go does.
const MaxAttestedSize = 1<<53 - 1

// BytesAttester says who vouches for a mirrored file's bytes. A struct,
// not a string, so that no code can invent another.
type BytesAttester struct{ s string }

var (
	// AttestedByPublisher: the publisher's signature_v2 covers the sha256
	// and size the node measured.
	AttestedByPublisher = BytesAttester{"publisher"}
	// AttestedByNode: the publisher signed the claim only (v1); the bytes
	// are vouched for by the node's own statement of what it downloaded.
	AttestedByNode = BytesAttester{"node"}
)

// String is "publisher" or "node"; an unset attester is the node, since
// only a verified signature_v2 makes it the publisher.
func (a BytesAttester) String() string {
	if a.s == "" {
		return AttestedByNode.s
	}
	return a.s
}

// ParseBytesAttester reads a stored attester.
func ParseBytesAttester(v string) (BytesAttester, error) {
	for _, a := range []BytesAttester{AttestedByPublisher, AttestedByNode} {
		if a.s == v {
			return a, nil
		}
	}
	return BytesAttester{}, fmt.Errorf("unknown bytes attester %q: %w", v, ErrInvalidInput)
}

// MarshalText and UnmarshalText let events carry the attester as a string.
func (a BytesAttester) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

func (a *BytesAttester) UnmarshalText(b []byte) error {
	v, err := ParseBytesAttester(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// PluginBytesClaim is what a publisher signs with signature_v2: the v1
// claim and the file's lower-case hex sha256 and size.
type PluginBytesClaim struct {
	PluginClaim
	SHA256 string
	Size   int64
}

// SignedMessage is the exact byte string the publisher signed:
// JSON.stringify({id, name, version, description, sha256, size}) with keys
// in that order, size a JSON number.
func (c PluginBytesClaim) SignedMessage() []byte {
	v1 := c.PluginClaim.SignedMessage()
	var b strings.Builder
	b.Grow(len(v1) + len(c.SHA256) + 48)
	b.Write(v1[:len(v1)-1]) // all but the closing brace
	b.WriteString(`,"sha256":`)
	appendJSString(&b, c.SHA256)
	b.WriteString(`,"size":`)
	b.WriteString(strconv.FormatInt(c.Size, 10))
	b.WriteByte('}')
	return []byte(b.String())
}

// check refuses a claim whose bytes JavaScript would write otherwise than
// Go, or no JavaScript publisher could have meant: a size out of
// 0..MaxAttestedSize, a sha256 that is not 64 lower-case hex digits.
func (c PluginBytesClaim) check() error {
	if c.Size < 0 || c.Size > MaxAttestedSize {
		return fmt.Errorf("size %d is outside 0..2^53-1: %w", c.Size, ErrInvalidInput)
	}
	if len(c.SHA256) != 64 || !isLowerHex(c.SHA256) {
		return fmt.Errorf("sha256 %q is not 64 lower-case hex digits: %w", truncate(c.SHA256, 80), ErrInvalidInput)
	}
	return nil
}

// VerifyPluginBytes checks a publisher's base64 signature_v2 over the claim.
func VerifyPluginBytes(pub ed25519.PublicKey, c PluginBytesClaim, signatureB64 string) error {
	what := "signature_v2 of plugin " + c.ID + " " + c.Version
	if err := c.check(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return verify(pub, c.SignedMessage(), signatureB64, what)
}

// AttestationPolicy is what a node asks of a publisher's listing before it
// downloads a version: whether the publisher announced signature_v2 for
// every plugin, and whether the node mirrors publisher-attested bytes only
// (PFN_REQUIRE_ATTESTED_BYTES).
type AttestationPolicy struct {
	Announced bool // the publisher lists FeaturePluginSignatureV2
	Required  bool // PFN_REQUIRE_ATTESTED_BYTES
}

// Refusal says why a listed version without a signature_v2 (hasV2 false)
// is not downloaded, "" when it may be. A publisher that announces the
// feature promised a signature_v2 on every entry: one without it is
// refused rather than taken as v1, since stripping the field is how a
// man in the middle would downgrade the check.
func (p AttestationPolicy) Refusal(hasV2 bool) string {
	switch {
	case hasV2:
		return ""
	case p.Announced:
		return "the publisher announces " + FeaturePluginSignatureV2 + " but lists no signature_v2 for this version"
	case p.Required:
		return "no signature_v2: the publisher does not vouch for this version's bytes, and this node mirrors only publisher-attested bytes (PFN_REQUIRE_ATTESTED_BYTES)"
	}
	return ""
}

// ServedBytes is what the node measured of a downloaded file.
type ServedBytes struct {
	SHA256 string
	Size   int64
}

// CheckSignedBytes says how the bytes a node downloaded differ from those a
// v2 listing states and signs, nil when they do not.
func CheckSignedBytes(listed, got ServedBytes) error {
	if got == listed {
		return nil
	}
	return fmt.Errorf("the asset host serves other bytes than the publisher signed (signature_v2): "+
		"downloaded sha256 %s, %d bytes; signed sha256 %s, %d bytes", got.SHA256, got.Size, listed.SHA256, listed.Size)
}

// AttestBytes decides, after a download, who vouches for the bytes the
// node measured (got). Without a signature_v2 it is the node alone. With
// one, the bytes must be those the publisher listed and signed, and the
// signature must verify over the claim rebuilt from what the node hashed,
// not from what the listing says: the asset host may be another party.
func AttestBytes(pub ed25519.PublicKey, claim PluginClaim, signatureV2 string, listed, got ServedBytes) (BytesAttester, error) {
	if signatureV2 == "" {
		return AttestedByNode, nil
	}
	if err := CheckSignedBytes(listed, got); err != nil {
		return BytesAttester{}, err
	}
	c := PluginBytesClaim{PluginClaim: claim, SHA256: got.SHA256, Size: got.Size}
	if err := VerifyPluginBytes(pub, c, signatureV2); err != nil {
		return BytesAttester{}, fmt.Errorf("%w: it does not vouch for the downloaded bytes (sha256 %s, %d bytes)", err, got.SHA256, got.Size)
	}
	return AttestedByPublisher, nil
}
