package eventstore_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/eventstore"
)

type thingMade struct {
	N string `json:"n"`
}

type thingBroken struct{}

// appendByte is an upcaster that marks which step ran.
func appendByte(b byte) eventstore.Upcaster {
	return func(p json.RawMessage) (json.RawMessage, error) { return append(p[:len(p):len(p)], b), nil }
}

func TestUpcastChainsVersionsInOrder(t *testing.T) {
	t.Parallel()
	r := eventstore.NewRegistry()
	eventstore.Register[thingMade](r, "thing.made", appendByte('b'), appendByte('c'))
	eventstore.Register[thingBroken](r, "thing.broken", func(json.RawMessage) (json.RawMessage, error) { return nil, errors.New("no") })
	if v, _ := r.CurrentVersion("thing.made"); v != 3 {
		t.Fatalf("current version of thing.made = %d, want 3", v)
	}
	if v, _ := r.CurrentVersion("thing.broken"); v != 2 {
		t.Fatalf("current version of thing.broken = %d, want 2", v)
	}
	cases := []struct {
		name        string
		in          eventstore.Event
		wantPayload string
		wantVersion int
		wantErr     bool
	}{
		{"from v1 through v2 to v3", eventstore.Event{Type: "thing.made", SchemaVersion: 1, Payload: json.RawMessage("a")}, "abc", 3, false},
		{"from v2", eventstore.Event{Type: "thing.made", SchemaVersion: 2, Payload: json.RawMessage("a")}, "ac", 3, false},
		{"already current", eventstore.Event{Type: "thing.made", SchemaVersion: 3, Payload: json.RawMessage("a")}, "a", 3, false},
		{"a type not registered", eventstore.Event{Type: "other", SchemaVersion: 1, Payload: json.RawMessage("a")}, "a", 1, false},
		{"a failing upcaster", eventstore.Event{Type: "thing.broken", SchemaVersion: 1, Payload: json.RawMessage("a")}, "", 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := r.Upcast(c.in)
			if c.wantErr {
				if err == nil {
					t.Fatalf("upcast = %+v, want an error", got)
				}
				return
			}
			if err != nil || string(got.Payload) != c.wantPayload || got.SchemaVersion != c.wantVersion {
				t.Fatalf("upcast = %s v%d, %v; want %s v%d", got.Payload, got.SchemaVersion, err, c.wantPayload, c.wantVersion)
			}
		})
	}
}

func TestRegisteringTwicePanics(t *testing.T) {
	t.Parallel()
	id := func(p json.RawMessage) (json.RawMessage, error) { return p, nil }
	for name, register := range map[string]func(*eventstore.Registry){
		"a name twice":    func(r *eventstore.Registry) { eventstore.Register[thingBroken](r, "thing.made") },
		"a Go type twice": func(r *eventstore.Registry) { eventstore.Register[thingMade](r, "thing.remade") },
		"no name":         func(r *eventstore.Registry) { eventstore.Register[thingBroken](r, "") },
		"a nil upcaster":  func(r *eventstore.Registry) { eventstore.Register[thingBroken](r, "thing.broken", id, nil) },
	} {
		t.Run(name, func(t *testing.T) {
			r := eventstore.NewRegistry()
			eventstore.Register[thingMade](r, "thing.made", id)
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			register(r)
		})
	}
}

func TestDecodeRefusesWhatItDoesNotKnow(t *testing.T) {
	t.Parallel()
	r := eventstore.NewRegistry()
	eventstore.Register[thingMade](r, "thing.made", appendByte(' '))
	cases := []struct {
		name string
		in   eventstore.Event
		want error // nil: any error
	}{
		{"an unknown type", eventstore.Event{Type: "thing.lost", StreamID: "thing-1", SchemaVersion: 1, Payload: json.RawMessage(`{}`)},
			eventstore.ErrUnknownEventType},
		{"no type", eventstore.Event{StreamID: "thing-1", SchemaVersion: 1, Payload: json.RawMessage(`{}`)}, eventstore.ErrUnknownEventType},
		{"a newer version", eventstore.Event{Type: "thing.made", StreamID: "thing-1", SchemaVersion: 3, Payload: json.RawMessage(`{}`)},
			eventstore.ErrNewerEventSchema},
		{"a payload of another shape", eventstore.Event{Type: "thing.made", StreamID: "thing-1", SchemaVersion: 2, Payload: json.RawMessage(`[1]`)}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := r.Decode(c.in)
			if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
				t.Fatalf("decode = %#v, %v; want %v", v, err, c.want)
			}
			if c.want != nil && !strings.Contains(err.Error(), "thing-1") {
				t.Fatalf("error %q does not name the stream", err)
			}
		})
	}
	if _, err := r.Encode(thingBroken{}); !errors.Is(err, eventstore.ErrUnknownEventType) {
		t.Fatalf("encoding a Go type not registered: %v, want ErrUnknownEventType", err)
	}
	// Version 1 is upcast (the upcaster appends a space, still the same JSON).
	v, err := r.Decode(eventstore.Event{Type: "thing.made", SchemaVersion: 1, Payload: json.RawMessage(`{"n":"x"}`)})
	if err != nil || v != (thingMade{N: "x"}) {
		t.Fatalf("decode of v1 = %#v, %v", v, err)
	}
}
