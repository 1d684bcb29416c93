package app

import (
	"context"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/internal/tlogtiles"
)

// ReadLogTile answers GET /federation/log/tile/…: a tile of hashes
// (tlog.ReadTileData) or an entry bundle (tlogtiles.AppendEntry of each
// entry) of the log's current tree. A tile the tree does not hold yet is
// not found: it may exist later, with the hashes it will then have.
type ReadLogTile struct {
	Log LogReader
}

func (h ReadLogTile) Handle(ctx context.Context, t tlog.Tile) ([]byte, error) {
	if t.H != tlogtiles.Height || t.W < 1 || t.W > tlogtiles.Width || t.L < -1 || t.N < 0 {
		return nil, fmt.Errorf("tile %+v: not a tile of this log: %w", t, domain.ErrInvalidInput)
	}
	n, err := h.Log.LogSize(ctx)
	if err != nil {
		return nil, fmt.Errorf("log tile: %w", err)
	}
	if !tileInTree(t, n) {
		return nil, fmt.Errorf("%s: the log's tree has %d entries and does not hold this tile yet: %w", tlogtiles.Path(t), n, domain.ErrNotFound)
	}
	if t.L >= 0 {
		data, err := tlog.ReadTileData(t, logHashes(ctx, h.Log))
		if err != nil {
			return nil, fmt.Errorf("log tile %s: %w", tlogtiles.Path(t), err)
		}
		return data, nil
	}
	start := t.N << t.H
	entries, err := h.Log.LogEntries(ctx, start, start+int64(t.W))
	if err != nil {
		return nil, fmt.Errorf("log entries %s: %w", tlogtiles.Path(t), err)
	}
	if len(entries) != t.W {
		return nil, fmt.Errorf("log entries %s: %d entries read, want %d", tlogtiles.Path(t), len(entries), t.W)
	}
	var bundle []byte
	for _, e := range entries {
		if bundle, err = tlogtiles.AppendEntry(bundle, e.Statement); err != nil {
			return nil, fmt.Errorf("log entry %d: %w", e.Index, err)
		}
	}
	return bundle, nil
}

// tileInTree says whether the tree of size n holds all of tile t: the
// level's hashes (or, for an entry bundle, the entries) N<<H to N<<H+W-1.
func tileInTree(t tlog.Tile, n int64) bool {
	shift := max(t.L, 0) * t.H
	if shift >= 63 {
		return false
	}
	have := n >> shift // complete hashes at the tile's level, or entries
	if t.N > have>>t.H {
		return false // and N<<H cannot overflow below
	}
	return t.N<<t.H+int64(t.W) <= have
}
