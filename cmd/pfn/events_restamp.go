package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"

	"github.com/pfn-network/pfn/eventstore"
)

// eventsRestampCommand runs pfn events restamp. It logs nothing, so it
// offers only the database flag.
func eventsRestampCommand(ctx context.Context, getenv func(string) string, fs *flag.FlagSet, args []string, stdout io.Writer) error {
	var dryRun, force bool
	fs.BoolVar(&dryRun, "dry-run", false, "report what would change, change nothing")
	fs.BoolVar(&force, "force", false, "run although other sessions are connected to the database")
	cfg, err := commandConfig(getenv, fs, args, databaseFlags)
	if err != nil {
		return err
	}
	return eventsRestamp(ctx, cfg, eventstore.RestampOptions{DryRun: dryRun, AllowOtherSessions: force}, stdout)
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
