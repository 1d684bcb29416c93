-- Node-to-node federation (#15 item 2): the node's v2 statement over a
-- mirrored version, the original publisher's key it names (base64), and the
-- upstream nodes the version came through (a JSON array of hops, first node
-- first; empty for a direct mirror). Written by the mirrored_plugins
-- projection from plugin.mirrored. Versions mirrored before this migration
-- have no v2 statement and came straight from their publisher, which is what
-- the defaults say: no rebuild is due.
ALTER TABLE mirrored_plugins
    ADD COLUMN federation_signature_v2 text  NOT NULL DEFAULT '',
    ADD COLUMN publisher_key           text  NOT NULL DEFAULT '',
    ADD COLUMN provenance              jsonb NOT NULL DEFAULT '[]';
