package logwatch

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/pfn-network/pfn/internal/logwatch/logtest"
	"github.com/pfn-network/pfn/internal/tlogtiles"
)

// A log whose listing names entries one per bundle, all over its tree,
// cannot make a Reader keep more than a few bundles and tiles: what it
// dropped it fetches again, and proves again, when asked.
func TestReaderMemoryIsBounded(t *testing.T) {
	t.Parallel()
	const n = 100 * tlogtiles.Width // 100 bundles, 100 level-0 tiles
	entries := logtest.Entries("a", n)
	a := logtest.NewLog(entries...)
	s := logtest.NewServer(t, origin)
	s.Serve(a, n)
	f := &countingFetcher{Fetcher: NewHTTPFetcher(s.URL, &http.Client{}, 10*time.Second), n: map[string]int{}}
	r := NewReader(context.Background(), f, a.Tree(n))
	tests := []struct {
		name    string
		indexes []int64
	}{
		{"one entry per bundle", stride(0, n, tlogtiles.Width)},
		{"back and forth", []int64{5, n - 5, 260, n - 300, 5, n - 5}},
		{"the first again, after four others", []int64{2 * 256, 3 * 256, 4 * 256, 5 * 256, 0}},
	}
	for _, tt := range tests {
		for _, i := range tt.indexes {
			got, err := r.Entry(i)
			if err != nil || !bytes.Equal(got, entries[i]) {
				t.Fatalf("%s: Entry(%d) = %q, %v; want %q", tt.name, i, got, err, entries[i])
			}
			if b, tiles := r.bundles.len(), r.tiles.saved.len(); b > maxReaderBundles || tiles > maxSavedTiles {
				t.Fatalf("%s: after entry %d the reader keeps %d bundles and %d tiles, at most %d and %d",
					tt.name, i, b, tiles, maxReaderBundles, maxSavedTiles)
			}
		}
	}
	if got := f.n["tile/entries/000"]; got != 3 {
		t.Errorf("bundle 000 fetched %d times, want 3: dropped for 99 others, kept back and forth, dropped for 4 others", got)
	}
}

// stride is from, from+step, ... below to.
func stride(from, to, step int64) []int64 {
	var out []int64
	for i := from; i < to; i += step {
		out = append(out, i)
	}
	return out
}
