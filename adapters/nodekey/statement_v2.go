package nodekey

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"

	"github.com/pfn-network/pfn/domain"
)

// StatementV2 is the node's statement about a mirrored file that also names
// the original publisher's key and the statement of the node it was mirrored
// from, so that each statement covers the whole chain before it (SPEC15 §3,
// docs/protocol.md "Federation statement v2").
type StatementV2 struct {
	Node               string // KeyID of the signing node
	Source             string // the source id at the signing node
	Plugin             string
	Version            string
	SHA256             string
	Size               int64
	PublisherSignature string // the original publisher's v1 signature
	PublisherKey       string // base64 of the original publisher's raw 32-byte key
	Upstream           string // the previous hop's v2 signature; "" when mirrored from the publisher
}

// CanonicalBytes returns the bytes a v2 federation signature covers,
// escaped as Statement.CanonicalBytes escapes them. A JavaScript verifier
// rebuilds them with
//
//	JSON.stringify({node, source, plugin, version, sha256, size,
//	                publisher_signature, publisher_key, upstream})
func (st StatementV2) CanonicalBytes() ([]byte, error) {
	return canonicalObject(leadingFields(st.v1()), st.Size, []field{
		{"publisher_signature", st.PublisherSignature},
		{"publisher_key", st.PublisherKey},
		{"upstream", st.Upstream},
	})
}

// SignV2 signs a v2 statement; it refuses what Sign refuses, and a
// publisher key that is not base64 of 32 bytes (the statement would name a
// key nobody can verify under).
func (s *Signer) SignV2(st StatementV2) (string, error) {
	msg, err := st.CanonicalBytes()
	if err != nil {
		return "", err
	}
	return s.signComplete(st.Node, msg, func() error {
		if err := st.v1().checkComplete(); err != nil {
			return err
		}
		if k, err := base64.StdEncoding.Strict().DecodeString(st.PublisherKey); err != nil || len(k) != ed25519.PublicKeySize {
			return fmt.Errorf("statement publisher_key is not base64 of %d bytes: %w", ed25519.PublicKeySize, domain.ErrInvalidInput)
		}
		return nil
	})
}

func (st StatementV2) v1() Statement {
	return Statement{Node: st.Node, Source: st.Source, Plugin: st.Plugin, Version: st.Version,
		SHA256: st.SHA256, Size: st.Size, PublisherSignature: st.PublisherSignature}
}

// VerifyV2 checks a v2 federation signature with pub, as Verify checks v1.
func VerifyV2(pub ed25519.PublicKey, st StatementV2, signatureB64 string) error {
	return verifyStatement(pub, st.Node, fmt.Sprintf("v2 statement by node %q on %q %q", st.Node, st.Plugin, st.Version),
		st.CanonicalBytes, signatureB64)
}

// VerifyV2 checks a v2 statement of this node's with the key it names,
// current or retired.
func (k *Keyring) VerifyV2(st StatementV2, signatureB64 string) error {
	pub, ok := k.byID[st.Node]
	if !ok {
		return fmt.Errorf("v2 statement by node %q on %q %q: no key of this node has that ID: %w", st.Node, st.Plugin, st.Version, ErrBadSignature)
	}
	return VerifyV2(pub, st, signatureB64)
}

// Owns says whether a key ID is one of this node's keys, current or
// retired: a chain naming one of them has come back round (a cycle).
func (k *Keyring) Owns(keyID string) bool {
	_, ok := k.byID[keyID]
	return ok
}
