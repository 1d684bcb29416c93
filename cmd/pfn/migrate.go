package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/migrations"
)

// migrateCommand runs pfn migrate: only the database and log flags.
func migrateCommand(ctx context.Context, getenv func(string) string, fs *flag.FlagSet, args []string, stderr io.Writer) error {
	setUsage(fs, "pfn migrate [flags]", "Apply pending database migrations and exit; prints nothing when there were none.")
	cfg, err := commandConfig(getenv, fs, args, databaseFlags|logFlags)
	if err != nil {
		return err
	}
	return migrate(ctx, cfg, newLogger(cfg, stderr))
}

func migrate(ctx context.Context, cfg Config, log *slog.Logger) error {
	pool, err := openDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	pool.Close()
	return nil
}

// openDatabase connects (creating the database when missing) and brings its
// schema up to date.
func openDatabase(ctx context.Context, cfg Config, log *slog.Logger) (*pgxpool.Pool, error) {
	pool, err := connect(ctx, cfg.DatabaseURL, cfg.Limits.DBMaxConns)
	if err != nil {
		return nil, err
	}
	n, err := migrations.Apply(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	// Routine commands migrate first; only a change is worth a line.
	if n > 0 {
		log.Info("database migrated", "migrations_applied", n)
	}
	return pool, nil
}
