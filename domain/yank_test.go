package domain_test

import (
	"errors"
	"testing"
	"time"

	"github.com/pfn-network/pfn/domain"
)

func yankHistory() *domain.PluginHistory {
	h := domain.NewPluginHistory("a@h", "p")
	h.Load([]domain.PluginEvent{mirrored("1.0.0", "aa", "s1"), mirrored("1.1.0", "bb", "s2")})
	return h
}

func TestPluginHistoryYank(t *testing.T) {
	tests := []struct {
		name         string
		before       func(h *domain.PluginHistory)
		unyank       bool
		version      string
		reason       string
		wantErr      error
		wantRecorded bool
		wantServed   string
		wantYanked   bool
	}{
		{"yank the latest falls back", nil, false, "1.1.0", "malware", nil, true, "1.0.0", true},
		{"yank an older version", nil, false, "1.0.0", "bad", nil, true, "1.1.0", true},
		{"yank an unknown version", nil, false, "9.9.9", "bad", domain.ErrNotFound, false, "1.1.0", false},
		{"yank without a reason", nil, false, "1.1.0", "  ", domain.ErrInvalidInput, false, "1.1.0", false},
		{"yank a yanked version records nothing", func(h *domain.PluginHistory) { h.Yank("1.1.0", "first", "k", t0) }, false, "1.1.0", "again", nil, false, "1.0.0", true},
		{"unyank restores", func(h *domain.PluginHistory) { h.Yank("1.1.0", "first", "k", t0) }, true, "1.1.0", "cleared", nil, true, "1.1.0", false},
		{"unyank a served version records nothing", nil, true, "1.1.0", "cleared", nil, false, "1.1.0", false},
		{"unyank an unknown version", nil, true, "2.0.0", "cleared", domain.ErrNotFound, false, "1.1.0", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := yankHistory()
			if tt.before != nil {
				tt.before(h)
			}
			h.MarkSaved()
			act := h.Yank
			if tt.unyank {
				act = h.Unyank
			}
			recorded, err := act(tt.version, tt.reason, "admin-key", t0.Add(time.Hour))
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if recorded != tt.wantRecorded || (len(h.Changes()) > 0) != tt.wantRecorded {
				t.Fatalf("recorded = %v, events %v", recorded, types(h.Changes()))
			}
			if got := h.LatestServed(); got != tt.wantServed {
				t.Fatalf("latest served %q, want %q", got, tt.wantServed)
			}
			if got := h.Latest(); got != "1.1.0" {
				t.Fatalf("latest mirrored %q: a yank must not move it (rollbacks are judged against it)", got)
			}
			if v, ok := h.Mirrored(tt.version); ok && v.Yanked != tt.wantYanked {
				t.Fatalf("yanked = %v, want %v", v.Yanked, tt.wantYanked)
			}
		})
	}
}

// Pruning to one version while the latest is yanked keeps the version
// served in its place too.
func TestPruneKeepsTheLatestServed(t *testing.T) {
	h := yankHistory()
	h.RecordMirrored(mirrored("0.9.0", "cc", "s0"))
	if _, err := h.Yank("1.1.0", "malware", "k", t0); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range h.Prune(1, t0) {
		got = append(got, p.Version)
	}
	if len(got) != 1 || got[0] != "0.9.0" {
		t.Fatalf("pruned %v, want only 0.9.0 (1.1.0 is the latest, 1.0.0 the latest served)", got)
	}
}

func TestYankedVersionIsReplayedAndNotDownloadedAgain(t *testing.T) {
	h := yankHistory()
	if _, err := h.Yank("1.1.0", "malware", "admin-key", t0); err != nil {
		t.Fatal(err)
	}
	replayed := domain.NewPluginHistory("a@h", "p")
	replayed.Load(append([]domain.PluginEvent{mirrored("1.0.0", "aa", "s1"), mirrored("1.1.0", "bb", "s2")}, h.Changes()...))
	v, _ := replayed.Mirrored("1.1.0")
	if !v.Yanked || v.YankReason != "malware" {
		t.Fatalf("replayed %+v", v)
	}
	if download, _ := replayed.Consider(domain.Listing{Version: "1.1.0", Signature: "s2"}, t0); download {
		t.Fatal("a yanked version is downloaded again")
	}
	if ev, ok := h.Changes()[0].(domain.PluginYanked); !ok || ev.Actor != "admin-key" || ev.Reason != "malware" {
		t.Fatalf("event %+v", h.Changes()[0])
	}
}
