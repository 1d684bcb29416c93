package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// Jobs is the scheduler's queue in the jobs table. Times come from the
// database's clock, so processes on hosts with different clocks agree on
// what is due and when a lease ends.
type Jobs struct{ Pool *pgxpool.Pool }

func seconds(d time.Duration) float64 { return d.Seconds() }

func (q Jobs) Plan(ctx context.Context, first map[app.JobKind]time.Duration) error {
	_, err := q.Pool.Exec(ctx, `
		WITH eligible AS (
			SELECT s.id, k.kind FROM sources s
			CROSS JOIN (VALUES ('health'), ('sync'), ('reverify'), ('recheck')) AS k(kind)
			WHERE s.status IN ('verified', 'error') AND (k.kind NOT IN ('sync', 'recheck') OR s.subscriber_count > 0)
		), added AS (
			INSERT INTO jobs (kind, source_id, due_at)
			SELECT kind, id, now() + CASE kind WHEN 'health' THEN $1::float8 WHEN 'sync' THEN $2::float8
				WHEN 'reverify' THEN $3::float8 ELSE $4::float8 END * interval '1 second'
			FROM eligible
			ON CONFLICT (kind, source_id) DO NOTHING
		)
		DELETE FROM jobs j
		WHERE (j.lease_until IS NULL OR j.lease_until < now())
		  AND NOT EXISTS (SELECT 1 FROM eligible e WHERE e.id = j.source_id AND e.kind = j.kind)`,
		seconds(first[app.JobHealth]), seconds(first[app.JobSync]), seconds(first[app.JobReverify]), seconds(first[app.JobRecheck]))
	if err != nil {
		return fmt.Errorf("plan jobs: %w", err)
	}
	return nil
}

func (q Jobs) Claim(ctx context.Context, owner string, lease time.Duration, limit int, kinds []app.JobKind) ([]app.Job, error) {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = string(k)
	}
	rows, err := q.Pool.Query(ctx, `
		UPDATE jobs j SET leased_by = $1, lease_until = now() + $2::float8 * interval '1 second',
			due_at = CASE WHEN j.due_at = `+requestedSQL+` THEN now() ELSE j.due_at END
		FROM (SELECT kind, source_id FROM jobs
		      WHERE due_at <= now() AND (lease_until IS NULL OR lease_until < now()) AND kind = ANY($4)
		      ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED) due
		WHERE j.kind = due.kind AND j.source_id = due.source_id
		RETURNING j.kind, j.source_id, j.attempts`, owner, seconds(lease), limit, names)
	if err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	defer rows.Close()
	var out []app.Job
	for rows.Next() {
		var j app.Job
		var kind, source string
		if err := rows.Scan(&kind, &source, &j.Attempts); err != nil {
			return nil, fmt.Errorf("claim jobs: %w", err)
		}
		j.Kind, j.Source = app.JobKind(kind), domain.SourceID(source)
		out = append(out, j)
	}
	return out, rows.Err()
}

func (q Jobs) Extend(ctx context.Context, j app.Job, owner string, lease time.Duration) error {
	tag, err := q.Pool.Exec(ctx, `UPDATE jobs SET lease_until = now() + $4::float8 * interval '1 second'
		WHERE kind = $1 AND source_id = $2 AND leased_by = $3`, string(j.Kind), string(j.Source), owner, seconds(lease))
	if err != nil {
		return fmt.Errorf("extend lease of %s %s: %w", j.Kind, j.Source, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("lease of %s %s is no longer held by %s: %w", j.Kind, j.Source, owner, domain.ErrConflict)
	}
	return nil
}

func (q Jobs) Finish(ctx context.Context, j app.Job, owner string, next time.Duration, attempts int, lastError string) error {
	_, err := q.Pool.Exec(ctx, `UPDATE jobs SET due_at = CASE WHEN due_at = `+requestedSQL+` THEN now() ELSE now() + $4::float8 * interval '1 second' END, attempts = $5,
		last_error = $6, last_run_at = now(), leased_by = NULL, lease_until = NULL
		WHERE kind = $1 AND source_id = $2 AND leased_by = $3`,
		string(j.Kind), string(j.Source), owner, seconds(next), attempts, lastError)
	if err != nil {
		return fmt.Errorf("finish %s %s: %w", j.Kind, j.Source, err)
	}
	return nil
}

func (q Jobs) Release(ctx context.Context, j app.Job, owner string) error {
	_, err := q.Pool.Exec(ctx, `UPDATE jobs SET leased_by = NULL, lease_until = NULL
		WHERE kind = $1 AND source_id = $2 AND leased_by = $3`, string(j.Kind), string(j.Source), owner)
	if err != nil {
		return fmt.Errorf("release %s %s: %w", j.Kind, j.Source, err)
	}
	return nil
}

func (q Jobs) ReleaseAllBut(ctx context.Context, owner string, running []app.Job) error {
	kinds, sources := make([]string, len(running)), make([]string, len(running))
	for i, j := range running {
		kinds[i], sources[i] = string(j.Kind), string(j.Source)
	}
	_, err := q.Pool.Exec(ctx, `UPDATE jobs SET leased_by = NULL, lease_until = NULL
		WHERE leased_by = $1 AND (kind, source_id) NOT IN (SELECT * FROM unnest($2::text[], $3::text[]))`,
		owner, kinds, sources)
	if err != nil {
		return fmt.Errorf("release stray leases of %s: %w", owner, err)
	}
	return nil
}
