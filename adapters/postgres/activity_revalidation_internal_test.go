package postgres

import (
	"testing"

	"github.com/pfn-network/pfn/domain"
)

// A sync's activity entry says what its revalidation found; a sync with
// nothing mirrored or refused still shows none, however much it asked.
func TestSyncedEntrySaysWhatRevalidationFound(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		synced domain.SourceSynced
		shown  bool
		want   string
	}{
		{name: "tampering found", shown: true,
			synced: domain.SourceSynced{Rejected: 1, PluginCount: 2, Revalidation: domain.Revalidation{Revalidated: 2, NoValidator: 1}},
			want:   "sync: 0 mirrored, 1 rejected, 2 plugins in all; 2 held versions revalidated at the publisher, 1 without a validator (left to the daily recheck)"},
		{name: "nothing asked", shown: true, synced: domain.SourceSynced{Mirrored: 1, PluginCount: 1},
			want: "sync: 1 mirrored, 0 rejected, 1 plugins in all"},
		{name: "only asked", synced: domain.SourceSynced{PluginCount: 2, Revalidation: domain.Revalidation{Revalidated: 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			en, shown := sourceEntry("a@h.example", tt.synced)
			if shown != tt.shown || en.summary != tt.want {
				t.Fatalf("entry %q (shown %v), want %q (shown %v)", en.summary, shown, tt.want, tt.shown)
			}
		})
	}
}

// A refused key rotation shows in the activity, naming the key and why.
func TestKeyRotationRefusedEntry(t *testing.T) {
	t.Parallel()
	en, shown := sourceEntry("a@h.example", domain.SourceKeyRotationRefused{KeyID: "0123456789abcdef", Reason: "signature does not verify"})
	want := "the publisher's announced key 0123456789abcdef is refused, and not tried again: signature does not verify"
	if !shown || en.kind != "key_rotation_refused" || en.summary != want {
		t.Fatalf("entry %s %q (shown %v), want key_rotation_refused %q", en.kind, en.summary, shown, want)
	}
}
