package eventstore

import (
	"time"

	"github.com/ThreeDotsLabs/watermill"
)

// fastPoll is how often a caught-up consumer looks for new events while a
// caller waits in WaitFor: a request waiting for read-your-writes should not
// sit out a whole idle poll interval, and an idle node should not poll fast.
const fastPoll = 2 * time.Millisecond

// backoff is the subscribers' watermill BackoffManager.
type backoff struct {
	r *Runner
}

func (b backoff) HandleError(logger watermill.LoggerAdapter, noMsg bool, err error) time.Duration {
	switch {
	case err != nil:
		logger.Error("reading the event log failed; retrying", err, watermill.LogFields{"wait_time": time.Second})
		return time.Second
	case !noMsg:
		return 0
	case b.r.waiters.Load() > 0:
		return fastPoll
	default:
		return b.r.cfg.PollInterval
	}
}
