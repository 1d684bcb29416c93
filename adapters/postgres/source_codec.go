package postgres

import (
	"fmt"

	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
)

// sourceStream is the event stream of one source.
func sourceStream(id domain.SourceID) string { return "source-" + string(id) }

// sourceDecoders decode each source event type into the value type the
// aggregate switches on.
var sourceDecoders = map[string]func([]byte) (domain.SourceEvent, error){
	domain.EventSourceRegistered:             sourceDecoder[domain.SourceRegistered](),
	domain.EventPublisherInfoRefreshed:       sourceDecoder[domain.PublisherInfoRefreshed](),
	domain.EventOwnershipVerified:            sourceDecoder[domain.OwnershipVerified](),
	domain.EventOwnershipVerificationFailed:  sourceDecoder[domain.OwnershipVerificationFailed](),
	domain.EventSourceHealthChecked:          sourceDecoder[domain.SourceHealthChecked](),
	domain.EventSourceTrustAdjusted:          sourceDecoder[domain.SourceTrustAdjusted](),
	domain.EventSourceStatusChanged:          sourceDecoder[domain.SourceStatusChanged](),
	domain.EventSourceSignatureChecked:       sourceDecoder[domain.SourceSignatureChecked](),
	domain.EventSourceSubscriberCountChanged: sourceDecoder[domain.SourceSubscriberCountChanged](),
	domain.EventSourceSynced:                 sourceDecoder[domain.SourceSynced](),
	domain.EventSourceHealthSummarized:       sourceDecoder[domain.SourceHealthSummarized](),
	domain.EventSourceFailureRecorded:        sourceDecoder[domain.SourceFailureRecorded](),
	domain.EventSourceAssetHostsAllowed:      sourceDecoder[domain.SourceAssetHostsAllowed](),
	domain.EventSourceListingRefused:         sourceDecoder[domain.SourceListingRefused](),
}

func sourceDecoder[T domain.SourceEvent]() func([]byte) (domain.SourceEvent, error) {
	return func(payload []byte) (domain.SourceEvent, error) { return decodeAs[T](payload) }
}

// decodeSourceEvent returns the domain event a stored event holds; ok is
// false for event types that are not source events.
func decodeSourceEvent(e eventstore.Event) (domain.SourceEvent, bool, error) {
	decode, ok := sourceDecoders[e.Type]
	if !ok {
		return nil, false, nil
	}
	de, err := decode(e.Payload)
	if err != nil {
		return nil, true, fmt.Errorf("decode %s at %s v%d: %w", e.Type, e.StreamID, e.StreamVersion, err)
	}
	return de, true, nil
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
