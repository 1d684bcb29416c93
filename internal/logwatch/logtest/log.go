// Package logtest serves a transparency log built in memory, as a node
// does (C2SP tlog-tiles under /federation/log/, the "log" member of
// /federation-info), for tests of what reads one. It can be made to lie:
// swap the tree, sign another size, replace or delay any file. Only tests
// import it.
package logtest

import (
	"fmt"
	"sync"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/pfn-network/pfn/internal/tlogtiles"
)

// Log is a tree built in memory: its entries and tlog's stored hashes.
type Log struct {
	mu      sync.Mutex
	entries [][]byte
	hashes  []tlog.Hash
}

// NewLog builds a log of the entries.
func NewLog(entries ...[]byte) *Log {
	l := &Log{}
	for _, e := range entries {
		l.Append(e)
	}
	return l
}

// Entries makes n distinct entries named after prefix.
func Entries(prefix string, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, "%s statement %d", prefix, i)
	}
	return out
}

// Append adds an entry and the hashes it brings.
func (l *Log) Append(entry []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h, err := tlog.StoredHashes(int64(len(l.entries)), entry, hashReader(l.hashes))
	if err != nil {
		panic(err) // the hashes read are the log's own: a bug here
	}
	l.entries = append(l.entries, entry)
	l.hashes = append(l.hashes, h...)
}

// Size is the number of entries.
func (l *Log) Size() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int64(len(l.entries))
}

// Tree is the tree of the first n entries.
func (l *Log) Tree(n int64) tlog.Tree {
	l.mu.Lock()
	defer l.mu.Unlock()
	h, err := tlog.TreeHash(n, hashReader(l.hashes))
	if err != nil {
		panic(err)
	}
	return tlog.Tree{N: n, Hash: h}
}

// Tile is the file at a tlogtiles path for the tree of size n, or false
// when that tree does not hold it.
func (l *Log) Tile(n int64, path string) ([]byte, bool) {
	t, err := tlogtiles.ParsePath(path)
	if err != nil {
		return nil, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if t.L < 0 {
		first := t.N * tlogtiles.Width
		if first+int64(t.W) > n || first+int64(t.W) > int64(len(l.entries)) {
			return nil, false
		}
		var b []byte
		for _, e := range l.entries[first : first+int64(t.W)] {
			if b, err = tlogtiles.AppendEntry(b, e); err != nil {
				panic(err)
			}
		}
		return b, true
	}
	// The tile's last hash at level L*8 covers entries up to
	// (N*256+W) << (L*8): the tree must have them all.
	if (t.N*tlogtiles.Width+int64(t.W))<<(t.L*tlogtiles.Height) > n {
		return nil, false
	}
	data, err := tlog.ReadTileData(t, hashReader(l.hashes))
	if err != nil {
		return nil, false
	}
	return data, true
}

type hashReader []tlog.Hash

func (h hashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(h)) {
			return nil, fmt.Errorf("hash %d not stored (%d are)", x, len(h))
		}
		out[i] = h[x]
	}
	return out, nil
}
