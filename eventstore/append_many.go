package eventstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// StreamAppend is one stream's part of AppendMany.
type StreamAppend struct {
	StreamID string
	Expected int64
	Events   []NewEvent
}

type batchSender interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// AppendMany appends to several streams with one round trip: the appends
// are pipelined, each checked as Append checks it. On a store made on a
// transaction (New(tx)) they commit or fail together; that is how a sync
// records fifty plugins at once. A conflict in one stream fails the call.
func (s *Store) AppendMany(ctx context.Context, appends []StreamAppend) ([]Appended, error) {
	batches := make([]*appendBatch, len(appends))
	for i, a := range appends {
		b, err := s.prepare(ctx, a.StreamID, a.Expected, a.Events)
		if err != nil {
			return nil, err
		}
		batches[i] = b
	}
	sender, ok := s.db.(batchSender)
	if !ok {
		return nil, fmt.Errorf("append many: %T cannot send batches", s.db)
	}
	pb := &pgx.Batch{}
	for _, b := range batches {
		query, args := b.statement()
		pb.Queue(query, args...)
	}
	type answer struct {
		res Appended
		n   int
		err error
	}
	answers := make([]answer, len(batches))
	br := sender.SendBatch(ctx, pb)
	for i := range batches {
		a := &answers[i]
		a.err = br.QueryRow().Scan(&a.n, &a.res.Version, &a.res.Position.GlobalPosition, &a.res.Position.TransactionID)
	}
	closeErr := br.Close()
	// A writer that appended to one of the streams since it was read wins
	// the unique (stream, version) race; the transaction is aborted, so the
	// retry-or-conflict look-up Append does is not possible here: it is a
	// conflict, and the caller reloads and tries again.
	for i, a := range answers {
		var pgErr *pgconn.PgError
		if errors.As(a.err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == "events_stream_version_key" {
			return nil, &ConflictError{StreamID: batches[i].streamID, Expected: batches[i].expected, Actual: -1}
		}
	}
	if closeErr != nil {
		return nil, fmt.Errorf("append many: %w", closeErr)
	}
	out := make([]Appended, len(batches))
	for i, b := range batches {
		res, err := s.settle(ctx, b, answers[i].res, answers[i].n, answers[i].err)
		if err != nil {
			return nil, err
		}
		out[i] = res
	}
	return out, nil
}
