package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
)

const eventsUsage = `pfn events: the event log, for audits and moves

  pfn events list    [filters] [-after POS] [-limit N] [-format json|ndjson]
                     one page (default 100, at most 1000), oldest first in the
                     order projections read; JSON {"events": [...], "next": CURSOR}
                     as GET /federation/events answers, or one event per line
                     (then the next cursor goes to stderr)
  pfn events export  [filters] [-after POS] [-limit N]
                     every matching event as NDJSON on stdout (no limit unless -limit)
  pfn events state   -source ID [-at RFC3339]
                     the source rebuilt from its events recorded up to -at
                     (default now), as GET /federation/source-status?at= answers
  pfn events restamp [-dry-run] [-force]
                     after pg_dump/restore into another cluster: rewrite the
                     stored transaction ids so that commit-order reading works
                     here (docs/adr/0003-restamp.md); stop every pfn serve first

Filters: -source ID (the source's own stream and its plugin- and subscription-
streams), -stream S, -type T, -actor KEYID, -from T, -to T (RFC 3339; from
inclusive, to exclusive). -after takes a cursor ("next") or a position.
`

// eventsCommand runs pfn events SUB.
func eventsCommand(ctx context.Context, getenv func(string) string, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, eventsUsage)
		return fmt.Errorf("events: want a subcommand: list, export, state or restamp")
	}
	sub, args := args[0], args[1:]
	if isHelp(sub) {
		fmt.Fprint(stdout, eventsUsage)
		return nil
	}
	fs.Init("pfn events "+sub, flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(stderr, eventsUsage); fs.PrintDefaults() }
	var (
		source, stream, typ, actor, from, to, after, at, format string
		limit                                                   int
		dryRun, force                                           bool
	)
	switch sub {
	case "list", "export":
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
	case "state":
		fs.StringVar(&source, "source", "", "the source id (username@host)")
		fs.StringVar(&at, "at", "", "the moment, RFC 3339 (default now)")
	case "restamp":
		fs.BoolVar(&dryRun, "dry-run", false, "report what would change, change nothing")
		fs.BoolVar(&force, "force", false, "run although other sessions are connected to the database")
	default:
		fmt.Fprint(stderr, eventsUsage)
		return fmt.Errorf("events: unknown subcommand %q", sub)
	}
	show := databaseFlags | logFlags
	if sub == "restamp" { // logs nothing
		show = databaseFlags
	}
	cfg, err := commandConfig(getenv, fs, args, show)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	if sub == "restamp" {
		return eventsRestamp(ctx, cfg, eventstore.RestampOptions{DryRun: dryRun, AllowOtherSessions: force}, stdout)
	}

	pool, err := openDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer pool.Close()
	store := eventstore.New(pool)
	by := app.System(actorCLI)
	if sub == "state" {
		return eventsState(ctx, postgres.SourceHistory{Store: store}, by, source, at, stdout)
	}
	f, err := cliEventFilter(source, stream, typ, actor, from, to)
	if err != nil {
		return err
	}
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
	if page.Events == nil {
		page.Events = []app.AuditEvent{}
	}
	return json.NewEncoder(stdout).Encode(page)
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

func cliTime(name, raw string) (time.Time, error) {
	if raw == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q: want an RFC 3339 time such as 2026-11-24T09:30:00Z: %w", name, raw, domain.ErrInvalidInput)
	}
	return t, nil
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
			if err := enc.Encode(e); err != nil {
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
			if err := enc.Encode(e); err != nil {
				return err
			}
		}
		return nil
	})
}

func eventsState(ctx context.Context, history app.SourceHistory, by app.Principal, source, at string, stdout io.Writer) error {
	if source == "" {
		return fmt.Errorf("events state: -source is required: %w", domain.ErrInvalidInput)
	}
	id, err := domain.ParseSourceID(source)
	if err != nil {
		return fmt.Errorf("-source: %w", err)
	}
	when := time.Now().UTC()
	if at != "" {
		if when, err = cliTime("-at", at); err != nil {
			return err
		}
	}
	view, err := app.GetSourceStatusAt{History: history}.Handle(ctx, by, id, when)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(view)
}

// eventsRestamp runs on one plain connection, without migrating first: a
// pool would hold other sessions open, and the restored database already
// has its schema.
func eventsRestamp(ctx context.Context, cfg Config, opts eventstore.RestampOptions, stdout io.Writer) error {
	conn, err := pgx.Connect(ctx, cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("cannot reach PostgreSQL at %s: %v (set PFN_DATABASE_URL)", redactURL(cfg.DatabaseURL), rootCause(err))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	res, err := eventstore.Restamp(ctx, conn, opts)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(struct {
		eventstore.RestampResult
		Needed bool `json:"needed"`
	}{res, res.Needed()})
}
