-- Listing entries a sync refused before downloading anything (a slug such
-- as "../x", a field over its cap, a malformed entry), as source status
-- shows them: how many are on record and the latest, with its reason.
-- Numbered 0008, not 0005, to leave room for migrations being written on
-- other branches at the same time.
ALTER TABLE sources
    ADD COLUMN refused_entries integer NOT NULL DEFAULT 0,
    ADD COLUMN last_refusal    text    NOT NULL DEFAULT '',
    ADD COLUMN last_refusal_at timestamptz;
