package eventstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/migrations/pgtest"
)

// copyRebuilt is the other half of a rebuild's fair limit: writing the rows
// the rebuild wrote (its read models as they stand after it), with COPY, into
// fresh tables of the same definition (indexes and constraints included,
// durability as the rebuild's: synchronous_commit off). It returns the time
// of the COPYs and the commit; reading the rows back is not counted.
func copyRebuilt(b *testing.B, pool *pgxpool.Pool, tables []string) (time.Duration, int64) {
	ctx := pgtest.Context()
	type table struct {
		name string
		cols []string
		rows [][]any
	}
	var all []table
	for _, t := range tables {
		var cols []string
		if err := pool.QueryRow(ctx, `SELECT array_agg(column_name::text ORDER BY ordinal_position)
			FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 AND is_generated = 'NEVER'`,
			t).Scan(&cols); err != nil {
			b.Fatal(err)
		}
		quoted := make([]string, len(cols))
		for i, c := range cols {
			quoted[i] = pgx.Identifier{c}.Sanitize()
		}
		rows, err := pool.Query(ctx, `SELECT `+strings.Join(quoted, ", ")+` FROM `+pgx.Identifier{t}.Sanitize())
		if err != nil {
			b.Fatal(err)
		}
		values, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([]any, error) { return r.Values() })
		if err != nil {
			b.Fatal(err)
		}
		all = append(all, table{name: t, cols: cols, rows: values})
	}
	if _, err := pool.Exec(ctx, `DROP SCHEMA IF EXISTS bench_copy CASCADE; CREATE SCHEMA bench_copy`); err != nil {
		b.Fatal(err)
	}
	defer func() {
		if _, err := pool.Exec(ctx, `DROP SCHEMA bench_copy CASCADE`); err != nil {
			b.Fatal(err)
		}
	}()
	for _, t := range all {
		if _, err := pool.Exec(ctx, `CREATE TABLE bench_copy.`+pgx.Identifier{t.name}.Sanitize()+
			` (LIKE public.`+pgx.Identifier{t.name}.Sanitize()+` INCLUDING ALL)`); err != nil {
			b.Fatal(err)
		}
	}
	var n int64
	start := time.Now()
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			return err
		}
		for _, t := range all {
			c, err := tx.CopyFrom(ctx, pgx.Identifier{"bench_copy", t.name}, t.cols, pgx.CopyFromRows(t.rows))
			if err != nil {
				return err
			}
			n += c
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return time.Since(start), n
}
