package domain

// ProvenanceHop is one node a mirrored version passed through on its way
// here from its original publisher, first node first (SPEC15 §2-§3): the
// node's key, its base URL, the version's source id at that node and that
// node's v2 federation statement over it.
type ProvenanceHop struct {
	Node      string   `json:"node"`     // the node's key id
	NodeKey   string   `json:"node_key"` // base64 of its raw 32-byte public key
	URL       string   `json:"url"`
	Source    SourceID `json:"source"`
	Signature string   `json:"signature"` // its v2 statement's signature
}

// UpstreamSignature is what a node's v2 statement of a version names as
// its upstream (SPEC15 §3): the signature of the last hop the version came
// through, "" for one mirrored straight from its publisher. The statement
// hop i signed names UpstreamSignature(hops[:i]).
func UpstreamSignature(hops []ProvenanceHop) string {
	if len(hops) == 0 {
		return ""
	}
	return hops[len(hops)-1].Signature
}

// PublisherSource is the source id at the original publisher of a version
// that came through hops: the first hop's source ("" for a direct mirror,
// whose own source is the publisher's).
func PublisherSource(hops []ProvenanceHop) SourceID {
	if len(hops) == 0 {
		return ""
	}
	return hops[0].Source
}
