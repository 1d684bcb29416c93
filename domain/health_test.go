package domain_test

import (
	"testing"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// The health stream is the source id's and outlives a removal: a check of
// a new incarnation starts its figures afresh, as a source's first check,
// rather than continue the removed incarnation's.
func TestHealthStartsAfreshForANewIncarnation(t *testing.T) {
	readded := t0.Add(time.Hour)
	at := readded.Add(time.Minute)
	first, err := domain.LoadHealth(nil, 0).Check(readded, true, 100, "", at)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		registered time.Time
		fresh      bool
	}{
		{"the same incarnation goes on", t0, false},
		{"a new incarnation starts from zero", readded, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := domain.LoadHealth(nil, 0)
			for i := range 3 {
				if _, err := h.Check(t0, false, 0, "refused", t0.Add(time.Duration(i)*time.Minute)); err != nil {
					t.Fatal(err)
				}
			}
			c, err := h.Check(tt.registered, true, 100, "", at)
			if err != nil {
				t.Fatal(err)
			}
			if fresh := c == first; fresh != tt.fresh || (!fresh && c.Checks != 4) {
				t.Fatalf("check %+v; want fresh %v (a first check is %+v)", c, tt.fresh, first)
			}
			if h.Last() != c {
				t.Fatalf("last %+v, want %+v", h.Last(), c)
			}
		})
	}
}
