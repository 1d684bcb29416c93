package main

import (
	"context"

	"github.com/pfn-network/pfn/adapters/publisher"
	"github.com/pfn-network/pfn/domain"
)

// publisherPort adapts the publisher client to app.Publisher; its errors
// keep their message and also match domain.ErrPublisher (HTTP 502).
type publisherPort struct{ c *publisher.Client }

func (p publisherPort) FederationInfo(ctx context.Context, instanceURL string) (domain.PublisherInfo, error) {
	info, err := p.c.FederationInfo(ctx, instanceURL)
	if err != nil {
		return domain.PublisherInfo{}, publisherError{err}
	}
	out := domain.PublisherInfo{ProtocolVersion: info.Version, Features: info.Features,
		AssetDomain: info.AssetDomain, NamingScheme: info.NamingScheme}
	if info.Log != nil {
		out.LogOrigin = info.Log.Origin // read only when the node announces "transparency-log"
	}
	if r := info.KeyRotation; r != nil {
		out.KeyRotation = &domain.KeyRotation{PublicKey: r.PublicKey, Signature: r.Signature}
	}
	return out, nil
}

func (p publisherPort) ProveOwnership(ctx context.Context, instanceURL, username, challenge string) (string, error) {
	sig, err := p.c.ProveOwnership(ctx, instanceURL, username, challenge)
	if err != nil {
		return "", publisherError{err}
	}
	return sig, nil
}

type publisherError struct{ err error }

func (e publisherError) Error() string { return e.err.Error() }

func (e publisherError) Unwrap() []error { return []error{e.err, domain.ErrPublisher} }
