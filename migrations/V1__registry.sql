-- Marque's registry in PostgreSQL.
--
-- Every write runs in one transaction that locks registry_head, takes the next
-- revision, appends its change event and updates the current state. Revisions
-- are therefore gap-free and commit-ordered: a replica that reads events with
-- revision > its own can never skip one that commits late.

-- The head revision: one row, locked by every write.
CREATE TABLE registry_head (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    revision bigint NOT NULL CHECK (revision >= 0)
);
INSERT INTO registry_head (singleton, revision) VALUES (true, 0);

-- The change feed: one immutable row per revision.
CREATE TABLE change_events (
    revision bigint PRIMARY KEY CHECK (revision > 0),
    committed_at timestamptz NOT NULL,
    -- `system` for the server's own writes (seed, bootstrap key).
    actor_member text NOT NULL,
    actor_key text,
    request_id text,
    -- Brands the event touches, for audit queries by brand.
    brands text[] NOT NULL DEFAULT '{}',
    -- The event exactly as replicas apply it (JSON, deterministic field order).
    event bytea NOT NULL
);
CREATE UNIQUE INDEX change_events_request_id
    ON change_events (actor_member, request_id) WHERE request_id IS NOT NULL;
CREATE INDEX change_events_brands ON change_events USING gin (brands);

CREATE FUNCTION change_events_are_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'change events are immutable';
END;
$$;
CREATE TRIGGER change_events_immutable
    BEFORE UPDATE OR DELETE ON change_events
    FOR EACH ROW EXECUTE FUNCTION change_events_are_immutable();

-- The current state, one row per resource, so a replica loads the registry at
-- one revision without replaying the whole feed.
CREATE TABLE resources (
    key text PRIMARY KEY,
    kind text NOT NULL,
    brand text,
    update_revision bigint NOT NULL,
    body bytea NOT NULL
);
CREATE INDEX resources_brand ON resources (brand);
