-- An upstream PFN node's transparency log as this node watches it (#16):
-- the log origin the node announces ('' when none), the signed checkpoint
-- the last sync verified ('' before the first, and after an admin accepted
-- a fault), and the inconsistency in force (log_fault_kind
-- NULL when none). Written by the sources projection from
-- source.publisher_info_refreshed, source.synced, source.log_inconsistent
-- and source.log_accepted; no source had any of it before.
ALTER TABLE sources
    ADD COLUMN log_origin text NOT NULL DEFAULT '',
    ADD COLUMN upstream_log text NOT NULL DEFAULT '',
    ADD COLUMN log_fault_kind text,
    ADD COLUMN log_fault_reason text NOT NULL DEFAULT '',
    ADD COLUMN log_fault_offered text NOT NULL DEFAULT '',
    ADD COLUMN log_fault_at timestamptz;
