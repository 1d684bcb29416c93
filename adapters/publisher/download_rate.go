package publisher

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of the minimum transfer rate of a download (PFN_MIN_DOWNLOAD_RATE
// over PFN_MIN_DOWNLOAD_RATE_WINDOW): a publisher that trickles a file
// would otherwise hold a download slot, and the sync waiting on it, for the
// whole download deadline.
const (
	DefaultMinDownloadRate = 4096 // bytes per second
	DefaultRateWindow      = 30 * time.Second
)

// ErrTooSlow: a download fell below the minimum transfer rate and was cut.
var ErrTooSlow = errors.New("download below the minimum transfer rate")

// rateGuard watches a download from the request on: every window must
// bring at least minRate×window bytes, or the request's context is
// cancelled with ErrTooSlow as the cause, which ends a read that is waiting
// (connecting, waiting for headers, or for the next bytes of the body).
type rateGuard struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	read   atomic.Int64
	stop   chan struct{}
	once   sync.Once
	body   io.ReadCloser // set once the response is there
}

func startRateGuard(ctx context.Context, minRate int64, window time.Duration) (*rateGuard, context.Context) {
	ctx, cancel := context.WithCancelCause(ctx)
	g := &rateGuard{ctx: ctx, cancel: cancel, stop: make(chan struct{})}
	need := int64(float64(minRate) * window.Seconds())
	go func() {
		tick := time.NewTicker(window)
		defer tick.Stop()
		var last int64
		for {
			select {
			case <-g.stop:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
				now := g.read.Load()
				if now-last < need {
					// No byte count in the text: the same refusal on the next
					// sync must read the same, so it is recorded once.
					cancel(fmt.Errorf("%w: fewer than %d bytes in %s (PFN_MIN_DOWNLOAD_RATE)", ErrTooSlow, need, window))
					return
				}
				last = now
			}
		}
	}()
	return g, ctx
}

// halt stops watching: the download ended one way or another.
func (g *rateGuard) halt() { g.once.Do(func() { close(g.stop) }) }

func (g *rateGuard) Read(p []byte) (int, error) {
	n, err := g.body.Read(p)
	g.read.Add(int64(n))
	if err != nil {
		g.halt()
		if cause := context.Cause(g.ctx); errors.Is(cause, ErrTooSlow) {
			return n, cause
		}
	}
	return n, err
}

func (g *rateGuard) Close() error {
	g.halt()
	err := g.body.Close()
	g.cancel(nil)
	return err
}
