-- An admin's suspension of a source (#14): why, by whom, since when, and
-- whether its plugins are quarantined (no longer served). Written by the
-- sources projection from source.suspended and source.resumed events, new
-- event types: no existing node holds any, so nothing is filled from the
-- log. Numbered 0013: 0012 is being written on another branch.
ALTER TABLE sources
    ADD COLUMN suspended_at      timestamptz,
    ADD COLUMN suspension_reason text    NOT NULL DEFAULT '',
    ADD COLUMN suspended_by      text    NOT NULL DEFAULT '',
    ADD COLUMN quarantined       boolean NOT NULL DEFAULT false;
