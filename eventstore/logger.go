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
}

func (l wmLogger) Error(msg string, err error, fields watermill.LogFields) {
	level := slog.LevelError
	if errors.Is(err, context.Canceled) {
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
