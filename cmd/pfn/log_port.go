package main

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"

	"github.com/pfn-network/pfn/adapters/publisher"
	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/internal/logwatch"
	"github.com/pfn-network/pfn/internal/tlogtiles"
)

// logPort checks upstream nodes' transparency logs (app.UpstreamLogs) with
// internal/logwatch, reading them through the publisher client: its
// deadline per call, address and redirect guards, and logwatch's byte caps.
type logPort struct{ c *publisher.Client }

// maxLogAudit bounds the entries one sync audits (the newest, in 64 entry
// bundles): an upstream claiming a huge growth costs a sync no more, and
// the versions mirrored are held to their own entries whatever the bound.
const maxLogAudit = 64 * tlogtiles.Width

func (p logPort) CheckLog(ctx context.Context, nodeURL, origin string, verifiers note.Verifiers, trusted *tlogtiles.Checkpoint) (app.CheckedLog, error) {
	lf, err := p.c.LogFetcher(nodeURL)
	if err != nil {
		return app.CheckedLog{}, publisherError{err}
	}
	var f logwatch.Fetcher = lf
	var from int64
	if trusted != nil {
		from = trusted.N // the entries added since
	} else {
		f, from, err = firstUse(ctx, lf)
		if err != nil {
			return app.CheckedLog{}, publisherError{err}
		}
	}
	c, err := logwatch.Check(ctx, f, origin, verifiers, trusted, logwatch.Audit{From: from, Max: maxLogAudit})
	if err != nil {
		return app.CheckedLog{}, logError(err)
	}
	// One reader for the sync's versions: each tile and entry bundle is
	// fetched once however many versions it holds. It lives as long as
	// the sync's context.
	r := logwatch.NewReader(ctx, f, c.Tree)
	return app.CheckedLog{Signed: c.Signed, Checkpoint: c.Checkpoint, Entry: func(_ context.Context, index int64) ([]byte, error) {
		entry, err := r.Entry(index)
		if err != nil {
			return nil, logError(err)
		}
		return entry, nil
	}}, nil
}

// firstUse reads the checkpoint of a log nothing is trusted of yet, so
// that Check audits none of its entries (from its size): a log of any
// length costs its first sync no more than one checkpoint, and the
// versions mirrored are held to their own entries. The checkpoint is read
// once: the fetcher returned answers it again to Check, which verifies it.
func firstUse(ctx context.Context, f logwatch.Fetcher) (logwatch.Fetcher, int64, error) {
	signed, err := f.Fetch(ctx, "checkpoint", tlogtiles.MaxCheckpoint)
	if err != nil {
		return nil, 0, fmt.Errorf("checkpoint: %w", err)
	}
	c, err := tlogtiles.ParseSignedCheckpoint(signed)
	if err != nil {
		return nil, 0, err
	}
	return pinnedCheckpoint{Fetcher: f, signed: signed}, c.N, nil
}

// pinnedCheckpoint answers the checkpoint already read, and the rest of
// the log as its Fetcher does.
type pinnedCheckpoint struct {
	logwatch.Fetcher
	signed []byte
}

func (p pinnedCheckpoint) Fetch(ctx context.Context, path string, max int64) ([]byte, error) {
	if path != "checkpoint" {
		return p.Fetcher.Fetch(ctx, path, max)
	}
	if int64(len(p.signed)) > max {
		return nil, fmt.Errorf("checkpoint of %d bytes, at most %d", len(p.signed), max)
	}
	return p.signed, nil
}

// logError gives the app a hostile log as its own *app.LogInconsistency,
// and a log that could not be read as the publisher's failure.
func logError(err error) error {
	if bad, ok := errors.AsType[*logwatch.Inconsistency](err); ok {
		return &app.LogInconsistency{Kind: bad.Kind, Index: bad.Index, Detail: bad.Detail, Offered: bad.Offered}
	}
	return publisherError{err}
}
