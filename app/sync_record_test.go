package app

import (
	"testing"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// TestSyncRecordingStep: each planned decision is answered on every sync
// and recorded (and counted against the publisher) only the first time.
func TestSyncRecordingStep(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		listed   ListedPlugin
		have     []mirroredBefore
		signed   bool
		answer   string
		recorded int // events on the plugin's history after the first sync
		invalid  int // invalid signatures counted by the first sync
		refusals int // listing refusals for the source
	}{
		{name: "refusal goes to the source", listed: listedPlugin("hello", "nope"), signed: true,
			answer: "", refusals: 1},
		{name: "tampering is recorded and counted once", listed: listedPlugin("hello", "1.0.0"), signed: true,
			have:   []mirroredBefore{{"hello", "1.0.0", "other-sig", "sha-1.0.0"}},
			answer: "tampering: the publisher now signs this version differently; the first copy stays", recorded: 1, invalid: 1},
		{name: "unsigned is recorded and counted once", listed: listedPlugin("hello", "1.0.0"), signed: false,
			answer: "publisher signature does not verify against the source's key", recorded: 1, invalid: 1},
		{name: "rollback is recorded once and not counted", listed: listedPlugin("hello", "0.9.0"), signed: true,
			have:   []mirroredBefore{{"hello", "1.0.0", "sig-1.0.0", "sha-1.0.0"}},
			answer: "version 0.9.0 is below the mirrored 1.0.0 (rollback)", recorded: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var unsigned []int
			if !tt.signed {
				unsigned = []int{0}
			}
			in := planFixture([]ListedPlugin{tt.listed}, tt.have, []domain.Filters{{}}, unsigned, 0)
			plan := planSync(in)
			if len(plan.Steps) != 1 {
				t.Fatalf("plan has %d steps, want 1", len(plan.Steps))
			}
			hist := in.Histories[tt.listed.Slug]
			for sync := range 2 { // the second sync finds the same listing
				result := SyncResult{}
				rec := syncRecording{result: &result, now: time.Unix(0, 0)}
				rec.step(plan.Steps[0])
				if len(result.Rejected) != 1 || (tt.answer != "" && result.Rejected[0].Reason != tt.answer) {
					t.Errorf("sync %d answered %+v, want one rejection %q", sync, result.Rejected, tt.answer)
				}
				wantInvalid := tt.invalid
				if sync == 1 {
					wantInvalid = 0
				}
				if rec.sum.InvalidSignatures != wantInvalid || len(rec.refusals) != tt.refusals {
					t.Errorf("sync %d: invalid signatures %d, refusals %d; want %d, %d",
						sync, rec.sum.InvalidSignatures, len(rec.refusals), wantInvalid, tt.refusals)
				}
				if got := len(hist.Changes()); got != tt.recorded {
					t.Errorf("sync %d: %d events on the history, want %d", sync, got, tt.recorded)
				}
			}
		})
	}
}
