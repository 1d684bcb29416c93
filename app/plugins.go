package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// PluginView is one mirrored plugin version.
type PluginView struct {
	ID                  int64
	Plugin              string
	SourceID            string
	Name                string
	Version             string
	Description         string
	Tags                []string
	SHA256              string
	Size                int64
	MirrorDate          int64     // unix seconds, rounded, as the original shows it
	MirroredAt          time.Time // to the microsecond: key periods are compared with it
	PublisherSignature  string
	FederationSignature string
	NodeKeyID           string
	BlobKey             string
	Pruned              string // why the file was removed; "" while it is kept
	StoredCopy          StoredCopy
	Yanked              string     // why an admin yanked it; "" while it is served
	YankedAt            *time.Time // when it was yanked
	SourceStatus        string     // the source's status now (suspended shows here); "" when unknown
	// PublisherSignatureV2 is the publisher's signature over these bytes
	// too, "" for a version mirrored without one; BytesAttestedBy says who
	// vouches for the bytes: "publisher" (the signature_v2 verified over
	// what the node hashed) or "node" (only the node's own statement).
	PublisherSignatureV2 string
	BytesAttestedBy      string
	SourceQuarantined    bool // an admin quarantined the source: not served, listed only for admins who ask
	// FederationSignatureV2 is the node's v2 statement ("" for a version
	// mirrored before v2), PublisherKey the original publisher's key it
	// names, and Provenance the upstream nodes the version came through,
	// first first (none for a direct mirror).
	FederationSignatureV2 string
	PublisherKey          string
	Provenance            []domain.ProvenanceHop
	// LogIndex is where the node's transparency log holds its v2
	// statement about the version (the latest leaf when it was mirrored
	// again); nil when the log holds none (mirrored before v2 or before
	// the log, or the log is off).
	LogIndex *int64
}

// StoredCopy is the remembered verdict on the node's own copy of a file:
// good as stored, until a recheck finds it missing or other bytes (and good
// again once a recheck finds it restored).
type StoredCopy struct {
	OK      bool
	Damage  string     // what the recheck found: "missing: …" or the measured sha256 and size
	FoundAt *time.Time // when the recheck found it
}

// PluginQuery filters and pages the catalogue.
type PluginQuery struct {
	Source string
	Tag    string
	Text   string // substring of name, slug or description
	Limit  int
	After  int64 // cursor: the last id of the previous page
	// IncludeYanked lists yanked versions too (include_yanked=true); they
	// are left out otherwise.
	IncludeYanked bool
	// IncludeQuarantined lists quarantined sources' plugins too
	// (include_quarantined=true, admins only: AuthorizeQuarantined).
	IncludeQuarantined bool
}

// AuthorizeQuarantined: only admins see what a quarantine withholds.
func AuthorizeQuarantined(by Principal) error {
	if err := requireAdmin(by); err != nil {
		return fmt.Errorf("include_quarantined=true lists what an admin withholds; it needs an admin key: %w", err)
	}
	return nil
}

// PluginReader reads the mirrored_plugins read model.
type PluginReader interface {
	ListPlugins(ctx context.Context, q PluginQuery) ([]PluginView, error)
	PluginVersions(ctx context.Context, source, plugin string) ([]PluginView, error)
}

// BlobOpener reads stored plugin files.
type BlobOpener interface {
	Open(ctx context.Context, key string) (io.ReadCloser, int64, error)
}

// MirrorVerifier checks the node's own statements about a mirrored file.
type MirrorVerifier interface {
	VerifyMirror(p PluginView) error
	VerifyMirrorV2(p PluginView) error
}

// StatementV2 is the node's v2 statement about the version: its upstream
// is the last hop's signature ("" for a direct mirror).
func (p PluginView) StatementV2() StatementV2 {
	return StatementV2{Node: p.NodeKeyID, Source: domain.SourceID(p.SourceID), Plugin: p.Plugin, Version: p.Version,
		SHA256: p.SHA256, Size: p.Size, PublisherSignature: p.PublisherSignature, PublisherKey: p.PublisherKey,
		Upstream: domain.UpstreamSignature(p.Provenance)}
}

const maxPageSize = 200

// ListPlugins answers GET /federation/plugins with a page and the cursor of
// the next one ("" at the end).
type ListPlugins struct{ Plugins PluginReader }

func (h ListPlugins) Handle(ctx context.Context, q PluginQuery) ([]PluginView, string, error) {
	if q.Limit <= 0 || q.Limit > maxPageSize {
		q.Limit = 50
	}
	want := q.Limit
	q.Limit++ // one more tells whether a next page exists
	page, err := h.Plugins.ListPlugins(ctx, q)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(page) > want {
		page = page[:want]
		next = fmt.Sprint(page[want-1].ID)
	}
	return page, next, nil
}

// FindPlugin picks one version of a mirrored plugin: the given one, or the
// latest when version is empty. A pruned or yanked version is gone (with
// the reason) when asked for, and never the latest. Every plugin of a
// removed source is gone, and of a quarantined one withheld, with the
// admin's reason.
type FindPlugin struct {
	Plugins PluginReader
	Sources SourceReader // nil: no source is removed or quarantined
}

func (h FindPlugin) Handle(ctx context.Context, source, plugin, version string) (PluginView, error) {
	if err := h.servable(ctx, domain.SourceID(source)); err != nil {
		return PluginView{}, err
	}
	versions, err := h.Plugins.PluginVersions(ctx, source, plugin)
	if err != nil {
		return PluginView{}, err
	}
	var found *PluginView
	for i, v := range versions {
		switch {
		case version != "" && v.Version == version && v.Pruned != "":
			return PluginView{}, fmt.Errorf("%s %s from source %s was pruned: %s: %w", plugin, version, source, v.Pruned, domain.ErrGone)
		case version != "" && v.Version == version && v.Yanked != "":
			return PluginView{}, fmt.Errorf("%s %s from source %s was yanked: %s: %w", plugin, version, source, v.Yanked, domain.ErrGone)
		case version != "" && v.Version == version:
			return v, nil
		case v.Pruned != "" || v.Yanked != "":
		case version == "" && (found == nil || domain.CompareVersions(found.Version, v.Version) < 0):
			found = &versions[i]
		}
	}
	if found == nil {
		what := plugin
		if version != "" {
			what += " " + version
		}
		return PluginView{}, fmt.Errorf("no mirrored plugin %s from source %s: %w", what, source, domain.ErrNotFound)
	}
	return *found, nil
}

// servable refuses the plugins of a removed or quarantined source; a
// source the read model does not know has none to serve (the caller's
// lookup then says so).
func (h FindPlugin) servable(ctx context.Context, id domain.SourceID) error {
	if h.Sources == nil {
		return nil
	}
	src, err := h.Sources.GetSource(ctx, id)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return nil
	case err != nil:
		return err
	case src.Removal != nil:
		return fmt.Errorf("source %s was removed by an admin: %s: %w", id, src.Removal.Reason, domain.ErrGone)
	case src.Suspension != nil && src.Suspension.Quarantine:
		return fmt.Errorf("source %s is quarantined by an admin: %s: %w", id, src.Suspension.Reason, domain.ErrWithheld)
	case src.UpstreamStatus == domain.UpstreamRemoved:
		return fmt.Errorf("source %s was removed by the upstream node: %s: %w", id, src.UpstreamReason, domain.ErrGone)
	case src.UpstreamStatus == domain.UpstreamQuarantined:
		return fmt.Errorf("source %s is quarantined by the upstream node: %s: %w", id, src.UpstreamReason, domain.ErrWithheld)
	}
	return nil
}

// VerifyReport says which checks of a mirrored file passed.
type VerifyReport struct {
	Plugin              PluginView
	PublisherSignature  Check
	FederationSignature Check
	StoredBytes         Check
	Valid               bool
	// PublisherKey is the source key the publisher signature verifies
	// under; nil when it verifies under none.
	PublisherKey *PublisherKeyUsed
	// PublisherSignatureV2 checks the publisher's signature over the
	// recorded sha256 and size; nil for a version mirrored without one.
	PublisherSignatureV2 *Check
	// BytesAttestedBy is "publisher" while a signature_v2 verifies over
	// the bytes, "node" otherwise.
	BytesAttestedBy string
	// FederationSignatureV2 checks the node's v2 statement; nil for a
	// version mirrored before v2 statements were signed.
	FederationSignatureV2 *Check
}

type Check struct {
	OK      bool
	Detail  string
	FoundAt *time.Time // when a recheck found the stored copy damaged
}

// VerifyMirrored re-checks a mirrored version: the publisher's signature
// against the source's key and the node's statement, and reports the
// remembered verdict on the stored bytes: the sha256 and size measured as
// the file was stored, which the node's statement signs, unless the recheck
// job has since found the copy missing or other bytes. Anyone may call it,
// so it never reads the file: re-hashing a whole file per anonymous call
// would let anyone keep the blob store busy. Stored copies are the recheck
// job's work (Recheck).
type VerifyMirrored struct {
	Find     FindPlugin
	Sources  SourceReader
	Verifier MirrorVerifier
}

func (h VerifyMirrored) Handle(ctx context.Context, source, plugin, version string) (VerifyReport, error) {
	p, err := h.Find.Handle(ctx, source, plugin, version)
	if err != nil {
		return VerifyReport{}, err
	}
	r := VerifyReport{Plugin: p}
	src, err := h.Sources.GetSource(ctx, domain.SourceID(source))
	if err != nil {
		return VerifyReport{}, err
	}
	periods := keyPeriodsOf(src)
	if len(p.Provenance) > 0 {
		// Mirrored from another node: the source's key is that node's, and
		// the publisher's signature verifies under the publisher key its
		// statement names.
		periods = publisherKeyPeriod(p.PublisherKey)
	}
	var used *domain.KeyPeriod
	r.PublisherSignature, used = checkPublisherSignature(periods, p)
	r.PublisherKey = keyUsed(used)
	r.FederationSignature = check(func() error { return h.Verifier.VerifyMirror(p) })
	if p.FederationSignatureV2 != "" {
		c := check(func() error { return h.Verifier.VerifyMirrorV2(p) })
		r.FederationSignatureV2 = &c
	}
	r.StoredBytes = storedVerdict(p, r.FederationSignature.OK)
	r.PublisherSignatureV2, r.BytesAttestedBy = verifyAttestation(signingKey(periods, used), p)
	r.Valid = r.PublisherSignature.OK && r.FederationSignature.OK && r.StoredBytes.OK &&
		(r.PublisherSignatureV2 == nil || r.PublisherSignatureV2.OK) &&
		(r.FederationSignatureV2 == nil || r.FederationSignatureV2.OK)
	return r, nil
}

// storedVerdict is what the node measured when it stored the file, or
// what the last recheck found wrong with the copy since; it holds only
// while the node's signed statement of sha256 and size does.
func storedVerdict(p PluginView, statementOK bool) Check {
	switch {
	case !statementOK:
		return Check{Detail: "the node's statement of the stored sha256 and size does not verify"}
	case p.StoredCopy.Damage != "":
		return Check{Detail: "the recheck found the stored copy damaged: " + p.StoredCopy.Damage, FoundAt: p.StoredCopy.FoundAt}
	}
	return Check{OK: true, Detail: fmt.Sprintf("sha256 %s and %d bytes, measured as the file was stored", p.SHA256, p.Size)}
}

func check(f func() error) Check {
	if err := f(); err != nil {
		return Check{Detail: err.Error()}
	}
	return Check{OK: true}
}
