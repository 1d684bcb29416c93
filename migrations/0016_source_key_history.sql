-- A source's key history (#14, publisher key rotation): every key it had,
-- when it was its key, and how it became it. Written by the sources
-- projection from source.registered and source.key_rotated. Existing
-- sources have had one key since their registration: filled from the
-- sources table, as a replay of their source.registered events would.
-- The key id is the first 16 hex digits of the SHA-256 of the raw key
-- (domain.KeyID).
CREATE TABLE source_keys (
    source_id   text        NOT NULL,
    key_id      text        NOT NULL,
    public_key  text        NOT NULL, -- raw 32-byte key, base64
    valid_from  timestamptz NOT NULL,
    valid_until timestamptz,          -- NULL for the current key
    rotated_by  text        NOT NULL,
    PRIMARY KEY (source_id, key_id)
);

-- The shared-key check (app/source_key_holders.go) looks keys up, former
-- ones included.
CREATE INDEX source_keys_public_key ON source_keys (public_key);

INSERT INTO source_keys (source_id, key_id, public_key, valid_from, rotated_by)
SELECT id, left(encode(sha256(decode(public_key, 'base64')), 'hex'), 16), public_key,
       to_timestamp(created_at), 'registration'
FROM sources;
