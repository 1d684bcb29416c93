package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/migrations"
)

func migrate(ctx context.Context, cfg Config, log *slog.Logger) error {
	pool, err := connect(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	return applyMigrations(ctx, pool, log)
}

func applyMigrations(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	n, err := migrations.Apply(ctx, pool)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	log.Info("database schema is current", "migrations_applied", n)
	return nil
}
