package eventstore

import (
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
)

// backoff is the subscribers' watermill BackoffManager. When a consumer
// finds nothing new it waits here, rather than in watermill's sleep, so that
// WaitFor can wake it at once: a request waiting for read-your-writes then
// waits for the projection's work, not for the rest of an idle poll
// interval, while an idle node still polls only every PollInterval.
type backoff struct {
	r    *Runner
	wake *wakeup // this consumer's
}

func (b backoff) HandleError(logger watermill.LoggerAdapter, noMsg bool, err error) time.Duration {
	switch {
	case err != nil:
		logger.Error("reading the event log failed; retrying", err, watermill.LogFields{"wait_time": time.Second})
		return time.Second
	case !noMsg:
		return 0
	}
	t := time.NewTimer(b.r.cfg.PollInterval)
	defer t.Stop()
	select {
	case <-t.C:
	case <-b.wake.wait():
	}
	return 0
}

// wakeup is a broadcast: wait returns a channel that closes at the next
// poke.
type wakeup struct {
	mu sync.Mutex
	ch chan struct{}
}

func (w *wakeup) wait() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ch == nil {
		w.ch = make(chan struct{})
	}
	return w.ch
}

func (w *wakeup) poke() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ch != nil {
		close(w.ch)
		w.ch = nil
	}
}
