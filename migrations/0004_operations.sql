-- Operations: health figures on the sources read model, scheduled jobs with
-- leases, and the activity feed.

-- Retention: a pruned version keeps its row and reads as gone (410).
ALTER TABLE mirrored_plugins
    ADD COLUMN pruned_at    timestamptz,
    ADD COLUMN prune_reason text NOT NULL DEFAULT '';

ALTER TABLE sources
    ADD COLUMN uptime          double precision,
    ADD COLUMN last_health_at  timestamptz,
    ADD COLUMN last_sync_error text NOT NULL DEFAULT '';

-- Scheduled work: one row per (kind, source). Not a read model and not
-- events: it is the scheduler's own bookkeeping, claimed with
-- FOR UPDATE SKIP LOCKED and a lease, so that several `pfn serve` processes
-- on one database run each job once and a process that dies mid-job lets
-- another take it when the lease expires.
CREATE TABLE jobs (
    kind        text        NOT NULL,
    source_id   text        NOT NULL,
    due_at      timestamptz NOT NULL,
    attempts    integer     NOT NULL DEFAULT 0, -- failed runs since the last success
    last_error  text        NOT NULL DEFAULT '',
    last_run_at timestamptz,
    leased_by   text,
    lease_until timestamptz,
    PRIMARY KEY (kind, source_id)
);
CREATE INDEX jobs_due ON jobs (due_at);

-- The activity feed: what admins want to see happen, newest first. seq is
-- assigned as the projection applies events, in commit order, so a cursor
-- (seq) pages without skipping or repeating when new entries arrive.
CREATE TABLE activity (
    seq       bigserial   PRIMARY KEY,
    event_id  uuid        NOT NULL UNIQUE,
    position  bigint      NOT NULL,
    at        timestamptz NOT NULL,
    kind      text        NOT NULL,
    source_id text        NOT NULL DEFAULT '',
    plugin    text        NOT NULL DEFAULT '',
    summary   text        NOT NULL
);
CREATE INDEX activity_by_source ON activity (source_id, seq);

-- Snapshots of aggregates with long streams (a source checked for a year).
-- A cache, not a record: deleting a row only makes the next load read the
-- whole stream again. schema_version changes when the state's shape does;
-- a snapshot of another shape is ignored.
CREATE TABLE snapshots (
    stream_id      text        PRIMARY KEY,
    stream_version bigint      NOT NULL,
    schema_version integer     NOT NULL,
    state          jsonb       NOT NULL,
    taken_at       timestamptz NOT NULL DEFAULT now()
);
