package eventstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
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
	if err := br.Close(); err != nil {
		return nil, fmt.Errorf("append many: %w", err)
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
