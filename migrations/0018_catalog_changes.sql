-- The change feed (GET /federation/changes, issue #15): one row per
-- catalogue change, in the order the log commits them. seq is the feed's
-- cursor. The projection assigns it (the previous largest plus one, in its
-- own transaction, which applies the log in its gap-free
-- (transaction_id, global_position) order): a sequence would leave holes
-- where a retried statement rolled back, and a rebuild would not give the
-- same numbers. A node that already has a log fills this table from it
-- when its consumer starts (no checkpoint yet: from position zero).
CREATE TABLE catalog_changes (
    seq       bigint      PRIMARY KEY,
    event_id  uuid        NOT NULL UNIQUE,
    kind      text        NOT NULL,
    source_id text        NOT NULL,
    plugin    text        NOT NULL DEFAULT '',
    version   text        NOT NULL DEFAULT '',
    sha256    text        NOT NULL DEFAULT '',
    size      bigint      NOT NULL DEFAULT 0,
    reason    text        NOT NULL DEFAULT '',
    at        timestamptz NOT NULL
);
CREATE INDEX catalog_changes_by_source ON catalog_changes (source_id, seq);

-- The bytes of each version as last mirrored, so that a yank, an update or
-- a pruning names them too. Looked up by its key while the projection
-- applies (a rebuild adds plain indexes only after its replay).
CREATE TABLE catalog_change_versions (
    source_id text   NOT NULL,
    plugin    text   NOT NULL,
    version   text   NOT NULL,
    sha256    text   NOT NULL,
    size      bigint NOT NULL,
    PRIMARY KEY (source_id, plugin, version)
);
