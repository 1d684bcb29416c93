// Command pfn is the Plugin Federation Network node.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
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
  pfn node rotate-key
                replace the node's signing key, keeping the old public key
                so its signatures still verify; restart the node to use it
  pfn follow [-once] [-after CURSOR] [-dir DIR] URL
                follow a node's change feed: download every new version
                into DIR and verify it against keys pinned at first use
  pfn log watch [-once] [-interval D] [-state FILE] [-key VKEY] URL
                check a node's transparency log: each new checkpoint
                extends the last verified, each new entry is in its tree
  pfn version   print the version

Configuration comes from the environment (PFN_*); every command accepts
-h for its flags, which override the environment (pfn follow and pfn log
watch read no PFN_ variable).
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
		return serveCommand(ctx, getenv, fs, args, stderr)
	case "migrate":
		return migrateCommand(ctx, getenv, fs, args, stderr)
	case "admin":
		return adminCommand(ctx, getenv, fs, args, stdout, stderr)
	case "node":
		return nodeCommand(getenv, fs, args, stdout, stderr)
	case "follow":
		return followCommand(ctx, fs, args, stdout, stderr)
	case "log":
		return logCommand(ctx, fs, args, stdout, stderr)
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}
