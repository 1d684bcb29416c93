package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/pfn-network/pfn/eventstore"
)

// projectionsStatusCommand runs pfn projections status: no flags of its own.
func projectionsStatusCommand(ctx context.Context, getenv func(string) string, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	cfg, rest, err := loadConfigFlags(getenv, fs, args, databaseFlags|logFlags)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("projections status: unexpected arguments %q", rest)
	}
	pool, n, err := wireProjections(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer pool.Close()
	st, err := n.runner.Status(ctx)
	if err != nil {
		return err
	}
	return printStatus(stdout, st)
}

func printStatus(w io.Writer, st []eventstore.ProjectionStatus) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROJECTION\tPOSITION\tTRANSACTION\tHEAD\tLAG\tPOISONED")
	for _, s := range st {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\n", s.Name, s.Position.GlobalPosition, s.Position.TransactionID,
			s.Head.GlobalPosition, s.Lag, s.Poisoned)
	}
	return tw.Flush()
}
