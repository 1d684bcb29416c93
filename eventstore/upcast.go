package eventstore

import (
	"encoding/json"
)

// Upcaster rewrites a payload of one schema version of an event type into
// the next version's shape. Each type's upcasters are registered with it
// (events.go).
type Upcaster func(payload json.RawMessage) (json.RawMessage, error)

// Upcasting is the one place where old event shapes become current ones.
// Every read of the log (Load, LoadFrom, LoadMany, ReadBatch, the consumers'
// pages, rebuilds) passes events through it, so aggregates and projections
// only ever decode the current shape, and appends stamp the current version.

// CurrentSchemaVersion is the version in which events of type typ are
// written today: its registered version, 1 for a type not registered.
func CurrentSchemaVersion(typ string) int {
	if v, ok := Events.CurrentVersion(typ); ok {
		return v
	}
	return 1
}

// Upcast returns e in the current shape of its type. Reads call it; code
// that reads the events table itself (the audit queries) should too.
func Upcast(e Event) (Event, error) {
	return Events.Upcast(e)
}

// upcastSourceRegisteredV1: source.registered v1 named the source id "id"
// and the time "registered_at"; v2 says "source_id" and "at" like every
// other event, which the domain decodes. Events stamped v1 but already in
// the v2 shape (written before versions were stamped) pass unchanged: a
// field is renamed only when the new name is absent.
func upcastSourceRegisteredV1(p json.RawMessage) (json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(p, &fields); err != nil {
		return nil, err
	}
	renamed := rename(fields, "id", "source_id")
	renamed = rename(fields, "registered_at", "at") || renamed
	if !renamed {
		return p, nil
	}
	return json.Marshal(fields)
}

// upcastPluginMirroredV1: plugin.mirrored v2 says who vouches for the
// file's bytes (#14 item 6). Every v1 event was written before publishers
// could sign bytes (plugin signature v2), so its bytes were attested by the
// node alone, with no signature_v2.
func upcastPluginMirroredV1(p json.RawMessage) (json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(p, &fields); err != nil {
		return nil, err
	}
	if _, ok := fields["bytes_attested_by"]; !ok {
		fields["bytes_attested_by"] = json.RawMessage(`"node"`)
	}
	if _, ok := fields["publisher_signature_v2"]; !ok {
		fields["publisher_signature_v2"] = json.RawMessage(`""`)
	}
	return json.Marshal(fields)
}

func rename(fields map[string]json.RawMessage, from, to string) bool {
	v, ok := fields[from]
	if !ok {
		return false
	}
	if _, taken := fields[to]; !taken {
		fields[to] = v
	}
	delete(fields, from)
	return true
}
