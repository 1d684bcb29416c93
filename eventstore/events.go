package eventstore

import (
	"fmt"
	"reflect"

	"github.com/pfn-network/pfn/domain"
)

// Events is the registry of every event PFN stores: every stream is
// encoded and decoded through it (EncodeAll, DecodeAs), so an event type
// is named, versioned and upcast in one place. Add a type here with its
// domain constant; change a stored name or payload shape only with an
// upcaster.
var Events = domainEvents()

func domainEvents() *Registry {
	r := NewRegistry()
	// A source's stream.
	Register[domain.SourceRegistered](r, domain.EventSourceRegistered, upcastSourceRegisteredV1)
	Register[domain.PublisherInfoRefreshed](r, domain.EventPublisherInfoRefreshed)
	Register[domain.OwnershipVerified](r, domain.EventOwnershipVerified)
	Register[domain.OwnershipVerificationFailed](r, domain.EventOwnershipVerificationFailed)
	Register[domain.SourceHealthChecked](r, domain.EventSourceHealthChecked)
	Register[domain.SourceTrustAdjusted](r, domain.EventSourceTrustAdjusted)
	Register[domain.SourceStatusChanged](r, domain.EventSourceStatusChanged)
	Register[domain.SourceSignatureChecked](r, domain.EventSourceSignatureChecked)
	Register[domain.SourceSubscriberCountChanged](r, domain.EventSourceSubscriberCountChanged)
	Register[domain.SourceSynced](r, domain.EventSourceSynced)
	Register[domain.SourceHealthSummarized](r, domain.EventSourceHealthSummarized)
	Register[domain.SourceFailureRecorded](r, domain.EventSourceFailureRecorded)
	Register[domain.SourceAssetHostsAllowed](r, domain.EventSourceAssetHostsAllowed)
	Register[domain.SourceListingRefused](r, domain.EventSourceListingRefused)
	Register[domain.SourceSuspended](r, domain.EventSourceSuspended)
	Register[domain.SourceResumed](r, domain.EventSourceResumed)
	Register[domain.SourceRemoved](r, domain.EventSourceRemoved)
	Register[domain.SourceFilesDeleted](r, domain.EventSourceFilesDeleted)
	Register[domain.SourceKeyRotated](r, domain.EventSourceKeyRotated)
	Register[domain.SourceKeyRotationRefused](r, domain.EventSourceKeyRotationRefused)
	Register[domain.SourceUpstreamStatusChanged](r, domain.EventSourceUpstreamStatus)
	Register[domain.SourceLogInconsistent](r, domain.EventSourceLogInconsistent)
	Register[domain.SourceLogAccepted](r, domain.EventSourceLogAccepted)
	// A plugin's history.
	Register[domain.PluginMirrored](r, domain.EventPluginMirrored, upcastPluginMirroredV1)
	Register[domain.PluginRejected](r, domain.EventPluginRejected)
	Register[domain.PluginTampered](r, domain.EventPluginTampered)
	Register[domain.PluginRolledBack](r, domain.EventPluginRolledBack)
	Register[domain.PluginVersionUpdated](r, domain.EventPluginVersionUpdate)
	Register[domain.PluginPruned](r, domain.EventPluginPruned)
	Register[domain.PluginStoredCopyDamaged](r, domain.EventPluginStoredCopyDamaged)
	Register[domain.PluginStoredCopyRestored](r, domain.EventPluginStoredCopyRestored)
	Register[domain.PluginYanked](r, domain.EventPluginYanked)
	Register[domain.PluginUnyanked](r, domain.EventPluginUnyanked)
	Register[domain.PluginSourceRemoved](r, domain.EventPluginSourceGone)
	// A subscription.
	Register[domain.Subscribed](r, domain.EventSubscribed)
	Register[domain.SubscriptionFiltersChanged](r, domain.EventSubscriptionFiltersSet)
	Register[domain.Unsubscribed](r, domain.EventUnsubscribed)
	// A source's health record.
	Register[domain.HealthChecked](r, domain.EventHealthChecked)
	// An API key.
	Register[domain.APIKeyIssued](r, domain.EventAPIKeyIssued)
	Register[domain.APIKeyRevoked](r, domain.EventAPIKeyRevoked)
	return r
}

// EncodeAll turns events of registered types (an aggregate's changes) into
// events to append.
func EncodeAll[E any](events []E) ([]NewEvent, error) {
	out := make([]NewEvent, len(events))
	for i, e := range events {
		ne, err := Events.Encode(e)
		if err != nil {
			return nil, err
		}
		out[i] = ne
	}
	return out, nil
}

// DecodeAs decodes a stored event through Events and requires it to be an
// E, the event interface (or type) of the stream it was read from: an event
// of another aggregate in a stream is an error, as is a type not registered.
func DecodeAs[E any](ev Event) (E, error) {
	var zero E
	v, err := Events.Decode(ev)
	if err != nil {
		return zero, err
	}
	de, ok := v.(E)
	if !ok {
		return zero, fmt.Errorf("decode %s at %s v%d: a %T is not a %T event: %w", ev.Type, ev.StreamID, ev.StreamVersion,
			v, reflect.TypeFor[E](), ErrUnknownEventType)
	}
	return de, nil
}

// DecodeStream decodes a stream's events, each of which must be an E.
func DecodeStream[E any](stored []Event) ([]E, error) {
	out := make([]E, 0, len(stored))
	for _, ev := range stored {
		de, err := DecodeAs[E](ev)
		if err != nil {
			return nil, err
		}
		out = append(out, de)
	}
	return out, nil
}
