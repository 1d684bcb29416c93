package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

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

// eventsCommand runs pfn events SUB: each subcommand's flags and run are
// in its own file (events_list.go, events_state.go, events_restamp.go).
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
	switch sub {
	case "list", "export":
		return eventsListCommand(ctx, getenv, fs, sub, args, stdout, stderr)
	case "state":
		return eventsStateCommand(ctx, getenv, fs, args, stdout, stderr)
	case "restamp":
		return eventsRestampCommand(ctx, getenv, fs, args, stdout)
	default:
		fmt.Fprint(stderr, eventsUsage)
		return fmt.Errorf("events: unknown subcommand %q", sub)
	}
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

// cliEventStore loads the configuration of a subcommand that reads the log
// (database and log flags beside its own), migrates and opens the store;
// closeStore closes its pool.
func cliEventStore(ctx context.Context, getenv func(string) string, fs *flag.FlagSet, args []string, stderr io.Writer) (store *eventstore.Store, closeStore func(), err error) {
	cfg, err := commandConfig(getenv, fs, args, databaseFlags|logFlags)
	if err != nil {
		return nil, nil, err
	}
	pool, err := openDatabase(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return nil, nil, err
	}
	return eventstore.New(pool), pool.Close, nil
}
