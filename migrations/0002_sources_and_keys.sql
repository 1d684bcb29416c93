-- Read models of sources and API keys. Both are written only by their
-- projections (adapters/postgres) and can be rebuilt from the events.

-- The original network's columns come first, with its types (times in unix
-- seconds), so that operators' queries against the original schema work.
CREATE TABLE sources (
    id                  text             PRIMARY KEY,
    instance_url        text             NOT NULL,
    username            text             NOT NULL,
    public_key          text             NOT NULL,
    status              text             NOT NULL DEFAULT 'pending',
    trust_score         double precision NOT NULL DEFAULT 0,
    created_at          bigint           NOT NULL,
    last_sync           bigint,
    asset_domain        text,
    asset_naming_scheme text,
    status_reason       text             NOT NULL DEFAULT '',
    trust_components    jsonb            NOT NULL DEFAULT '{}',
    last_verification   timestamptz,
    last_failure        text             NOT NULL DEFAULT '',
    avg_response_ms     double precision,
    health_checks       integer          NOT NULL DEFAULT 0,
    protocol_version    text             NOT NULL DEFAULT '',
    features            jsonb            NOT NULL DEFAULT '[]',
    plugin_count        integer          NOT NULL DEFAULT 0,
    subscriber_count    integer          NOT NULL DEFAULT 0,
    added_by            text             NOT NULL DEFAULT '',
    updated_at          timestamptz      NOT NULL,
    UNIQUE (instance_url, username)
);

-- Only the SHA-256 of a key's secret part is kept.
CREATE TABLE api_keys (
    id          text        PRIMARY KEY,
    role        text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    hash        text        NOT NULL,
    created_at  timestamptz NOT NULL,
    created_by  text        NOT NULL,
    revoked_at  timestamptz,
    revoked_by  text
);
