package app_test

import (
	"context"
	"errors"
	"testing"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// Resolve against the sources stored: an id with a port is taken as
// given, a port-less one names the source it can mean.
func TestSourceResolverResolve(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sources := &app.MemorySources{}
	key, _ := newKey(t)
	for _, at := range []string{"https://one.example", "https://two.example:8090", "https://three.example:8090", "https://three.example:8091"} {
		s, err := domain.RegisterSource(at, "u", key, admin.KeyID, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := sources.Save(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		given   string
		want    domain.SourceID
		wantErr error
	}{
		{given: "u@one.example", want: "u@one.example"},
		{given: "u@two.example", want: "u@two.example:8090"},
		{given: "u@nowhere.example:8090", want: "u@nowhere.example:8090"}, // the use cases say it does not exist
		{given: "u@nowhere.example", wantErr: domain.ErrNotFound},
		{given: "u@three.example", wantErr: domain.ErrConflict},
		{given: "no-at-sign", wantErr: domain.ErrInvalidInput},
	}
	for _, tt := range tests {
		got, err := app.SourceResolver{Sources: sources}.Resolve(ctx, tt.given)
		if got != tt.want || !errors.Is(err, tt.wantErr) {
			t.Errorf("Resolve(%q) = %q, %v; want %q, %v", tt.given, got, err, tt.want, tt.wantErr)
		}
	}
	var amb *app.AmbiguousSourceError
	if _, err := (app.SourceResolver{Sources: sources}).Resolve(ctx, "u@three.example"); !errors.As(err, &amb) || len(amb.Candidates) != 2 {
		t.Errorf("an ambiguous id: %v", err)
	}
}
