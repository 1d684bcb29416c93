package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// adminCommand runs pfn admin create-key, the one admin subcommand; its
// -role and -description are its own, beside the database and log flags.
func adminCommand(ctx context.Context, getenv func(string) string, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
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
}

// adminCreateKey bootstraps an API key straight through the database, for
// the first admin key of a node without PFN_MASTER_KEY. It prints the key
// once, as JSON, on stdout.
func adminCreateKey(ctx context.Context, cfg Config, log *slog.Logger, roleName, description string, stdout io.Writer) error {
	role, err := domain.ParseRole(roleName)
	if err != nil {
		return err
	}
	pool, err := openDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer pool.Close()
	n, err := wire(ctx, cfg, log, pool)
	if err != nil {
		return err
	}
	// The key store returns once the api_keys read model shows the key, so
	// the projections must run meanwhile.
	defer n.runProjections(ctx)()
	k, err := n.app.CreateKey.Handle(ctx, app.System(actorCLI), role, description)
	if err != nil {
		return err
	}
	out, err := json.Marshal(map[string]string{"key": k.Key, "id": k.ID, "role": k.Role.String(),
		"description": k.Description, "created": k.Created.Format(time.RFC3339)})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, string(out))
	return err
}
