package app

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// ErrFeedClosed: the node is stopping, and waiting for the change feed ends.
var ErrFeedClosed = errors.New("the change feed is closing (the node is stopping); ask again")

// FeedHead reads the newest cursor of the change feed.
type FeedHead interface {
	FeedHead(ctx context.Context) (int64, error)
}

// FeedWatcher is the one watcher of the change feed in a process. Waiting
// readers (long polls, event streams) hold no database connection: while
// any wait, the watcher reads the feed's head every interval (a cheap
// max(seq)) and wakes them all when it grows. It polls the database rather
// than listening to this process's projection, so a change written by
// another node on the same database wakes readers here as fast.
type FeedWatcher struct {
	head  FeedHead
	every time.Duration
	log   *slog.Logger

	mu      sync.Mutex
	last    int64
	grown   chan struct{} // closed when last grows (or the watcher stops), then replaced
	waiting int
	stopped bool
	// poke starts a poll at once when the first reader begins to wait: the
	// head may be old, as nobody asked for it while nobody waited.
	poke chan struct{}
}

// feedHeadTimeout bounds one read of the head.
const feedHeadTimeout = 5 * time.Second

// NewFeedWatcher returns a watcher that reads the head every interval
// while readers wait; Run makes it work.
func NewFeedWatcher(head FeedHead, every time.Duration, log *slog.Logger) *FeedWatcher {
	return &FeedWatcher{head: head, every: every, log: log, grown: make(chan struct{}), poke: make(chan struct{}, 1)}
}

// Run polls until ctx ends, then wakes every waiting reader with
// ErrFeedClosed (so that streams end and a shutdown is not held by them).
func (w *FeedWatcher) Run(ctx context.Context) {
	defer w.stop()
	tick := time.NewTicker(w.every)
	defer tick.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-w.poke:
		}
		w.mu.Lock()
		idle := w.waiting == 0
		w.mu.Unlock()
		if idle {
			continue
		}
		pollCtx, cancel := context.WithTimeout(ctx, feedHeadTimeout)
		head, err := w.head.FeedHead(pollCtx)
		cancel()
		if err != nil {
			if !failing && ctx.Err() == nil {
				w.log.Warn("change feed: cannot read the feed's head; waiting readers wait on", "err", err)
			}
			failing = true
			continue
		}
		failing = false
		w.advance(head)
	}
}

func (w *FeedWatcher) advance(head int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if head > w.last {
		w.last = head
		close(w.grown)
		w.grown = make(chan struct{})
	}
}

func (w *FeedWatcher) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	close(w.grown)
}

// Head is the newest cursor the watcher has seen.
func (w *FeedWatcher) Head() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last
}

// WaitPast returns once the feed's head is beyond head, with ctx's error
// when it ends first, or ErrFeedClosed when the watcher stops.
func (w *FeedWatcher) WaitPast(ctx context.Context, head int64) error {
	w.mu.Lock()
	w.waiting++
	if w.waiting == 1 {
		select {
		case w.poke <- struct{}{}:
		default:
		}
	}
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		w.waiting--
		w.mu.Unlock()
	}()
	for {
		w.mu.Lock()
		last, grown, stopped := w.last, w.grown, w.stopped
		w.mu.Unlock()
		switch {
		case stopped:
			return ErrFeedClosed
		case last > head:
			return nil
		}
		select {
		case <-grown:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
