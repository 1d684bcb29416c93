-- Read models of subscriptions and mirrored plugins, written only by their
-- projections. The original network's columns come first (times in unix
-- seconds); foreign keys are left out because each table is rebuilt by its
-- own projection, in its own order.

CREATE TABLE subscriptions (
    id          bigserial   PRIMARY KEY,
    source_id   text        NOT NULL,
    subscriber  text        NOT NULL,
    filters     jsonb       NOT NULL DEFAULT '{}',
    created_at  bigint      NOT NULL,
    updated_at  timestamptz NOT NULL,
    UNIQUE (source_id, subscriber)
);

CREATE TABLE mirrored_plugins (
    id                   bigserial   PRIMARY KEY,
    plugin_id            text        NOT NULL,
    source_id            text        NOT NULL,
    name                 text        NOT NULL,
    version              text        NOT NULL,
    description          text,
    local_path           text        NOT NULL,
    signature            text        NOT NULL,
    mirror_date          bigint      NOT NULL,
    sha256               text        NOT NULL,
    size                 bigint      NOT NULL,
    federation_signature text        NOT NULL,
    node_key_id          text        NOT NULL,
    tags                 jsonb       NOT NULL DEFAULT '[]',
    mirrored_at          timestamptz NOT NULL,
    UNIQUE (plugin_id, source_id, version)
);
CREATE INDEX mirrored_plugins_by_source ON mirrored_plugins (source_id, plugin_id);

-- What went wrong with listed plugin versions: rejections, tampering,
-- rollbacks; the latest word per kind.
CREATE TABLE plugin_problems (
    source_id text        NOT NULL,
    plugin_id text        NOT NULL,
    version   text        NOT NULL,
    kind      text        NOT NULL,
    detail    text        NOT NULL,
    at        timestamptz NOT NULL,
    PRIMARY KEY (source_id, plugin_id, version, kind)
);
