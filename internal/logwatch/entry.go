package logwatch

import (
	"context"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/pfn-network/pfn/internal/tlogtiles"
)

// Entry returns the entry at index of the tree, proven to be its leaf: a
// node mirroring from a log checks the statement it is offered with it.
// The tree must be one already checked (Check's). To read many entries of
// one tree, a Reader fetches each tile and bundle once while it is used.
func Entry(ctx context.Context, f Fetcher, tree tlog.Tree, index int64) ([]byte, error) {
	return NewReader(ctx, f, tree).Entry(index)
}

// maxReaderBundles bounds the entry bundles a Reader keeps: a sync asks
// for its versions' entries mostly in log order, so the last few bundles
// serve nearly every next entry.
const maxReaderBundles = 4

// Reader reads proven entries of one tree. It keeps the entry bundles it
// fetched last (at most maxReaderBundles of MaxEntryBundle bytes: 4 MiB)
// and hash tiles (at most maxSavedTiles of 8 KiB: 512 KiB), so its memory
// is bounded however many entries, or how scattered, a log's listing makes
// it read: a bundle dropped is fetched again when asked, nothing more. It
// is meant for one task (one sync) and bounded by its context.
type Reader struct {
	ctx     context.Context
	f       Fetcher
	tree    tlog.Tree
	tiles   *TileReader
	hr      tlog.HashReader
	bundles *lru[tlog.Tile, [][]byte]
}

// NewReader reads entries of tree from f within ctx.
func NewReader(ctx context.Context, f Fetcher, tree tlog.Tree) *Reader {
	tiles := NewTileReader(ctx, f)
	return &Reader{ctx: ctx, f: f, tree: tree, tiles: tiles, hr: tlog.TileHashReader(tree, tiles),
		bundles: newLRU[tlog.Tile, [][]byte](maxReaderBundles)}
}

// Entry returns the entry at index once it hashes to its leaf in the tree;
// an entry that does not is an *Inconsistency of kind "entry".
func (r *Reader) Entry(index int64) ([]byte, error) {
	if index < 0 || index >= r.tree.N {
		return nil, fmt.Errorf("log entry %d: the tree has %d entries", index, r.tree.N)
	}
	t := entryTile(r.tree.N, index)
	entries, ok := r.bundles.get(t)
	if !ok {
		var err error
		if entries, err = fetchBundle(r.ctx, r.f, t); err != nil {
			return nil, err
		}
		r.bundles.put(t, entries)
	}
	// A bundle is kept as fetched, unsigned, and each entry proven when
	// asked for: the leaf is read (from tiles authenticated against the
	// root on every read) and the entry hashed.
	leaf, err := r.hr.ReadHashes([]int64{tlog.StoredHashIndex(0, index)})
	if err != nil {
		return nil, fmt.Errorf("leaf hash of entry %d: %w", index, err)
	}
	e := entries[index-t.N*tlogtiles.Width]
	if err := checkEntry(index, e, leaf[0]); err != nil {
		return nil, err
	}
	return append([]byte(nil), e...), nil
}
