// Package logbundle is the offline proof of one mirrored file that
// GET /federation/bundle answers and `pfn verify -bundle` checks (issue
// #16): the node's statement as it is logged, the signatures over it, and
// an inclusion proof against a signed checkpoint of the node's log.
package logbundle

// Format names this bundle's layout.
const Format = "pfn-log-bundle/v1"

// MaxBundle bounds what a verifier reads of a bundle file.
const MaxBundle = 1 << 20

// Bundle is what GET /federation/bundle answers; every binary value is
// standard base64.
type Bundle struct {
	Format  string `json:"format"`
	Source  string `json:"source"`
	Plugin  string `json:"plugin"`
	Version string `json:"version"`
	// Statement is base64 of the exact statement bytes the node signed:
	// the log entry at LogIndex, byte for byte.
	Statement     string `json:"statement"`
	NodeSignature string `json:"node_signature"` // the node's v2 signature over Statement
	NodeKey       string `json:"node_key"`       // base64 raw 32 bytes of the key that signed Statement
	// PublisherClaim is what the publisher's v1 signature covers (the
	// statement names the signature, not the name and description).
	PublisherClaim       Claim  `json:"publisher_claim"`
	PublisherSignature   string `json:"publisher_signature"`
	PublisherSignatureV2 string `json:"publisher_signature_v2,omitempty"` // over the claim with sha256 and size, when the publisher sent one
	PublisherKey         string `json:"publisher_key"`
	LogIndex             int64  `json:"log_index"`
	// InclusionProof proves leaf LogIndex in the tree of Checkpoint
	// (tlog.ProveRecord), each hash base64.
	InclusionProof []string `json:"inclusion_proof"`
	Checkpoint     string   `json:"checkpoint"`   // the signed note, as /federation/log/checkpoint served it
	VerifierKey    string   `json:"verifier_key"` // sumdb/note verifier key of the checkpoint's signer
}

// Claim is the publisher's signed claim (domain.PluginClaim).
type Claim struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Version     string `json:"version"`
	Description string `json:"description"`
}
