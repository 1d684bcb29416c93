-- The activity feed keeps what the original network's clients read of a
-- version update or a verification (issue #12): the plugin's name, the
-- versions before and after, the source's username. NULL where an entry
-- has no such thing (a verification names no plugin).
ALTER TABLE activity
    ADD COLUMN IF NOT EXISTS source_username text NOT NULL DEFAULT '',
    ADD COLUMN IF NOT EXISTS plugin_name     text,
    ADD COLUMN IF NOT EXISTS old_version     text,
    ADD COLUMN IF NOT EXISTS new_version     text;

-- The activity projection's own memory of the plugins it has seen mirrored
-- (a first mirror is a version update from "0.0.0"; a later update names
-- the plugin as last mirrored). Its own table, not mirrored_plugins: the
-- two projections stand at different positions, and a rebuild of the
-- feed rebuilds this with it.
CREATE TABLE IF NOT EXISTS activity_plugins (
    source_id text NOT NULL,
    plugin    text NOT NULL,
    name      text NOT NULL,
    PRIMARY KEY (source_id, plugin)
);

-- Existing nodes: the entries already in the feed were written without
-- these columns, and only the log knows them. Replay the activity
-- projection from the start (what Runner.Replay does): the node's consumer
-- refills the feed from the log after this migration. Re-runnable (IF NOT
-- EXISTS above) so a test can apply it to a migrated database.
TRUNCATE activity, activity_plugins RESTART IDENTITY;
DELETE FROM poisoned_events WHERE consumer_group = 'activity';
UPDATE event_consumer_offsets SET offset_acked = 0, last_processed_transaction_id = '0'
    WHERE consumer_group = 'activity';
