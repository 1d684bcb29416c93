package logwatch

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/pfn-network/pfn/internal/tlogtiles"
)

// Entry returns the entry at index of the tree, proven to be its leaf: a
// node mirroring from a log checks the statement it is offered with it.
// The tree must be one already checked (Check's). To read many entries of
// one tree, a Reader fetches each tile and bundle once.
func Entry(ctx context.Context, f Fetcher, tree tlog.Tree, index int64) ([]byte, error) {
	return NewReader(ctx, f, tree).Entry(index)
}

// Reader reads proven entries of one tree, keeping the tiles and the entry
// bundles it fetched for the next entry. It is meant for one task (one
// sync) and bounded by its context.
type Reader struct {
	ctx     context.Context
	f       Fetcher
	tree    tlog.Tree
	hr      tlog.HashReader
	mu      sync.Mutex
	bundles map[tlog.Tile][][]byte
}

// NewReader reads entries of tree from f within ctx.
func NewReader(ctx context.Context, f Fetcher, tree tlog.Tree) *Reader {
	return &Reader{ctx: ctx, f: f, tree: tree, hr: tlog.TileHashReader(tree, NewTileReader(ctx, f)), bundles: map[tlog.Tile][][]byte{}}
}

// Entry returns the entry at index once it hashes to its leaf in the tree;
// an entry that does not is an *Inconsistency of kind "entry".
func (r *Reader) Entry(index int64) ([]byte, error) {
	if index < 0 || index >= r.tree.N {
		return nil, fmt.Errorf("log entry %d: the tree has %d entries", index, r.tree.N)
	}
	t := entryTile(r.tree.N, index)
	r.mu.Lock()
	entries, ok := r.bundles[t]
	r.mu.Unlock()
	if !ok {
		var err error
		if entries, err = fetchBundle(r.ctx, r.f, t); err != nil {
			return nil, err
		}
		r.mu.Lock()
		r.bundles[t] = entries
		r.mu.Unlock()
	}
	// The leaf is read each time (from tiles kept once proven), and the
	// entry hashed: a bundle is kept as fetched, proven entry by entry.
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
