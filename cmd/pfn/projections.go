package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5/pgxpool"
)

const projectionsUsage = `pfn projections status
        each projection's position, the head of the log, the lag between
        them in events, and how many events it skipped as poisoned
pfn projections rebuild [-all] [NAME...]
        replay the log into fresh tables while the live ones keep serving,
        then swap them in (a running pfn serve may stay up)
`

// projectionsCommand runs "pfn projections status|rebuild"; each
// subcommand's flags and run are in its own file (projections_status.go,
// projections_rebuild.go).
func projectionsCommand(ctx context.Context, getenv func(string) string, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprint(stdout, projectionsUsage)
		return nil
	}
	if len(args) == 0 || (args[0] != "status" && args[0] != "rebuild") {
		fmt.Fprint(stderr, projectionsUsage)
		return errors.New("projections: want the subcommand status or rebuild")
	}
	sub, args := args[0], args[1:]
	fs.Init("pfn projections "+sub, flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), projectionsUsage+"\nFlags:\n"); fs.PrintDefaults() }
	if sub == "status" {
		return projectionsStatusCommand(ctx, getenv, fs, args, stdout, stderr)
	}
	return projectionsRebuildCommand(ctx, getenv, fs, args, stdout, stderr)
}

// wireProjections opens the database and wires the node, for the same
// projections pfn serve runs. The caller closes the pool.
func wireProjections(ctx context.Context, cfg Config, stderr io.Writer) (*pgxpool.Pool, *node, error) {
	log := newLogger(cfg, stderr)
	pool, err := openDatabase(ctx, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	n, err := wire(ctx, cfg, log, pool)
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	return pool, n, nil
}
