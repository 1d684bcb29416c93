package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pfn-network/pfn/app"
)

const (
	changesRoute    = "/federation/changes"
	mimeEventStream = "text/event-stream"
	// feedHeartbeat is how often an idle stream says it is alive (SPEC15),
	// so that proxies and clients do not take it for dead.
	feedHeartbeat = 15 * time.Second
)

// feedFormat is how GET /federation/changes answers, from Accept.
type feedFormat int

const (
	feedPage feedFormat = iota
	feedSSE
	feedNDJSON
)

func feedFormatOf(c echo.Context) feedFormat {
	accept := c.Request().Header.Get(echo.HeaderAccept)
	switch {
	case strings.Contains(accept, mimeEventStream):
		return feedSSE
	case strings.Contains(accept, mimeNDJSON):
		return feedNDJSON
	}
	return feedPage
}

// feedStreams bounds the feed's streams: each ends after Max so that its
// client reconnects (and resumes), and sends a heartbeat when idle for
// Heartbeat. Waiters holds a token per waiting reader (a long poll or a
// stream): each holds a connection and a goroutine for up to a minute (a
// stream for Max), so a full set answers 503 rather than letting clients
// pile up without bound.
type feedStreams struct {
	Max, Heartbeat time.Duration
	Log            *slog.Logger
	Waiters        chan struct{}
}

// feedBusyRetry is the Retry-After of a 503 when all waiters are taken: a
// long poll ends within a minute, and most far sooner.
const feedBusyRetry = 5 * time.Second

// errFeedBusy: every waiter of the feed is taken (503, Retry-After).
var errFeedBusy = errors.New("too many clients wait on the change feed; retry later, or ask without wait=")

// feedStreamsFor derives the streams' bounds from the server's limits: the
// heartbeat also keeps a stream inside the deadline that cuts off streams
// with nothing sent for RequestTimeout (streamUnderMinRate).
func feedStreamsFor(l Limits, log *slog.Logger) feedStreams {
	return feedStreams{Max: l.FeedStreamMax, Heartbeat: min(feedHeartbeat, l.RequestTimeout/2), Log: log,
		Waiters: make(chan struct{}, l.FeedMaxWaiters)}
}

// wait takes a waiter's token, or answers errFeedBusy (with Retry-After)
// when none is left; release gives it back.
func (s feedStreams) wait(c echo.Context) (release func(), err error) {
	select {
	case s.Waiters <- struct{}{}:
		return func() { <-s.Waiters }, nil
	default:
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(feedBusyRetry.Seconds())))
		return nil, errFeedBusy
	}
}

// varyAccept marks every answer of the feed, kept pages included, as
// chosen by Accept: one URL answers a JSON page, an event stream or NDJSON,
// and a shared cache must not hand one to a client asking for another.
func varyAccept(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Add(echo.HeaderVary, echo.HeaderAccept)
		return next(c)
	}
}

// listChanges answers GET /federation/changes: a JSON page (long-polled
// with wait=), or with Accept text/event-stream or application/x-ndjson a
// stream of the changes as they come.
func listChanges(h app.ListChanges, resolve app.SourceResolver, streams feedStreams) echo.HandlerFunc {
	return func(c echo.Context) error {
		format := feedFormatOf(c)
		// The source filter takes every form of id the other listings do
		// (port-less ids of the original network's clients).
		source, err := resolveSourceFilter(c, resolve, c.QueryParam("source"))
		if err != nil {
			return err
		}
		p := app.ChangeParams{After: c.QueryParam("after"), Limit: c.QueryParam("limit"),
			Source: source, Wait: c.QueryParam("wait")}
		if id := c.Request().Header.Get("Last-Event-ID"); format == feedSSE && id != "" {
			p.After, p.AfterField = id, "Last-Event-ID"
		}
		q, err := p.Query()
		if err != nil {
			return err
		}
		if format != feedPage || q.Wait > 0 {
			release, err := streams.wait(c)
			if err != nil {
				return err
			}
			defer release()
		}
		if format == feedPage {
			page, err := h.Handle(c.Request().Context(), q)
			if err != nil {
				return err
			}
			return c.JSON(http.StatusOK, viewChangePage(page))
		}
		return streamChanges(c, h, q, format, streams)
	}
}

// streamChanges sends the changes after q.After as they come, until the
// client goes, the stream's time is up or the node stops. Between pages it
// waits on the feed's watcher, holding no database connection.
func streamChanges(c echo.Context, h app.ListChanges, q app.ChangeQuery, format feedFormat, s feedStreams) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), s.Max)
	defer cancel()
	res := c.Response()
	mime, heartbeat := mimeNDJSON, []byte("\n")
	if format == feedSSE {
		mime, heartbeat = mimeEventStream, []byte(": keep-alive\n\n")
	}
	res.Header().Set(echo.HeaderContentType, mime)
	res.Header().Set(echo.HeaderCacheControl, "no-cache")
	res.Header().Set("X-Accel-Buffering", "no") // a buffering proxy would hold the changes back
	res.WriteHeader(http.StatusOK)
	res.Flush()
	q.Wait = s.Heartbeat
	for {
		page, err := h.Handle(ctx, q)
		if err != nil {
			// The stream's end is ordinary: the client reconnects from the
			// last cursor it has. Only a failure is worth a line.
			if ctx.Err() == nil && !errors.Is(err, app.ErrFeedClosed) && s.Log != nil {
				s.Log.ErrorContext(ctx, "change feed stream ended by an error", "err", err,
					"request_id", res.Header().Get(echo.HeaderXRequestID))
			}
			return nil
		}
		if err := writeChanges(res, page.Changes, format, heartbeat); err != nil {
			return nil // the client went away
		}
		res.Flush()
		q.After = page.Next
	}
}

// writeChanges writes a page in the stream's format, or the heartbeat
// when it is empty.
func writeChanges(res *echo.Response, changes []app.Change, format feedFormat, heartbeat []byte) error {
	if len(changes) == 0 {
		_, err := res.Write(heartbeat)
		return err
	}
	var b []byte
	for _, ch := range changes {
		v := viewChange(ch)
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if format == feedSSE {
			b = fmt.Appendf(b, "id: %s\nevent: change\ndata: %s\n\n", v.Cursor, data)
		} else {
			b = append(append(b, data...), '\n')
		}
	}
	_, err := res.Write(b)
	return err
}

// feedStream tells a streamed answer of the feed (streamingRoute).
func feedStream(c echo.Context) bool {
	return feedFormatOf(c) != feedPage
}

// feedLongPoll is how long a JSON page of the feed may wait (its wait
// parameter, 0 when absent or unusable: the handler refuses the latter).
func feedLongPoll(c echo.Context) time.Duration {
	if c.Path() != changesRoute || feedStream(c) {
		return 0
	}
	d, err := time.ParseDuration(c.QueryParam("wait"))
	if err != nil || d < 0 || d > app.MaxChangeWait {
		return 0
	}
	return d
}
