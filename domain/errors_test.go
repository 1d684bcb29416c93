package domain_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pfn-network/pfn/domain"
)

func TestInFieldNamesOnlyInvalidInputAndKeepsTheInnerField(t *testing.T) {
	invalid := fmt.Errorf("username is empty: %w", domain.ErrInvalidInput)
	tests := []struct {
		name      string
		err       error
		wantField string // "" means no FieldError
	}{
		{"nil stays nil", nil, ""},
		{"invalid input gets the field", invalid, "source"},
		{"a conflict is no field's fault", fmt.Errorf("dup: %w", domain.ErrConflict), ""},
		{"a plain failure is no field's fault", errors.New("connection refused"), ""},
		{"the inner field stays", domain.InField("filters.tags", invalid), "filters.tags"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := domain.InField("source", tt.err)
			var fe *domain.FieldError
			field := ""
			if errors.As(got, &fe) {
				field = fe.Field
			}
			if field != tt.wantField || !errors.Is(got, tt.err) || (tt.err == nil) != (got == nil) {
				t.Fatalf("InField(source, %v) = %v (field %q), want field %q wrapping the error", tt.err, got, field, tt.wantField)
			}
			if tt.err != nil && got.Error() != tt.err.Error() {
				t.Fatalf("message %q changed from %q", got.Error(), tt.err.Error())
			}
		})
	}
	// Source registration names the field each part came from.
	for field, args := range map[string][3]string{
		"instance_url": {"ftp://a.example", "alice", ""},
		"username":     {"https://a.example", "al ice", ""},
		"public_key":   {"https://a.example", "alice", "AAAA"},
	} {
		_, err := domain.RegisterSource(args[0], args[1], args[2], "k", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
		var fe *domain.FieldError
		if !errors.As(err, &fe) || fe.Field != field || !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("RegisterSource%q = %v, want a FieldError for %s", args, err, field)
		}
	}
}
