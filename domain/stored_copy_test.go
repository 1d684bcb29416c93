package domain_test

import (
	"slices"
	"testing"

	"github.com/pfn-network/pfn/domain"
)

// A sequence of rechecks of one stored copy: damage is recorded once per
// finding, a good copy after damage once as restored, and a good copy
// never found damaged records nothing.
func TestStoredCopyVerdictIsRecordedOnChange(t *testing.T) {
	good := domain.StoredCopyMeasure{SHA256: "aa", Size: 10}
	missing := domain.StoredCopyMeasure{Missing: true}
	corrupt := domain.StoredCopyMeasure{SHA256: "bb", Size: 10}
	short := domain.StoredCopyMeasure{SHA256: "cc", Size: 9}
	damaged, restored := domain.EventPluginStoredCopyDamaged, domain.EventPluginStoredCopyRestored
	tests := []struct {
		name  string
		steps []domain.StoredCopyMeasure
		want  []string
	}{
		{"always good", []domain.StoredCopyMeasure{good, good}, nil},
		{"missing, found again and again", []domain.StoredCopyMeasure{missing, missing, missing}, []string{damaged}},
		{"corrupted, then restored", []domain.StoredCopyMeasure{corrupt, corrupt, good, good}, []string{damaged, restored}},
		{"other size", []domain.StoredCopyMeasure{short}, []string{damaged}},
		{"corrupted, then deleted, then restored", []domain.StoredCopyMeasure{corrupt, missing, good}, []string{damaged, damaged, restored}},
		{"damaged twice over", []domain.StoredCopyMeasure{missing, good, missing, good}, []string{damaged, restored, damaged, restored}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := domain.NewPluginHistory("a@h", "p")
			m := mirrored("1.0.0", "aa", "s1")
			m.Size = 10
			h.RecordMirrored(m)
			h.MarkSaved()
			recordings := 0
			for _, s := range tt.steps {
				if h.CheckStoredCopy("1.0.0", s, t0) {
					recordings++
				}
			}
			if recordings != len(h.Changes()) {
				t.Fatalf("said it recorded %d times, recorded %d events", recordings, len(h.Changes()))
			}
			if got := types(h.Changes()); !slices.Equal(got, tt.want) {
				t.Fatalf("events %v, want %v", got, tt.want)
			}
			// Replaying what was recorded gives the same verdict.
			replayed := domain.NewPluginHistory("a@h", "p")
			replayed.Load(append([]domain.PluginEvent{m}, h.Changes()...))
			rv, _ := replayed.Mirrored("1.0.0")
			hv, _ := h.Mirrored("1.0.0")
			if rv.Damage != hv.Damage {
				t.Fatalf("replayed damage %q, recorded %q", rv.Damage, hv.Damage)
			}
		})
	}
}

func TestStoredCopyDamageNamesWhatWasMeasured(t *testing.T) {
	h := domain.NewPluginHistory("a@h", "p")
	m := mirrored("1.0.0", "aa", "s1")
	m.Size = 10
	h.RecordMirrored(m)
	h.MarkSaved()
	h.CheckStoredCopy("1.0.0", domain.StoredCopyMeasure{SHA256: "bb", Size: 7}, t0)
	h.CheckStoredCopy("0.1.0", domain.StoredCopyMeasure{Missing: true}, t0) // never mirrored: nothing
	if len(h.Changes()) != 1 {
		t.Fatalf("changes %v", h.Changes())
	}
	e := h.Changes()[0].(domain.PluginStoredCopyDamaged)
	if want := "sha256 bb and 7 bytes measured, aa and 10 bytes recorded"; e.Reason() != want || !e.At.Equal(t0) {
		t.Fatalf("reason %q at %v, want %q at %v", e.Reason(), e.At, want, t0)
	}
	if got := (domain.PluginStoredCopyDamaged{Missing: true}).Reason(); got != "missing: the stored file is gone" {
		t.Fatalf("missing reason %q", got)
	}
}

func TestStoredCopyOfAPrunedVersionIsNotJudged(t *testing.T) {
	h := domain.NewPluginHistory("a@h", "p")
	h.RecordMirrored(mirrored("1.0.0", "aa", "s1"))
	h.RecordMirrored(mirrored("2.0.0", "bb", "s2"))
	if _, ok := h.PruneVersion("1.0.0", "test", t0); !ok {
		t.Fatal("not pruned")
	}
	h.MarkSaved()
	h.CheckStoredCopy("1.0.0", domain.StoredCopyMeasure{Missing: true}, t0)
	if len(h.Changes()) != 0 {
		t.Fatalf("a pruned version's missing file recorded %v", types(h.Changes()))
	}
}
