package postgres

import (
	"encoding/json"
	"fmt"

	"github.com/pfn-network/pfn/eventstore"
)

// encodeEvents turns an aggregate's pending events into events to append;
// typeOf names each (a method expression such as
// domain.SourceEvent.EventType, or a function).
func encodeEvents[E any](events []E, typeOf func(E) string) ([]eventstore.NewEvent, error) {
	out := make([]eventstore.NewEvent, len(events))
	for i, e := range events {
		payload, err := json.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", typeOf(e), err)
		}
		out[i] = eventstore.NewEvent{Type: typeOf(e), Payload: payload}
	}
	return out, nil
}

// decodeAs unmarshals a payload into a value of T.
func decodeAs[T any](payload []byte) (T, error) {
	var v T
	err := json.Unmarshal(payload, &v)
	return v, err
}
