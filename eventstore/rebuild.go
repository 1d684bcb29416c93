package eventstore

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// rebuildLockKey serialises rebuilds across processes (an advisory lock on
// the rebuild's own connection); it only has to differ from other advisory
// locks on the database. "PFNR".
const rebuildLockKey = 0x50464e52

// maxPasses bounds the catch-up passes before the swap.
const maxPasses = 8

// ErrRebuildRunning is returned when another rebuild holds the lock.
var ErrRebuildRunning = errors.New("another projection rebuild is running on this database")

// RebuildOptions tunes a rebuild.
type RebuildOptions struct {
	// BatchSize is how many events one rebuild transaction applies (default
	// 10000). While it is open that transaction holds back every consumer
	// on the cluster (the xmin barrier), so it stays a fraction of a second.
	BatchSize int
	// Pipeline is how many statements go to the server in one pipelined
	// batch (default 500); 1 sends each alone, as the live consumer does.
	Pipeline int
	// Progress, when set, is called after each batch, from the rebuild's
	// goroutine.
	Progress func(RebuildProgress)
}

// RebuildProgress is how far a rebuild has come. Total is the log's length
// when the rebuild started plus what it has applied beyond that.
type RebuildProgress struct {
	Done, Total int64
	Position    Position
}

// RebuildResult says what a rebuild did.
type RebuildResult struct {
	Projections []string
	Events      int64    // events read and applied to the fresh tables
	Position    Position // where the swapped-in tables stand; their consumers continue from here
	Poisoned    int      // events the rebuild skipped after retries (now in poisoned_events)
	Elapsed     time.Duration
}

func (o *RebuildOptions) setDefaults() {
	if o.BatchSize <= 0 {
		o.BatchSize = 10000
	}
	if o.Pipeline <= 0 {
		o.Pipeline = 500
	}
}

// Names returns the projections' names in the order they were given.
func (r *Runner) Names() []string {
	out := make([]string, len(r.projections))
	for i, p := range r.projections {
		out[i] = p.Name()
	}
	return out
}

// Rebuild replays the whole log through the named projections into fresh
// copies of their tables while the live tables keep serving, then swaps the
// copies in, in one transaction that also moves the projections'
// checkpoints to where the copies stand (docs/adr/0004-projection-rebuild.md).
// Running consumers of those projections (this process's or another's) go
// on from there: nothing is applied twice and nothing is skipped.
func (r *Runner) Rebuild(ctx context.Context, names []string, opts RebuildOptions) (RebuildResult, error) {
	start := time.Now()
	opts.setDefaults()
	// A rebuild decodes every event once per projection and keeps little:
	// collecting garbage less often buys CPU with memory the batch job has.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	targets, tables, err := r.rebuildTargets(names)
	if err != nil {
		return RebuildResult{}, err
	}
	conn, err := r.pool.Acquire(ctx)
	if err != nil {
		return RebuildResult{}, fmt.Errorf("rebuild: %w", err)
	}
	defer conn.Release()
	var locked bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, rebuildLockKey).Scan(&locked); err != nil {
		return RebuildResult{}, fmt.Errorf("rebuild: take the rebuild lock: %w", err)
	}
	if !locked {
		return RebuildResult{}, ErrRebuildRunning
	}
	defer func() {
		if _, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, rebuildLockKey); err != nil {
			conn.Conn().Close(context.WithoutCancel(ctx)) // closing the session drops the lock
		}
	}()

	rb := &rebuild{r: r, pool: r.pool, conn: conn, targets: targets, tables: tables, opts: opts}
	res, err := rb.run(ctx)
	if err != nil {
		// The live tables were not touched; the half-filled copies go.
		_, _ = conn.Exec(context.WithoutCancel(ctx), `DROP SCHEMA IF EXISTS `+rebuildSchema+` CASCADE`)
		return RebuildResult{}, err
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

func (r *Runner) rebuildTargets(names []string) ([]Projection, []string, error) {
	if len(names) == 0 {
		return nil, nil, errors.New("rebuild: no projection named")
	}
	owner := map[string]string{}
	for _, p := range r.projections {
		if to, ok := p.(TableOwner); ok {
			for _, t := range to.Tables() {
				if other, dup := owner[t]; dup {
					return nil, nil, fmt.Errorf("rebuild: projections %q and %q both claim table %s", other, p.Name(), t)
				}
				owner[t] = p.Name()
			}
		}
	}
	var targets []Projection
	var tables []string
	for _, name := range names {
		p, ok := r.byName[name]
		if !ok {
			return nil, nil, fmt.Errorf("rebuild: no projection named %q (have %v)", name, r.Names())
		}
		if slices.Contains(targets, p) {
			continue
		}
		to, ok := p.(TableOwner)
		if !ok || len(to.Tables()) == 0 {
			return nil, nil, fmt.Errorf("rebuild: projection %q does not say which tables it owns (TableOwner)", name)
		}
		targets = append(targets, p)
		tables = append(tables, to.Tables()...)
	}
	return targets, tables, nil
}

type rebuild struct {
	r       *Runner
	pool    *pgxpool.Pool
	conn    *pgxpool.Conn // holds the rebuild lock; runs the swap
	targets []Projection
	tables  []string
	opts    RebuildOptions
	workers []*worker

	mu          sync.Mutex
	pos         Position
	done, total int64
	workerDone  []int64
	poisoned    int
}

// worker applies one projection's share of the rebuild on its own
// connection, opened outside the pool so that a rebuild does not starve the
// node's requests and consumers of connections.
type worker struct {
	p    Projection
	conn *pgx.Conn
}

func (rb *rebuild) openWorkers(ctx context.Context) error {
	for _, p := range rb.targets {
		conn, err := pgx.ConnectConfig(ctx, rb.pool.Config().ConnConfig.Copy())
		if err != nil {
			return fmt.Errorf("rebuild: connect: %w", err)
		}
		rb.workers = append(rb.workers, &worker{p: p, conn: conn})
	}
	rb.workerDone = make([]int64, len(rb.workers))
	return nil
}

func (rb *rebuild) closeWorkers(ctx context.Context) {
	for _, w := range rb.workers {
		_ = w.conn.Close(context.WithoutCancel(ctx))
	}
}

func (rb *rebuild) run(ctx context.Context) (RebuildResult, error) {
	defer rb.closeWorkers(ctx)
	if err := rb.openWorkers(ctx); err != nil {
		return RebuildResult{}, err
	}
	if err := pgx.BeginFunc(ctx, rb.conn, func(tx pgx.Tx) error {
		return createRebuildSchema(ctx, tx, rb.tables)
	}); err != nil {
		return RebuildResult{}, fmt.Errorf("rebuild: %w", err)
	}
	if err := rb.conn.QueryRow(ctx, `SELECT count(*) FROM events
		WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())`).Scan(&rb.total); err != nil {
		return RebuildResult{}, fmt.Errorf("rebuild: count the log: %w", err)
	}
	// Passes until one finds less than a batch: what is left is applied
	// inside the swap, under the locks, so it should be small. Writers that
	// append as fast as the rebuild applies would keep it passing forever;
	// after maxPasses it swaps anyway and holds the locks a little longer.
	for passes := 1; ; passes++ {
		n, err := rb.pass(ctx)
		if err != nil {
			return RebuildResult{}, err
		}
		if n < int64(rb.opts.BatchSize) {
			break
		}
		if passes == maxPasses {
			rb.r.log.Warn("rebuild: the log grows as fast as the rebuild applies it; swapping with a backlog",
				"passes", passes, "last_pass_events", n)
			break
		}
	}
	if err := pgx.BeginFunc(ctx, rb.conn, func(tx pgx.Tx) error {
		return createPlainIndexes(ctx, tx, rb.tables)
	}); err != nil {
		return RebuildResult{}, fmt.Errorf("rebuild: %w", err)
	}
	if err := rb.swap(ctx); err != nil {
		return RebuildResult{}, err
	}
	names := make([]string, len(rb.targets))
	for i, p := range rb.targets {
		names[i] = p.Name()
	}
	return RebuildResult{Projections: names, Events: rb.done, Position: rb.pos, Poisoned: rb.poisoned}, nil
}

// pass applies the log from rb.pos up to what is readable now. One reader
// fetches batches; each projection applies them on its own connection, in
// its own transactions, so the projections' statements run side by side on
// the server (each projection's own statements stay in log order, so its
// rows, ids included, come out as a replay in commit order makes them).
func (rb *rebuild) pass(ctx context.Context) (int64, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	feeds := make([]chan []Event, len(rb.workers))
	for i := range feeds {
		feeds[i] = make(chan []Event, 2)
	}
	var n int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer func() {
			for _, f := range feeds {
				close(f)
			}
		}()
		after := rb.pos
		for {
			events, err := New(rb.pool).ReadBatch(ctx, after, rb.opts.BatchSize)
			if err != nil {
				cancel(fmt.Errorf("rebuild: %w", err))
				return
			}
			for _, f := range feeds {
				select {
				case f <- events:
				case <-ctx.Done():
					return
				}
			}
			n += int64(len(events))
			if len(events) > 0 {
				after = events[len(events)-1].Position()
			}
			if len(events) < rb.opts.BatchSize {
				return
			}
		}
	}()
	for i, w := range rb.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for events := range feeds[i] {
				if ctx.Err() != nil {
					continue // drain
				}
				if err := rb.applyBatch(ctx, w, events); err != nil {
					cancel(fmt.Errorf("rebuild %s: apply events after %v: %w", w.p.Name(), events[0].Position(), err))
					continue
				}
				rb.progress(i, events)
			}
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && ctx.Err() != nil {
		return n, err
	}
	return n, nil
}

// applyBatch applies one batch to one projection in its own transaction.
func (rb *rebuild) applyBatch(ctx context.Context, w *worker, events []Event) error {
	if len(events) == 0 {
		return nil
	}
	return pgx.BeginFunc(ctx, w.conn, func(tx pgx.Tx) error {
		// Unqualified names in the projection's SQL now mean the fresh
		// tables. The batch is derived data, replayable from the log: no
		// need to wait for its commit to reach the disk.
		if _, err := tx.Exec(ctx, `SET LOCAL search_path = `+rebuildSchema+`, public; SET LOCAL synchronous_commit = off`); err != nil {
			return err
		}
		return rb.applier().apply(ctx, tx, []Projection{w.p}, events)
	})
}

// applier records what it skips in the rebuild's own poisoned_events, which
// the swap moves to the live one.
func (rb *rebuild) applier() applier {
	return rb.r.applier(rb.r.log.With("rebuild", true), rb.opts.Pipeline, qualified(rebuildSchema, "poisoned_events"))
}

// progress records that worker i has applied events; the rebuild is as far
// as its slowest worker.
func (rb *rebuild) progress(i int, events []Event) {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	rb.workerDone[i] += int64(len(events))
	slowest := rb.workerDone[0]
	for _, d := range rb.workerDone {
		slowest = min(slowest, d)
	}
	if slowest <= rb.done {
		return
	}
	rb.done = slowest
	rb.pos = events[len(events)-1].Position() // the slowest has just finished this batch
	rb.total = max(rb.total, rb.done)
	if rb.opts.Progress != nil {
		rb.opts.Progress(RebuildProgress{Done: rb.done, Total: rb.total, Position: rb.pos})
	}
}

// advance records events applied in the swap (by every projection at once).
func (rb *rebuild) advance(events []Event) {
	if len(events) == 0 {
		return
	}
	rb.mu.Lock()
	defer rb.mu.Unlock()
	rb.pos = events[len(events)-1].Position()
	rb.done += int64(len(events))
	rb.total = max(rb.total, rb.done)
	if rb.opts.Progress != nil {
		rb.opts.Progress(RebuildProgress{Done: rb.done, Total: rb.total, Position: rb.pos})
	}
}

// swap applies the last events and puts the fresh tables in place, in one
// synchronous transaction. Locking the checkpoint rows first waits for a
// live consumer's page in flight to commit and keeps the next one out (its
// poll locks the same row); the table locks then keep readers out for the
// moment of the swap. Events are read below this transaction's snapshot
// xmin, so everything before the new checkpoint is in the fresh tables and
// everything after it is still to come for the live consumer.
func (rb *rebuild) swap(ctx context.Context) error {
	names := make([]string, len(rb.targets))
	for i, p := range rb.targets {
		names[i] = p.Name()
	}
	slices.Sort(names)
	live := make([]string, len(rb.tables))
	for i, t := range rb.tables {
		live[i] = qualified("public", t)
	}
	err := pgx.BeginFunc(ctx, rb.conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL search_path = `+rebuildSchema+`, public`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO public.event_consumer_offsets (consumer_group)
			SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`, names); err != nil {
			return fmt.Errorf("checkpoints: %w", err)
		}
		if _, err := tx.Exec(ctx, `SELECT 1 FROM public.event_consumer_offsets
			WHERE consumer_group = ANY($1) ORDER BY consumer_group FOR UPDATE`, names); err != nil {
			return fmt.Errorf("lock checkpoints: %w", err)
		}
		if err := lockLiveTables(ctx, tx, live); err != nil {
			return fmt.Errorf("lock tables: %w", err)
		}
		for {
			events, err := New(tx).ReadBatch(ctx, rb.pos, rb.opts.BatchSize)
			if err != nil {
				return err
			}
			if err := rb.applier().apply(ctx, tx, rb.targets, events); err != nil {
				return err
			}
			rb.advance(events)
			if len(events) < rb.opts.BatchSize {
				break
			}
		}
		if err := swapTables(ctx, tx, rb.tables); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM public.poisoned_events WHERE consumer_group = ANY($1)`, names); err != nil {
			return fmt.Errorf("poisoned events: %w", err)
		}
		tag, err := tx.Exec(ctx, `INSERT INTO public.poisoned_events SELECT * FROM `+qualified(rebuildSchema, "poisoned_events"))
		if err != nil {
			return fmt.Errorf("poisoned events: %w", err)
		}
		rb.poisoned = int(tag.RowsAffected())
		if _, err := tx.Exec(ctx, `UPDATE public.event_consumer_offsets SET offset_acked = $2, last_processed_transaction_id = $3
			WHERE consumer_group = ANY($1)`, names, rb.pos.GlobalPosition, rb.pos.TransactionID); err != nil {
			return fmt.Errorf("move checkpoints: %w", err)
		}
		_, err = tx.Exec(ctx, `DROP SCHEMA `+rebuildSchema+` CASCADE`)
		return err
	})
	if err != nil {
		return fmt.Errorf("rebuild: swap: %w", err)
	}
	return nil
}
