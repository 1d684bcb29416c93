package eventstore

import (
	"context"
	"errors"
	"log/slog"

	"github.com/ThreeDotsLabs/watermill"
)

// wmLogger passes watermill's errors and notices to slog. Its With returns
// the same logger: watermill calls With for every message, and building a
// child logger per event costs more than the event itself on catch-up.
type wmLogger struct {
	log *slog.Logger
	// stopping reports that the runner is shutting down: pgx closes a
	// connection whose query is cancelled, so watermill's commit of the
	// page it was polling fails with "conn closed", which is the shutdown,
	// not a fault (and it made every CLI command end with two ERROR lines).
	stopping func() bool
}

func (l wmLogger) Error(msg string, err error, fields watermill.LogFields) {
	level := slog.LevelError
	if errors.Is(err, context.Canceled) || (l.stopping != nil && l.stopping()) {
		level = slog.LevelDebug // shutting down, or a page abandoned on purpose
	}
	l.log.LogAttrs(context.Background(), level, msg, append(attrs(fields), slog.Any("err", err))...)
}

func (l wmLogger) Info(msg string, fields watermill.LogFields) {
	l.log.LogAttrs(context.Background(), slog.LevelDebug, msg, attrs(fields)...)
}

func (l wmLogger) Debug(string, watermill.LogFields) {}

func (l wmLogger) Trace(string, watermill.LogFields) {}

func (l wmLogger) With(watermill.LogFields) watermill.LoggerAdapter { return l }

func attrs(fields watermill.LogFields) []slog.Attr {
	out := make([]slog.Attr, 0, len(fields))
	for k, v := range fields {
		out = append(out, slog.Any(k, v))
	}
	return out
}
