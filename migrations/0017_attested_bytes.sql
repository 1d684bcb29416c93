-- Bytes the publisher vouches for (#14 item 6): the publisher's verified
-- signature_v2 of a mirrored version ('' for v1) and who attests its bytes,
-- 'publisher' or 'node'. Written by the mirrored_plugins projection from
-- plugin.mirrored (schema v2). Every version mirrored before this migration
-- was mirrored without signature_v2, so the defaults are what its events
-- say (their upcaster reads them as attested by the node): no rebuild is due.
ALTER TABLE mirrored_plugins
    ADD COLUMN signature_v2      text NOT NULL DEFAULT '',
    ADD COLUMN bytes_attested_by text NOT NULL DEFAULT 'node';
