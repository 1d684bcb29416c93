package logbundle

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pfn-network/pfn/adapters/nodekey"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/internal/tlogtiles"
)

// The checks Verify makes, in the order it reports them.
const (
	CheckBundle     = "bundle"
	CheckStatement  = "statement"
	CheckFile       = "file"
	CheckPublisher  = "publisher signature"
	CheckNode       = "node signature"
	CheckCheckpoint = "checkpoint signature"
	CheckInclusion  = "inclusion proof"
)

// maxProof bounds an inclusion proof: a tree of 2^63 leaves needs 63 hashes.
const maxProof = 64

// Verdict is the outcome of one check: OK, failed, or (the node and
// checkpoint signatures without pins) Unpinned.
type Verdict struct {
	Check string
	OK    bool // the check holds, under a pinned key where it takes a key
	// Unpinned: the signature verifies, but under a key the bundle names
	// itself and no pin vouches for, which anyone making a bundle can do:
	// not OK, not failed either.
	Unpinned bool
	Detail   string
}

// Failed says whether the check found something false (an unpinned
// verdict has found nothing false: it has proven nothing either).
func (v Verdict) Failed() bool { return !v.OK && !v.Unpinned }

// Verify checks a bundle against the file it is about, with no network.
// It always answers every check, in the order of the Check constants: a
// check whose inputs the bundle does not hold fails as "not checked", so a
// bundle verifies only when every verdict is OK. With pins, the node key
// that signed the statement and the key that signed the checkpoint must
// each be one of them (they may differ: a node signs its checkpoints with
// its current key, and its older statements stay signed by a retired
// one). Without pins those two signatures are checked under the bundle's
// own keys and are at best Unpinned: a bundle anyone made up verifies that
// far. Pinned or not, two keys of the bundle with the same key id must be
// the same key.
func Verify(b Bundle, file io.Reader, pins []ed25519.PublicKey) []Verdict {
	p := decode(b)
	return []Verdict{
		p.bundleVerdict(),
		p.statementVerdict(),
		p.fileVerdict(file),
		p.publisherVerdict(),
		p.nodeVerdict(pins),
		p.checkpointVerdict(pins),
		p.inclusionVerdict(),
	}
}

// OK says whether every verdict holds, pinned: an unpinned verdict is not
// OK.
func OK(vs []Verdict) bool {
	for _, v := range vs {
		if !v.OK {
			return false
		}
	}
	return len(vs) > 0
}

// parts is a bundle decoded: each binary value nil when it did not decode,
// problems saying why.
type parts struct {
	b         Bundle
	statement []byte
	st        *nodekey.StatementV2 // nil when the statement is not a v2 statement's JSON
	stErr     string
	nodeSig   []byte
	nodeKey   ed25519.PublicKey
	// vkey is the Ed25519 key in the bundle's verifier_key; nil, and
	// vkeyErr why, when there is none.
	vkey      ed25519.PublicKey
	vkeyErr   error
	pubKey    ed25519.PublicKey // the statement's publisher_key
	pubSigsOK bool
	proof     tlog.RecordProof
	proofOK   bool
	problems  []string
}

func decode(b Bundle) *parts {
	p := &parts{b: b}
	if b.Format != Format {
		p.problem(fmt.Sprintf("format %q, want %q", clip(b.Format), Format))
	}
	p.statement = p.base64("statement", b.Statement, -1)
	p.nodeSig = p.base64("node_signature", b.NodeSignature, ed25519.SignatureSize)
	if k := p.base64("node_key", b.NodeKey, ed25519.PublicKeySize); k != nil {
		p.nodeKey = p.point("node_key", k)
	}
	pubSig := p.base64("publisher_signature", b.PublisherSignature, ed25519.SignatureSize)
	pubSigV2 := []byte{0}
	if b.PublisherSignatureV2 != "" {
		pubSigV2 = p.base64("publisher_signature_v2", b.PublisherSignatureV2, ed25519.SignatureSize)
	}
	p.pubSigsOK = pubSig != nil && pubSigV2 != nil
	p.base64("publisher_key", b.PublisherKey, ed25519.PublicKeySize)
	if b.LogIndex < 0 {
		p.problem(fmt.Sprintf("log_index %d is negative", b.LogIndex))
	}
	p.proofOK = len(b.InclusionProof) <= maxProof
	if !p.proofOK {
		p.problem(fmt.Sprintf("inclusion_proof has %d hashes, at most %d", len(b.InclusionProof), maxProof))
	}
	for i, s := range b.InclusionProof {
		if !p.proofOK {
			break
		}
		h := p.base64(fmt.Sprintf("inclusion_proof[%d]", i), s, tlog.HashSize)
		if h == nil {
			p.proofOK = false
			break
		}
		p.proof = append(p.proof, tlog.Hash(h))
	}
	if b.Checkpoint == "" || len(b.Checkpoint) > tlogtiles.MaxCheckpoint {
		p.problem(fmt.Sprintf("checkpoint has %d bytes, want 1..%d", len(b.Checkpoint), tlogtiles.MaxCheckpoint))
	}
	if b.VerifierKey == "" {
		p.problem("verifier_key is empty")
	} else {
		p.vkey, p.vkeyErr = VerifierPublicKey(b.VerifierKey)
	}
	if p.statement != nil {
		p.st, p.stErr = parseStatement(p.statement)
		if p.st != nil {
			if k, err := base64.StdEncoding.Strict().DecodeString(p.st.PublisherKey); err == nil && len(k) == ed25519.PublicKeySize {
				p.pubKey = k
			}
		}
	}
	return p
}

func (p *parts) problem(s string) { p.problems = append(p.problems, s) }

// base64 decodes a standard base64 member of size bytes (any size but none
// when size < 0), nil (and a problem) when it is not.
func (p *parts) base64(name, s string, size int) []byte {
	v, err := base64.StdEncoding.Strict().DecodeString(s)
	switch {
	case err != nil:
		p.problem(name + " is not standard base64")
		return nil
	case size >= 0 && len(v) != size:
		p.problem(fmt.Sprintf("%s has %d bytes, want %d", name, len(v), size))
		return nil
	case len(v) == 0:
		p.problem(name + " is empty")
		return nil
	}
	return v
}

// point refuses a key anyone could forge signatures under (a small-order
// or non-canonical point), as the node does.
func (p *parts) point(name string, k []byte) ed25519.PublicKey {
	pub, err := domain.ParsePublicKey(base64.StdEncoding.EncodeToString(k))
	if err != nil {
		p.problem(name + ": " + err.Error())
		return nil
	}
	return pub
}

// statementJSON reads a v2 statement's members; CanonicalBytes of what it
// read must give the bytes back, which rules out every other spelling.
type statementJSON struct {
	Node               string `json:"node"`
	Source             string `json:"source"`
	Plugin             string `json:"plugin"`
	Version            string `json:"version"`
	SHA256             string `json:"sha256"`
	Size               int64  `json:"size"`
	PublisherSignature string `json:"publisher_signature"`
	PublisherKey       string `json:"publisher_key"`
	Upstream           string `json:"upstream"`
}

func parseStatement(raw []byte) (*nodekey.StatementV2, string) {
	var s statementJSON
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, "not the JSON of a v2 statement: " + err.Error()
	}
	st := nodekey.StatementV2(s)
	return &st, ""
}

func (p *parts) bundleVerdict() Verdict {
	if len(p.problems) > 0 {
		return fail(CheckBundle, strings.Join(p.problems, "; "))
	}
	return holds(CheckBundle, Format+", every value decodes")
}

func (p *parts) statementVerdict() Verdict {
	if p.statement == nil {
		return fail(CheckStatement, "not checked: the statement is not base64")
	}
	if p.st == nil {
		return fail(CheckStatement, p.stErr)
	}
	st := p.st
	canonical, err := st.CanonicalBytes()
	if err != nil {
		return fail(CheckStatement, "cannot be re-encoded: "+err.Error())
	}
	if !bytes.Equal(canonical, p.statement) {
		return fail(CheckStatement, "its bytes are not the canonical encoding of a v2 statement (what the node signs and logs)")
	}
	if st.Source != p.b.Source || st.Plugin != p.b.Plugin || st.Version != p.b.Version {
		return fail(CheckStatement, fmt.Sprintf("it is about %q %q %q, the bundle about %q %q %q",
			clip(st.Source), clip(st.Plugin), clip(st.Version), clip(p.b.Source), clip(p.b.Plugin), clip(p.b.Version)))
	}
	return holds(CheckStatement, fmt.Sprintf("v2 statement by node %q on %q %q %q", clip(st.Node), clip(st.Source), clip(st.Plugin), clip(st.Version)))
}

func (p *parts) fileVerdict(file io.Reader) Verdict {
	if file == nil {
		return fail(CheckFile, "not checked: no file given")
	}
	h := sha256.New()
	n, err := io.Copy(h, file)
	if err != nil {
		return fail(CheckFile, "reading it: "+err.Error())
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if p.st == nil {
		return fail(CheckFile, fmt.Sprintf("sha256 %s, %d bytes; not compared: the statement could not be read", sum, n))
	}
	if sum != p.st.SHA256 || n != p.st.Size {
		return fail(CheckFile, fmt.Sprintf("sha256 %s, %d bytes; the statement says sha256 %q, %d bytes", sum, n, clip(p.st.SHA256), p.st.Size))
	}
	return holds(CheckFile, fmt.Sprintf("sha256 %s, %d bytes, as the statement says", sum, n))
}

func (p *parts) publisherVerdict() Verdict {
	switch {
	case p.st == nil:
		return fail(CheckPublisher, "not checked: the statement could not be read")
	case p.pubKey == nil:
		return fail(CheckPublisher, "the statement's publisher_key is not base64 of 32 bytes")
	case !p.pubSigsOK:
		return fail(CheckPublisher, "not checked: the bundle's publisher signature is not base64 of 64 bytes")
	}
	st, b := p.st, p.b
	c := b.PublisherClaim
	claim := domain.PluginClaim{ID: c.ID, Name: c.Name, Version: c.Version, Description: c.Description}
	switch {
	case b.PublisherKey != st.PublisherKey:
		return fail(CheckPublisher, "the bundle's publisher_key is not the one the statement names")
	case b.PublisherSignature != st.PublisherSignature:
		return fail(CheckPublisher, "the bundle's publisher_signature is not the one the statement names")
	case claim.ID != st.Plugin || claim.Version != st.Version:
		return fail(CheckPublisher, fmt.Sprintf("the claim is about %q %q, the statement about %q %q",
			clip(claim.ID), clip(claim.Version), clip(st.Plugin), clip(st.Version)))
	}
	keyID := domain.KeyID(p.pubKey)
	if err := domain.VerifyPlugin(p.pubKey, claim, b.PublisherSignature); err != nil {
		return fail(CheckPublisher, fmt.Sprintf("v1 under publisher key %s: %v", keyID, err))
	}
	if b.PublisherSignatureV2 == "" {
		return holds(CheckPublisher, fmt.Sprintf("v1 verifies under publisher key %s (no v2: the node vouches for the bytes)", keyID))
	}
	bc := domain.PluginBytesClaim{PluginClaim: claim, SHA256: st.SHA256, Size: st.Size}
	if err := domain.VerifyPluginBytes(p.pubKey, bc, b.PublisherSignatureV2); err != nil {
		return fail(CheckPublisher, fmt.Sprintf("v1 verifies, v2 under publisher key %s does not: %v", keyID, err))
	}
	return holds(CheckPublisher, fmt.Sprintf("v1 and v2 (over sha256 and size) verify under publisher key %s", keyID))
}

func (p *parts) nodeVerdict(pins []ed25519.PublicKey) Verdict {
	switch {
	case p.statement == nil || p.st == nil:
		return fail(CheckNode, "not checked: the statement could not be read")
	case p.nodeKey == nil || p.nodeSig == nil:
		return fail(CheckNode, "not checked: node_key or node_signature does not decode")
	}
	id := domain.KeyID(p.nodeKey)
	if id != p.st.Node {
		return fail(CheckNode, fmt.Sprintf("the statement names node key %q, the bundle's node_key is %s", clip(p.st.Node), id))
	}
	if !ed25519.Verify(p.nodeKey, p.statement, p.nodeSig) {
		return fail(CheckNode, "does not verify under node key "+id+" over the statement's bytes")
	}
	if err := p.sameIDSameKey(); err != "" {
		return fail(CheckNode, err)
	}
	if len(pins) == 0 {
		return Verdict{Check: CheckNode, Unpinned: true, Detail: fmt.Sprintf("verifies under node key %s (%s), the bundle's own: no -node-key pins it",
			id, base64.StdEncoding.EncodeToString(p.nodeKey))}
	}
	for _, pin := range pins {
		if bytes.Equal(pin, p.nodeKey) {
			return holds(CheckNode, "verifies under node key "+id+" (pinned)")
		}
	}
	return fail(CheckNode, fmt.Sprintf("verifies under node key %s, which is none of the %d pinned key(s)", id, len(pins)))
}

func (p *parts) checkpointVerdict(pins []ed25519.PublicKey) Verdict {
	if p.b.Checkpoint == "" || len(p.b.Checkpoint) > tlogtiles.MaxCheckpoint {
		return fail(CheckCheckpoint, "not checked: no checkpoint of a usable size")
	}
	v, err := note.NewVerifier(p.b.VerifierKey)
	if err != nil {
		return fail(CheckCheckpoint, "verifier_key is not a note verifier key: "+err.Error())
	}
	if p.vkeyErr != nil {
		return fail(CheckCheckpoint, "verifier_key: "+p.vkeyErr.Error())
	}
	if err := p.sameIDSameKey(); err != "" {
		return fail(CheckCheckpoint, err)
	}
	if len(pins) > 0 && !pinnedVerifier(p.b.VerifierKey, v.Name(), pins) {
		return fail(CheckCheckpoint, fmt.Sprintf("the verifier key of %q is of none of the %d pinned key(s)", clip(v.Name()), len(pins)))
	}
	c, err := tlogtiles.OpenCheckpoint([]byte(p.b.Checkpoint), v.Name(), note.VerifierList(v))
	if err != nil {
		return fail(CheckCheckpoint, err.Error())
	}
	signed := fmt.Sprintf("origin %q, size %d, root %s, signed by verifier key %q", c.Origin, c.N, c.Hash, p.b.VerifierKey)
	if len(pins) == 0 {
		return Verdict{Check: CheckCheckpoint, Unpinned: true, Detail: signed + ", the bundle's own: no -node-key pins it"}
	}
	return holds(CheckCheckpoint, signed+" (pinned)")
}

// sameIDSameKey: the statement's node key and the checkpoint's verifier
// key are the same key when they have the same key id (the first 64 bits
// of its sha256), as a node's are until it rotates. Two keys made to share
// an id are a forgery, whether or not they are pinned. "" when they agree.
func (p *parts) sameIDSameKey() string {
	if p.nodeKey == nil || p.vkey == nil || domain.KeyID(p.nodeKey) != domain.KeyID(p.vkey) || bytes.Equal(p.nodeKey, p.vkey) {
		return ""
	}
	return fmt.Sprintf("node_key and the checkpoint's verifier key both have key id %s but are different keys", domain.KeyID(p.nodeKey))
}

// VerifierPublicKey is the Ed25519 key of a note verifier key
// ("name+hash+base64(0x01 key)"), refused as the node refuses a key
// anyone could forge signatures under.
func VerifierPublicKey(vkey string) (ed25519.PublicKey, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, err
	}
	_, rest, _ := strings.Cut(vkey, "+")
	_, key64, _ := strings.Cut(rest, "+")
	raw, err := base64.StdEncoding.DecodeString(key64)
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || raw[0] != 1 {
		return nil, fmt.Errorf("note verifier key of %q is not an Ed25519 key", clip(v.Name()))
	}
	return domain.ParsePublicKey(base64.StdEncoding.EncodeToString(raw[1:]))
}

// pinnedVerifier says whether vkey is the note verifier key of one of the
// pins under name.
func pinnedVerifier(vkey, name string, pins []ed25519.PublicKey) bool {
	for _, pin := range pins {
		if k, err := note.NewEd25519VerifierKey(name, pin); err == nil && k == vkey {
			return true
		}
	}
	return false
}

// inclusionVerdict runs the proof against the tree the checkpoint states,
// whether or not its signature verifies: that is the checkpoint's own
// verdict, and this one says whether the statement is in that tree.
func (p *parts) inclusionVerdict() Verdict {
	switch {
	case p.statement == nil:
		return fail(CheckInclusion, "not checked: the statement is not base64")
	case !p.proofOK:
		return fail(CheckInclusion, "not checked: the proof's hashes do not decode")
	}
	c, err := tlogtiles.ParseSignedCheckpoint([]byte(p.b.Checkpoint))
	if err != nil {
		return fail(CheckInclusion, "not checked: "+err.Error())
	}
	if p.b.LogIndex < 0 || p.b.LogIndex >= c.N {
		return fail(CheckInclusion, fmt.Sprintf("log index %d is outside the checkpoint's tree of size %d", p.b.LogIndex, c.N))
	}
	if err := tlog.CheckRecord(p.proof, c.N, c.Hash, p.b.LogIndex, tlog.RecordHash(p.statement)); err != nil {
		return fail(CheckInclusion, fmt.Sprintf("the statement as entry %d does not prove to the root of size %d: %v", p.b.LogIndex, c.N, err))
	}
	return holds(CheckInclusion, fmt.Sprintf("the statement is entry %d of the log of size %d", p.b.LogIndex, c.N))
}

func fail(check, detail string) Verdict  { return Verdict{Check: check, Detail: detail} }
func holds(check, detail string) Verdict { return Verdict{Check: check, OK: true, Detail: detail} }

// clip keeps what a hostile bundle puts in a detail short; details quote
// it (%q), so no control character reaches a terminal.
func clip(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "") + "…"
}
