package app_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// racedStream is an in-memory stream whose saves conflict a set number of
// times, as if other writers got there first, and then succeed (or fail
// with saveErr).
type racedStream struct {
	version   int // what a load sees; every lost race moves it on
	conflicts int
	saveErr   error
	loads     int
	saves     int
	saved     int // the version the successful save was made on
	cancel    func()
}

func (s *racedStream) load(context.Context) (*int, error) {
	s.loads++
	v := s.version
	return &v, nil
}

func (s *racedStream) save(_ context.Context, v *int) error {
	s.saves++
	if s.cancel != nil {
		s.cancel() // the caller gives up while this save is under way
	}
	if s.conflicts > 0 {
		s.conflicts--
		s.version++ // the other writer's event
		return fmt.Errorf("stream moved on: %w", domain.ErrConflict)
	}
	if s.saveErr != nil {
		return s.saveErr
	}
	s.saved = *v
	return nil
}

func TestUpdateAggregate(t *testing.T) {
	errBroken := errors.New("connection reset")
	errRefused := errors.New("the aggregate refuses")
	tests := []struct {
		name       string
		conflicts  int
		saveErr    error
		changeErr  error
		cancel     bool
		wantErr    error
		wantSaves  int
		wantLoads  int
		wantSavedV int
	}{
		{name: "no conflict", wantSaves: 1, wantLoads: 1},
		{name: "one conflict: reloaded and saved on the new version", conflicts: 1, wantSaves: 2, wantLoads: 2, wantSavedV: 1},
		{name: "conflicts on all but the last attempt", conflicts: app.UpdateAttempts - 1,
			wantSaves: app.UpdateAttempts, wantLoads: app.UpdateAttempts, wantSavedV: app.UpdateAttempts - 1},
		{name: "conflicts on every attempt: gives up with the conflict", conflicts: app.UpdateAttempts,
			wantErr: domain.ErrConflict, wantSaves: app.UpdateAttempts, wantLoads: app.UpdateAttempts},
		{name: "another save error is not retried", conflicts: 0, saveErr: errBroken,
			wantErr: errBroken, wantSaves: 1, wantLoads: 1},
		{name: "the change's error stops before any save", changeErr: errRefused,
			wantErr: errRefused, wantSaves: 0, wantLoads: 1},
		{name: "a cancelled context stops the retries", conflicts: 2, cancel: true,
			wantErr: context.Canceled, wantSaves: 1, wantLoads: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			s := &racedStream{conflicts: tt.conflicts, saveErr: tt.saveErr}
			if tt.cancel {
				s.cancel = cancel
			}
			changes := 0
			err := app.UpdateAggregate(ctx, s.load, s.save, func(v *int) error {
				changes++
				return tt.changeErr
			})
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if s.saves != tt.wantSaves || s.loads != tt.wantLoads || changes != tt.wantLoads {
				t.Errorf("saves, loads, changes = %d, %d, %d, want %d, %d, %d", s.saves, s.loads, changes, tt.wantSaves, tt.wantLoads, tt.wantLoads)
			}
			if err == nil && s.saved != tt.wantSavedV {
				t.Errorf("saved on version %d, want %d (a fresh load every attempt)", s.saved, tt.wantSavedV)
			}
		})
	}
}
