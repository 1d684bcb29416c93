package app

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/pfn-network/pfn/domain"
)

func TestPickSource(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, given string
		found       []domain.SourceID
		want        domain.SourceID
		wantErr     error
		candidates  []domain.SourceID
	}{
		{name: "the id itself wins over ported ones", given: "u@h.example",
			found: []domain.SourceID{"u@h.example:8090", "u@h.example"}, want: "u@h.example"},
		{name: "one port", given: "u@h.example", found: []domain.SourceID{"u@h.example:8090"}, want: "u@h.example:8090"},
		{name: "two ports are ambiguous", given: "u@h.example",
			found: []domain.SourceID{"u@h.example:8090", "u@h.example:8091"}, wantErr: domain.ErrConflict,
			candidates: []domain.SourceID{"u@h.example:8090", "u@h.example:8091"}},
		{name: "none", given: "u@h.example", wantErr: domain.ErrNotFound},
		{name: "a longer host is another host", given: "u@h.example",
			found: []domain.SourceID{"u@h.example.org", "u@h.example:80a"}, wantErr: domain.ErrNotFound},
		{name: "IPv6 in brackets", given: "u@[::1]", found: []domain.SourceID{"u@[::1]:8090"}, want: "u@[::1]:8090"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := pickSource(domain.SourceID(tc.given), tc.found)
			if !errors.Is(err, tc.wantErr) || got != tc.want {
				t.Fatalf("pickSource = %q, %v; want %q, %v", got, err, tc.want, tc.wantErr)
			}
			var amb *AmbiguousSourceError
			if errors.As(err, &amb) {
				if !slices.Equal(tc.candidates, amb.Candidates) {
					t.Fatalf("candidates %q, want %q", amb.Candidates, tc.candidates)
				}
			} else if tc.candidates != nil {
				t.Fatalf("err %v is not ambiguous", err)
			}
		})
	}
}

func TestHasPort(t *testing.T) {
	t.Parallel()
	for id, want := range map[domain.SourceID]bool{
		"u@h.example": false, "u@h.example:8090": true, "u@[::1]": false, "u@[::1]:8090": true, "u@127.0.0.1:1": true,
	} {
		if got := hasPort(id); got != want {
			t.Errorf("hasPort(%q) = %v, want %v", id, got, want)
		}
	}
}

// A resolver without a read model (tests of the HTTP port) takes ids as
// given once their shape is right.
func TestZeroSourceResolverChecksTheShapeOnly(t *testing.T) {
	t.Parallel()
	if id, err := (SourceResolver{}).Resolve(context.Background(), "u@h.example"); err != nil || id != "u@h.example" {
		t.Fatalf("Resolve = %q, %v", id, err)
	}
	if _, err := (SourceResolver{}).Resolve(context.Background(), "u"); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("Resolve(no @) = %v, want invalid input", err)
	}
}
