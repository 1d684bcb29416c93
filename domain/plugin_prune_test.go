package domain_test

import (
	"slices"
	"testing"
	"time"

	"github.com/pfn-network/pfn/domain"
)

func TestPruneKeepsTheNewestVersions(t *testing.T) {
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name       string
		versions   []string // mirrored in this order
		keep       int
		wantPruned []string
	}{
		{"keep all", []string{"1.0.0", "1.1.0", "2.0.0"}, 0, nil},
		{"keep two of four", []string{"1.0.0", "1.10.0", "1.2.0", "2.0.0"}, 2, []string{"1.2.0", "1.0.0"}},
		{"keep one", []string{"0.9.0", "1.0.0"}, 1, []string{"0.9.0"}},
		{"fewer than keep", []string{"1.0.0"}, 3, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := domain.NewPluginHistory("a@h", "p")
			for _, v := range tc.versions {
				h.RecordMirrored(domain.PluginMirrored{SourceID: "a@h", Plugin: "p", Version: v, BlobKey: "k/" + v, At: now})
			}
			var got []string
			for _, p := range h.Prune(tc.keep, now) {
				got = append(got, p.Version)
				if p.BlobKey != "k/"+p.Version || p.Reason == "" {
					t.Fatalf("pruned %+v", p)
				}
			}
			if !slices.Equal(got, tc.wantPruned) {
				t.Fatalf("pruned %v, want %v", got, tc.wantPruned)
			}
			if again := h.Prune(tc.keep, now); len(again) != 0 {
				t.Fatalf("pruned twice: %v", again)
			}
			for _, v := range tc.wantPruned {
				mv, _ := h.Mirrored(v)
				if !mv.Pruned {
					t.Fatalf("%s not marked pruned", v)
				}
				// A pruned version listed again is not downloaded again.
				if download, _ := h.Consider(domain.Listing{Version: v, Signature: mv.Signature}, now); download {
					t.Fatalf("pruned %s would be mirrored again", v)
				}
			}
			if latest, _ := h.Mirrored(h.Latest()); latest.Pruned {
				t.Fatal("the latest version was pruned")
			}
		})
	}
}
