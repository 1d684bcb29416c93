package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// Limits bound what one client can hold of the node: connection time,
// header size, request time, and how slowly it may read a streamed answer.
type Limits struct {
	ReadHeaderTimeout time.Duration // PFN_READ_HEADER_TIMEOUT
	// ReadTimeout covers the whole request, body included: a body trickled
	// a byte at a time is cut off (PFN_READ_TIMEOUT).
	ReadTimeout time.Duration
	// WriteTimeout bounds an ordinary answer, handler time included; it
	// must exceed RequestTimeout. Streamed answers (downloads, exports)
	// replace it with the minimum-rate rule (PFN_WRITE_TIMEOUT).
	WriteTimeout time.Duration
	// IdleTimeout closes a keep-alive connection nobody uses (PFN_IDLE_TIMEOUT).
	IdleTimeout    time.Duration
	MaxHeaderBytes int // PFN_MAX_HEADER_BYTES; larger headers get 431
	// RequestTimeout is every request's deadline (PFN_REQUEST_TIMEOUT):
	// a stalled database gives an error answer, not a hang.
	RequestTimeout time.Duration
	// MinRate is the slowest a client may read a streamed answer, in bytes
	// per second (PFN_STREAM_MIN_RATE); each write also gets StreamGrace.
	MinRate     int64
	StreamGrace time.Duration
	// FeedStreamMax is how long one change feed stream (event stream or
	// NDJSON) lasts before the node ends it and the client reconnects from
	// its cursor (PFN_FEED_STREAM_MAX): no client holds a connection for
	// ever, and reconnections spread over the nodes behind a balancer.
	FeedStreamMax time.Duration
	// FeedMaxWaiters caps the change feed's readers waiting at once, long
	// polls and streams together (PFN_FEED_MAX_WAITERS); one more is
	// answered 503 with Retry-After.
	FeedMaxWaiters int
}

// DefaultLimits are the production defaults (see README's configuration table).
func DefaultLimits() Limits {
	return Limits{
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		RequestTimeout:    30 * time.Second,
		MinRate:           4 << 10,
		StreamGrace:       10 * time.Second,
		FeedStreamMax:     5 * time.Minute,
		FeedMaxWaiters:    256,
	}
}

// withDefaults fills zero fields, so that tests and tools set only what
// they care about.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	set := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&l.ReadHeaderTimeout, d.ReadHeaderTimeout)
	set(&l.ReadTimeout, d.ReadTimeout)
	set(&l.WriteTimeout, d.WriteTimeout)
	set(&l.IdleTimeout, d.IdleTimeout)
	set(&l.RequestTimeout, d.RequestTimeout)
	set(&l.StreamGrace, d.StreamGrace)
	set(&l.FeedStreamMax, d.FeedStreamMax)
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = d.MaxHeaderBytes
	}
	if l.MinRate <= 0 {
		l.MinRate = d.MinRate
	}
	if l.FeedMaxWaiters <= 0 {
		l.FeedMaxWaiters = d.FeedMaxWaiters
	}
	return l
}

// NewServer is the http.Server for handler under limits.
func NewServer(handler http.Handler, limits Limits) *http.Server {
	l := limits.withDefaults()
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
	}
}

// errDeadline marks a request that ran out of time: 503, try again.
var errDeadline = errors.New("deadline exceeded")

// wantsNDJSON tells an export of GET /federation/events from a page.
func wantsNDJSON(c echo.Context) bool {
	return strings.Contains(c.Request().Header.Get(echo.HeaderAccept), mimeNDJSON)
}

// streamingRoute tells the routes whose answers are streamed: they run
// under the minimum-rate rule instead of the request deadline.
func streamingRoute(c echo.Context) bool {
	switch c.Path() {
	case "/federation/download":
		return c.Request().Method == http.MethodGet
	case "/federation/events":
		return wantsNDJSON(c)
	case changesRoute:
		return feedStream(c)
	}
	return false
}

// deadlines gives every request its deadline, or for a streamed answer the
// minimum-rate rule.
func deadlines(limits Limits) echo.MiddlewareFunc {
	l := limits.withDefaults()
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if streamingRoute(c) {
				return streamUnderMinRate(c, l, next)
			}
			wait := feedLongPoll(c)
			if wait > 0 {
				extendForLongPoll(c, l, wait)
			}
			ctx, cancel := context.WithTimeoutCause(c.Request().Context(), l.RequestTimeout+wait,
				fmt.Errorf("request took longer than %s (PFN_REQUEST_TIMEOUT): %w", l.RequestTimeout, errDeadline))
			defer cancel()
			c.SetRequest(c.Request().WithContext(ctx))
			return deadlineErr(ctx, next(c))
		}
	}
}

// extendForLongPoll gives a long poll its wait on top of the ordinary
// write deadline. The whole-request read deadline (ReadTimeout) is lifted
// as for streams: the request has no body, and when it expired during the
// wait the server would cancel the request.
func extendForLongPoll(c echo.Context, l Limits, wait time.Duration) {
	rc := http.NewResponseController(c.Response().Writer)
	_ = rc.SetWriteDeadline(time.Now().Add(l.WriteTimeout + wait))
	_ = rc.SetReadDeadline(time.Time{})
}

// deadlineErr makes an error that the deadline caused say so: the handler's
// own error (a cancelled query, say) would read as a 500.
func deadlineErr(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); err != nil && errors.Is(cause, errDeadline) {
		return fmt.Errorf("%w (%v)", cause, err)
	}
	return err
}

// streamUnderMinRate serves a streamed answer: each write must be taken
// by the client within StreamGrace plus its size at MinRate, and the
// handler's context ends when nothing was written for RequestTimeout (a
// stalled database under an export). A client that reads too slowly is cut
// off; a fast one may take as long as the transfer needs.
func streamUnderMinRate(c echo.Context, l Limits, next echo.HandlerFunc) error {
	ctx, cancel := context.WithCancelCause(c.Request().Context())
	defer cancel(nil)
	stalled := time.AfterFunc(l.RequestTimeout, func() {
		cancel(fmt.Errorf("nothing sent for %s (PFN_REQUEST_TIMEOUT): %w", l.RequestTimeout, errDeadline))
	})
	defer stalled.Stop()
	res := c.Response()
	rc := http.NewResponseController(res.Writer)
	// Until the first write the handler works under the request deadline.
	_ = rc.SetWriteDeadline(time.Now().Add(l.RequestTimeout + l.StreamGrace))
	// These routes take no body: the whole-request read deadline
	// (ReadTimeout) has nothing left to guard during a long transfer, and
	// the connection's background read may as well wait for the client to
	// go away (which cancels the context).
	_ = rc.SetReadDeadline(time.Time{})
	res.Writer = &minRateWriter{ResponseWriter: res.Writer, rc: rc, limits: l, progress: func() { stalled.Reset(l.RequestTimeout) }}
	c.SetRequest(c.Request().WithContext(ctx))
	return deadlineErr(ctx, next(c))
}

// minRateChunk is the most written under one deadline.
const minRateChunk = 32 << 10

type minRateWriter struct {
	http.ResponseWriter
	rc       *http.ResponseController
	limits   Limits
	progress func()
}

func (w *minRateWriter) Write(p []byte) (int, error) {
	var written int
	for len(p) > 0 {
		chunk := p[:min(len(p), minRateChunk)]
		allowed := w.limits.StreamGrace + time.Duration(int64(len(chunk))*int64(time.Second)/w.limits.MinRate)
		if err := w.rc.SetWriteDeadline(time.Now().Add(allowed)); err != nil {
			return written, err
		}
		n, err := w.ResponseWriter.Write(chunk)
		written += n
		if err != nil {
			return written, err
		}
		w.progress()
		p = p[n:]
	}
	return written, nil
}

func (w *minRateWriter) Flush() {
	allowed := w.limits.StreamGrace + time.Duration(int64(minRateChunk)*int64(time.Second)/w.limits.MinRate)
	if w.rc.SetWriteDeadline(time.Now().Add(allowed)) == nil {
		_ = w.rc.Flush()
	}
}

func (w *minRateWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
