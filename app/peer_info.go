package app

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// GetPeerInfo answers GET /federation/peer-info: what another PFN node
// says about itself, for the admin about to follow it. The admin compares
// the node key shown with what the node's operator gave out, picks one of
// its sources, and adds it with POST /federation/add-source; nothing is
// recorded here.
type GetPeerInfo struct {
	Peers PeerReader
	// Timeout bounds the whole look-up (both calls); zero means 10 s. A
	// peer slower than that is a peer failure (502), not the node's.
	Timeout time.Duration
}

// PeerReader asks another node, through the node's outbound client (its
// deadline, caps and address rule).
type PeerReader interface {
	// PeerNode reads the node's /federation-info.
	PeerNode(ctx context.Context, nodeURL string) (PeerNode, error)
	// SourceIDs lists up to limit ids of the sources it mirrors.
	SourceIDs(ctx context.Context, nodeURL string, limit int) ([]string, error)
}

// PeerNode is what a node's /federation-info says; Keys are its signing
// keys as sent (PEM or base64), the current one first.
type PeerNode struct {
	Features []string
	Keys     []PeerKey
}

type PeerKey struct{ KeyID, PublicKey string }

// PeerInfo is the answer: the node's current key, checked (PublicKey raw
// base64, NodeKeyID computed from it), and the first sources it lists.
type PeerInfo struct {
	URL       string
	NodeKeyID string
	PublicKey string
	Features  []string
	PFNNode   bool // it announces the node-as-publisher protocol
	Sources   []string
}

// PeerSourcesShown is how many of a peer's sources the answer lists.
const PeerSourcesShown = 200

// pfnNodeFeature is what a node that serves the publisher protocol for its
// sources announces in its features.
const pfnNodeFeature = "pfn-node/v1"

var errPeerDeadline = errors.New("peer look-up deadline")

// Authorize: only admins add sources, so only they look nodes up (the node
// would otherwise fetch any URL for anyone).
func (h GetPeerInfo) Authorize(by Principal) error { return requireAdmin(by) }

func (h GetPeerInfo) Handle(ctx context.Context, by Principal, rawURL string) (PeerInfo, error) {
	if err := h.Authorize(by); err != nil {
		return PeerInfo{}, err
	}
	nodeURL, err := domain.NormalizeInstanceURL(rawURL)
	if err != nil {
		return PeerInfo{}, domain.InField("url", err)
	}
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errPeerDeadline)
	defer cancel()
	node, err := h.Peers.PeerNode(ctx, nodeURL)
	if err != nil {
		return PeerInfo{}, peerFailure(ctx, nodeURL, timeout, err)
	}
	info := PeerInfo{URL: nodeURL, Features: node.Features, PFNNode: slices.Contains(node.Features, pfnNodeFeature)}
	if info.NodeKeyID, info.PublicKey, err = currentKey(node.Keys); err != nil {
		return PeerInfo{}, fmt.Errorf("%s: %w: %w", nodeURL, err, domain.ErrPublisher)
	}
	// A node that keeps its lists to its admins is still worth showing:
	// the admin then types the source id the node's operator gave.
	info.Sources, _ = h.Peers.SourceIDs(ctx, nodeURL, PeerSourcesShown)
	if info.Sources == nil {
		info.Sources = []string{}
	}
	return info, nil
}

// currentKey checks the node's current key and names it as the node names
// its keys; a node stating another key id than its key's is not believed.
func currentKey(keys []PeerKey) (keyID, publicKey string, err error) {
	if len(keys) == 0 {
		return "", "", errors.New("its /federation-info lists no node key: a publisher, not a PFN node, so add it as a source with its publisher's key")
	}
	pub, err := domain.ParsePublicKey(keys[0].PublicKey)
	if err != nil {
		// %v: a bad key is the peer's fault (502), not the request's (400).
		return "", "", fmt.Errorf("its node key %q: %v", keys[0].KeyID, err)
	}
	keyID = domain.KeyID(pub)
	if keys[0].KeyID != keyID {
		return "", "", fmt.Errorf("it names its node key %q, but that key's id is %s", keys[0].KeyID, keyID)
	}
	return keyID, base64.StdEncoding.EncodeToString(pub), nil
}

// peerFailure words a failed look-up. Running out of time is the peer's
// fault here (502), so the context's own error, which would read as the
// node's (503), is left out.
func peerFailure(ctx context.Context, nodeURL string, timeout time.Duration, err error) error {
	if errors.Is(context.Cause(ctx), errPeerDeadline) {
		return fmt.Errorf("%s did not answer /federation-info within %s: %w", nodeURL, timeout, domain.ErrPublisher)
	}
	if errors.Is(err, domain.ErrInvalidInput) {
		return domain.InField("url", err)
	}
	return err
}
