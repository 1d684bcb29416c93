package publisher

// KeyRotation is a publisher's announcement of its next key in
// /federation-info: "key_rotation": {"public_key", "signature"}, the
// signature by its current key (docs/protocol.md, "Key rotation").
type KeyRotation struct {
	PublicKey string
	Signature string
}

// maxAnnouncedKeyBytes caps key_rotation.public_key: an Ed25519 key is 44
// characters of base64, about 113 as PEM.
const maxAnnouncedKeyBytes = 512

// parseKeyRotation reads the optional key_rotation member of a
// /federation-info object: nil when absent or null. Both members are
// required strings within their caps; what they say is the node's to check.
func parseKeyRotation(obj jsonObject, problems *problemList) *KeyRotation {
	rot, ok, err := obj.object("key_rotation")
	switch {
	case err != nil:
		problems.add(err)
		return nil
	case !ok:
		return nil
	}
	r := &KeyRotation{
		PublicKey: problems.required(rot, "public_key", "key_rotation"),
		Signature: problems.required(rot, "signature", "key_rotation"),
	}
	if len(r.PublicKey) > maxAnnouncedKeyBytes {
		problems.addf("%q in %q is %d bytes, the cap is %d", "public_key", "key_rotation", len(r.PublicKey), maxAnnouncedKeyBytes)
	}
	if len(r.Signature) > maxSignatureBytes {
		problems.addf("%q in %q is %d bytes, the cap is %d", "signature", "key_rotation", len(r.Signature), maxSignatureBytes)
	}
	return r
}
