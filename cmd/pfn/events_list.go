package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/ports/httpapi"
)

// eventsListCommand runs pfn events list (one page, JSON or NDJSON) and
// pfn events export (every matching event, NDJSON).
func eventsListCommand(ctx context.Context, getenv func(string) string, fs *flag.FlagSet, sub string, args []string, stdout, stderr io.Writer) error {
	var (
		source, stream, typ, actor, from, to, after, format string
		limit                                               int
	)
	fs.StringVar(&source, "source", "", "only this source's streams (source-ID, plugin-ID/…, subscription-ID/…)")
	fs.StringVar(&stream, "stream", "", "only this stream")
	fs.StringVar(&typ, "type", "", "only this event type")
	fs.StringVar(&actor, "actor", "", "only events caused by this API key id")
	fs.StringVar(&from, "from", "", "recorded at or after (RFC 3339)")
	fs.StringVar(&to, "to", "", "recorded before (RFC 3339)")
	fs.StringVar(&after, "after", "", "continue after this cursor or position")
	fs.IntVar(&limit, "limit", 0, "at most this many events (list: default 100, at most 1000)")
	if sub == "list" {
		fs.StringVar(&format, "format", "json", "json (one page) or ndjson (one event per line)")
	}
	store, closeStore, err := cliEventStore(ctx, getenv, fs, args, stderr)
	if err != nil {
		return err
	}
	defer closeStore()
	f, err := cliEventFilter(source, stream, typ, actor, from, to)
	if err != nil {
		return err
	}
	by := app.System(actorCLI)
	h := app.ListEvents{Log: postgres.EventLog{Store: store}}
	if sub == "export" || format == "ndjson" {
		if sub == "list" && limit == 0 {
			limit = app.DefaultEventLimit
		}
		return writeNDJSON(ctx, h, by, f, after, limit, stdout, stderr, sub == "list")
	}
	if format != "json" {
		return fmt.Errorf("-format %q: want json or ndjson: %w", format, domain.ErrInvalidInput)
	}
	if limit == 0 {
		limit = app.DefaultEventLimit
	}
	page, err := h.Handle(ctx, by, f, after, limit)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(httpapi.ViewEventPage(page))
}

func cliEventFilter(source, stream, typ, actor, from, to string) (app.EventFilter, error) {
	f := app.EventFilter{Stream: stream, Type: typ, Actor: actor}
	if source != "" {
		id, err := domain.ParseSourceID(source)
		if err != nil {
			return f, fmt.Errorf("-source: %w", err)
		}
		f.Source = id
	}
	var err error
	if f.From, err = cliTime("-from", from); err != nil {
		return f, err
	}
	f.To, err = cliTime("-to", to)
	return f, err
}

// writeNDJSON writes the events one per line. A one-page list tells on
// stderr where to continue; an export has no next page.
func writeNDJSON(ctx context.Context, h app.ListEvents, by app.Principal, f app.EventFilter, after string, limit int,
	stdout, stderr io.Writer, onePage bool) error {
	enc := json.NewEncoder(stdout)
	if onePage {
		page, err := h.Handle(ctx, by, f, after, limit)
		if err != nil {
			return err
		}
		for _, e := range page.Events {
			if err := enc.Encode(httpapi.ViewAuditEvent(e)); err != nil {
				return err
			}
		}
		if page.Next != "" {
			fmt.Fprintln(stderr, "next:", page.Next)
		}
		return nil
	}
	return h.Export(ctx, by, f, after, limit, func(events []app.AuditEvent) error {
		for _, e := range events {
			if err := enc.Encode(httpapi.ViewAuditEvent(e)); err != nil {
				return err
			}
		}
		return nil
	})
}
