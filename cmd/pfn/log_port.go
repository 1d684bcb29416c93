package main

import (
	"context"
	"errors"

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
	// At first use (nothing trusted yet, or an admin accepted the log)
	// nothing is audited: a log of any length costs the first sync one
	// checkpoint, and the versions mirrored are held to their own entries.
	audit := logwatch.Audit{Max: maxLogAudit, None: trusted == nil}
	if trusted != nil {
		audit.From = trusted.N // the entries added since
	}
	c, err := logwatch.Check(ctx, lf, origin, verifiers, trusted, audit)
	if err != nil {
		return app.CheckedLog{}, logError(err)
	}
	// One reader for the sync's versions: each tile and entry bundle is
	// fetched once however many versions it holds. It lives as long as
	// the sync's context.
	r := logwatch.NewReader(ctx, lf, c.Tree)
	return app.CheckedLog{Signed: c.Signed, Checkpoint: c.Checkpoint, Entry: func(_ context.Context, index int64) ([]byte, error) {
		entry, err := r.Entry(index)
		if err != nil {
			return nil, logError(err)
		}
		return entry, nil
	}}, nil
}

// logError gives the app a hostile log as its own *app.LogInconsistency,
// and a log that could not be read as the publisher's failure.
func logError(err error) error {
	if bad, ok := errors.AsType[*logwatch.Inconsistency](err); ok {
		return &app.LogInconsistency{Kind: bad.Kind, Index: bad.Index, Detail: bad.Detail, Offered: bad.Offered}
	}
	return publisherError{err}
}
