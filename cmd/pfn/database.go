package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// redactURL hides the password of a database URL for messages and logs.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

// rootCause is the innermost error: for a refused connection, "connection
// refused" rather than three layers of driver context repeated for every
// address and TLS mode the driver tried (it joins those; the last is kept).
func rootCause(err error) error {
	for {
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			next := u.Unwrap()
			if next == nil {
				return err
			}
			err = next
		case interface{ Unwrap() []error }:
			errs := u.Unwrap()
			if len(errs) == 0 {
				return err
			}
			err = errs[len(errs)-1]
		default:
			return err
		}
	}
}

// connect opens a pool of at most maxConns connections (PFN_DB_MAX_CONNS;
// 0 keeps pgx's default) on the configured database, creating the database
// when the server is there but the database is not. Its errors are one line
// that names the URL tried (password hidden) and the variable to change.
func connect(ctx context.Context, rawURL string, maxConns int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("PFN_DATABASE_URL is not a valid PostgreSQL URL (%s): %v", redactURL(rawURL), rootCause(err))
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = dbConnectTimeout
	}
	// A connection idle for a second is pinged before it is handed out; with
	// no timeout that ping waits as long as a stalled server does, and so does
	// every caller without a deadline of its own.
	if cfg.PingTimeout == 0 {
		cfg.PingTimeout = dbPingTimeout
	}
	// A consumer's batch transaction holds back every other consumer while it
	// is open; never let an abandoned one linger.
	cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"] = strconv.FormatInt(dbIdleInTransactionLimit.Milliseconds(), 10)
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	// Waiting for a free connection ends with the caller's context (every
	// request, job and API sync has a deadline); the ping bound above keeps a
	// connection that stopped answering from stretching that wait.
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("cannot use PostgreSQL at %s: %v (set PFN_DATABASE_URL)", redactURL(rawURL), rootCause(err))
	}
	err = pool.Ping(ctx)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "3D000" { // invalid_catalog_name: no such database
		if err = createDatabase(ctx, cfg.ConnConfig); err == nil {
			err = pool.Ping(ctx)
		}
	}
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("cannot reach PostgreSQL at %s: %v (set PFN_DATABASE_URL)", redactURL(rawURL), rootCause(err))
	}
	return pool, nil
}

func createDatabase(ctx context.Context, target *pgx.ConnConfig) error {
	admin := target.Copy()
	admin.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, admin)
	if err != nil {
		return fmt.Errorf("database %q does not exist and the server's postgres database is unreachable to create it: %w", target.Database, err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{target.Database}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // created meanwhile by another node
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database %q: %w", target.Database, err)
	}
	return nil
}
