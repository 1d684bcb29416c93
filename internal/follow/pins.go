package follow

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	"github.com/pfn-network/pfn/domain"
)

// Pins are the keys the follower trusts: pinned the first time it met the
// node and each source, kept in the state file across restarts.
//
// The rule for a key it has not seen before (pinKeys): at first use every
// key offered is pinned. Later, a new key is pinned only when the key
// history the node publishes in the same answer also lists a key pinned
// before (the node's /federation-info node_keys for its own keys; a
// source's key_history in /federation/sources, or the one key a catalogue
// row's provenance names): that history is how the node says "rotated from
// the key you know". A key offered with no pinned key beside it is a
// verification failure: someone else's key for a node or source already
// known. Keys are never unpinned, so versions signed before a rotation keep
// verifying.
type Pins struct {
	Node       map[string]string   `json:"node_keys"`      // key id -> base64 raw 32-byte key
	Publishers map[string][]string `json:"publisher_keys"` // source id -> base64 raw keys, oldest first
}

// NodeKey is one key from a node's /federation-info node_keys.
type NodeKey struct {
	KeyID     string `json:"key_id"`
	PublicKey string `json:"public_key"`
}

// PinNode merges the keys a node lists in its /federation-info into the
// pins, by the rule on Pins.
func (p *Pins) PinNode(offered []NodeKey) error {
	fail := func(detail string) error { return &Failure{What: "node key", Detail: detail} }
	if len(offered) == 0 {
		return fail("the node's /federation-info lists no key")
	}
	var keys []string
	for _, k := range offered {
		pub, err := parseKey(k.PublicKey)
		if err != nil {
			return fail(fmt.Sprintf("key %q: %v", k.KeyID, err))
		}
		if id := domain.KeyID(pub); id != k.KeyID {
			return fail(fmt.Sprintf("key listed as %q has the ID %q", k.KeyID, id))
		}
		keys = append(keys, base64.StdEncoding.EncodeToString(pub))
	}
	pinned := make([]string, 0, len(p.Node))
	for _, k := range p.Node {
		pinned = append(pinned, k)
	}
	added, err := pinKeys(pinned, keys)
	if err != nil {
		return fail(err.Error())
	}
	if p.Node == nil {
		p.Node = map[string]string{}
	}
	for _, k := range added {
		raw, _ := base64.StdEncoding.DecodeString(k)
		p.Node[domain.KeyID(raw)] = k
	}
	return nil
}

// NodeKeyByID is the pinned node key with that ID, nil when none is.
func (p *Pins) NodeKeyByID(id string) ed25519.PublicKey {
	raw, err := base64.StdEncoding.DecodeString(p.Node[id])
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil
	}
	return raw
}

// PinPublisher merges the keys the node names for a source (in any form
// domain.ParsePublicKey reads) into the pins, by the rule on Pins.
func (p *Pins) PinPublisher(source string, offered []string) error {
	fail := func(detail string) error { return &Failure{What: "publisher key", Source: source, Detail: detail} }
	if len(offered) == 0 {
		return fail("the node names no public key for the source (it lists no provenance; /federation/sources needs an admin key: -api-key-file)")
	}
	keys := make([]string, 0, len(offered))
	for _, k := range offered {
		pub, err := parseKey(k)
		if err != nil {
			return fail(err.Error())
		}
		keys = append(keys, base64.StdEncoding.EncodeToString(pub))
	}
	added, err := pinKeys(p.Publishers[source], keys)
	if err != nil {
		return fail(err.Error())
	}
	if p.Publishers == nil {
		p.Publishers = map[string][]string{}
	}
	p.Publishers[source] = append(p.Publishers[source], added...)
	return nil
}

// PublisherKeys are the keys pinned for a source.
func (p *Pins) PublisherKeys(source string) []ed25519.PublicKey {
	var out []ed25519.PublicKey
	for _, k := range p.Publishers[source] {
		if raw, err := base64.StdEncoding.DecodeString(k); err == nil && len(raw) == ed25519.PublicKeySize {
			out = append(out, raw)
		}
	}
	return out
}

// pinKeys returns the offered keys to pin (those not pinned yet), or an
// error when a new key comes without any pinned key in the same history.
func pinKeys(pinned, offered []string) ([]string, error) {
	var fresh []string
	known := len(pinned) == 0
	for _, k := range offered {
		switch {
		case slices.Contains(pinned, k):
			known = true
		case !slices.Contains(fresh, k):
			fresh = append(fresh, k)
		}
	}
	if len(fresh) > 0 && !known {
		return nil, fmt.Errorf("the node now names the key(s) %s, and its key history lists none of the %d key(s) pinned at first use "+
			"(a rotation would list the old key too); if the change is genuine, start over with a new directory", strings.Join(fresh, ", "), len(pinned))
	}
	return fresh, nil
}

// parseKey reads an Ed25519 public key as the node shows it (raw base64,
// or any form domain.ParsePublicKey takes).
func parseKey(text string) (ed25519.PublicKey, error) {
	pub, err := domain.ParsePublicKey(text)
	if err != nil {
		return nil, fmt.Errorf("public key %q: %w", truncate(text, 60), err)
	}
	return pub, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
