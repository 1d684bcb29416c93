package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/pfn-network/pfn/domain"
)

const (
	// snapshotEvery: a load that replays this many events after the last
	// snapshot takes a new one, so no load replays many more.
	snapshotEvery = 200
	// sourceSnapshotSchema changes whenever domain.SourceState's shape or
	// meaning does; older snapshots are then ignored and retaken.
	sourceSnapshotSchema = 8
)

// loadSnapshot returns the latest usable snapshot of a source (version 0
// when there is none).
func (r SourceRepository) loadSnapshot(ctx context.Context, id domain.SourceID) (domain.SourceState, int64, error) {
	var st domain.SourceState
	if r.Pool == nil {
		return st, 0, nil
	}
	var version int64
	var raw []byte
	err := r.Pool.QueryRow(ctx, `SELECT stream_version, state FROM snapshots WHERE stream_id = $1 AND schema_version = $2`,
		sourceStream(id), sourceSnapshotSchema).Scan(&version, &raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return st, 0, nil
	}
	if err != nil {
		return st, 0, fmt.Errorf("snapshot of %s: %w", id, err)
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		return domain.SourceState{}, 0, nil // unreadable: replay the stream instead
	}
	return st, version, nil
}

// saveSnapshot records the state at version, unless a newer one is there.
func (r SourceRepository) saveSnapshot(ctx context.Context, st domain.SourceState, version int64) error {
	raw, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode snapshot of %s: %w", st.ID, err)
	}
	_, err = r.Pool.Exec(ctx, `INSERT INTO snapshots (stream_id, stream_version, schema_version, state) VALUES ($1, $2, $3, $4)
		ON CONFLICT (stream_id) DO UPDATE SET stream_version = excluded.stream_version, schema_version = excluded.schema_version,
			state = excluded.state, taken_at = now()
		WHERE snapshots.stream_version < excluded.stream_version OR snapshots.schema_version <> excluded.schema_version`,
		sourceStream(st.ID), version, sourceSnapshotSchema, raw)
	if err != nil {
		return fmt.Errorf("save snapshot of %s: %w", st.ID, err)
	}
	return nil
}
