package app

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// A source whose upstream is another PFN node (SPEC15 §2-§3) lists, for
// each version, the original publisher and the chain of nodes it came
// through, the upstream last. Before anything is downloaded the chain is
// checked; an entry that fails is rejected (plugin.rejected, with the
// reason) and never mirrored. The publisher's signatures are then checked
// under the publisher key the chain names (publisherKeyFor), and the bytes
// against the listed sha256 and size (listedBytesMismatch).

// fromNode says whether an entry came from a node rather than a publisher.
func fromNode(p ListedPlugin) bool { return p.Publisher != nil || len(p.Provenance) > 0 }

// chainProblems checks every node entry's chain: "" where it holds.
func (h SyncSource) chainProblems(st domain.SourceState, listed []ListedPlugin) []string {
	out := make([]string, len(listed))
	for i, p := range listed {
		if fromNode(p) && unusable(p) == "" {
			out[i] = h.chainProblem(st, p)
		}
	}
	return out
}

// chainProblem applies the chain rules of SPEC15 §3 to one entry.
func (h SyncSource) chainProblem(st domain.SourceState, p ListedPlugin) string {
	hops := p.Provenance
	if p.Publisher == nil || len(hops) == 0 {
		return "the upstream node lists this version without its publisher or provenance"
	}
	// A cycle first: the chain has come back round to this node, whatever
	// else it says. Refused, so it is neither mirrored again nor listed twice.
	for _, hop := range hops {
		if h.Signer.OwnsKey(hop.Node) {
			return fmt.Sprintf("cycle: its provenance already passes through this node (key %s at %s); not mirrored again", hop.Node, hop.URL)
		}
	}
	last := hops[len(hops)-1]
	if last.NodeKey != base64.StdEncoding.EncodeToString(st.PublicKey) {
		return "the last hop's node key is not the upstream node's proven key"
	}
	if string(last.Source) != st.Username {
		return fmt.Sprintf("the last hop names source %q, not %q", last.Source, st.Username)
	}
	if hops[0].Source != p.Publisher.Source {
		return fmt.Sprintf("the first hop names source %q, but the publisher is %q", hops[0].Source, p.Publisher.Source)
	}
	for i := 1; i < len(hops); i++ {
		host, err := hostPortOf(hops[i-1].URL)
		if err != nil || hops[i].Source != domain.SourceID(string(hops[i-1].Source)+"@"+host) {
			return fmt.Sprintf("hop %d's source %q does not follow from hop %d's source and URL", i, hops[i].Source, i-1)
		}
	}
	pubKey, err := domain.ParsePublicKey(p.Publisher.PublicKey)
	if err != nil {
		return "the publisher's public key: " + err.Error()
	}
	if p.Publisher.PublicKey != base64.StdEncoding.EncodeToString(pubKey) {
		return "the publisher's public key is not base64 of the raw 32-byte key"
	}
	upstream := ""
	for i, hop := range hops {
		key, err := domain.ParsePublicKey(hop.NodeKey)
		if err != nil {
			return fmt.Sprintf("hop %d's node key: %v", i, err)
		}
		st := StatementV2{Node: hop.Node, Source: hop.Source, Plugin: p.Slug, Version: p.Version, SHA256: p.SHA256,
			Size: p.Size, PublisherSignature: p.Signature, PublisherKey: p.Publisher.PublicKey, Upstream: upstream}
		if err := h.Signer.VerifyStatementV2(key, st, hop.Signature); err != nil {
			return fmt.Sprintf("hop %d's (%s) federation statement: %v", i, hop.URL, err)
		}
		upstream = hop.Signature
	}
	return ""
}

// hostPortOf is the host[:port] a source id names for a node at rawURL.
func hostPortOf(rawURL string) (string, error) {
	norm, err := domain.NormalizeInstanceURL(rawURL)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(norm)
	if err != nil {
		return "", err
	}
	return u.Host, nil
}

// publisherKeyFor is the key an entry's publisher signatures verify under:
// the original publisher's for an entry from a node (none that verifies
// when it does not parse), else the source's own.
func publisherKeyFor(p ListedPlugin, sourceKey ed25519.PublicKey) ed25519.PublicKey {
	if p.Publisher == nil {
		return sourceKey
	}
	key, err := domain.ParsePublicKey(p.Publisher.PublicKey)
	if err != nil {
		return nil
	}
	return key
}

// followUpstreamYanks yanks here what the upstream node yanked, and lifts
// what it no longer does, within the same sync (the histories are saved
// with the sync's other changes).
func followUpstreamYanks(st domain.SourceState, listed []ListedPlugin, histories map[string]*domain.PluginHistory, plan *syncPlan, now time.Time) {
	actor := domain.UpstreamActor(st.InstanceURL)
	for _, p := range listed {
		hist := histories[p.Slug]
		if !fromNode(p) || hist == nil {
			continue
		}
		reason := ""
		if p.Yanked != nil {
			reason = p.Yanked.Reason
		}
		if hist.FollowUpstreamYank(p.Version, p.Yanked != nil, reason, actor, now) && !slices.Contains(plan.Touched, hist) {
			plan.Touched = append(plan.Touched, hist)
		}
	}
}

// UpstreamWithheld is an upstream node's answer that it withholds the
// source (source_status quarantined or removed): the sync records it on the
// source (domain.Source.RecordUpstreamStatus), which hides the source's
// plugins here, and ends.
type UpstreamWithheld struct{ Status, Reason string }

func (e *UpstreamWithheld) Error() string {
	return "the upstream node lists the source as " + e.Status + ": " + e.Reason
}
