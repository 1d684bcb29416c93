package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/ports/httpapi"
)

// eventsStateCommand runs pfn events state: a source rebuilt from its
// events up to a moment.
func eventsStateCommand(ctx context.Context, getenv func(string) string, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	var source, at string
	fs.StringVar(&source, "source", "", "the source id (username@host)")
	fs.StringVar(&at, "at", "", "the moment, RFC 3339 (default now)")
	store, closeStore, err := cliEventStore(ctx, getenv, fs, args, stderr)
	if err != nil {
		return err
	}
	defer closeStore()
	return eventsState(ctx, postgres.SourceHistory{Store: store}, app.System(actorCLI), source, at, stdout)
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
	return json.NewEncoder(stdout).Encode(httpapi.ViewSourceStatusAt(view))
}
