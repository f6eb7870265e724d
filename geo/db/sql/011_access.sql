-- Who may do what: users and their sign-in sessions, jurisdiction for API tokens, an audit of
-- views of sensitive records, and row-level security on everything that belongs to a place.
--
-- The console connects as an application role that owns nothing (geo.db.roles creates it and
-- grants it rows, never tables). Each transaction names its actor, role and jurisdiction
-- (geo.db.transaction sets app.actor, app.role and app.scope); the policies below read them.
-- app.scope is the ltree path of an admin unit ('430200.430211' is a district and everything
-- in it), 'all' for the console's own background work, and unset means nothing at all.

CREATE TABLE users (
    id            serial PRIMARY KEY,
    username      text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9_.-]{1,39}$'),
    display_name  text NOT NULL DEFAULT '' CHECK (length(display_name) <= 100),
    role          text NOT NULL CHECK (role IN
                      ('operator', 'planner', 'supervisor', 'grid_worker', 'admin')),
    -- a node of the admin tree (city, district, street, community); not a foreign key, so a
    -- reloaded city keeps its users (a user whose node is gone cannot sign in)
    admin_code    text NOT NULL CHECK (admin_code ~ '^[0-9]{6}([0-9]{3}){0,2}$'),
    password_hash text NOT NULL,
    totp_secret   text CHECK (totp_secret ~ '^[A-Z2-7]{32}$'),
    failed_logins integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until  timestamptz,
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- A signed-in browser: only the cookie's SHA-256 is stored. It ends at sign-out, or when it
-- was idle longer than the idle lock.
CREATE TABLE sessions (
    id_sha256  text PRIMARY KEY CHECK (id_sha256 ~ '^[0-9a-f]{64}$'),
    user_id    integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen  timestamptz NOT NULL DEFAULT now(),
    ended_at   timestamptz,
    end_reason text CHECK (end_reason IN ('signed_out', 'idle', 'disabled'))
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE ended_at IS NULL;

-- An API token belongs to a node of the admin tree too (NULL: the whole city).
ALTER TABLE api_tokens ADD COLUMN admin_code text
    CHECK (admin_code ~ '^[0-9]{6}([0-9]{3}){0,2}$');
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_scopes_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_scopes_check CHECK (scopes <@ ARRAY[
    'incidents:read', 'incidents:write', 'units:read', 'units:write', 'open311',
    'features:read', 'tasks:write', 'reporters:read']::text[]);

-- Append-only record of who looked at a sensitive record (an incident with its reporter).
CREATE TABLE access_log (
    id        bigserial PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    actor     text NOT NULL DEFAULT app_actor(),
    entity    text NOT NULL,
    entity_id text NOT NULL,
    what      text NOT NULL
);
CREATE INDEX access_log_entity ON access_log (entity, entity_id, at);
CREATE INDEX access_log_actor ON access_log (actor, at);
CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE INDEX audit_log_actor ON audit_log (actor, at);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX access_log_at ON access_log (at);
CREATE INDEX incident_events_at ON incident_events (at);

-- The jurisdiction of this transaction: '' (the root of every path) for 'all', NULL when unset.
CREATE FUNCTION app_scope() RETURNS ltree LANGUAGE sql STABLE AS $$
    SELECT CASE coalesce(current_setting('app.scope', true), '')
        WHEN '' THEN NULL
        WHEN 'all' THEN ''::ltree
        ELSE current_setting('app.scope', true)::ltree END
$$;

CREATE FUNCTION app_role() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('app.role', true), '')
$$;

-- Places: everything inside the jurisdiction. (SELECT app_scope()) is computed once per query.
ALTER TABLE incidents ENABLE ROW LEVEL SECURITY;
ALTER TABLE incidents FORCE ROW LEVEL SECURITY;
CREATE POLICY jurisdiction ON incidents
    USING (path <@ (SELECT app_scope())) WITH CHECK (path <@ (SELECT app_scope()));

-- Units serve their own area and everything below it: a district's patrol cars may be sent to
-- any street of the district, so a street sees (and dispatches) them as well as its own.
ALTER TABLE units ENABLE ROW LEVEL SECURITY;
ALTER TABLE units FORCE ROW LEVEL SECURITY;
CREATE POLICY jurisdiction ON units
    USING (path <@ (SELECT app_scope()) OR (SELECT app_scope()) <@ path)
    WITH CHECK (path <@ (SELECT app_scope()) OR (SELECT app_scope()) <@ path);

-- Rows of an incident or a unit follow it (the inner query is itself filtered by its policy).
ALTER TABLE incident_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE incident_events FORCE ROW LEVEL SECURITY;
CREATE POLICY jurisdiction ON incident_events
    USING ((SELECT app_scope()) = '' OR EXISTS (SELECT 1 FROM incidents i WHERE i.id = incident_id))
    WITH CHECK ((SELECT app_scope()) = ''
                OR EXISTS (SELECT 1 FROM incidents i WHERE i.id = incident_id));

ALTER TABLE dispatches ENABLE ROW LEVEL SECURITY;
ALTER TABLE dispatches FORCE ROW LEVEL SECURITY;
-- (which units may be sent is decided on units: geo.units.dispatch claims the unit with an
-- UPDATE that a unit outside the jurisdiction's reach never matches)
CREATE POLICY jurisdiction ON dispatches
    USING ((SELECT app_scope()) = '' OR EXISTS (SELECT 1 FROM incidents i WHERE i.id = incident_id))
    WITH CHECK ((SELECT app_scope()) = ''
                OR EXISTS (SELECT 1 FROM incidents i WHERE i.id = incident_id));

ALTER TABLE incident_photos ENABLE ROW LEVEL SECURITY;
ALTER TABLE incident_photos FORCE ROW LEVEL SECURITY;
CREATE POLICY jurisdiction ON incident_photos
    USING ((SELECT app_scope()) = '' OR EXISTS (SELECT 1 FROM incidents i WHERE i.id = incident_id))
    WITH CHECK ((SELECT app_scope()) = ''
                OR EXISTS (SELECT 1 FROM incidents i WHERE i.id = incident_id));

-- unit_positions has no policy: trackers write it with COPY, which row-level security would
-- refuse. Its rows are reached only through units: geo.avl stores fixes only for units the
-- writer can see, and every read joins or looks up units (filtered above).

-- The map of the city is for everyone to read; only its own part is anyone's to change.
ALTER TABLE grids ENABLE ROW LEVEL SECURITY;
ALTER TABLE grids FORCE ROW LEVEL SECURITY;
CREATE POLICY read_all ON grids FOR SELECT USING (true);
CREATE POLICY change_own ON grids FOR INSERT WITH CHECK (path <@ (SELECT app_scope()));
CREATE POLICY update_own ON grids FOR UPDATE
    USING (path <@ (SELECT app_scope())) WITH CHECK (path <@ (SELECT app_scope()));
CREATE POLICY delete_own ON grids FOR DELETE USING (path <@ (SELECT app_scope()));

ALTER TABLE platforms ENABLE ROW LEVEL SECURITY;
ALTER TABLE platforms FORCE ROW LEVEL SECURITY;
CREATE POLICY read_all ON platforms FOR SELECT USING (true);
CREATE POLICY change_own ON platforms FOR INSERT WITH CHECK (path <@ (SELECT app_scope()));
CREATE POLICY update_own ON platforms FOR UPDATE
    USING (path <@ (SELECT app_scope())) WITH CHECK (path <@ (SELECT app_scope()));
CREATE POLICY delete_own ON platforms FOR DELETE USING (path <@ (SELECT app_scope()));

-- Mass tasks: a grid's row is its own grid's; the task itself is read by all who have a grid
-- in it and changed only by the whole city's office (scope 'all' or the city).
ALTER TABLE mass_task_grids ENABLE ROW LEVEL SECURITY;
ALTER TABLE mass_task_grids FORCE ROW LEVEL SECURITY;
CREATE POLICY jurisdiction ON mass_task_grids
    USING ((SELECT app_scope()) = '' OR EXISTS (SELECT 1 FROM grids g WHERE g.code = grid_code
        AND g.valid_to IS NULL AND g.path <@ (SELECT app_scope())))
    WITH CHECK ((SELECT app_scope()) = '' OR EXISTS (SELECT 1 FROM grids g
        WHERE g.code = grid_code AND g.valid_to IS NULL AND g.path <@ (SELECT app_scope())));

-- The audit trail: everyone writes to it (as themselves), only admins read the whole of it.
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY append ON audit_log FOR INSERT WITH CHECK (actor = app_actor());
CREATE POLICY admin_reads ON audit_log FOR SELECT
    USING (app_role() = 'admin' OR (SELECT app_scope()) = '');

ALTER TABLE access_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE access_log FORCE ROW LEVEL SECURITY;
CREATE POLICY append ON access_log FOR INSERT WITH CHECK (actor = app_actor());
CREATE POLICY admin_reads ON access_log FOR SELECT
    USING (app_role() = 'admin' OR (SELECT app_scope()) = '');
