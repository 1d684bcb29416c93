package logwatch

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/pfn-network/pfn/internal/tlogtiles"
)

// MaxBundle caps an entry bundle read from a log: 256 statements of a few
// KB each fit many times over, and a full bundle of 64 KiB entries (16 MiB)
// is no log this project writes.
const MaxBundle = 4 << 20

// TileReader is a tlog.TileReader over a Fetcher: hash tiles at
// tlogtiles' paths, each exactly W*32 bytes. The tiles tlog authenticates
// (SaveTiles) are kept in memory, so one check reads each tile once; they
// are kept by their full coordinates, width included, so a tile of a
// larger tree is never taken for one of a smaller.
//
// tlog.TileReader has no context: the one given here bounds every fetch.
type TileReader struct {
	ctx   context.Context
	f     Fetcher
	mu    sync.Mutex
	saved map[tlog.Tile][]byte
}

// NewTileReader reads f's tiles within ctx.
func NewTileReader(ctx context.Context, f Fetcher) *TileReader {
	return &TileReader{ctx: ctx, f: f, saved: map[tlog.Tile][]byte{}}
}

// Height is C2SP's tile height.
func (r *TileReader) Height() int { return tlogtiles.Height }

// ReadTiles fetches each tile not saved yet.
func (r *TileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		r.mu.Lock()
		data, ok := r.saved[t]
		r.mu.Unlock()
		if ok {
			out[i] = data
			continue
		}
		data, err := r.readTile(t)
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (r *TileReader) readTile(t tlog.Tile) ([]byte, error) {
	if t.H != tlogtiles.Height || t.L < 0 || t.W < 1 || t.W > tlogtiles.Width {
		return nil, fmt.Errorf("tile %+v: not a hash tile of height %d", t, tlogtiles.Height)
	}
	want := int64(t.W) * tlog.HashSize
	data, err := r.f.Fetch(r.ctx, tlogtiles.Path(t), want)
	if err != nil {
		return nil, fmt.Errorf("hash tile %s: %w", tlogtiles.Path(t), err)
	}
	if int64(len(data)) != want {
		return nil, fmt.Errorf("hash tile %s: %d bytes, want %d", tlogtiles.Path(t), len(data), want)
	}
	return data, nil
}

// SaveTiles keeps the tiles tlog authenticated against a tree hash.
func (r *TileReader) SaveTiles(tiles []tlog.Tile, data [][]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, t := range tiles {
		r.saved[t] = data[i]
	}
}

// entryTile is the entry bundle that holds entry index of a tree of size
// n: full when the tree has all its 256 entries, partial otherwise.
func entryTile(n, index int64) tlog.Tile {
	first := index / tlogtiles.Width * tlogtiles.Width
	return tlog.Tile{H: tlogtiles.Height, L: -1, N: index / tlogtiles.Width, W: int(min(tlogtiles.Width, n-first))}
}
