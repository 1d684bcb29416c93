package app

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
)

func TestSyncBudget(t *testing.T) {
	t.Parallel()
	type step struct {
		take     int64 // > 0 draws, < 0 gives back
		drawn    int64 // what the drawing download holds already
		wantErr  string
		deferred bool
	}
	tests := []struct {
		name                   string
		syncBytes, quota, used int64
		steps                  []step
		spent                  string // what spent() says at the end
	}{
		{"no limits", 0, 0, 0, []step{{take: 1 << 40}}, ""},
		{"quota fits exactly", 0, 1000, 0, []step{{take: 600}, {take: 400}}, "quota"},
		{"quota passed by one byte", 0, 1000, 0, []step{{take: 600}, {take: 401, wantErr: "quota: "}, {take: 400}}, "quota"},
		{"quota counts what is kept", 0, 1000, 900, []step{{take: 101, wantErr: "quota: "}, {take: 100}}, "quota"},
		{"kept already over the quota", 0, 1000, 5000, []step{{take: 1, wantErr: "quota: "}}, "quota"},
		{"a failed download gives back", 0, 1000, 0, []step{{take: 800}, {take: 300, wantErr: "quota: "}, {take: -800}, {take: 300}}, ""},
		{"a refused draw gives back the download's earlier ones", 0, 1000, 0, []step{{take: 800}, {take: 300, drawn: 800, wantErr: "quota: "}, {take: 1000}}, "quota"},
		{"sync bytes are deferred, not refused", 500, 0, 0, []step{{take: 400}, {take: 101, wantErr: "deferred: ", deferred: true}, {take: 100}}, "deferred"},
		{"the quota speaks first", 500, 300, 0, []step{{take: 400, wantErr: "quota: "}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := newSyncBudget(tt.syncBytes, tt.quota, tt.used)
			for i, s := range tt.steps {
				if s.take < 0 {
					b.giveBack(-s.take)
					continue
				}
				err := b.take(s.take, s.drawn)
				var be *budgetError
				switch {
				case s.wantErr == "" && err != nil:
					t.Fatalf("step %d: take %d: %v", i, s.take, err)
				case s.wantErr != "" && (!errors.As(err, &be) || !strings.HasPrefix(be.reason, s.wantErr) || be.deferred != s.deferred):
					t.Fatalf("step %d: take %d = %v, want %q (deferred %v)", i, s.take, err, s.wantErr, s.deferred)
				}
			}
			err := b.spent()
			if (tt.spent == "") != (err == nil) || (err != nil && !strings.HasPrefix(err.Error(), tt.spent)) {
				t.Fatalf("spent() = %v, want %q", err, tt.spent)
			}
		})
	}
}

func TestSplitByFiles(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		n, max, kept int
	}{{5, 0, 5}, {5, 5, 5}, {5, 2, 2}, {0, 2, 0}, {3, 1, 1}} {
		todo := make([]int, tt.n)
		kept, later := splitByFiles(todo, tt.max)
		if len(kept) != tt.kept || len(kept)+len(later) != tt.n {
			t.Errorf("%d files under a budget of %d: kept %d, deferred %d", tt.n, tt.max, len(kept), len(later))
		}
	}
}

func TestBudgetReaderNeverPassesTheQuota(t *testing.T) {
	t.Parallel()
	file := bytes.Repeat([]byte("z"), 4096)
	// One at a time: the first 4 KiB file fits 5,000 bytes, the second is
	// refused with the quota's reason and draws nothing in the end.
	b := newSyncBudget(0, 5000, 0)
	first := &budgetReader{r: bytes.NewReader(file), b: b}
	if n, err := io.Copy(io.Discard, first); n != 4096 || err != nil {
		t.Fatalf("first file: %d, %v", n, err)
	}
	second := &budgetReader{r: iotest.HalfReader(bytes.NewReader(file)), b: b}
	_, err := io.Copy(io.Discard, second)
	var be *budgetError
	if !errors.As(err, &be) || be.deferred || !errors.As(second.err, &be) {
		t.Fatalf("second file: %v (remembered %v)", err, second.err)
	}
	second.release()
	if b.quotaLeft != 5000-4096 {
		t.Fatalf("quota left %d after a refused file was given back", b.quotaLeft)
	}
	// A publisher's read error is remembered as the publisher's.
	broken := &budgetReader{r: iotest.ErrReader(io.ErrUnexpectedEOF), b: b}
	if _, err := io.Copy(io.Discard, broken); !errors.Is(broken.err, io.ErrUnexpectedEOF) || err == nil {
		t.Fatalf("broken download: %v, remembered %v", err, broken.err)
	}

	// Eight at once in small reads, a quota of 10,000 bytes: whatever the
	// interleaving, what completes fits, and something completes (a failing
	// download gives back what it drew as it fails).
	for range 20 {
		b := newSyncBudget(0, 10000, 0)
		var mu sync.Mutex
		var stored int64
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				r := &budgetReader{r: iotest.OneByteReader(bytes.NewReader(file)), b: b}
				n, err := io.Copy(io.Discard, r)
				if err != nil {
					r.release()
					return
				}
				mu.Lock()
				stored += n
				mu.Unlock()
			})
		}
		wg.Wait()
		if stored > 10000 || stored < 4096 {
			t.Fatalf("stored %d bytes under a quota of 10000", stored)
		}
	}
}

// A reservation draws the announced length at once; reading within it draws
// nothing more, reading past it draws the rest as it comes (refused when it
// does not fit), and settle gives back what was reserved and not read.
func TestBudgetReaderReservation(t *testing.T) {
	t.Parallel()
	b := newSyncBudget(0, 1000, 0)
	short := &budgetReader{r: bytes.NewReader(make([]byte, 300)), b: b}
	if err := short.reserve(600); err != nil || b.quotaLeft != 400 {
		t.Fatalf("reserve 600: %v, %d left", err, b.quotaLeft)
	}
	if n, err := io.Copy(io.Discard, short); n != 300 || err != nil {
		t.Fatalf("read %d, %v", n, err)
	}
	short.settle()
	if b.quotaLeft != 700 {
		t.Fatalf("after 300 of 600 reserved bytes: %d left, want 700", b.quotaLeft)
	}
	long := &budgetReader{r: bytes.NewReader(make([]byte, 900)), b: b}
	if err := long.reserve(100); err != nil {
		t.Fatal(err)
	}
	_, err := io.Copy(io.Discard, long)
	var be *budgetError
	if !errors.As(err, &be) || be.deferred || b.quotaLeft != 700 {
		t.Fatalf("900 bytes sent for 100 announced, 700 left: %v, %d left after", err, b.quotaLeft)
	}
	refused := &budgetReader{r: bytes.NewReader(nil), b: b}
	if err := refused.reserve(701); !errors.As(err, &be) || b.quotaLeft != 700 {
		t.Fatalf("reserve 701 of 700: %v, %d left", err, b.quotaLeft)
	}
}
