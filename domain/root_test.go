package domain

import (
	"slices"
	"testing"
)

// The root keeps the version and pending events for every aggregate; the
// steps below drive it the way load, record and save do.
func TestRootVersionChangesMarkSaved(t *testing.T) {
	type step struct {
		loadedAt int64    // -1: not a load step
		pend     []string // events recorded
		save     bool
	}
	cases := []struct {
		name        string
		steps       []step
		wantVersion int64
		wantChanges []string
	}{
		{"new aggregate", nil, 0, nil},
		{"loaded, nothing recorded", []step{{loadedAt: 5}}, 5, nil},
		{"new, recorded, not saved", []step{{loadedAt: -1, pend: []string{"a", "b"}}}, 0, []string{"a", "b"}},
		{"loaded, recorded, not saved", []step{{loadedAt: 3, pend: []string{"a"}}}, 3, []string{"a"}},
		{"saved moves the version past the changes", []step{{loadedAt: 3, pend: []string{"a", "b"}, save: true}}, 5, nil},
		{"saving nothing changes nothing", []step{{loadedAt: 2, save: true}}, 2, nil},
		{"record after a save starts anew", []step{
			{loadedAt: 1, pend: []string{"a"}, save: true},
			{loadedAt: -1, pend: []string{"b", "c"}},
		}, 2, []string{"b", "c"}},
		{"two saves add up", []step{
			{loadedAt: -1, pend: []string{"a"}, save: true},
			{loadedAt: -1, pend: []string{"b", "c"}, save: true},
		}, 3, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r Root[string]
			for _, s := range c.steps {
				if s.loadedAt >= 0 {
					r.loadedAt(s.loadedAt)
				}
				for _, e := range s.pend {
					r.pend(e)
				}
				if s.save {
					r.MarkSaved()
				}
			}
			if r.Version() != c.wantVersion || !slices.Equal(r.Changes(), c.wantChanges) {
				t.Fatalf("version %d changes %v, want %d %v", r.Version(), r.Changes(), c.wantVersion, c.wantChanges)
			}
		})
	}
}
