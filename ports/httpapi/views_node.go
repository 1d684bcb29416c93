package httpapi

import (
	"time"

	"github.com/pfn-network/pfn/app"
)

// The node as a publisher (SPEC15 §2): the original publisher's field
// names (snake_case entries under "plugins"), plus the chain.

type assetInfoView struct {
	Domain       string `json:"domain"`
	NamingScheme string `json:"namingScheme"`
}

type authorDataView struct {
	Username     string           `json:"username"`
	SourceStatus sourceStatusBody `json:"source_status"`
	Plugins      []authorEntry    `json:"plugins"`
}

type sourceStatusBody struct {
	Status    string `json:"status"`
	Reason    string `json:"reason,omitempty"`
	Signature string `json:"signature"` // the node's, over domain.SourceStatusMarker
}

// authorYankView is a yank marker the node signed (domain.YankMarker).
type authorYankView struct {
	Reason    string     `json:"reason"`
	At        *time.Time `json:"at,omitempty"`
	Signature string     `json:"signature"`
}

type authorEntry struct {
	Slug             string          `json:"slug"`
	Name             string          `json:"name"`
	Version          string          `json:"version"`
	ShortDescription string          `json:"short_description"`
	Tags             []string        `json:"tags"`
	Signature        string          `json:"signature"`
	SignatureV2      string          `json:"signature_v2,omitempty"`
	SHA256           string          `json:"sha256"`
	Size             int64           `json:"size"`
	Publisher        publisherRef    `json:"publisher"`
	Provenance       []hopView       `json:"provenance"`
	Yanked           *authorYankView `json:"yanked,omitempty"`
	// LogIndex is the entry of this node's statement (the last hop) in its
	// transparency log; null while it is not logged.
	LogIndex *int64 `json:"log_index"`
}

type publisherRef struct {
	Source    string `json:"source"`
	PublicKey string `json:"public_key"`
}

type hopView struct {
	Node      string `json:"node"`
	NodeKey   string `json:"node_key"`
	URL       string `json:"url"`
	Source    string `json:"source"`
	Signature string `json:"signature"`
}

// viewAuthorData lists each version with its chain, this node last: its
// key (by the id its statement names), its URL and its v2 statement.
func viewAuthorData(l app.AuthorListing, keys map[string]string, self string) authorDataView {
	out := authorDataView{Username: string(l.Source), SourceStatus: sourceStatusBody{Status: l.Status, Reason: l.Reason, Signature: l.StatusSignature},
		Plugins: make([]authorEntry, 0, len(l.Plugins))}
	for _, p := range l.Plugins {
		tags := p.Tags
		if tags == nil {
			tags = []string{}
		}
		e := authorEntry{Slug: p.Plugin, Name: p.Name, Version: p.Version, ShortDescription: p.Description, Tags: tags,
			Signature: p.PublisherSignature, SignatureV2: p.PublisherSignatureV2, SHA256: p.SHA256, Size: p.Size,
			Provenance: make([]hopView, 0, len(p.Provenance)+1), LogIndex: p.LogIndex}
		if y := viewYanked(p.PluginView); y != nil {
			e.Yanked = &authorYankView{Reason: y.Reason, At: y.At, Signature: p.YankSignature}
		}
		prov := viewProvenance(p.PluginView)
		e.Publisher = publisherRef{Source: prov[0].Source, PublicKey: p.PublisherKey}
		for _, h := range p.Provenance {
			e.Provenance = append(e.Provenance, hopView{Node: h.Node, NodeKey: h.NodeKey, URL: h.URL, Source: string(h.Source), Signature: h.Signature})
		}
		e.Provenance = append(e.Provenance, hopView{Node: p.NodeKeyID, NodeKey: keys[p.NodeKeyID], URL: self,
			Source: p.SourceID, Signature: p.FederationSignatureV2})
		out.Plugins = append(out.Plugins, e)
	}
	return out
}
