-- The remembered verdict on the node's own stored copy of each mirrored
-- version, as the recheck job last found it: '' while the copy is the
-- recorded bytes, else what was found ("missing: …" or the measured sha256
-- and size) and when. GET /federation/verify answers it without reading
-- the file; downloads of a damaged copy are refused. Written by the
-- mirrored_plugins projection from plugin.stored_copy_damaged and
-- plugin.stored_copy_restored events.
ALTER TABLE mirrored_plugins
    ADD COLUMN copy_damage    text NOT NULL DEFAULT '',
    ADD COLUMN copy_damage_at timestamptz;
