package eventstore

import (
	"encoding/json"
	"fmt"

	"github.com/pfn-network/pfn/domain"
)

// Upcaster rewrites a payload of one schema version of an event type into
// the next version's shape.
type Upcaster func(payload json.RawMessage) (json.RawMessage, error)

type upcaster struct {
	typ  string
	from int // the version it reads; it writes from+1
	fn   Upcaster
}

// upcasters is the one place where old event shapes become current ones.
// Every read of the log (Load, LoadFrom, LoadMany, ReadBatch, the consumers'
// pages, rebuilds) passes events through it, so aggregates and projections
// only ever decode the current shape. An entry turns version from into
// from+1; a type's current version is one past its last entry, and appends
// stamp it. Add an entry, never edit one: stored events keep their version.
var upcasters = []upcaster{
	{domain.EventSourceRegistered, 1, upcastSourceRegisteredV1},
}

var upcastIndex, currentVersions = indexUpcasters(upcasters)

func indexUpcasters(list []upcaster) (map[string]map[int]Upcaster, map[string]int) {
	index := map[string]map[int]Upcaster{}
	current := map[string]int{}
	for _, u := range list {
		if index[u.typ] == nil {
			index[u.typ] = map[int]Upcaster{}
		}
		if _, dup := index[u.typ][u.from]; dup || u.from < 1 {
			panic(fmt.Sprintf("eventstore: upcaster %s v%d registered twice or below v1", u.typ, u.from))
		}
		index[u.typ][u.from] = u.fn
		current[u.typ] = max(current[u.typ], u.from+1)
	}
	for typ, steps := range index {
		for v := 1; v < current[typ]; v++ {
			if steps[v] == nil {
				panic(fmt.Sprintf("eventstore: no upcaster from %s v%d to v%d", typ, v, v+1))
			}
		}
	}
	return index, current
}

// CurrentSchemaVersion is the version in which events of type typ are
// written today: 1 unless upcasters say otherwise.
func CurrentSchemaVersion(typ string) int {
	if v, ok := currentVersions[typ]; ok {
		return v
	}
	return 1
}

// Upcast returns e in the current shape of its type. Reads call it; code
// that reads the events table itself (the audit queries) should too.
func Upcast(e Event) (Event, error) {
	return upcastWith(upcastIndex, e)
}

func upcastWith(index map[string]map[int]Upcaster, e Event) (Event, error) {
	steps, ok := index[e.Type]
	if !ok {
		return e, nil // the common case: one map lookup per event
	}
	for {
		fn, ok := steps[e.SchemaVersion]
		if !ok {
			return e, nil
		}
		p, err := fn(e.Payload)
		if err != nil {
			return e, fmt.Errorf("upcast %s v%d (event %s at %d): %w", e.Type, e.SchemaVersion, e.ID, e.GlobalPosition, err)
		}
		e.Payload = p
		e.SchemaVersion++
	}
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
