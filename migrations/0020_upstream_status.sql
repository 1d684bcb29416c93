-- What an upstream PFN node last said of a source it serves (#15 item 2):
-- 'quarantined' or 'removed' withholds the source's plugins here, with the
-- upstream's reason; '' otherwise. Written by the sources projection from
-- source.upstream_status_changed; no source had an upstream status before.
ALTER TABLE sources
    ADD COLUMN upstream_status text NOT NULL DEFAULT '',
    ADD COLUMN upstream_reason text NOT NULL DEFAULT '';
