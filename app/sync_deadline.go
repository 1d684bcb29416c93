package app

import (
	"context"
	"errors"
	"time"
)

// answerMargin is the part of a request's deadline kept for the answer
// after a sync an API call runs: the subscription or sync is reported, not
// cut off by the request's own deadline with a bare 503.
const answerMargin = 3 * time.Second

// ErrSyncContinues says that a sync an API call started did not finish
// within the request's time and was left to the scheduler, which runs it
// next under the job deadline.
var ErrSyncContinues = errors.New("the sync did not finish within the request's time; it runs next on the schedule")

// syncWithin bounds a sync an API call runs: at most max (PFN_JOB_TIMEOUT),
// and it ends answerMargin before the caller's own deadline.
func syncWithin(ctx context.Context, max time.Duration) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return withDeadline(ctx, max)
	}
	end := deadline.Add(-answerMargin)
	if max > 0 && time.Until(end) > max {
		end = time.Now().Add(max)
	}
	return context.WithDeadline(ctx, end)
}

// ranOutOfTime tells a sync cut by its own bound (syncWithin) while the
// caller still has time to answer.
func ranOutOfTime(caller context.Context, err error) bool {
	return caller.Err() == nil && errors.Is(err, context.DeadlineExceeded)
}
