-- Yanked versions (issue #14 item 3): an admin pulled the version from
-- service; downloads answer 410 with the reason and listings leave it out
-- unless include_yanked=true. NULL/'' while it is served. Written by the
-- mirrored_plugins projection from plugin.yanked and plugin.unyanked.
ALTER TABLE mirrored_plugins
    ADD COLUMN yanked_at   timestamptz,
    ADD COLUMN yank_reason text NOT NULL DEFAULT '';
