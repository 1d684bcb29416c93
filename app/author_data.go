package app

import (
	"context"
	"fmt"

	"github.com/pfn-network/pfn/domain"
)

// AuthorListing is what the node answers as a publisher for one source it
// mirrors (GET /author-data, SPEC15 §2): the source's status and, unless it
// is quarantined or removed, its mirrored versions that carry a v2
// statement, yanked ones included (marked, so that a downstream yanks them
// too). The node signs the status and each yank marker (domain.YankMarker,
// domain.SourceStatusMarker): a downstream acts on them only then.
type AuthorListing struct {
	Source          domain.SourceID
	Status          string // "active", "suspended", "quarantined" or "removed"
	Reason          string
	StatusSignature string
	Plugins         []AuthorEntry
}

// AuthorEntry is a version listed, with the node's signature of its yank
// marker ("" when it is not yanked).
type AuthorEntry struct {
	PluginView
	YankSignature string
}

// MaxAuthorListing caps the versions one /author-data answer lists; a
// downstream node reads at most this many entries too.
const MaxAuthorListing = 5000

// ListAuthorData answers GET /author-data from the read models.
type ListAuthorData struct {
	Sources SourceReader
	Plugins PluginReader
	Signer  MarkerSigner
}

// MarkerSigner signs a yank or source-status marker with the node's
// current key; it refuses any other message.
type MarkerSigner interface {
	SignMarker(message string) (string, error)
}

func (h ListAuthorData) Handle(ctx context.Context, id domain.SourceID) (AuthorListing, error) {
	out, err := h.list(ctx, id)
	if err != nil {
		return AuthorListing{}, err
	}
	if out.StatusSignature, err = h.Signer.SignMarker(domain.SourceStatusMarker(id, out.Status, out.Reason)); err != nil {
		return AuthorListing{}, fmt.Errorf("author-data of %s: %w", id, err)
	}
	for i, p := range out.Plugins {
		if p.Yanked == "" {
			continue
		}
		if out.Plugins[i].YankSignature, err = h.Signer.SignMarker(domain.YankMarker(id, p.Plugin, p.Version, p.SHA256, p.Yanked)); err != nil {
			return AuthorListing{}, fmt.Errorf("author-data of %s: %w", id, err)
		}
	}
	return out, nil
}

func (h ListAuthorData) list(ctx context.Context, id domain.SourceID) (AuthorListing, error) {
	src, err := h.Sources.GetSource(ctx, id)
	if err != nil {
		return AuthorListing{}, err
	}
	out := AuthorListing{Source: id, Status: "active", Plugins: []AuthorEntry{}}
	switch {
	case src.Removal != nil:
		out.Status, out.Reason = "removed", src.Removal.Reason
		return out, nil
	case src.Suspension != nil && src.Suspension.Quarantine:
		out.Status, out.Reason = "quarantined", src.Suspension.Reason
		return out, nil
	case src.UpstreamStatus != "":
		// Withheld further up the chain: passed on as it is.
		out.Status, out.Reason = src.UpstreamStatus, src.UpstreamReason
		return out, nil
	case src.Suspension != nil:
		out.Status, out.Reason = "suspended", src.Suspension.Reason
	}
	q := PluginQuery{Source: string(id), Limit: maxPageSize, IncludeYanked: true}
	for len(out.Plugins) < MaxAuthorListing {
		page, err := h.Plugins.ListPlugins(ctx, q)
		if err != nil {
			return AuthorListing{}, fmt.Errorf("author-data of %s: %w", id, err)
		}
		for _, p := range page {
			// A version mirrored before v2 statements has none to chain:
			// a downstream could not check it, so it is not offered.
			if p.FederationSignatureV2 != "" && p.PublisherKey != "" && len(out.Plugins) < MaxAuthorListing {
				out.Plugins = append(out.Plugins, AuthorEntry{PluginView: p})
			}
		}
		if len(page) < q.Limit {
			break
		}
		q.After = page[len(page)-1].ID
	}
	return out, nil
}

// ProveNodeOwnership answers POST /verify-ownership for a source the node
// mirrors: the node's current key signs the challenge, so a downstream
// proves it talks to the node whose key it was given.
type ProveNodeOwnership struct {
	Sources SourceReader
	Signer  ChallengeSigner
}

// ChallengeSigner signs an ownership challenge with the node's current key.
type ChallengeSigner interface {
	SignChallenge(challenge string) string
}

func (h ProveNodeOwnership) Handle(ctx context.Context, id domain.SourceID, challenge string) (string, error) {
	src, err := h.Sources.GetSource(ctx, id)
	if err != nil {
		return "", err
	}
	if src.Removal != nil {
		return "", fmt.Errorf("source %s was removed: %w", id, domain.ErrNotFound)
	}
	// Only a well-formed PFN challenge is signed: the node key also signs
	// federation statements, and signing whatever bytes anyone sends would
	// let them obtain a statement in the node's name.
	if _, err := domain.ParseChallenge(challenge); err != nil {
		return "", domain.InField("challenge", err)
	}
	return h.Signer.SignChallenge(challenge), nil
}
