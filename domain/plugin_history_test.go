package domain_test

import (
	"testing"
	"time"

	"github.com/pfn-network/pfn/domain"
)

func mirrored(version, sha, sig string) domain.PluginMirrored {
	return domain.PluginMirrored{SourceID: "a@h", Plugin: "p", Version: version, SHA256: sha, PublisherSignature: sig, At: t0}
}

func types(events []domain.PluginEvent) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.EventType())
	}
	return out
}

func TestPluginHistoryDecisions(t *testing.T) {
	h := domain.NewPluginHistory("a@h", "p")
	if download, _ := h.Consider(domain.Listing{Version: "1.0.0", Signature: "s1"}, t0); !download {
		t.Fatal("a new plugin is not downloaded")
	}
	h.RecordMirrored(mirrored("1.0.0", "aa", "s1"))

	tests := []struct {
		name         string
		listing      domain.Listing
		wantDownload bool
		wantEvents   []string
	}{
		{"same version, same signature", domain.Listing{Version: "1.0.0", Signature: "s1"}, false, nil},
		{"same version, new signature", domain.Listing{Version: "1.0.0", Signature: "s2"}, false, []string{domain.EventPluginTampered}},
		{"same version, other sha256", domain.Listing{Version: "1.0.0", Signature: "s1", SHA256: "bb"}, false, []string{domain.EventPluginTampered}},
		{"lower version", domain.Listing{Version: "0.9.0", Signature: "s0"}, false, []string{domain.EventPluginRolledBack}},
		{"newer version", domain.Listing{Version: "1.1.0", Signature: "s3"}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := domain.NewPluginHistory("a@h", "p")
			h.Load([]domain.PluginEvent{mirrored("1.0.0", "aa", "s1")})
			got, recorded := h.Consider(tt.listing, t0)
			if got != tt.wantDownload || recorded != (len(tt.wantEvents) > 0) {
				t.Fatalf("download = %v, recorded = %v", got, recorded)
			}
			if got := types(h.Changes()); len(got) != len(tt.wantEvents) || (len(got) > 0 && got[0] != tt.wantEvents[0]) {
				t.Fatalf("events %v, want %v", got, tt.wantEvents)
			}
			// The same finding on the next sync is not recorded again.
			h.MarkSaved()
			if _, recorded := h.Consider(tt.listing, t0.Add(time.Hour)); recorded || len(h.Changes()) != 0 {
				t.Fatalf("repeated finding recorded again: %v", types(h.Changes()))
			}
		})
	}

	h.RecordMirrored(mirrored("1.1.0", "cc", "s3"))
	got := types(h.Changes())
	want := []string{domain.EventPluginMirrored, domain.EventPluginMirrored, domain.EventPluginVersionUpdate}
	if len(got) != 3 || got[2] != want[2] || h.Latest() != "1.1.0" {
		t.Fatalf("events %v, latest %s", got, h.Latest())
	}
	replayed := domain.NewPluginHistory("a@h", "p")
	replayed.Load(h.Changes())
	if replayed.Latest() != "1.1.0" || replayed.MirroredCount() != 2 {
		t.Fatalf("replay: %+v", replayed)
	}
}

func TestSubscriptionLifecycle(t *testing.T) {
	s := newSource(t)
	sub := domain.NewSubscription(s.State().ID, "key_c")
	if err := sub.Subscribe(s.State(), domain.Filters{}, t0); err == nil {
		t.Fatal("subscribed to a pending source")
	}
	_ = s.RecordOwnershipProof(true, "", t0)
	f, _ := domain.ParseFilters([]byte(`{"tags":["Security"]}`))
	if err := sub.Subscribe(s.State(), f, t0); err != nil {
		t.Fatal(err)
	}
	_ = sub.Subscribe(s.State(), f, t0) // same filters: nothing
	g, _ := domain.ParseFilters([]byte(`{"slugs":["x"]}`))
	_ = sub.Subscribe(s.State(), g, t0)
	if err := sub.Unsubscribe(t0); err != nil {
		t.Fatal(err)
	}
	if err := sub.Unsubscribe(t0); err == nil {
		t.Fatal("unsubscribed twice")
	}
	var kinds []string
	for _, e := range sub.Changes() {
		kinds = append(kinds, typeName(e))
	}
	if len(kinds) != 3 || kinds[0] != "Subscribed" || kinds[1] != "SubscriptionFiltersChanged" || kinds[2] != "Unsubscribed" {
		t.Fatalf("events %v", kinds)
	}
}

func typeName(e domain.SubscriptionEvent) string {
	switch e.(type) {
	case domain.Subscribed:
		return "Subscribed"
	case domain.SubscriptionFiltersChanged:
		return "SubscriptionFiltersChanged"
	case domain.Unsubscribed:
		return "Unsubscribed"
	}
	return "?"
}

func TestTamperingIsReportedWithoutRecording(t *testing.T) {
	h := domain.NewPluginHistory("a@h", "p")
	h.Load([]domain.PluginEvent{mirrored("1.0.0", "aa", "s1")})
	tests := map[string]struct {
		l    domain.Listing
		want bool
	}{
		"unchanged":      {domain.Listing{Version: "1.0.0", Signature: "s1"}, false},
		"unchanged sha":  {domain.Listing{Version: "1.0.0", Signature: "s1", SHA256: "aa"}, false},
		"new signature":  {domain.Listing{Version: "1.0.0", Signature: "s2"}, true},
		"new sha256":     {domain.Listing{Version: "1.0.0", Signature: "s1", SHA256: "bb"}, true},
		"unseen version": {domain.Listing{Version: "2.0.0", Signature: "x"}, false},
	}
	for name, tt := range tests {
		if got := h.Tampering(tt.l) != ""; got != tt.want {
			t.Errorf("%s: tampering %v, want %v", name, got, tt.want)
		}
	}
	if len(h.Changes()) != 0 {
		t.Fatal("Tampering recorded events")
	}
}

// Each recording method says whether it recorded: a problem once, never
// again for the same finding.
func TestPluginHistoryRecordingSaysWhetherItRecorded(t *testing.T) {
	tests := []struct {
		name   string
		record func(h *domain.PluginHistory) bool
	}{
		{"rejected", func(h *domain.PluginHistory) bool { return h.RecordRejected("1.1.0", "bad signature", t0) }},
		{"tampered at download", func(h *domain.PluginHistory) bool { return h.RecordTampered("1.1.0", "other bytes", t0) }},
		{"tampering in a listing", func(h *domain.PluginHistory) bool {
			_, recorded := h.Consider(domain.Listing{Version: "1.0.0", Signature: "s2"}, t0)
			return recorded
		}},
		{"rollback", func(h *domain.PluginHistory) bool {
			_, recorded := h.Consider(domain.Listing{Version: "0.9.0", Signature: "s0"}, t0)
			return recorded
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := domain.NewPluginHistory("a@h", "p")
			h.Load([]domain.PluginEvent{mirrored("1.0.0", "aa", "s1")})
			if !tt.record(h) || len(h.Changes()) != 1 {
				t.Fatalf("first finding: %v", types(h.Changes()))
			}
			if tt.record(h) || len(h.Changes()) != 1 {
				t.Fatalf("the same finding again recorded: %v", types(h.Changes()))
			}
		})
	}
}
