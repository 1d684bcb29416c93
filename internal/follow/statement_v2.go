package follow

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"

	"github.com/pfn-network/pfn/adapters/nodekey"
	"github.com/pfn-network/pfn/domain"
)

// statementV2 is a node's v2 federation statement (SPEC15 §3): the v1
// statement's members, then publisher_key and upstream. Its bytes are the
// v1 canonical bytes without the closing brace, then the two members: both
// are base64 (checked), which JSON.stringify writes unescaped, so this is
// exactly what the signing node wrote.
type statementV2 struct {
	nodekey.Statement
	publisherKey string // base64 raw 32-byte key of the original publisher
	upstream     string // the previous hop's v2 signature, "" from the publisher
}

func (st statementV2) canonicalBytes() ([]byte, error) {
	v1, err := st.CanonicalBytes()
	if err != nil {
		return nil, err
	}
	for _, f := range [...]struct{ name, value string }{{"publisher_key", st.publisherKey}, {"upstream", st.upstream}} {
		if _, err := base64.StdEncoding.Strict().DecodeString(f.value); err != nil {
			return nil, fmt.Errorf("statement %s is not base64: %w", f.name, domain.ErrInvalidInput)
		}
	}
	var b bytes.Buffer
	b.Write(v1[:len(v1)-1])
	fmt.Fprintf(&b, `,"publisher_key":"%s","upstream":"%s"}`, st.publisherKey, st.upstream)
	return b.Bytes(), nil
}

// verify checks a v2 signature with pub, which must be the key the
// statement names.
func (st statementV2) verify(pub ed25519.PublicKey, signatureB64 string) error {
	msg, err := st.canonicalBytes()
	if err != nil {
		return err
	}
	if id := domain.KeyID(pub); id != st.Node {
		return fmt.Errorf("statement names node %q, the key's ID is %q: %w", st.Node, id, domain.ErrBadSignature)
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(signatureB64)
	if err != nil || !ed25519.Verify(pub, msg, sig) {
		return fmt.Errorf("v2 statement by node %q: %w", st.Node, domain.ErrBadSignature)
	}
	return nil
}
