package app

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"slices"

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
	// A hop carrying one of this node's keys under another id is a cycle too.
	for _, hop := range hops {
		key, err := domain.ParsePublicKey(hop.NodeKey)
		if h.Signer.OwnsKey(hop.Node) || (err == nil && h.Signer.OwnsKey(domain.KeyID(key))) {
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
	// Each node's source id is its upstream's plus "@" and the upstream's
	// host: only the username part is checked, since no signature covers a
	// hop's URL (the next node's signed source id names its host).
	for i := 1; i < len(hops); i++ {
		if username, _ := domain.SplitSourceID(hops[i].Source); username != string(hops[i-1].Source) {
			return fmt.Sprintf("hop %d's source %q does not follow from hop %d's source %q", i, hops[i].Source, i-1, hops[i-1].Source)
		}
	}
	pubKey, err := domain.ParsePublicKey(p.Publisher.PublicKey)
	if err != nil {
		return "the publisher's public key: " + err.Error()
	}
	if p.Publisher.PublicKey != base64.StdEncoding.EncodeToString(pubKey) {
		return "the publisher's public key is not base64 of the raw 32-byte key"
	}
	for i, hop := range hops {
		key, err := domain.ParsePublicKey(hop.NodeKey)
		if err != nil {
			return fmt.Sprintf("hop %d's node key: %v", i, err)
		}
		if err := h.Signer.VerifyStatementV2(key, hopStatement(p, i), hop.Signature); err != nil {
			return fmt.Sprintf("hop %d's (%s) federation statement: %v", i, hop.URL, err)
		}
	}
	return ""
}

// hopStatement is the v2 statement hop i of a node's entry signed of the
// version: its upstream is the hop before's signature. The last hop's is
// the serving node's, the one its transparency log holds (sync_log.go).
func hopStatement(p ListedPlugin, i int) StatementV2 {
	hop := p.Provenance[i]
	st := StatementV2{Node: hop.Node, Source: hop.Source, Plugin: p.Slug, Version: p.Version, SHA256: p.SHA256,
		Size: p.Size, PublisherSignature: p.Signature, Upstream: domain.UpstreamSignature(p.Provenance[:i])}
	if p.Publisher != nil {
		st.PublisherKey = p.Publisher.PublicKey
	}
	return st
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
// with the sync's other changes). Only an entry that is usable, whose chain
// holds (chain, from chainProblems) and that names the bytes mirrored here
// counts; a yank marker counts only when the upstream node signed it
// (domain.YankMarker), else it is ignored and refused once on the source:
// whoever relays the listing cannot yank in the node's name.
func followUpstreamYanks(st domain.SourceState, listed []ListedPlugin, chain []string, histories map[string]*domain.PluginHistory, plan *syncPlan, rec *syncRecording) {
	actor := domain.UpstreamActor(st.InstanceURL)
	for i, p := range listed {
		hist := histories[p.Slug]
		if !fromNode(p) || hist == nil || unusable(p) != "" || i >= len(chain) || chain[i] != "" {
			continue
		}
		if v, ok := hist.Mirrored(p.Version); !ok || v.SHA256 != p.SHA256 {
			continue
		}
		reason := ""
		if p.Yanked != nil {
			reason = p.Yanked.Reason
			marker := domain.YankMarker(domain.SourceID(st.Username), p.Slug, p.Version, p.SHA256, reason)
			if err := domain.VerifyMarker(st.PublicKey, marker, p.Yanked.Signature); err != nil {
				rec.refusals = append(rec.refusals, domain.ListingRefusal{Plugin: p.Slug, Version: p.Version,
					Reason: "the upstream node's yank marker is ignored: " + err.Error()})
				continue
			}
		}
		if hist.FollowUpstreamYank(p.Version, p.Yanked != nil, reason, actor, rec.now) && !slices.Contains(plan.Touched, hist) {
			plan.Touched = append(plan.Touched, hist)
		}
	}
}

// withUpstreamURL records the upstream node's hop with the source's own
// instance URL, the one this node's source id commits to: no signature
// covers the URL a listing gives for its serving node.
func withUpstreamURL(listed []ListedPlugin, instanceURL string) {
	for i := range listed {
		if n := len(listed[i].Provenance); n > 0 {
			hops := slices.Clone(listed[i].Provenance)
			hops[n-1].URL = instanceURL
			listed[i].Provenance = hops
		}
	}
}

// recordWithheld acts on an upstream node's quarantined or removed
// source_status only when the node signed it (domain.SourceStatusMarker)
// under the source's proven key; an unsigned or badly signed one is
// ignored and refused once on the source.
func (h SyncSource) recordWithheld(ctx context.Context, id domain.SourceID, st domain.SourceState, w *UpstreamWithheld) error {
	marker := domain.SourceStatusMarker(domain.SourceID(st.Username), w.Status, w.Reason)
	verr := domain.VerifyMarker(st.PublicKey, marker, w.Signature)
	return h.Sources.Update(ctx, id, func(s *domain.Source) error {
		if verr != nil {
			_, err := s.RecordListingRefusals([]domain.ListingRefusal{{
				Reason: fmt.Sprintf("the upstream node's source_status %q is ignored: %v", w.Status, verr)}}, h.Now())
			return err
		}
		s.RecordUpstreamStatus(w.Status, w.Reason, h.Now())
		return nil
	})
}

// UpstreamWithheld is an upstream node's answer that it withholds the
// source (source_status quarantined or removed): the sync records it on the
// source (domain.Source.RecordUpstreamStatus), which hides the source's
// plugins here, and ends. Signature is the node's over
// domain.SourceStatusMarker; it is acted on only when that verifies
// (recordWithheld).
type UpstreamWithheld struct{ Status, Reason, Signature string }

func (e *UpstreamWithheld) Error() string {
	return "the upstream node lists the source as " + e.Status + ": " + e.Reason
}
