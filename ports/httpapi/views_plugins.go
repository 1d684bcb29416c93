package httpapi

import (
	"time"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// Plugins family: snake_case, as the original's catalogue rows (views.go).

// pluginView is a row of GET /federation/plugins and the plugin of a
// verify report. The node's blob key and the reason a version was pruned
// stay inside the node.
type pluginView struct {
	Plugin              string         `json:"plugin_id"`
	SourceID            string         `json:"source_id"`
	Name                string         `json:"name"`
	Version             string         `json:"version"`
	Description         string         `json:"description"`
	Tags                []string       `json:"tags"`
	SHA256              string         `json:"sha256"`
	Size                int64          `json:"size"`
	MirrorDate          int64          `json:"mirror_date"` // unix seconds, as the original
	PublisherSignature  string         `json:"signature"`
	FederationSignature string         `json:"federation_signature"`
	NodeKeyID           string         `json:"node_key_id"`
	StoredCopy          storedCopyView `json:"stored_copy"`
	SourceStatus        string         `json:"source_status,omitempty"`
	SourceQuarantined   bool           `json:"source_quarantined,omitempty"` // only in an admin's include_quarantined=true listing
	Yanked              *yankedView    `json:"yanked,omitempty"`             // only on a yanked version
	// BytesAttestedBy: "publisher" when its signature_v2 (shown) covers
	// these bytes, "node" when only the node's statement does.
	BytesAttestedBy string `json:"bytes_attested_by"`
	SignatureV2     string `json:"signature_v2,omitempty"`
	// Provenance: the original publisher, then every upstream node the
	// version came through, in order; this node is not in it (SPEC15 §5).
	Provenance            []provenanceView `json:"provenance"`
	FederationSignatureV2 string           `json:"federation_signature_v2"`
	// LogIndex is the version's entry in the node's transparency log; null
	// while it is not logged (mirrored before the log began, or the log is off).
	LogIndex *int64 `json:"log_index"`
}

// provenanceView is one step of a version's way here: role "publisher"
// (source and public_key) or "node" (every field but public_key).
type provenanceView struct {
	Role      string `json:"role"`
	Source    string `json:"source"`
	PublicKey string `json:"public_key,omitempty"`
	Node      string `json:"node,omitempty"`
	NodeKey   string `json:"node_key,omitempty"`
	URL       string `json:"url,omitempty"`
	Signature string `json:"signature,omitempty"`
}

func viewProvenance(p app.PluginView) []provenanceView {
	publisher := domain.PublisherSource(p.Provenance)
	if publisher == "" {
		publisher = domain.SourceID(p.SourceID)
	}
	out := make([]provenanceView, 0, 1+len(p.Provenance))
	out = append(out, provenanceView{Role: "publisher", Source: string(publisher), PublicKey: p.PublisherKey})
	for _, h := range p.Provenance {
		out = append(out, provenanceView{Role: "node", Source: string(h.Source), Node: h.Node, NodeKey: h.NodeKey,
			URL: h.URL, Signature: h.Signature})
	}
	return out
}

// yankedView says why and when an admin yanked a version.
type yankedView struct {
	Reason string     `json:"reason"`
	At     *time.Time `json:"at,omitempty"`
}

type storedCopyView struct {
	OK      bool       `json:"ok"`
	Damage  string     `json:"damage,omitempty"`
	FoundAt *time.Time `json:"found_at,omitempty"`
}

func viewPlugin(p app.PluginView) pluginView {
	return pluginView{Plugin: p.Plugin, SourceID: p.SourceID, Name: p.Name, Version: p.Version,
		Description: p.Description, Tags: p.Tags, SHA256: p.SHA256, Size: p.Size, MirrorDate: p.MirrorDate,
		PublisherSignature: p.PublisherSignature, FederationSignature: p.FederationSignature, NodeKeyID: p.NodeKeyID,
		StoredCopy: storedCopyView{OK: p.StoredCopy.OK, Damage: p.StoredCopy.Damage, FoundAt: p.StoredCopy.FoundAt},
		Yanked:     viewYanked(p), SourceStatus: p.SourceStatus, SourceQuarantined: p.SourceQuarantined,
		BytesAttestedBy: bytesAttester(p.BytesAttestedBy), SignatureV2: p.PublisherSignatureV2,
		Provenance: viewProvenance(p), FederationSignatureV2: p.FederationSignatureV2, LogIndex: p.LogIndex}
}

// bytesAttester is "node" for a row that names nobody (a row read before
// the column existed cannot, but a zero view can).
func bytesAttester(by string) string {
	if by == "" {
		return domain.AttestedByNode.String()
	}
	return by
}

func viewYanked(p app.PluginView) *yankedView {
	if p.Yanked == "" {
		return nil
	}
	return &yankedView{Reason: p.Yanked, At: p.YankedAt}
}

// verifyReportView answers GET /federation/verify.
type verifyReportView struct {
	Plugin              pluginView `json:"plugin"`
	PublisherSignature  checkView  `json:"publisher_signature"`
	FederationSignature checkView  `json:"federation_signature"`
	StoredBytes         checkView  `json:"stored_bytes"`
	Valid               bool       `json:"valid"`
	// Which of the source's keys the publisher signature verifies under
	// (its key id), and whether that is the source's key now: a version
	// signed before a key rotation names the retired key.
	PublisherKeyID      string `json:"publisher_key_id,omitempty"`
	PublisherKeyCurrent *bool  `json:"publisher_key_current,omitempty"`
	// PublisherSignatureV2 is there only for a version with a signature_v2.
	PublisherSignatureV2 *checkView `json:"publisher_signature_v2,omitempty"`
	BytesAttestedBy      string     `json:"bytes_attested_by"`
	// FederationSignatureV2 checks the node's v2 statement; there only
	// for a version that has one.
	FederationSignatureV2 *checkView `json:"federation_signature_v2,omitempty"`
	// LogIndex is the version's entry in the node's transparency log (its
	// bundle: GET /federation/bundle); null while it is not logged.
	LogIndex *int64 `json:"log_index"`
}

type checkView struct {
	OK      bool       `json:"ok"`
	Detail  string     `json:"detail,omitempty"`
	FoundAt *time.Time `json:"found_at,omitempty"`
}

func viewVerifyReport(r app.VerifyReport) verifyReportView {
	check := func(c app.Check) checkView { return checkView{OK: c.OK, Detail: c.Detail, FoundAt: c.FoundAt} }
	v := verifyReportView{Plugin: viewPlugin(r.Plugin), PublisherSignature: check(r.PublisherSignature),
		FederationSignature: check(r.FederationSignature), StoredBytes: check(r.StoredBytes),
		BytesAttestedBy: bytesAttester(r.BytesAttestedBy), Valid: r.Valid, LogIndex: r.Plugin.LogIndex}
	if k := r.PublisherKey; k != nil {
		v.PublisherKeyID, v.PublisherKeyCurrent = k.KeyID, &k.Current
	}
	if r.PublisherSignatureV2 != nil {
		c := check(*r.PublisherSignatureV2)
		v.PublisherSignatureV2 = &c
	}
	if r.FederationSignatureV2 != nil {
		c := check(*r.FederationSignatureV2)
		v.FederationSignatureV2 = &c
	}
	v.Plugin.BytesAttestedBy = v.BytesAttestedBy // what holds now, as the answer says
	return v
}
