package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/pfn-network/pfn/domain"
)

// SourceIDs finds the ids of the sources read model that start with a
// prefix: the lookup behind port-less ids.
type SourceIDs interface {
	SourceIDsWithPrefix(ctx context.Context, prefix string) ([]domain.SourceID, error)
}

// SourceResolver turns a source id received from outside into the id of a
// source. The zero resolver (no Sources) only checks the id's shape. Clients written for the original network build ids as
// username@hostname, without the port PFN keeps when a publisher is not
// on its scheme's default port; such an id stands for the one source it
// can mean. It is the one place ids from requests are resolved, so every
// endpoint that takes a source id accepts the same forms.
type SourceResolver struct{ Sources SourceIDs }

// AmbiguousSourceError is a port-less id that names several sources (one
// username on several ports of a host); the caller has to say which.
type AmbiguousSourceError struct {
	Given      string
	Candidates []domain.SourceID
}

func (e *AmbiguousSourceError) Error() string {
	ids := make([]string, len(e.Candidates))
	for i, id := range e.Candidates {
		ids[i] = string(id)
	}
	return fmt.Sprintf("sourceId %q names %d sources (%s); send one of them with its port", e.Given, len(ids), strings.Join(ids, ", "))
}

// Unwrap makes the error a conflict (409).
func (e *AmbiguousSourceError) Unwrap() error { return domain.ErrConflict }

// Resolve checks raw's shape and answers the source it names: itself when
// it carries a port, otherwise the source with exactly that id or else the
// only source with that username and host on any port. None is
// domain.ErrNotFound; several is *AmbiguousSourceError.
func (r SourceResolver) Resolve(ctx context.Context, raw string) (domain.SourceID, error) {
	id, err := domain.ParseSourceID(raw)
	if err != nil {
		return "", err
	}
	if hasPort(id) || r.Sources == nil {
		return id, nil // PFN's own form: the use cases say whether it exists
	}
	found, err := r.Sources.SourceIDsWithPrefix(ctx, string(id))
	if err != nil {
		return "", fmt.Errorf("resolve source %s: %w", id, err)
	}
	return pickSource(id, found)
}

// pickSource chooses among the read model's ids starting with a port-less
// id. The id itself wins: it is PFN's own id of a source on the default
// port, and a PFN client sending it must never be told it is ambiguous.
func pickSource(given domain.SourceID, found []domain.SourceID) (domain.SourceID, error) {
	var candidates []domain.SourceID
	for _, id := range found {
		if id == given {
			return id, nil
		}
		if port, ok := strings.CutPrefix(string(id), string(given)+":"); ok && isPort(port) {
			candidates = append(candidates, id)
		}
	}
	switch len(candidates) {
	case 0:
		return "", fmt.Errorf("source %s: %w", given, domain.ErrNotFound)
	case 1:
		return candidates[0], nil
	}
	return "", &AmbiguousSourceError{Given: string(given), Candidates: candidates}
}

// hasPort reports whether a well-formed id ends in :port (an IPv6 host is
// in brackets, so its own colons do not count).
func hasPort(id domain.SourceID) bool {
	s := string(id)
	i := strings.LastIndexByte(s, ':')
	return i > strings.LastIndexByte(s, ']') && i > strings.LastIndexByte(s, '@')
}

func isPort(s string) bool {
	if s == "" || len(s) > 5 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
