package eventstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// rebuildSchema holds the fresh tables while a rebuild fills them. Only one
// rebuild runs at a time (an advisory lock), so the name is fixed.
const rebuildSchema = "pfn_rebuild"

// TableOwner is implemented by projections that can be rebuilt: Tables names
// every table Apply writes, unqualified, as they are in the public schema.
// A rebuild fills copies of exactly these tables and swaps them in.
type TableOwner interface {
	Tables() []string
}

func qualified(schema, table string) string {
	return pgx.Identifier{schema, table}.Sanitize()
}

// createRebuildSchema makes an empty pfn_rebuild holding a copy of each
// table's definition (no rows) and an empty poisoned_events, where the
// rebuild's careful path records what it skips.
func createRebuildSchema(ctx context.Context, tx pgx.Tx, tables []string) error {
	if _, err := tx.Exec(ctx, `DROP SCHEMA IF EXISTS `+rebuildSchema+` CASCADE; CREATE SCHEMA `+rebuildSchema); err != nil {
		return fmt.Errorf("create schema %s: %w", rebuildSchema, err)
	}
	for _, t := range append([]string{"poisoned_events"}, tables...) {
		if err := cloneTable(ctx, tx, t); err != nil {
			return fmt.Errorf("copy the definition of %s: %w", t, err)
		}
	}
	return nil
}

// cloneTable creates pfn_rebuild.<table> like public.<table>: columns,
// defaults, NOT NULL and CHECK constraints, identity, generated columns,
// storage, column comments and statistics (LIKE … INCLUDING ALL), the
// table's comment (which LIKE leaves out), then the
// indexes and the primary key, unique and exclusion constraints under their
// own names (LIKE would invent new names, and the names outlive the swap:
// migrations refer to them). A serial column's default would still draw
// from the live table's sequence, so it gets a fresh sequence of the same
// name owned by the new column; it moves with the table on the swap and the
// rebuilt ids start where a replay from zero starts. Foreign keys,
// triggers and grants are not copied: the read models have none.
func cloneTable(ctx context.Context, tx pgx.Tx, table string) error {
	live, fresh := qualified("public", table), qualified(rebuildSchema, table)
	if _, err := tx.Exec(ctx, `CREATE TABLE `+fresh+` (LIKE `+live+` INCLUDING ALL EXCLUDING INDEXES)`); err != nil {
		return err
	}
	// The index definitions come back qualified as format('%I.%I') writes
	// names; an index whose definition is not rewritten fails to be created
	// (its name is taken), so a surprise fails the rebuild, not the table.
	rows, err := tx.Query(ctx, `
		SELECT format('ALTER TABLE %s ADD CONSTRAINT %I %s', $2::text, conname, pg_get_constraintdef(oid))
		FROM pg_constraint WHERE conrelid = $1::regclass AND contype IN ('p', 'u', 'x')
		UNION ALL
		SELECT format('CREATE SEQUENCE %s.%I AS %s INCREMENT %s MINVALUE %s MAXVALUE %s START %s CACHE %s %s OWNED BY %s.%I; '
		              'ALTER TABLE %s ALTER COLUMN %I SET DEFAULT nextval(%L::regclass)',
		              $3::text, s.relname, format_type(q.seqtypid, NULL), q.seqincrement, q.seqmin, q.seqmax, q.seqstart, q.seqcache,
		              CASE WHEN q.seqcycle THEN 'CYCLE' ELSE 'NO CYCLE' END, $2::text, a.attname,
		              $2::text, a.attname, format('%s.%I', $3::text, s.relname))
		FROM pg_depend d
		JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
		JOIN pg_sequence q ON q.seqrelid = s.oid
		JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
		WHERE d.classid = 'pg_class'::regclass AND d.refobjid = $1::regclass AND d.deptype = 'a'
		UNION ALL
		SELECT format('COMMENT ON TABLE %s IS %L', $2::text, obj_description($1::regclass, 'pg_class'))
		WHERE obj_description($1::regclass, 'pg_class') IS NOT NULL`,
		live, fresh, pgx.Identifier{rebuildSchema}.Sanitize())
	if err != nil {
		return err
	}
	stmts, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, s := range stmts {
		if _, err := tx.Exec(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// createPlainIndexes adds to the rebuilt tables the live tables' indexes
// that back no constraint. They come after the replay: no projection
// statement needs them (conflicts and updates go through keys), and building
// an index once over the rows costs less than maintaining it row by row.
func createPlainIndexes(ctx context.Context, tx pgx.Tx, tables []string) error {
	for _, table := range append([]string{"poisoned_events"}, tables...) {
		rows, err := tx.Query(ctx, `
			SELECT replace(pg_get_indexdef(i.indexrelid), format(' ON %I.%I USING ', 'public', $2::text),
			               format(' ON %I.%I USING ', $3::text, $2::text))
			FROM pg_index i WHERE i.indrelid = $1::regclass
			  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)`,
			qualified("public", table), table, rebuildSchema)
		if err != nil {
			return fmt.Errorf("indexes of %s: %w", table, err)
		}
		stmts, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("indexes of %s: %w", table, err)
		}
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
	}
	return nil
}

// swapTables replaces each live table with its rebuilt copy. Dropping the
// live table drops its indexes and owned sequences; SET SCHEMA moves the
// copy's indexes, constraints and owned sequences with it. The caller holds
// ACCESS EXCLUSIVE locks on the live tables and commits or rolls back the
// whole swap at once.
func swapTables(ctx context.Context, tx pgx.Tx, tables []string) error {
	for _, t := range tables {
		if _, err := tx.Exec(ctx, `DROP TABLE `+qualified("public", t)); err != nil {
			return fmt.Errorf("drop the old %s: %w", t, err)
		}
		if _, err := tx.Exec(ctx, `ALTER TABLE `+qualified(rebuildSchema, t)+` SET SCHEMA public`); err != nil {
			return fmt.Errorf("move the rebuilt %s in: %w", t, err)
		}
	}
	return nil
}
