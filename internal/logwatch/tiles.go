package logwatch

import (
	"context"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/pfn-network/pfn/internal/tlogtiles"
)

// MaxEntryBundle caps an entry bundle read from a log. Its entries are
// the node's statements, each under 2 KiB: 256 of them, with their length
// prefixes, are about half of it. (C2SP allows entries of up to 64 KiB, a
// full bundle of 16 MiB, which is no log this project writes.)
const MaxEntryBundle = 1 << 20

// maxSavedTiles bounds the hash tiles a TileReader keeps: one ReadHashes
// of tlog needs at most a few dozen (the tiles on the tree's right edge and
// one path up from the hashes read), so the next read near the last one
// fetches nothing again. At most W*32 bytes each: 64 tiles are 512 KiB.
const maxSavedTiles = 64

// TileReader is a tlog.TileReader over a Fetcher: hash tiles at
// tlogtiles' paths, each exactly W*32 bytes. The tiles tlog authenticated
// (SaveTiles) are kept in memory, the most recently used maxSavedTiles of
// them, so its memory does not grow with the entries read: an audit of a
// whole log touches every level-0 tile once. tlog authenticates the tiles
// of every read against the tree's root again, saved or not, so dropping
// one costs a fetch, never a check. Tiles are kept by their full
// coordinates, width included, so a tile of a larger tree is never taken
// for one of a smaller.
//
// tlog.TileReader has no context: the one given here bounds every fetch.
type TileReader struct {
	ctx   context.Context
	f     Fetcher
	saved *lru[tlog.Tile, []byte]
}

// NewTileReader reads f's tiles within ctx.
func NewTileReader(ctx context.Context, f Fetcher) *TileReader {
	return &TileReader{ctx: ctx, f: f, saved: newLRU[tlog.Tile, []byte](maxSavedTiles)}
}

// Height is C2SP's tile height.
func (r *TileReader) Height() int { return tlogtiles.Height }

// ReadTiles fetches each tile not saved yet.
func (r *TileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		if data, ok := r.saved.get(t); ok {
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

// SaveTiles keeps the tiles tlog authenticated against a tree hash, up to
// maxSavedTiles.
func (r *TileReader) SaveTiles(tiles []tlog.Tile, data [][]byte) {
	for i, t := range tiles {
		r.saved.put(t, data[i])
	}
}

// entryTile is the entry bundle that holds entry index of a tree of size
// n: full when the tree has all its 256 entries, partial otherwise.
func entryTile(n, index int64) tlog.Tile {
	first := index / tlogtiles.Width * tlogtiles.Width
	return tlog.Tile{H: tlogtiles.Height, L: -1, N: index / tlogtiles.Width, W: int(min(tlogtiles.Width, n-first))}
}
