package eventstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// RunnerConfig tunes how projections consume the log.
type RunnerConfig struct {
	// PageSize is how many events one consumer transaction reads at most
	// (default 5000: on catch-up a page is then ~20 ms of work, long enough to
	// amortise the page's round trips, short enough not to hold back other
	// consumers; live traffic makes small pages anyway).
	PageSize int
	// PollInterval is how long a caught-up consumer waits before looking
	// again (default 100ms).
	PollInterval time.Duration
	// Attempts is how often an event is tried before it is recorded as
	// poisoned and skipped (default 3).
	Attempts int
	// RetryDelay is the pause before the second attempt; it doubles after
	// each further one (default 50ms). The batch transaction stays open
	// meanwhile, so keep it short.
	RetryDelay time.Duration
}

func (c *RunnerConfig) setDefaults() {
	if c.PageSize <= 0 {
		c.PageSize = 5000
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 100 * time.Millisecond
	}
	if c.Attempts <= 0 {
		c.Attempts = 3
	}
	if c.RetryDelay <= 0 {
		c.RetryDelay = 50 * time.Millisecond
	}
}

// Runner feeds the log to named projections, each with its own checkpoint,
// through watermill-sql subscribers on the events table.
type Runner struct {
	pool        *pgxpool.Pool
	log         *slog.Logger
	cfg         RunnerConfig
	projections []Projection
	byName      map[string]Projection
	// wakes: WaitFor wakes the idle consumer of the projection it waits
	// for (only that one: waking all of them for every request made them
	// compete for the CPU the waited-for one needed).
	wakes map[string]*wakeup
}

// NewRunner checks that projection names are unique and non-empty.
func NewRunner(pool *pgxpool.Pool, log *slog.Logger, cfg RunnerConfig, projections ...Projection) (*Runner, error) {
	cfg.setDefaults()
	r := &Runner{pool: pool, log: log, cfg: cfg, byName: map[string]Projection{}, wakes: map[string]*wakeup{}}
	for _, p := range projections {
		name := p.Name()
		if name == "" {
			return nil, errors.New("projection with an empty name")
		}
		if _, dup := r.byName[name]; dup {
			return nil, fmt.Errorf("two projections named %q", name)
		}
		r.byName[name] = p
		r.wakes[name] = &wakeup{}
		r.projections = append(r.projections, p)
	}
	return r, nil
}

// Run consumes the log for every projection until ctx ends.
func (r *Runner) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, p := range r.projections {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.runProjection(ctx, p)
		}()
	}
	wg.Wait()
}

func (r *Runner) runProjection(ctx context.Context, p Projection) {
	log := r.log.With("projection", p.Name())
	var suspect Position
	for ctx.Err() == nil {
		next, err := r.consume(ctx, p, suspect, log)
		if err != nil && ctx.Err() == nil {
			log.Error("projection consumer stopped; restarting", "err", err)
			sleep(ctx, time.Second)
		}
		suspect = next
	}
}

// consume runs one watermill subscription. Events are applied straight into
// the page's transaction (no savepoint per event: that would cost two round
// trips each on catch-up). When one fails, the subscription is cancelled,
// which rolls the whole batch back, and consume returns the failing event's
// position; the next subscription re-reads the batch and applies events up
// to that one under savepoints, retrying and finally poisoning it.
func (r *Runner) consume(ctx context.Context, p Projection, careful Position, log *slog.Logger) (Position, error) {
	schema := newEventsSchema(r.cfg.PageSize)
	sub, err := wsql.NewSubscriber(wsql.BeginnerFromPgx(asyncCommitPool{r.pool}), wsql.SubscriberConfig{
		ConsumerGroup:  p.Name(),
		AckDeadline:    new(time.Duration), // zero: every message is acked or the batch is cancelled
		PollInterval:   r.cfg.PollInterval,
		ResendInterval: r.cfg.RetryDelay,
		RetryInterval:  time.Second,
		BackoffManager: backoff{r, r.wakes[p.Name()]},
		SchemaAdapter:  schema,
		OffsetsAdapter: offsetsAdapter(),
	}, wmLogger{log: log, stopping: func() bool { return ctx.Err() != nil }})
	if err != nil {
		return careful, fmt.Errorf("new subscriber: %w", err)
	}
	defer sub.Close()
	// Between receiving a page and acking it this goroutine uses the page's
	// transaction, and watermill commits or rolls that transaction back in
	// its own goroutine as soon as the subscription's context ends. So the
	// context watermill sees ends only while no page is being handled.
	subCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	var busy sync.Mutex
	stopWatching := context.AfterFunc(ctx, func() {
		busy.Lock()
		defer busy.Unlock()
		cancel()
	})
	defer stopWatching()
	msgs, err := sub.Subscribe(subCtx, topic)
	if err != nil {
		return careful, fmt.Errorf("subscribe: %w", err)
	}
	for msg := range msgs {
		busy.Lock()
		if subCtx.Err() != nil {
			// Sent as the context ended: watermill no longer waits for it.
			busy.Unlock()
			break
		}
		next, done, err := r.handlePage(subCtx, cancel, schema, msg, p, careful, log)
		busy.Unlock()
		careful = next
		if done || err != nil {
			return careful, err
		}
	}
	return careful, nil
}

// handlePage applies one page. done reports that the subscription was
// cancelled because an event failed; careful is then that event's position.
func (r *Runner) handlePage(ctx context.Context, cancel context.CancelFunc, schema *eventsSchema, msg *message.Message,
	p Projection, careful Position, log *slog.Logger) (next Position, done bool, err error) {
	tx, err := txFrom(msg.Context())
	if err != nil {
		return careful, false, err
	}
	bounds, ok := schema.bounds(msg)
	if !ok {
		return careful, false, fmt.Errorf("message %s was not decoded by the events schema", msg.UUID)
	}
	page, err := readRange(msg.Context(), tx, bounds.After, bounds.Last, r.cfg.PageSize)
	if err != nil {
		return careful, false, err
	}
	if careful == (Position{}) {
		return r.applyPipelined(msg, cancel, p, tx, page, log)
	}
	for _, e := range page {
		pos := e.Position()
		if careful != (Position{}) && !careful.Less(pos) {
			if err := r.applyCarefully(msg.Context(), tx, p, e, log); err != nil {
				return careful, false, err
			}
			if pos == careful {
				careful = Position{}
			}
			continue
		}
		if err := p.Apply(msg.Context(), tx, e); err != nil {
			log.Warn("projection failed on an event; re-reading its page event by event",
				"event_id", e.ID, "event_type", e.Type, "global_position", e.GlobalPosition, "err", err)
			cancel() // the subscriber rolls back the page's transaction
			return pos, true, nil
		}
	}
	msg.Ack()
	return careful, false, nil
}

// applyPipelined applies a page with its writes pipelined (rebuild_batch.go):
// a first sync's fifty mirrored plugins reach the server in one round trip,
// not fifty, while a request waits for them. A failure cancels the page, and
// the next subscription re-reads it event by event from the failing event.
func (r *Runner) applyPipelined(msg *message.Message, cancel context.CancelFunc, p Projection, tx pgx.Tx, page []Event,
	log *slog.Logger) (next Position, done bool, err error) {
	ctx := msg.Context()
	pt := newPipelineTx(tx, pipelineDepth)
	if b, ok := p.(BatchApplier); ok {
		if err = b.ApplyBatch(ctx, pt, page); err == nil {
			err = pt.flush(ctx)
		}
		_ = pt.wait()
		if err == nil {
			msg.Ack()
			return Position{}, false, nil
		}
		// Which event failed is unknown: the whole page goes event by event.
		last := page[len(page)-1]
		log.Warn("projection failed on a page; re-reading it event by event", "first_position", page[0].GlobalPosition,
			"last_position", last.GlobalPosition, "err", err)
		cancel()
		return last.Position(), true, nil
	}
	for i, e := range page {
		pt.current = i
		if err = p.Apply(ctx, pt, e); err != nil {
			if werr := pt.wait(); werr != nil {
				err = werr // an earlier statement failed first
			}
			break
		}
	}
	if err == nil {
		err = pt.flush(ctx)
	} else {
		_ = pt.wait()
	}
	if err == nil {
		msg.Ack()
		return Position{}, false, nil
	}
	failed := failedEvent(err)
	if failed < 0 {
		failed = pt.current
	}
	e := page[failed]
	log.Warn("projection failed on an event; re-reading its page event by event",
		"event_id", e.ID, "event_type", e.Type, "global_position", e.GlobalPosition, "err", err)
	cancel() // the subscriber rolls back the page's transaction
	return e.Position(), true, nil
}

// pipelineDepth is how many statements a page sends in one round trip.
const pipelineDepth = 500

// applyCarefully applies one event under a savepoint, retrying with backoff;
// after the last attempt it records the event as poisoned (in the same
// transaction, so the record commits with the checkpoint that skips it).
func (r *Runner) applyCarefully(ctx context.Context, tx pgx.Tx, p Projection, e Event, log *slog.Logger) error {
	var err error
	attempts := 1
	delay := r.cfg.RetryDelay
	for ; ; attempts++ {
		err = pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error { return p.Apply(ctx, sp, e) })
		if err == nil {
			return nil
		}
		if attempts >= r.cfg.Attempts {
			break
		}
		if !sleep(ctx, delay) {
			return ctx.Err()
		}
		delay *= 2
	}
	_, insErr := tx.Exec(ctx, `INSERT INTO poisoned_events
		(consumer_group, global_position, transaction_id, event_id, event_type, error, attempts)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
		p.Name(), e.GlobalPosition, e.TransactionID, e.ID, e.Type, err.Error(), attempts)
	if insErr != nil {
		return fmt.Errorf("record poisoned event %s: %w", e.ID, insErr)
	}
	log.Error("projection skipped a poisoned event",
		"event_id", e.ID, "event_type", e.Type, "stream_id", e.StreamID,
		"global_position", e.GlobalPosition, "attempts", attempts, "err", err)
	return nil
}

func txFrom(ctx context.Context) (pgx.Tx, error) {
	tx, ok := wsql.TxFromContext(ctx)
	if !ok {
		return nil, errors.New("watermill message carries no transaction")
	}
	pt, ok := tx.(*wsql.PgxTx)
	if !ok {
		return nil, fmt.Errorf("watermill transaction is %T, not a pgx transaction", tx)
	}
	return pt.Tx, nil
}

// sleep waits d or until ctx ends; it reports whether the full wait passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
