-- An admin's removal of a source (#14): why, by whom, when, and whether
-- files of the removal are still to delete (the sweep finishes those).
-- incarnation counts the registrations of the publisher: a source added
-- again after its removal is the next one. Written by the sources
-- projection from source.registered, source.removed and
-- source.files_deleted; every source registered before is its first
-- incarnation, and none was removed (the event type is new).
ALTER TABLE sources
    ADD COLUMN incarnation   integer NOT NULL DEFAULT 1,
    ADD COLUMN removed_at    timestamptz,
    ADD COLUMN removal_reason text    NOT NULL DEFAULT '',
    ADD COLUMN removed_by    text    NOT NULL DEFAULT '',
    ADD COLUMN files_pending integer NOT NULL DEFAULT 0;
