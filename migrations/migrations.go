// Package migrations holds the node's SQL schema as numbered files embedded in
// the binary, and applies them. Applying is idempotent and serialised through
// a PostgreSQL advisory lock, so several nodes starting at once do not race.
package migrations

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

//go:embed *.sql
var files embed.FS

// lockKey is an arbitrary constant shared by every PFN process; it only has to
// differ from other advisory locks taken on the same database.
const lockKey = 0x50464e4d // "PFNM"

// Migration is one numbered SQL file.
type Migration struct {
	Version  int
	Name     string
	SQL      string
	Checksum string
}

// ErrChecksumMismatch means a migration that was already applied has been
// edited since; the schema in the database no longer matches the binary.
var ErrChecksumMismatch = errors.New("applied migration was changed")

// All returns the embedded migrations in version order.
func All() ([]Migration, error) {
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		prefix, _, ok := strings.Cut(name, "_")
		if !ok || !strings.HasSuffix(name, ".sql") {
			return nil, fmt.Errorf("migration %q: name must be NNNN_description.sql", name)
		}
		v, err := strconv.Atoi(prefix)
		if err != nil {
			return nil, fmt.Errorf("migration %q: bad version: %w", name, err)
		}
		body, err := fs.ReadFile(files, name)
		if err != nil {
			return nil, fmt.Errorf("read migration %q: %w", name, err)
		}
		sum := sha256.Sum256(body)
		out = append(out, Migration{Version: v, Name: name, SQL: string(body), Checksum: hex.EncodeToString(sum[:])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("migrations %q and %q share version %d", out[i-1].Name, out[i].Name, out[i].Version)
		}
	}
	return out, nil
}

// Hash identifies the schema the embedded migrations produce (tests use it to
// reuse a migrated template database).
func Hash() (string, error) {
	all, err := All()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, m := range all {
		fmt.Fprintf(h, "%d:%s\n", m.Version, m.Checksum)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Beginner is what Apply needs of a connection or pool.
type Beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Apply runs every pending migration in one transaction and returns how many
// it applied. The advisory lock is taken before anything else, so a second
// process waits and then finds nothing left to do.
func Apply(ctx context.Context, db Beginner) (int, error) {
	all, err := All()
	if err != nil {
		return 0, err
	}
	applied := 0
	err = pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey); err != nil {
			return fmt.Errorf("take migration lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer     PRIMARY KEY,
			name       text        NOT NULL,
			checksum   text        NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		done, err := appliedChecksums(ctx, tx)
		if err != nil {
			return err
		}
		for _, m := range all {
			if sum, ok := done[m.Version]; ok {
				if sum != m.Checksum {
					return fmt.Errorf("migration %s: %w", m.Name, ErrChecksumMismatch)
				}
				continue
			}
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("apply migration %s: %w", m.Name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)`,
				m.Version, m.Name, m.Checksum); err != nil {
				return fmt.Errorf("record migration %s: %w", m.Name, err)
			}
			applied++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return applied, nil
}

// Querier is what Pending needs.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Pending returns how many embedded migrations the database has not applied.
func Pending(ctx context.Context, db Querier) (int, error) {
	all, err := All()
	if err != nil {
		return 0, err
	}
	done, err := appliedChecksums(ctx, db)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table: never migrated
		return len(all), nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range all {
		if _, ok := done[m.Version]; !ok {
			n++
		}
	}
	return n, nil
}

func appliedChecksums(ctx context.Context, db Querier) (map[int]string, error) {
	rows, err := db.Query(ctx, `SELECT version, checksum FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	done := map[int]string{}
	for rows.Next() {
		var v int
		var sum string
		if err := rows.Scan(&v, &sum); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		done[v] = sum
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	return done, nil
}
