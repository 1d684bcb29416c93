package publisher

import "strconv"

// NodeKey is one signing key a PFN node lists in its /federation-info.
// PublicKey is as sent (a node sends PEM; raw base64 is accepted too): the
// caller parses it.
type NodeKey struct {
	KeyID     string
	PublicKey string
}

const (
	// maxNodeKeys caps "node_keys": a node lists its current key and the
	// ones it rotated away from, a handful in a node's life.
	maxNodeKeys = 64
	// maxKeyIDBytes caps a key id: a node's is 16 hex digits.
	maxKeyIDBytes = 64
)

// parseNodeKeys reads a node's signing keys from a /federation-info object,
// the current one first: "node_keys" when present, else the top-level
// "key_id" and "public_key" older nodes send alone; nil for a publisher
// that is no node. In "node_keys" both members of each key are required
// strings within their caps; the top-level pair is only taken when it is
// such a pair, never held against a publisher, which may use those names
// for something else. Whether a key parses is the caller's to check.
func parseNodeKeys(obj jsonObject, problems *problemList) []NodeKey {
	elems, err := obj.array("node_keys")
	if err != nil {
		problems.add(err)
		return nil
	}
	if len(elems) > maxNodeKeys {
		problems.addf("%q lists %d keys, the cap is %d", "node_keys", len(elems), maxNodeKeys)
		return nil
	}
	if elems == nil {
		var loose problemList
		if k := nodeKey(obj, "", &loose); loose.err() == nil {
			return []NodeKey{k}
		}
		return nil
	}
	keys := make([]NodeKey, 0, len(elems))
	for i, raw := range elems {
		in := "node_keys[" + strconv.Itoa(i) + "]"
		o, perr := parseJSONObject(raw)
		if perr != nil {
			problems.addf("%q is not an object", in)
			continue
		}
		keys = append(keys, nodeKey(o, in, problems))
	}
	return keys
}

func nodeKey(o jsonObject, in string, problems *problemList) NodeKey {
	k := NodeKey{KeyID: problems.required(o, "key_id", in), PublicKey: problems.required(o, "public_key", in)}
	if len(k.KeyID) > maxKeyIDBytes {
		problems.addf("%q in %q is %d bytes, the cap is %d", "key_id", in, len(k.KeyID), maxKeyIDBytes)
	}
	if len(k.PublicKey) > maxAnnouncedKeyBytes {
		problems.addf("%q in %q is %d bytes, the cap is %d", "public_key", in, len(k.PublicKey), maxAnnouncedKeyBytes)
	}
	return k
}
