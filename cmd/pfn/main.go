// Command pfn is the Plugin Federation Network node.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/pfn-network/pfn/eventstore"
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "dev"

const usage = `pfn: the Plugin Federation Network node

Usage:
  pfn serve     run the node: migrate, then serve the API (default)
  pfn migrate   apply database migrations and exit
  pfn admin create-key [-role admin|consumer] [-description TEXT]
                create an API key directly in the database and print it
                (bootstraps the first admin key)
  pfn events list|export|state|restamp
                the event log: list or export it (filters as GET
                /federation/events), rebuild a source as of a time,
                restamp it after a move to another cluster ("pfn events" for more)
  pfn projections status|rebuild [-all] [NAME...]
                each projection's position and lag; rebuild projections
                into fresh tables and swap them in, beside a live node
  pfn version   print the version

Configuration comes from the environment (PFN_*); every command accepts
-h for its flags, which override the environment.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "pfn:", err)
		stop()
		os.Exit(1)
	}
}

// run is main without the process: tests call it with their own environment
// and context. Asking for help (-h) is not an error.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	ctx = eventstore.WithActor(ctx, actorCLI)
	err := dispatch(ctx, args, getenv, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

func dispatch(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("pfn "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	switch cmd {
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "pfn", version)
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	case "events":
		return eventsCommand(ctx, getenv, fs, args, stdout, stderr)
	case "projections":
		return projectionsCommand(ctx, getenv, fs, args, stdout, stderr)
	case "serve":
		setUsage(fs, "pfn serve [flags]", "Migrate the database, then serve the API, the admin page and the scheduler until SIGINT or SIGTERM.")
		cfg, err := commandConfig(getenv, fs, args, allFlags)
		if err != nil {
			return err
		}
		return serve(ctx, cfg, newLogger(cfg, stderr))
	case "migrate":
		setUsage(fs, "pfn migrate [flags]", "Apply pending database migrations and exit; prints nothing when there were none.")
		cfg, err := commandConfig(getenv, fs, args, databaseFlags|logFlags)
		if err != nil {
			return err
		}
		return migrate(ctx, cfg, newLogger(cfg, stderr))
	case "admin":
		if len(args) > 0 && isHelp(args[0]) {
			fmt.Fprint(stdout, usage)
			return nil
		}
		if len(args) == 0 || args[0] != "create-key" {
			fmt.Fprint(stderr, usage)
			return fmt.Errorf("admin: want the subcommand create-key")
		}
		fs.Init("pfn admin create-key", flag.ContinueOnError)
		setUsage(fs, "pfn admin create-key [flags]", "Create an API key straight in the database and print it once, as JSON\n(how the first admin key is made on a node without PFN_MASTER_KEY).")
		roleName := fs.String("role", "admin", "admin or consumer")
		description := fs.String("description", "created with pfn admin create-key", "what the key is for")
		cfg, err := commandConfig(getenv, fs, args[1:], databaseFlags|logFlags)
		if err != nil {
			return err
		}
		return adminCreateKey(ctx, cfg, newLogger(cfg, stderr), *roleName, *description, stdout)
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

// commandConfig loads the configuration with the command's flags and
// refuses arguments left after them.
func commandConfig(getenv func(string) string, fs *flag.FlagSet, args []string, show flagGroup) (Config, error) {
	cfg, rest, err := loadConfigFlags(getenv, fs, args, show)
	if err != nil {
		return cfg, err
	}
	if len(rest) > 0 {
		return cfg, fmt.Errorf("%s: unexpected arguments %q", fs.Name(), rest)
	}
	return cfg, nil
}

// setUsage makes -h print what the command does and its own flags.
func setUsage(fs *flag.FlagSet, synopsis, what string) {
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: %s\n\n%s\n\nFlags (a flag wins over the PFN_ variable named beside it):\n", synopsis, what)
		fs.PrintDefaults()
	}
}

func isHelp(arg string) bool {
	return arg == "help" || arg == "-h" || arg == "-help" || arg == "--help"
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
