package logwatch

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pfn-network/pfn/internal/tlogtiles"
)

// Checkpoint is a checkpoint as the log signed it, its body read, and
// the entries Check audited against it.
type Checkpoint struct {
	Signed []byte // the note: body and signature lines
	tlogtiles.Checkpoint
	// Audited is the entries hashed and found at their leaves (entries
	// of the same bundles just before it were too). It is all of
	// [Audit.From, N) unless Audit.Max cut it to the newest ones.
	Audited Range
}

// Range is the entries [From, To) of a log.
type Range struct{ From, To int64 }

// Audit says which entries Check reads and hashes against the new tree.
type Audit struct {
	// From is the first entry to audit: the trusted size (entries before
	// it were audited when it was taken), 0 at first use.
	From int64
	// Max, when above 0, bounds the audit to the newest Max entries
	// before the tree's size, those a downstream mirrors next, when
	// [From, size) holds more: a first look at a large log reads a few
	// bundles, not all of them. 0 audits all of [From, size).
	Max int64
	// None audits no entry, whatever From and Max say: the checkpoint is
	// opened and proven to extend the trusted one, as a downstream node
	// does at first use (it holds each version it mirrors to its own
	// entry instead of reading the whole log).
	None bool
}

// bounded is the range of a tree of n entries that the Audit reads.
func (a Audit) bounded(n int64) Range {
	if a.None {
		return Range{From: n, To: n}
	}
	r := Range{From: a.From, To: n}
	if a.Max > 0 && n-a.From > a.Max {
		r.From = n - a.Max
	}
	return r
}

// The kinds of Inconsistency.
const (
	Shrunk    = "shrunk"    // a tree smaller than the one trusted
	Forked    = "forked"    // the trusted size with another root
	Rewritten = "rewritten" // a larger tree that does not extend the trusted one
	EntryKind = "entry"     // an entry served that does not hash to the signed tree's leaf
)

// Inconsistency is a log that contradicts itself: what it signed, or the
// entries served for it, cannot all be true. It is what Check and Entry
// return for a hostile (or broken) log, apart from errors in reading it.
// Shrunk, Forked and Rewritten rest on the log's signatures alone; an
// EntryKind rests on unsigned bundle bytes, so it shows that the node, or
// the path from it, serves entries its signed tree does not hold (see the
// package comment).
type Inconsistency struct {
	Kind    string // Shrunk, Forked, Rewritten or EntryKind
	Index   int64  // the offered size (shrunk, forked), the trusted size (rewritten), the entry's index (entry)
	Detail  string
	Offered []byte // the signed checkpoint that failed (nil from Entry)
}

func (e *Inconsistency) Error() string {
	return fmt.Sprintf("the transparency log is inconsistent: %s at %d: %s", e.Kind, e.Index, e.Detail)
}

// Check reads the log's current checkpoint, signed by one of verifiers for
// origin, and returns it once it is proven to extend trusted (nil: nothing
// trusted yet) and every entry audit names (all of [audit.From, size), or
// the newest audit.Max of them) hashes to its leaf in the new tree. The
// consistency with trusted is always proven in full: a bound leaves
// entries unread, never a tree unchecked. Entries are read by whole
// bundles, so a few before the audited range are checked too.
//
// A log that contradicts trusted or its own tree is an *Inconsistency
// (errors.As); anything else, such as a tile that does not hash to the
// signed root (the tiles carry no signature: a proxy may have garbled
// them), is an ordinary error, to retry later.
func Check(ctx context.Context, f Fetcher, origin string, verifiers note.Verifiers, trusted *tlogtiles.Checkpoint, audit Audit) (Checkpoint, error) {
	if trusted != nil && trusted.Origin != origin {
		return Checkpoint{}, fmt.Errorf("the trusted checkpoint is of log %q, not %q", trusted.Origin, origin)
	}
	if audit.Max < 0 {
		return Checkpoint{}, fmt.Errorf("audit of at most %d entries: want 0 (all) or more", audit.Max)
	}
	signed, err := f.Fetch(ctx, "checkpoint", tlogtiles.MaxCheckpoint)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint: %w", err)
	}
	c, err := tlogtiles.OpenCheckpoint(signed, origin, verifiers)
	if err != nil {
		return Checkpoint{}, err
	}
	hr := tlog.TileHashReader(c.Tree, NewTileReader(ctx, f))
	if trusted != nil {
		err = extends(c.Tree, trusted.Tree, hr)
	}
	audited := audit.bounded(c.N)
	if err == nil {
		if !audit.None && (audit.From < 0 || audit.From > c.N) {
			return Checkpoint{}, fmt.Errorf("entries from %d: the log's tree has %d", audit.From, c.N)
		}
		err = auditEntries(ctx, f, hr, c.Tree, audited.From)
	}
	if inc, ok := errors.AsType[*Inconsistency](err); ok {
		inc.Offered = signed
	}
	if err != nil {
		return Checkpoint{}, err
	}
	return Checkpoint{Signed: signed, Checkpoint: c, Audited: audited}, nil
}

// extends proves that tree holds old as its prefix, from hashes hr
// authenticated against tree's root.
func extends(tree, old tlog.Tree, hr tlog.HashReader) error {
	switch {
	case tree.N < old.N:
		return &Inconsistency{Kind: Shrunk, Index: tree.N,
			Detail: fmt.Sprintf("the log signed a tree of %d entries, the trusted one has %d", tree.N, old.N)}
	case tree.N == old.N && tree.Hash != old.Hash:
		return &Inconsistency{Kind: Forked, Index: tree.N,
			Detail: fmt.Sprintf("the log signed root %s for size %d, the trusted checkpoint root %s", tree.Hash, tree.N, old.Hash)}
	case tree.N == old.N || old.N == 0:
		return nil
	}
	proof, err := tlog.ProveTree(tree.N, old.N, hr)
	if err != nil {
		return fmt.Errorf("consistency proof from size %d to %d: %w", old.N, tree.N, err)
	}
	if err := tlog.CheckTree(proof, tree.N, tree.Hash, old.N, old.Hash); err != nil {
		return &Inconsistency{Kind: Rewritten, Index: old.N,
			Detail: fmt.Sprintf("the tree of size %d (root %s) does not hold the trusted tree of size %d (root %s) as its prefix", tree.N, tree.Hash, old.N, old.Hash)}
	}
	return nil
}

// auditEntries checks every entry bundle holding an entry of [from, tree.N), one
// bundle in memory at a time.
func auditEntries(ctx context.Context, f Fetcher, hr tlog.HashReader, tree tlog.Tree, from int64) error {
	for next := from; next < tree.N; {
		t := entryTile(tree.N, next)
		entries, hashes, err := readBundle(ctx, f, hr, t)
		if err != nil {
			return err
		}
		first := t.N * tlogtiles.Width
		for i, e := range entries {
			if err := checkEntry(first+int64(i), e, hashes[i]); err != nil {
				return err
			}
		}
		next = first + int64(t.W)
	}
	return nil
}

// readBundle fetches entry bundle t and the leaf hashes of its entries,
// proven in hr's tree.
func readBundle(ctx context.Context, f Fetcher, hr tlog.HashReader, t tlog.Tile) (entries [][]byte, hashes []tlog.Hash, err error) {
	if entries, err = fetchBundle(ctx, f, t); err != nil {
		return nil, nil, err
	}
	first := t.N * tlogtiles.Width
	indexes := make([]int64, t.W)
	for i := range indexes {
		indexes[i] = tlog.StoredHashIndex(0, first+int64(i))
	}
	if hashes, err = hr.ReadHashes(indexes); err != nil {
		return nil, nil, fmt.Errorf("leaf hashes of %s: %w", tlogtiles.Path(t), err)
	}
	if len(hashes) != len(entries) {
		return nil, nil, fmt.Errorf("leaf hashes of %s: %d for %d entries", tlogtiles.Path(t), len(hashes), len(entries))
	}
	return entries, hashes, nil
}

// fetchBundle fetches entry bundle t and splits it into its W entries. A
// bundle that does not split is unreadable, not proof of anything: its
// bytes carry no signature.
func fetchBundle(ctx context.Context, f Fetcher, t tlog.Tile) ([][]byte, error) {
	path := tlogtiles.Path(t)
	raw, err := f.Fetch(ctx, path, MaxEntryBundle)
	if err != nil {
		return nil, fmt.Errorf("entry bundle %s: %w", path, err)
	}
	entries, err := tlogtiles.SplitEntries(raw, t.W)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return entries, nil
}

func checkEntry(index int64, entry []byte, leaf tlog.Hash) error {
	if got := tlog.RecordHash(entry); got != leaf {
		return &Inconsistency{Kind: EntryKind, Index: index,
			Detail: fmt.Sprintf("entry %d hashes to %s, the tree's leaf is %s", index, got, leaf)}
	}
	return nil
}
