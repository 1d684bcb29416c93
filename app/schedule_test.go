package app

import (
	"testing"
	"time"
)

func TestScheduleNext(t *testing.T) {
	s := Schedule{HealthInterval: 5 * time.Minute, SyncInterval: 15 * time.Minute, ReverifyInterval: 24 * time.Hour,
		RetryBase: time.Hour, MaxRetries: 5}
	for _, tc := range []struct {
		kind         JobKind
		failed       bool
		attempts     int
		want         time.Duration
		wantAttempts int
	}{
		{JobHealth, false, 0, 5 * time.Minute, 0},
		{JobHealth, true, 2, 5 * time.Minute, 3},
		{JobReverify, false, 1, 24 * time.Hour, 0},
		{JobSync, false, 4, 15 * time.Minute, 0},
		{JobSync, true, 0, time.Hour, 1},
		{JobSync, true, 1, 2 * time.Hour, 2},
		{JobSync, true, 2, 4 * time.Hour, 3},
		{JobSync, true, 3, 8 * time.Hour, 4},
		{JobSync, true, 4, 16 * time.Hour, 5},
		{JobSync, true, 5, 15 * time.Minute, 6}, // five retries spent: the regular schedule
		{JobSync, true, 9, 15 * time.Minute, 10},
	} {
		got, attempts := s.next(tc.kind, tc.failed, tc.attempts)
		if got != tc.want || attempts != tc.wantAttempts {
			t.Errorf("next(%s, failed=%v, %d) = %v, %d; want %v, %d", tc.kind, tc.failed, tc.attempts, got, attempts, tc.want, tc.wantAttempts)
		}
	}
}
