-- What the original node's sources rows carried and its admin page shows:
-- the outcome of the latest ownership verification ('success', or
-- 'failed: ' and the reason; '' before the first) and how many succeeded.
-- Written by the sources projection from source.ownership_verified and
-- source.ownership_verification_failed events. Numbered 0011: 0010 is
-- being written on another branch at the same time.
ALTER TABLE sources
    ADD COLUMN last_verification_result text    NOT NULL DEFAULT '',
    ADD COLUMN successful_verifications integer NOT NULL DEFAULT 0;

-- Existing nodes: fill both from the log, as a rebuild of the projection
-- would, but only from the events the projection has already applied
-- (its checkpoint); it applies the rest itself and must not count them
-- twice. No downtime, unlike truncating the table and replaying.
WITH checkpoint AS (
    SELECT coalesce((SELECT last_processed_transaction_id FROM event_consumer_offsets WHERE consumer_group = 'sources'),
                    '0'::xid8) AS xid,
           coalesce((SELECT offset_acked FROM event_consumer_offsets WHERE consumer_group = 'sources'), 0) AS pos
), verifications AS (
    SELECT substr(e.stream_id, length('source-') + 1) AS id, e.stream_version, e.event_type, e.payload
    FROM events e, checkpoint c
    WHERE e.event_type IN ('source.ownership_verified', 'source.ownership_verification_failed')
      AND e.stream_id LIKE 'source-%'
      AND (e.transaction_id, e.global_position) <= (c.xid, c.pos)
), summary AS (
    SELECT DISTINCT ON (id) id,
        CASE WHEN event_type = 'source.ownership_verified' THEN 'success'
             ELSE 'failed: ' || coalesce(payload->>'reason', '') END AS last_result,
        count(*) FILTER (WHERE event_type = 'source.ownership_verified') OVER (PARTITION BY id) AS successes
    FROM verifications
    ORDER BY id, stream_version DESC
)
UPDATE sources s SET last_verification_result = summary.last_result, successful_verifications = summary.successes
FROM summary WHERE s.id = summary.id;
