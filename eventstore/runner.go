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
	for ctx.Err() == nil {
		if err := r.consume(ctx, p, log); err != nil && ctx.Err() == nil {
			log.Error("projection consumer stopped; restarting", "err", err)
			sleep(ctx, time.Second)
		}
	}
}

// consume runs one watermill subscription. Each page is applied in the
// page's transaction by the applier (apply.go), pipelined: a first sync's
// fifty mirrored plugins reach the server in one round trip, not fifty,
// while a request waits for them. An event that fails is retried under a
// savepoint and finally recorded as poisoned, in the same transaction.
func (r *Runner) consume(ctx context.Context, p Projection, log *slog.Logger) error {
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
		return fmt.Errorf("new subscriber: %w", err)
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
		return fmt.Errorf("subscribe: %w", err)
	}
	apply := r.applier(log, pipelineDepth, "poisoned_events")
	for msg := range msgs {
		busy.Lock()
		if subCtx.Err() != nil {
			// Sent as the context ended: watermill no longer waits for it.
			busy.Unlock()
			break
		}
		err := r.handlePage(schema, msg, apply, p)
		busy.Unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

// handlePage applies one page and acks it.
func (r *Runner) handlePage(schema *eventsSchema, msg *message.Message, apply applier, p Projection) error {
	tx, err := txFrom(msg.Context())
	if err != nil {
		return err
	}
	bounds, ok := schema.bounds(msg)
	if !ok {
		return fmt.Errorf("message %s was not decoded by the events schema", msg.UUID)
	}
	page, err := readRange(msg.Context(), tx, bounds.After, bounds.Last, r.cfg.PageSize)
	if err != nil {
		return err
	}
	if err := apply.apply(msg.Context(), tx, []Projection{p}, page); err != nil {
		return err
	}
	msg.Ack()
	return nil
}

// pipelineDepth is how many statements a page sends in one round trip.
const pipelineDepth = 500

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
