package eventstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// pipelineTx is the transaction a rebuild hands to Apply. Exec does not wait
// for its answer: statements are queued and sent in pipelined batches, so a
// rebuild pays neither a round trip per statement nor, while a batch runs on
// the server, the client's time to decode the next events (one batch is in
// flight, in its own goroutine, while Apply fills the next). Everything that
// reads (Query, QueryRow), opens a savepoint or ends the transaction waits
// for the queue first, so statements run in the order Apply issued them and
// reads see earlier writes; only one goroutine uses the connection at a time.
//
// What Apply gives up: Exec answers an empty command tag and no error; a
// failing statement surfaces at a later Exec or flush as a *pipelineError
// naming the event, and the rebuild then re-applies from that event one at a
// time, as the live runner would. A projection that needs RowsAffected must
// ask with QueryRow (… RETURNING) instead. Conn() bypasses the queue.
type pipelineTx struct {
	pgx.Tx
	batch   *pgx.Batch
	owners  []int // the event index of each queued statement
	current int   // the index of the event being applied
	limit   int   // send when this many statements are queued
	pending chan error
}

// pipelineError is a statement of the queue that failed, and the event
// whose Apply queued it.
type pipelineError struct {
	event int
	err   error
}

func (e *pipelineError) Error() string {
	return fmt.Sprintf("statement of event #%d: %v", e.event, e.err)
}

func (e *pipelineError) Unwrap() error { return e.err }

func newPipelineTx(tx pgx.Tx, limit int) *pipelineTx {
	return &pipelineTx{Tx: tx, limit: limit, batch: &pgx.Batch{}}
}

// failedEvent returns the index of the event err names, or -1.
func failedEvent(err error) int {
	var perr *pipelineError
	if errors.As(err, &perr) {
		return perr.event
	}
	return -1
}

func (t *pipelineTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	t.batch.Queue(sql, args...)
	t.owners = append(t.owners, t.current)
	if len(t.owners) >= t.limit {
		return pgconn.CommandTag{}, t.send(ctx)
	}
	return pgconn.CommandTag{}, nil
}

// send waits for the batch in flight, then sends the queue in the
// background.
func (t *pipelineTx) send(ctx context.Context) error {
	if err := t.wait(); err != nil {
		return err
	}
	if len(t.owners) == 0 {
		return nil
	}
	b, owners := t.batch, t.owners
	t.batch, t.owners = &pgx.Batch{}, make([]int, 0, t.limit)
	done := make(chan error, 1)
	t.pending = done
	go func() { done <- t.run(ctx, b, owners) }()
	return nil
}

// wait returns once no batch is in flight, with the last one's error.
func (t *pipelineTx) wait() error {
	if t.pending == nil {
		return nil
	}
	err := <-t.pending
	t.pending = nil
	return err
}

// flush sends the queue and waits for its answers.
func (t *pipelineTx) flush(ctx context.Context) error {
	if err := t.send(ctx); err != nil {
		return err
	}
	return t.wait()
}

func (t *pipelineTx) run(ctx context.Context, b *pgx.Batch, owners []int) error {
	br := t.Tx.SendBatch(ctx, b)
	var first error
	for _, owner := range owners {
		if _, err := br.Exec(); err != nil && first == nil {
			first = &pipelineError{event: owner, err: err}
		}
	}
	if err := br.Close(); err != nil && first == nil {
		first = &pipelineError{event: owners[len(owners)-1], err: err}
	}
	return first
}

func (t *pipelineTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	return t.Tx.Query(ctx, sql, args...)
}

func (t *pipelineTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if err := t.flush(ctx); err != nil {
		return errRow{err}
	}
	return t.Tx.QueryRow(ctx, sql, args...)
}

// SendBatch sends the queue first; after a failed flush the transaction is
// aborted and the batch fails on its own.
func (t *pipelineTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	_ = t.flush(ctx)
	return t.Tx.SendBatch(ctx, b)
}

func (t *pipelineTx) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	if err := t.flush(ctx); err != nil {
		return 0, err
	}
	return t.Tx.CopyFrom(ctx, table, columns, src)
}

func (t *pipelineTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	return t.Tx.Prepare(ctx, name, sql)
}

// Begin opens a savepoint; statements inside it run unpipelined.
func (t *pipelineTx) Begin(ctx context.Context) (pgx.Tx, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	return t.Tx.Begin(ctx)
}

func (t *pipelineTx) Commit(ctx context.Context) error {
	if err := t.flush(ctx); err != nil {
		return err
	}
	return t.Tx.Commit(ctx)
}

func (t *pipelineTx) Rollback(ctx context.Context) error {
	_ = t.wait()
	t.batch, t.owners = &pgx.Batch{}, t.owners[:0]
	return t.Tx.Rollback(ctx)
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
