package eventstore

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestUpcastChainsVersionsInOrder(t *testing.T) {
	t.Parallel()
	index, current := indexUpcasters([]upcaster{
		{"thing.made", 2, func(p json.RawMessage) (json.RawMessage, error) { return append(p[:len(p):len(p)], 'c'), nil }},
		{"thing.made", 1, func(p json.RawMessage) (json.RawMessage, error) { return append(p[:len(p):len(p)], 'b'), nil }},
		{"thing.broken", 1, func(json.RawMessage) (json.RawMessage, error) { return nil, errors.New("no") }},
	})
	if current["thing.made"] != 3 || current["thing.broken"] != 2 {
		t.Fatalf("current versions %v", current)
	}
	cases := []struct {
		name        string
		in          Event
		wantPayload string
		wantVersion int
		wantErr     bool
	}{
		{"from v1 through v2 to v3", Event{Type: "thing.made", SchemaVersion: 1, Payload: json.RawMessage("a")}, "abc", 3, false},
		{"from v2", Event{Type: "thing.made", SchemaVersion: 2, Payload: json.RawMessage("a")}, "ac", 3, false},
		{"already current", Event{Type: "thing.made", SchemaVersion: 3, Payload: json.RawMessage("a")}, "a", 3, false},
		{"a type without upcasters", Event{Type: "other", SchemaVersion: 1, Payload: json.RawMessage("a")}, "a", 1, false},
		{"a failing upcaster", Event{Type: "thing.broken", SchemaVersion: 1, Payload: json.RawMessage("a")}, "", 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := upcastWith(index, c.in)
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

func TestUpcasterRegistryRefusesGapsAndDuplicates(t *testing.T) {
	t.Parallel()
	id := func(p json.RawMessage) (json.RawMessage, error) { return p, nil }
	for name, list := range map[string][]upcaster{
		"gap":       {{"t", 2, id}},
		"duplicate": {{"t", 1, id}, {"t", 1, id}},
		"below v1":  {{"t", 0, id}},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			indexUpcasters(list)
		})
	}
}
