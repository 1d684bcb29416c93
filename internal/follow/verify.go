package follow

import (
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/pfn-network/pfn/adapters/nodekey"
	"github.com/pfn-network/pfn/domain"
)

// Row is one version as the node's catalogue shows it (a GET
// /federation/plugins row, the "plugin" of GET /federation/verify).
type Row struct {
	Plugin                string `json:"plugin_id"`
	Source                string `json:"source_id"`
	Name                  string `json:"name"`
	Version               string `json:"version"`
	Description           string `json:"description"`
	SHA256                string `json:"sha256"`
	Size                  int64  `json:"size"`
	Signature             string `json:"signature"`
	SignatureV2           string `json:"signature_v2"`
	FederationSignature   string `json:"federation_signature"`
	NodeKeyID             string `json:"node_key_id"`
	FederationSignatureV2 string `json:"federation_signature_v2"`
	Provenance            []Hop  `json:"provenance"`
}

// Hop is one entry of a row's provenance (SPEC15 §5): the publisher first,
// then every node the version came through before this one.
type Hop struct {
	Role      string `json:"role"` // "publisher" or "node"
	Source    string `json:"source"`
	PublicKey string `json:"public_key"` // the publisher's
	Node      string `json:"node"`       // a node's key id
	NodeKey   string `json:"node_key"`
	URL       string `json:"url"`
	Signature string `json:"signature"` // that node's v2 statement signature
}

// ProvenanceKey is the publisher key the row's provenance names, "" when
// it names none.
func (r Row) ProvenanceKey() string {
	if len(r.Provenance) > 0 && r.Provenance[0].Role == "publisher" {
		return r.Provenance[0].PublicKey
	}
	return ""
}

// claim is what the publisher signed (v1).
func (r Row) claim() domain.PluginClaim {
	return domain.PluginClaim{ID: r.Plugin, Name: r.Name, Version: r.Version, Description: r.Description}
}

// CheckRow checks a catalogue row against the feed's change and the pinned
// keys: it describes the version the change announced, the publisher's
// signature (v1, and v2 when the row has one) verifies under a key pinned
// for the source, and the node's federation statement (v1, and v2 with the
// provenance chain before it when the row has one) under the pinned node
// key it names. The bytes are checked apart (CheckBytes), once downloaded.
func CheckRow(row Row, ch Change, pins *Pins) error {
	fail := func(what, detail string) error {
		return &Failure{What: what, Source: ch.Source, Plugin: ch.Plugin, Ver: ch.Version, Detail: detail}
	}
	if row.Source != ch.Source || row.Plugin != ch.Plugin || row.Version != ch.Version {
		return fail("catalogue row", fmt.Sprintf("the node answered with %s %s %s", row.Source, row.Plugin, row.Version))
	}
	if row.SHA256 != ch.SHA256 || row.Size != ch.Size {
		return fail("feed entry", fmt.Sprintf("the feed says sha256 %s and %d bytes, the catalogue %s and %d bytes",
			ch.SHA256, ch.Size, row.SHA256, row.Size))
	}
	keys := pins.PublisherKeys(row.Source)
	if !pins.publisherSigned(row) {
		return fail("publisher signature", fmt.Sprintf("it verifies under none of the %d key(s) pinned for the source", len(keys)))
	}
	if row.SignatureV2 != "" {
		c := domain.PluginBytesClaim{PluginClaim: row.claim(), SHA256: row.SHA256, Size: row.Size}
		if verifiedUnder(keys, func(k ed25519.PublicKey) error { return domain.VerifyPluginBytes(k, c, row.SignatureV2) }) == nil {
			return fail("publisher signature_v2", fmt.Sprintf("it verifies under none of the %d key(s) pinned for the source", len(keys)))
		}
	}
	node := pins.NodeKeyByID(row.NodeKeyID)
	if node == nil {
		return fail("node key", fmt.Sprintf("the federation signature names the key %q, which is not pinned for this node", row.NodeKeyID))
	}
	if err := nodekey.Verify(node, row.statement(row.NodeKeyID, row.Source), row.FederationSignature); err != nil {
		return fail("federation signature", err.Error())
	}
	if row.FederationSignatureV2 != "" {
		if err := checkChain(row, node, keys); err != nil {
			return fail("federation signature v2", err.Error())
		}
	}
	return nil
}

// checkChain verifies the v2 statements: every upstream node's in the
// provenance (each covers the one before it), then this node's own.
func checkChain(row Row, node ed25519.PublicKey, pinned []ed25519.PublicKey) error {
	publisher := row.ProvenanceKey()
	if publisher == "" {
		return errors.New("the row has a federation_signature_v2 but no provenance naming the publisher")
	}
	pub, err := parseKey(publisher)
	if err != nil {
		return err
	}
	if verifiedUnder(pinned, func(k ed25519.PublicKey) error {
		if k.Equal(pub) {
			return nil
		}
		return domain.ErrBadSignature
	}) == nil {
		return errors.New("the provenance names a publisher key that is not pinned for the source")
	}
	// Each hop's statement covers the one before it: upstream is the
	// previous hop's signature, "" for the node that mirrored the publisher.
	// Each hop's source id is the one before it at the node it mirrored
	// from (docs/protocol.md, the chain rules), as is this node's.
	upstream, previous := "", row.Provenance[0].Source
	for i, hop := range row.Provenance[1:] {
		if hop.Role != "node" {
			return fmt.Errorf("provenance entry %d is a %q, want a node", i+2, hop.Role)
		}
		if !sourceFollows(hop.Source, previous, i == 0) {
			return fmt.Errorf("provenance node %s names the source %q, which does not follow %q", hop.URL, hop.Source, previous)
		}
		previous = hop.Source
		key, err := parseKey(hop.NodeKey)
		if err != nil {
			return fmt.Errorf("provenance node %s: %w", hop.URL, err)
		}
		if err := nodekey.VerifyV2(key, row.statementV2(hop.Node, hop.Source, publisher, upstream), hop.Signature); err != nil {
			return fmt.Errorf("upstream node %s: %w", hop.URL, err)
		}
		upstream = hop.Signature
	}
	if !sourceFollows(row.Source, previous, len(row.Provenance) == 1) {
		return fmt.Errorf("the row's source %q does not follow %q, the last in its provenance", row.Source, previous)
	}
	return nodekey.VerifyV2(node, row.statementV2(row.NodeKeyID, row.Source, publisher, upstream), row.FederationSignatureV2)
}

// sourceFollows says whether a source id is what previous becomes at the
// next node: the same id at the first node (from the publisher), else
// "<previous>@<host of the node mirrored from>", read at the last '@'.
func sourceFollows(source, previous string, first bool) bool {
	if first {
		return source == previous
	}
	user, host := domain.SplitSourceID(domain.SourceID(source))
	return host != "" && user == previous
}

// statement is the v1 statement the given node signed about the row's
// version under its source id there.
func (r Row) statement(node, source string) nodekey.Statement {
	return nodekey.Statement{Node: node, Source: source, Plugin: r.Plugin, Version: r.Version,
		SHA256: r.SHA256, Size: r.Size, PublisherSignature: r.Signature}
}

// statementV2 is the v2 statement the given node signed about the row's
// version (SPEC15 §3).
func (r Row) statementV2(node, source, publisherKey, upstream string) nodekey.StatementV2 {
	return nodekey.StatementV2{Node: node, Source: source, Plugin: r.Plugin, Version: r.Version, SHA256: r.SHA256,
		Size: r.Size, PublisherSignature: r.Signature, PublisherKey: publisherKey, Upstream: upstream}
}

// publisherSigned says whether the row's v1 publisher signature verifies
// under a key pinned for its source.
func (p *Pins) publisherSigned(row Row) bool {
	return verifiedUnder(p.PublisherKeys(row.Source), func(k ed25519.PublicKey) error {
		return domain.VerifyPlugin(k, row.claim(), row.Signature)
	}) != nil
}

// verifiedUnder is the first key check accepts, nil when none.
func verifiedUnder(keys []ed25519.PublicKey, check func(ed25519.PublicKey) error) ed25519.PublicKey {
	for _, k := range keys {
		if check(k) == nil {
			return k
		}
	}
	return nil
}

// CheckBytes compares what was downloaded (or found on disk) with the row.
func CheckBytes(ch Change, sha256Hex string, size int64) error {
	if sha256Hex != ch.SHA256 || size != ch.Size {
		return &Failure{What: "sha256", Source: ch.Source, Plugin: ch.Plugin, Ver: ch.Version,
			Detail: fmt.Sprintf("the file has sha256 %s and %d bytes; the node signed sha256 %s and %d bytes", sha256Hex, size, ch.SHA256, ch.Size)}
	}
	return nil
}
