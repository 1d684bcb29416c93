package eventstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// The registry lives in eventstore, not in a package of its own: reads
// upcast every event (read.go) and appends stamp the current version
// (append.go), so the store needs it, and its decode takes the store's
// Event (its errors name the stream). eventstore imports domain already;
// the repositories and projections (adapters/postgres) import eventstore;
// so nothing here can form a cycle.

// Errors of decoding a stored event the registry cannot read.
var (
	ErrUnknownEventType = errors.New("unknown event type")
	ErrNewerEventSchema = errors.New("event schema version newer than this build knows")
)

// Registry knows, for each event type, its stored name, its current schema
// version, its Go type and its upcasters. Register fills it.
type Registry struct {
	byName map[string]*registered
	byType map[reflect.Type]*registered
}

type registered struct {
	name      string
	goType    reflect.Type
	upcasters []Upcaster // upcasters[i] turns version i+1 into i+2
	decode    func(json.RawMessage) (any, error)
}

// version is the type's current schema version: one past its upcasters.
func (r *registered) version() int { return len(r.upcasters) + 1 }

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{byName: map[string]*registered{}, byType: map[reflect.Type]*registered{}}
}

// Register adds the event type T, stored as name. Its current schema
// version is len(upcasters)+1: upcasters[i] turns a payload of version i+1
// into version i+2. Add an upcaster, never edit one: stored events keep
// their version. Registering a name or a Go type twice panics (it is a
// programming error, found at start).
func Register[T any](r *Registry, name string, upcasters ...Upcaster) {
	t := reflect.TypeFor[T]()
	if name == "" {
		panic(fmt.Sprintf("eventstore: event type %v registered without a name", t))
	}
	if old, dup := r.byName[name]; dup {
		panic(fmt.Sprintf("eventstore: event type %q registered twice (%v, %v)", name, old.goType, t))
	}
	if old, dup := r.byType[t]; dup {
		panic(fmt.Sprintf("eventstore: Go type %v registered twice (%q, %q)", t, old.name, name))
	}
	for i, u := range upcasters {
		if u == nil {
			panic(fmt.Sprintf("eventstore: upcaster of %q from v%d is nil", name, i+1))
		}
	}
	e := &registered{name: name, goType: t, upcasters: upcasters, decode: func(p json.RawMessage) (any, error) {
		var v T
		err := json.Unmarshal(p, &v)
		return v, err
	}}
	r.byName[name], r.byType[t] = e, e
}

// Names lists the registered type names, in no order.
func (r *Registry) Names() []string {
	out := make([]string, 0, len(r.byName))
	for n := range r.byName {
		out = append(out, n)
	}
	return out
}

// CurrentVersion is the schema version in which events of type name are
// written today; ok is false for a type not registered.
func (r *Registry) CurrentVersion(name string) (int, bool) {
	e, ok := r.byName[name]
	if !ok {
		return 0, false
	}
	return e.version(), true
}

// Encode turns a value of a registered Go type into an event to append,
// stamped with its type's name and current version.
func (r *Registry) Encode(v any) (NewEvent, error) {
	e, ok := r.byType[reflect.TypeOf(v)]
	if !ok {
		return NewEvent{}, fmt.Errorf("encode %T: %w (no type name registered for it)", v, ErrUnknownEventType)
	}
	payload, err := json.Marshal(v)
	if err != nil {
		return NewEvent{}, fmt.Errorf("encode %s: %w", e.name, err)
	}
	return NewEvent{Type: e.name, SchemaVersion: e.version(), Payload: payload}, nil
}

// Upcast returns ev in its type's current shape. The store reads events of
// any type (its own tests append made-up ones), so a type not registered,
// or a version this build does not know, passes unchanged here: Decode is
// where they are errors.
func (r *Registry) Upcast(ev Event) (Event, error) {
	e, ok := r.byName[ev.Type]
	if !ok {
		return ev, nil // the common case costs one map lookup
	}
	for ev.SchemaVersion >= 1 && ev.SchemaVersion < e.version() {
		p, err := e.upcasters[ev.SchemaVersion-1](ev.Payload)
		if err != nil {
			return ev, fmt.Errorf("upcast %s v%d (event %s at %d in %s): %w", ev.Type, ev.SchemaVersion, ev.ID,
				ev.GlobalPosition, ev.StreamID, err)
		}
		ev.Payload = p
		ev.SchemaVersion++
	}
	return ev, nil
}

// Decode returns the value of its registered Go type that a stored event
// holds, upcast first when it is of an older version. A type not
// registered, or a version newer than the type's current one, is an error
// naming the type and the stream. Version 0 (an event built in memory, not
// read from the store, whose versions start at 1) means the current one,
// as it does for NewEvent.
func (r *Registry) Decode(ev Event) (any, error) {
	e, ok := r.byName[ev.Type]
	if !ok {
		return nil, fmt.Errorf("decode %q at %s v%d: %w", ev.Type, ev.StreamID, ev.StreamVersion, ErrUnknownEventType)
	}
	if ev.SchemaVersion > e.version() {
		return nil, fmt.Errorf("decode %s v%d at %s v%d (this build knows up to v%d): %w", ev.Type, ev.SchemaVersion,
			ev.StreamID, ev.StreamVersion, e.version(), ErrNewerEventSchema)
	}
	ev, err := r.Upcast(ev)
	if err != nil {
		return nil, err
	}
	v, err := e.decode(ev.Payload)
	if err != nil {
		return nil, fmt.Errorf("decode %s at %s v%d: %w", ev.Type, ev.StreamID, ev.StreamVersion, err)
	}
	return v, nil
}
