package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// LogReader reads the transparency log (app.LogReader). The log only
// grows and a stored hash never changes once written, so a size read
// first and hashes read after it agree.
type LogReader struct{ Pool *pgxpool.Pool }

var _ app.LogReader = LogReader{}

// maxLogEntries caps one LogEntries call: an entry bundle holds 256, a
// caller asking for far more is mistaken.
const maxLogEntries = 1 << 16

func (r LogReader) LogSize(ctx context.Context) (int64, error) {
	var n int64
	if err := r.Pool.QueryRow(ctx, `SELECT coalesce(max(idx) + 1, 0) FROM transparency_log`).Scan(&n); err != nil {
		return 0, fmt.Errorf("transparency log size: %w", err)
	}
	return n, nil
}

func (r LogReader) ReadLogHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	if len(indexes) == 0 {
		return []tlog.Hash{}, nil
	}
	out, err := readStoredHashes(ctx, r.Pool, indexes)
	if err != nil {
		return nil, fmt.Errorf("transparency log: %w", err)
	}
	return out, nil
}

func (r LogReader) LogEntries(ctx context.Context, start, end int64) ([]app.LogEntry, error) {
	switch {
	case start < 0 || end < start:
		return nil, fmt.Errorf("transparency log entries [%d, %d): not a range: %w", start, end, domain.ErrInvalidInput)
	case end-start > maxLogEntries:
		return nil, fmt.Errorf("transparency log entries [%d, %d): more than %d at once: %w", start, end, maxLogEntries, domain.ErrInvalidInput)
	case end == start:
		return []app.LogEntry{}, nil
	}
	rows, err := r.Pool.Query(ctx, `SELECT `+logEntryColumns+` FROM transparency_log
		WHERE idx >= $1 AND idx < $2 ORDER BY idx`, start, end)
	if err != nil {
		return nil, fmt.Errorf("transparency log entries: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanLogEntry)
	if err != nil {
		return nil, fmt.Errorf("transparency log entries: %w", err)
	}
	if int64(len(out)) != end-start {
		return nil, fmt.Errorf("transparency log entries [%d, %d): the log holds %d of them: %w", start, end, len(out), domain.ErrNotFound)
	}
	return out, nil
}

func (r LogReader) LatestLogEntry(ctx context.Context, source domain.SourceID, plugin, version string) (app.LogEntry, error) {
	rows, err := r.Pool.Query(ctx, `SELECT `+logEntryColumns+` FROM transparency_log
		WHERE source_id = $1 AND plugin = $2 AND version = $3 ORDER BY idx DESC LIMIT 1`, string(source), plugin, version)
	if err != nil {
		return app.LogEntry{}, fmt.Errorf("transparency log entry of %s %s: %w", plugin, version, err)
	}
	e, err := pgx.CollectExactlyOneRow(rows, scanLogEntry)
	if errors.Is(err, pgx.ErrNoRows) {
		return app.LogEntry{}, fmt.Errorf("%s %s from source %s is not in the transparency log: %w", plugin, version, source, domain.ErrNotFound)
	}
	if err != nil {
		return app.LogEntry{}, fmt.Errorf("transparency log entry of %s %s: %w", plugin, version, err)
	}
	return e, nil
}

const logEntryColumns = `idx, source_id, plugin, version, entry, signature, node_key_id`

func scanLogEntry(row pgx.CollectableRow) (app.LogEntry, error) {
	var e app.LogEntry
	var source string
	err := row.Scan(&e.Index, &source, &e.Plugin, &e.Version, &e.Statement, &e.Signature, &e.NodeKeyID)
	e.Source = domain.SourceID(source)
	return e, err
}
