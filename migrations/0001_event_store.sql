-- The event store: the system of record. Read models are projections of it.
--
-- transaction_id is the writer's transaction id (xid8). Consumers read only rows
-- whose transaction_id is below the oldest transaction still running, in
-- (transaction_id, global_position) order, so an event whose transaction commits
-- late is never skipped (see docs/adr/0001-event-store.md).
CREATE TABLE events (
    global_position bigserial   NOT NULL,
    transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
    event_id        uuid        NOT NULL,
    stream_id       text        NOT NULL,
    stream_version  bigint      NOT NULL CHECK (stream_version > 0),
    event_type      text        NOT NULL,
    schema_version  integer     NOT NULL DEFAULT 1 CHECK (schema_version > 0),
    payload         jsonb       NOT NULL,
    metadata        jsonb       NOT NULL DEFAULT '{}',
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (transaction_id, global_position),
    CONSTRAINT events_event_id_key UNIQUE (event_id),
    CONSTRAINT events_stream_version_key UNIQUE (stream_id, stream_version)
);

-- One row per consumer group (projection): the last event it has applied.
-- The column names are the ones watermill-sql's PostgreSQL offsets adapter uses.
CREATE TABLE event_consumer_offsets (
    consumer_group                text   NOT NULL PRIMARY KEY,
    offset_acked                  bigint NOT NULL DEFAULT 0,
    last_processed_transaction_id xid8   NOT NULL DEFAULT '0'
);

-- Events a projection gave up on after its retries. The projection moved past
-- them; this table (and the log line written at the same time) is how an
-- operator finds out.
CREATE TABLE poisoned_events (
    consumer_group  text        NOT NULL,
    global_position bigint      NOT NULL,
    transaction_id  xid8        NOT NULL,
    event_id        uuid        NOT NULL,
    event_type      text        NOT NULL,
    error           text        NOT NULL,
    attempts        integer     NOT NULL,
    poisoned_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, global_position)
);
