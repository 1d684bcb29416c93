package follow

import (
	"slices"
	"testing"
)

func TestPinKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		pinned, offered []string
		want            []string
		fails           bool
	}{
		{"first use pins everything offered", nil, []string{"A", "B"}, []string{"A", "B"}, false},
		{"the same key again", []string{"A"}, []string{"A"}, nil, false},
		{"a rotation: the history lists the pinned key", []string{"A"}, []string{"A", "B"}, []string{"B"}, false},
		{"an older key dropped from the history, the newest kept", []string{"A", "B"}, []string{"B", "C"}, []string{"C"}, false},
		{"another key with no pinned one beside it", []string{"A"}, []string{"B"}, nil, true},
		{"nothing offered changes nothing", []string{"A"}, nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := pinKeys(tt.pinned, tt.offered)
			if (err != nil) != tt.fails || !slices.Equal(got, tt.want) {
				t.Fatalf("pinKeys = %q, %v; want %q, failing %v", got, err, tt.want, tt.fails)
			}
		})
	}
}

func TestPinNode(t *testing.T) {
	t.Parallel()
	old, rotated, stranger := newKey(t, 1), newKey(t, 2), newKey(t, 3)
	var p Pins
	if err := p.PinNode([]NodeKey{old.nodeKey()}); err != nil {
		t.Fatal(err)
	}
	if err := p.PinNode([]NodeKey{stranger.nodeKey()}); failureOf(err) != "node key" {
		t.Fatalf("a new key without the pinned one in the history: %v", err)
	}
	if err := p.PinNode([]NodeKey{rotated.nodeKey(), old.nodeKey()}); err != nil {
		t.Fatalf("a rotation listed in the history: %v", err)
	}
	if p.NodeKeyByID(old.id()) == nil || p.NodeKeyByID(rotated.id()) == nil || p.NodeKeyByID(stranger.id()) != nil {
		t.Fatalf("pins = %v", p.Node)
	}
	lying := stranger.nodeKey()
	lying.KeyID = old.id()
	if err := (&Pins{}).PinNode([]NodeKey{lying}); failureOf(err) != "node key" {
		t.Fatalf("a key listed under another key's id: %v", err)
	}
	if err := (&Pins{}).PinNode(nil); failureOf(err) != "node key" {
		t.Fatalf("no key at all: %v", err)
	}
}

func TestPinPublisher(t *testing.T) {
	t.Parallel()
	a, b, c := newKey(t, 1), newKey(t, 2), newKey(t, 3)
	var p Pins
	if err := p.PinPublisher("s@h", nil); failureOf(err) != "publisher key" {
		t.Fatalf("no key named: %v", err)
	}
	if err := p.PinPublisher("s@h", []string{a.b64()}); err != nil {
		t.Fatal(err)
	}
	if err := p.PinPublisher("s@h", []string{c.b64()}); failureOf(err) != "publisher key" {
		t.Fatalf("another key for a pinned source: %v", err)
	}
	if err := p.PinPublisher("s@h", []string{a.b64(), b.b64()}); err != nil {
		t.Fatalf("a rotation in the key history: %v", err)
	}
	if err := p.PinPublisher("t@h", []string{c.b64()}); err != nil {
		t.Fatalf("another source's first use: %v", err)
	}
	if got := p.PublisherKeys("s@h"); len(got) != 2 || !got[0].Equal(a.pub) || !got[1].Equal(b.pub) {
		t.Fatalf("s@h pins %v", got)
	}
	if err := p.PinPublisher("s@h", []string{"not a key"}); failureOf(err) != "publisher key" {
		t.Fatalf("garbage: %v", err)
	}
}
