package httpapi

import "github.com/pfn-network/pfn/app"

// peerInfoView answers GET /federation/peer-info (SPEC15 §6): another
// node's current key and sources, for the admin about to follow it.
type peerInfoView struct {
	URL       string   `json:"url"`
	NodeKeyID string   `json:"node_key_id"`
	PublicKey string   `json:"public_key"`
	Features  []string `json:"features"`
	PFNNode   bool     `json:"pfn_node"`
	Sources   []string `json:"sources"`
}

func viewPeerInfo(p app.PeerInfo) peerInfoView {
	features := p.Features
	if features == nil {
		features = []string{}
	}
	return peerInfoView{URL: p.URL, NodeKeyID: p.NodeKeyID, PublicKey: p.PublicKey, Features: features,
		PFNNode: p.PFNNode, Sources: p.Sources}
}
