package publisher

import (
	"encoding/json"
	"fmt"
)

// A node serving the publisher protocol (SPEC15 §2) adds to each entry the
// original publisher, the chain of nodes ("provenance", the serving node
// last) and, on a yanked version, "yanked". Nothing here is verified: the
// sync checks the chain (app/sync_chain.go).

// maxHops caps a chain: a longer one is refused, not followed.
const maxHops = 16

// maxChainField caps each string of the chain (keys, URLs, source ids,
// signatures).
const maxChainField = 2048

// Publisher is the original publisher an upstream node names.
type Publisher struct{ Source, PublicKey string }

// Hop is one node of a version's provenance.
type Hop struct{ Node, NodeKey, URL, Source, Signature string }

// Yank is an upstream node's yank of a version; Signature is the node's
// over domain.YankMarker ("" when it sent none).
type Yank struct{ Reason, At, Signature string }

// SourceStatus is an upstream node's status of the source it lists;
// Signature is the node's over domain.SourceStatusMarker.
type SourceStatus struct{ Status, Reason, Signature string }

// parseChain reads "publisher", "provenance" and "yanked" of an entry.
func parseChain(obj jsonObject, p *Plugin, problems *problemList) {
	if pub, ok, err := obj.object("publisher"); err != nil {
		problems.add(err)
	} else if ok {
		p.Publisher = &Publisher{Source: capped(problems, pub, "publisher.source", "source"),
			PublicKey: capped(problems, pub, "publisher.public_key", "public_key")}
	}
	hops, err := obj.array("provenance")
	problems.add(err)
	if len(hops) > maxHops {
		problems.addf(`"provenance" has %d hops, the cap is %d`, len(hops), maxHops)
		hops = nil
	}
	for i, raw := range hops {
		var h jsonObject
		if err := json.Unmarshal(raw, &h); err != nil || h == nil {
			problems.addf(`"provenance"[%d] is not an object`, i)
			continue
		}
		name := fmt.Sprintf("provenance[%d].", i)
		p.Provenance = append(p.Provenance, Hop{Node: capped(problems, h, name+"node", "node"),
			NodeKey: capped(problems, h, name+"node_key", "node_key"), URL: capped(problems, h, name+"url", "url"),
			Source: capped(problems, h, name+"source", "source"), Signature: capped(problems, h, name+"signature", "signature")})
	}
	if y, ok, err := obj.object("yanked"); err != nil {
		problems.add(err)
	} else if ok {
		p.Yanked = &Yank{Reason: capped(problems, y, "yanked.reason", "reason"), At: capped(problems, y, "yanked.at", "at"),
			Signature: capped(problems, y, "yanked.signature", "signature")}
	}
}

func capped(problems *problemList, obj jsonObject, name, key string) string {
	s, err := obj.str(key)
	if err != nil {
		problems.addf("%q: %v", name, err)
		return ""
	}
	if len(s) > maxChainField {
		problems.addf("%q is %d bytes, the cap is %d", name, len(s), maxChainField)
		return ""
	}
	return s
}

// parseSourceStatus reads a node listing's "source_status" (a publisher
// sends none: the zero SourceStatus).
func parseSourceStatus(obj jsonObject, problems *problemList) SourceStatus {
	st, ok, err := obj.object("source_status")
	if err != nil || !ok {
		problems.add(err)
		return SourceStatus{}
	}
	out := SourceStatus{Status: capped(problems, st, "source_status.status", "status"),
		Reason: capped(problems, st, "source_status.reason", "reason"), Signature: capped(problems, st, "source_status.signature", "signature")}
	switch out.Status {
	case "active", "suspended", "quarantined", "removed":
	default:
		problems.addf(`"source_status.status" %q is not active, suspended, quarantined or removed`, truncateValue(out.Status))
		out.Status = "active"
	}
	return out
}

func truncateValue(s string) string {
	if len(s) > 40 {
		return s[:40]
	}
	return s
}
