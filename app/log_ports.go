package app

import (
	"context"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/pfn-network/pfn/domain"
)

// LogEntry is one leaf of the node's transparency log (issue #16): the
// exact bytes of a v2 federation statement the node signed, where it
// stands in the log, and the signature over it.
type LogEntry struct {
	Index     int64
	Source    domain.SourceID
	Plugin    string
	Version   string
	Statement []byte // the exact signed statement bytes: the leaf's entry
	Signature string // the node's v2 signature over Statement (base64)
	NodeKeyID string // the key that signed it
}

// LogReader reads the transparency log the projection builds. Size and
// the hashes are read at one moment: a reader given size n only asks for
// hashes of the tree of size n (tlog.StoredHashIndex of what it holds).
type LogReader interface {
	// LogSize is the number of leaves the projection has applied.
	LogSize(ctx context.Context) (int64, error)
	// ReadLogHashes returns the stored hashes (tlog's numbering) at the
	// indexes, in order; an index the log does not hold yet is an error.
	ReadLogHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error)
	// LogEntries returns the entries [start, end), in order.
	LogEntries(ctx context.Context, start, end int64) ([]LogEntry, error)
	// LatestLogEntry is the last entry logged for a version;
	// domain.ErrNotFound when none is.
	LatestLogEntry(ctx context.Context, source domain.SourceID, plugin, version string) (LogEntry, error)
}
