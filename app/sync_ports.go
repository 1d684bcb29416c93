package app

import (
	"context"
	"crypto/ed25519"
	"io"

	"github.com/pfn-network/pfn/domain"
)

// ListedPlugin is one entry of a publisher's /author-data.
type ListedPlugin struct {
	Slug, Name, Version, Description string
	Tags                             []string
	Signature, SHA256                string
	Invalid                          string // why the entry is unusable, if it is
	// SignatureV2 is the publisher's signature over the claim and the
	// file's sha256 and Size too ("" when it lists none); Size is read only
	// with it (docs/protocol.md, plugin signature v2).
	SignatureV2 string
	Size        int64
	// From a node that serves the publisher protocol (feature
	// "pfn-node/v1", SPEC15 §2): the original publisher, the nodes the
	// version came through (the serving node last), and, on a version that
	// node yanked, why. All empty from a publisher.
	Publisher  *ListedPublisher
	Provenance []domain.ProvenanceHop
	Yanked     *ListedYank
	// LogIndex is where the serving node's transparency log holds its
	// statement of this version (issue #16); nil when the node lists none
	// (no log, or a version older than its log).
	LogIndex *int64
}

// ListedPublisher is the original publisher of a version a node lists.
type ListedPublisher struct {
	Source    domain.SourceID
	PublicKey string // base64 of the raw 32-byte key
}

// ListedYank says why and when an upstream node yanked a version, and
// the node's signature over domain.YankMarker ("" when it sent none).
type ListedYank struct {
	Reason    string
	At        string
	Signature string
}

// Claim is what the publisher's signature of the entry covers.
func (p ListedPlugin) Claim() domain.PluginClaim {
	return domain.PluginClaim{ID: p.Slug, Name: p.Name, Version: p.Version, Description: p.Description}
}

// Catalog reads a publisher's plugin list and files.
type Catalog interface {
	AuthorData(ctx context.Context, instanceURL, author string) ([]ListedPlugin, error)
	Download(ctx context.Context, url string) (io.ReadCloser, error)
}

// StoredBlob is what the blob store measured while storing.
type StoredBlob struct {
	Size   int64
	SHA256 string
}

// BlobStore keeps plugin files. What Put stores is durable only once Sync
// of its key returned: a sync stores its files, syncs them all at once,
// and only then records events that point at them.
type BlobStore interface {
	Put(ctx context.Context, key string, r io.Reader, maxBytes int64) (StoredBlob, error)
	Sync(ctx context.Context, keys []string) error
	Delete(ctx context.Context, key string) error
}

// PluginHistories loads per-plugin mirror histories, and records a sync:
// the histories' changes and the source's in one transaction, returning
// once the read models show them.
type PluginHistories interface {
	LoadAll(ctx context.Context, source domain.SourceID, plugins []string) (map[string]*domain.PluginHistory, error)
	SaveAll(ctx context.Context, hs []*domain.PluginHistory, source *domain.Source) error
}

// StoredVersion is a mirrored version whose file is kept.
type StoredVersion struct {
	Plugin, Version string
	Size            int64
	SHA256          string
	BlobKey         string // where the copy is kept, for the recheck to re-read
	Damaged         bool   // a recheck found the stored copy damaged, as the read model last showed
}

// StorageUsage lists what a source's mirror keeps, oldest mirrored first.
type StorageUsage interface {
	StoredVersions(ctx context.Context, source domain.SourceID) ([]StoredVersion, error)
}

// MirrorSigner signs the node's statements about a mirrored file (v1 and
// v2), checks other nodes' v2 statements, and knows the node's own keys.
type MirrorSigner interface {
	KeyID() string
	SignMirror(source domain.SourceID, plugin, version, sha256 string, size int64, publisherSignature string) (string, error)
	// SignMirrorV2 signs st with the current key; st.Node is filled in.
	SignMirrorV2(st StatementV2) (string, error)
	// VerifyStatementV2 checks another node's v2 statement under its key.
	VerifyStatementV2(nodeKey ed25519.PublicKey, st StatementV2, signature string) error
	// OwnsKey says whether keyID is one of this node's keys, current or
	// retired: a chain naming one has come back round (a cycle).
	OwnsKey(keyID string) bool
	// StatementBytesV2 is the exact bytes a v2 statement's signature
	// covers: the leaf a node's transparency log holds for it.
	StatementBytesV2(st StatementV2) ([]byte, error)
}

// StatementV2 is what a node's v2 federation statement says about a
// mirrored file (SPEC15 §3, docs/protocol.md): the v1 members plus the
// original publisher's key and the previous hop's v2 signature.
type StatementV2 struct {
	Node               string
	Source             domain.SourceID
	Plugin, Version    string
	SHA256             string
	Size               int64
	PublisherSignature string
	PublisherKey       string // base64 of the raw 32-byte key
	Upstream           string // "" when mirrored straight from the publisher
}

// SyncLocker keeps two syncs of one source from running at once, across
// processes.
type SyncLocker interface {
	Lock(ctx context.Context, source domain.SourceID) (unlock func(), err error)
}
