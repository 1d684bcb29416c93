package postgres

import (
	"encoding/json"
	"fmt"

	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
)

// sourceStream is the event stream of one source.
func sourceStream(id domain.SourceID) string { return "source-" + string(id) }

var sourceEventTypes = map[string]func() domain.SourceEvent{
	domain.EventSourceRegistered:             func() domain.SourceEvent { return &domain.SourceRegistered{} },
	domain.EventPublisherInfoRefreshed:       func() domain.SourceEvent { return &domain.PublisherInfoRefreshed{} },
	domain.EventOwnershipVerified:            func() domain.SourceEvent { return &domain.OwnershipVerified{} },
	domain.EventOwnershipVerificationFailed:  func() domain.SourceEvent { return &domain.OwnershipVerificationFailed{} },
	domain.EventSourceHealthChecked:          func() domain.SourceEvent { return &domain.SourceHealthChecked{} },
	domain.EventSourceTrustAdjusted:          func() domain.SourceEvent { return &domain.SourceTrustAdjusted{} },
	domain.EventSourceStatusChanged:          func() domain.SourceEvent { return &domain.SourceStatusChanged{} },
	domain.EventSourceSignatureChecked:       func() domain.SourceEvent { return &domain.SourceSignatureChecked{} },
	domain.EventSourceSubscriberCountChanged: func() domain.SourceEvent { return &domain.SourceSubscriberCountChanged{} },
	domain.EventSourceSynced:                 func() domain.SourceEvent { return &domain.SourceSynced{} },
	domain.EventSourceHealthSummarized:       func() domain.SourceEvent { return &domain.SourceHealthSummarized{} },
	domain.EventSourceFailureRecorded:        func() domain.SourceEvent { return &domain.SourceFailureRecorded{} },
}

// decodeSourceEvent returns the domain event a stored event holds; ok is
// false for event types that are not source events.
func decodeSourceEvent(e eventstore.Event) (domain.SourceEvent, bool, error) {
	newEvent, ok := sourceEventTypes[e.Type]
	if !ok {
		return nil, false, nil
	}
	ptr := newEvent()
	if err := json.Unmarshal(e.Payload, ptr); err != nil {
		return nil, true, fmt.Errorf("decode %s at %s v%d: %w", e.Type, e.StreamID, e.StreamVersion, err)
	}
	return deref(ptr), true, nil
}

// decodeSourceHistory decodes a source's stream; every event in it must be
// a source event.
func decodeSourceHistory(id domain.SourceID, stored []eventstore.Event) ([]domain.SourceEvent, error) {
	history := make([]domain.SourceEvent, 0, len(stored))
	for _, e := range stored {
		de, ok, err := decodeSourceEvent(e)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("source %s: unknown event type %q in its stream", id, e.Type)
		}
		history = append(history, de)
	}
	return history, nil
}

// deref turns the pointer the decoder filled into the value type the
// aggregate switches on.
func deref(e domain.SourceEvent) domain.SourceEvent {
	switch v := e.(type) {
	case *domain.SourceRegistered:
		return *v
	case *domain.PublisherInfoRefreshed:
		return *v
	case *domain.OwnershipVerified:
		return *v
	case *domain.OwnershipVerificationFailed:
		return *v
	case *domain.SourceHealthChecked:
		return *v
	case *domain.SourceTrustAdjusted:
		return *v
	case *domain.SourceStatusChanged:
		return *v
	case *domain.SourceSignatureChecked:
		return *v
	case *domain.SourceSubscriberCountChanged:
		return *v
	case *domain.SourceSynced:
		return *v
	case *domain.SourceHealthSummarized:
		return *v
	case *domain.SourceFailureRecorded:
		return *v
	}
	return e
}
