package postgres_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
)

// Every subscription event is stored under its own type and decodes back
// to itself; a type the stream does not know is an error, never a guess.
func TestSubscriptionEventsRoundTripAndUnknownTypesFail(t *testing.T) {
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	f := domain.Filters{Slugs: []string{"a-b"}, Tags: []string{"seo"}}
	tests := []struct {
		event    domain.SubscriptionEvent
		wantType string
	}{
		{domain.Subscribed{SourceID: "a@h", Subscriber: "k", Filters: f, At: at}, domain.EventSubscribed},
		{domain.SubscriptionFiltersChanged{SourceID: "a@h", Subscriber: "k", Filters: f, At: at}, domain.EventSubscriptionFiltersSet},
		{domain.Unsubscribed{SourceID: "a@h", Subscriber: "k", Reason: domain.UnsubscribedKeyRevoked, At: at}, domain.EventUnsubscribed},
	}
	for _, tt := range tests {
		t.Run(tt.wantType, func(t *testing.T) {
			enc, err := eventstore.EncodeAll([]domain.SubscriptionEvent{tt.event})
			if err != nil || enc[0].Type != tt.wantType {
				t.Fatalf("encoded as %q (%v), want %q", enc[0].Type, err, tt.wantType)
			}
			got, err := eventstore.DecodeAs[domain.SubscriptionEvent](eventstore.Event{Type: enc[0].Type,
				SchemaVersion: enc[0].SchemaVersion, Payload: enc[0].Payload})
			if err != nil || !reflect.DeepEqual(got, tt.event) {
				t.Fatalf("decoded %#v (%v), want %#v", got, err, tt.event)
			}
		})
	}
	for _, typ := range []string{"subscription.paused", domain.EventPluginMirrored, ""} {
		if e, err := eventstore.DecodeAs[domain.SubscriptionEvent](eventstore.Event{Type: typ, Payload: []byte(`{}`)}); err == nil {
			t.Fatalf("unknown type %q decoded as %#v", typ, e)
		}
	}
}
