package main

import (
	"context"

	"github.com/pfn-network/pfn/adapters/publisher"
	"github.com/pfn-network/pfn/app"
)

// peerPort adapts the publisher client to app.PeerReader: another node is
// asked through the same client as publishers (deadline, caps, address
// rule), and its failures are publisherErrors (502) like theirs.
type peerPort struct{ c *publisher.Client }

func (p peerPort) PeerNode(ctx context.Context, nodeURL string) (app.PeerNode, error) {
	info, err := p.c.FederationInfo(ctx, nodeURL)
	if err != nil {
		return app.PeerNode{}, publisherError{err}
	}
	out := app.PeerNode{Features: info.Features}
	for _, k := range info.NodeKeys {
		out.Keys = append(out.Keys, app.PeerKey{KeyID: k.KeyID, PublicKey: k.PublicKey})
	}
	return out, nil
}

func (p peerPort) SourceIDs(ctx context.Context, nodeURL string, limit int) ([]string, error) {
	ids, err := p.c.SourceIDs(ctx, nodeURL, limit)
	if err != nil {
		return nil, publisherError{err}
	}
	return ids, nil
}
