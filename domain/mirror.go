package domain

import (
	"fmt"
	"strings"
	"time"
	"unicode"
)

// Mirror events: one stream per (source, plugin).
const (
	EventPluginMirrored      = "plugin.mirrored"
	EventPluginRejected      = "plugin.rejected"
	EventPluginTampered      = "plugin.tampering_detected"
	EventPluginRolledBack    = "plugin.rollback_detected"
	EventPluginVersionUpdate = "plugin.version_updated"
	EventPluginPruned        = "plugin.pruned"
)

// PluginPruned records that a mirrored version's file was removed by the
// retention policy. The version stays known (it is not mirrored again) and
// reads as gone, with the reason.
type PluginPruned struct {
	SourceID SourceID  `json:"source_id"`
	Plugin   string    `json:"plugin"`
	Version  string    `json:"version"`
	BlobKey  string    `json:"blob_key"`
	Reason   string    `json:"reason"`
	At       time.Time `json:"at"`
}

// PluginMirrored: a verified copy of one plugin version is in the blob store.
type PluginMirrored struct {
	SourceID            SourceID  `json:"source_id"`
	Plugin              string    `json:"plugin"`
	Name                string    `json:"name"`
	Version             string    `json:"version"`
	Description         string    `json:"description"`
	Tags                []string  `json:"tags"`
	SHA256              string    `json:"sha256"`
	Size                int64     `json:"size"`
	BlobKey             string    `json:"blob_key"`
	PublisherSignature  string    `json:"publisher_signature"`
	FederationSignature string    `json:"federation_signature"`
	NodeKeyID           string    `json:"node_key_id"`
	At                  time.Time `json:"at"`
	// PublisherSignatureV2 is the publisher's signature_v2, kept only when
	// it verified over the bytes the node hashed ("" for a v1 version);
	// BytesAttestedBy follows from it (PluginHistory.RecordMirrored). Both
	// came with schema v2 of the event; v1 events read as attested by the
	// node (eventstore's upcaster).
	PublisherSignatureV2 string        `json:"publisher_signature_v2"`
	BytesAttestedBy      BytesAttester `json:"bytes_attested_by"`
	// FederationSignatureV2 is the node's v2 statement (SPEC15 §3),
	// PublisherKey the original publisher's key it names (base64), and
	// Provenance the upstream nodes the version came through, first
	// first (none for a direct mirror). They are additive: an event
	// written before them decodes them empty, which is what it means (no
	// v2 statement was signed), so the schema version stays 2.
	FederationSignatureV2 string          `json:"federation_signature_v2,omitempty"`
	PublisherKey          string          `json:"publisher_key,omitempty"`
	Provenance            []ProvenanceHop `json:"provenance,omitempty"`
}

// PluginRejected: a listed plugin version was not mirrored, and why.
type PluginRejected struct {
	SourceID SourceID  `json:"source_id"`
	Plugin   string    `json:"plugin"`
	Version  string    `json:"version"`
	Reason   string    `json:"reason"`
	At       time.Time `json:"at"`
}

// PluginTampered: the publisher now serves something else for a version
// already mirrored. The first copy stays.
type PluginTampered struct {
	SourceID SourceID  `json:"source_id"`
	Plugin   string    `json:"plugin"`
	Version  string    `json:"version"`
	Detail   string    `json:"detail"`
	At       time.Time `json:"at"`
}

// PluginRolledBack: the publisher lists a version below the mirror's latest.
type PluginRolledBack struct {
	SourceID SourceID  `json:"source_id"`
	Plugin   string    `json:"plugin"`
	Listed   string    `json:"listed"`
	Latest   string    `json:"latest"`
	At       time.Time `json:"at"`
}

// PluginVersionUpdated: a newer version was mirrored.
type PluginVersionUpdated struct {
	SourceID SourceID  `json:"source_id"`
	Plugin   string    `json:"plugin"`
	From     string    `json:"from"`
	To       string    `json:"to"`
	At       time.Time `json:"at"`
}

// ValidatePluginSlug: 1 to 128 letters, digits, '.', '_' or '-', and not
// "." or "..": slugs become path segments of blob keys and download URLs.
func ValidatePluginSlug(slug string) error {
	if slug == "" || len(slug) > 128 || slug == "." || slug == ".." {
		return fmt.Errorf("plugin slug %q: must be 1 to 128 characters and not a dot segment: %w", truncate(slug, 40), ErrInvalidInput)
	}
	for _, r := range slug {
		if !(r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._-", r))) {
			return fmt.Errorf("plugin slug %q: %q is not a letter, digit, '.', '_' or '-': %w", truncate(slug, 40), r, ErrInvalidInput)
		}
	}
	return nil
}
