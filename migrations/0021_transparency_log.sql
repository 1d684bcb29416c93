-- The node's transparency log (issue #16): one leaf per v2 federation
-- statement the node signed (plugin.mirrored with a federation_signature_v2),
-- in the order the projection applies the log (its gap-free
-- (transaction_id, global_position) order). idx is the leaf's 0-based index:
-- the projection takes the previous largest plus one in its own
-- transaction, so a rebuild numbers every leaf the same and the tree hashes
-- come out hash for hash. entry is the exact statement bytes the signature
-- covers (the tlog record).
CREATE TABLE transparency_log (
    idx         bigint      PRIMARY KEY,
    event_id    uuid        NOT NULL UNIQUE,
    source_id   text        NOT NULL,
    plugin      text        NOT NULL,
    version     text        NOT NULL,
    node_key_id text        NOT NULL,
    signature   text        NOT NULL,
    entry       bytea       NOT NULL,
    at          timestamptz NOT NULL
);
-- A version's latest leaf (PluginView.LogIndex, the bundle).
CREATE INDEX transparency_log_by_version ON transparency_log (source_id, plugin, version, idx);

-- The tree's stored hashes, numbered as golang.org/x/mod/sumdb/tlog numbers
-- them (tlog.StoredHashIndex): written once each, never changed.
CREATE TABLE transparency_log_hashes (
    id   bigint PRIMARY KEY,
    hash bytea  NOT NULL
);
