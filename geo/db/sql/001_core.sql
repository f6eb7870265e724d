-- griddispatch core schema: admin units, grids, platforms, units, incidents, audit, roads, water.
-- Coordinates are WGS-84 (EPSG:4326). H3 cells are stored beside geometries as bigint.
-- Every operational row carries `path` (ltree: city.district.street.community) so that
-- jurisdiction can be enforced with row-level security later.

CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS ltree;

-- Append-only guard, used by the audit tables.
CREATE FUNCTION forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;

-- The acting user of the current transaction (set by geo.db.transaction).
CREATE FUNCTION app_actor() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('app.actor', true), ''), session_user::text)
$$;

-- City -> district (6-digit code) -> street (+3) -> community (+3).
CREATE TABLE admin_units (
    code        text PRIMARY KEY CHECK (code ~ '^[0-9]{6}([0-9]{3}){0,2}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    level       text NOT NULL CHECK (level IN ('city', 'district', 'street', 'community')),
    parent_code text REFERENCES admin_units (code),
    path        ltree NOT NULL UNIQUE,
    geom        geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom)),
    CHECK ((level = 'city') = (parent_code IS NULL))
);
CREATE INDEX admin_units_geom ON admin_units USING gist (geom);
CREATE INDEX admin_units_path ON admin_units USING gist (path);
CREATE INDEX admin_units_parent ON admin_units (parent_code);

-- Grids (网格). A boundary change closes the old row (valid_to) and inserts a new one, so the
-- history of every grid is kept; `code` is unique among current rows.
CREATE TABLE grids (
    id             serial PRIMARY KEY,
    code           text NOT NULL CHECK (code ~ '^[0-9]{15}$'),
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    type           text NOT NULL CHECK (type IN
                       ('residential', 'school', 'enterprise', 'market', 'hospital', 'other')),
    community_code text NOT NULL REFERENCES admin_units (code),
    path           ltree NOT NULL,
    geom           geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom)),
    households     integer NOT NULL DEFAULT 0 CHECK (households >= 0),
    population     integer NOT NULL DEFAULT 0 CHECK (population >= 0),
    worker_name    text,
    worker_phone   text,
    leader_name    text,
    zone_class     text NOT NULL DEFAULT 'other' CHECK (zone_class IN ('key', 'central', 'other')),
    valid_from     timestamptz NOT NULL DEFAULT now(),
    valid_to       timestamptz,
    version        integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    CHECK (valid_to IS NULL OR valid_to > valid_from)
);
CREATE UNIQUE INDEX grids_current_code ON grids (code) WHERE valid_to IS NULL;
CREATE INDEX grids_geom ON grids USING gist (geom);
CREATE INDEX grids_path ON grids USING gist (path);
CREATE INDEX grids_community ON grids (community_code) WHERE valid_to IS NULL;

-- Rapid-response platforms (快警平台 / 快反服务点).
CREATE TABLE platforms (
    id        serial PRIMARY KEY,
    code      text NOT NULL UNIQUE,
    name      text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    geom      geometry(Point, 4326) NOT NULL,
    h3        bigint NOT NULL,
    members   integer NOT NULL DEFAULT 0 CHECK (members >= 0),
    vehicles  integer NOT NULL DEFAULT 0 CHECK (vehicles >= 0),
    path      ltree NOT NULL
);
CREATE INDEX platforms_geom ON platforms USING gist (geom);

-- Which grids a platform serves (a grid may be served by more than one).
CREATE TABLE platform_grids (
    platform_id integer NOT NULL REFERENCES platforms (id) ON DELETE CASCADE,
    grid_code   text NOT NULL,
    PRIMARY KEY (platform_id, grid_code)
);
CREATE INDEX platform_grids_grid ON platform_grids (grid_code);

-- Responders: patrol cars, foot patrols, grid workers, fire engines, ambulances, crews.
CREATE TABLE units (
    id            serial PRIMARY KEY,
    call_sign     text NOT NULL UNIQUE CHECK (length(call_sign) BETWEEN 1 AND 40),
    type          text NOT NULL CHECK (type IN ('patrol_car', 'foot_patrol', 'grid_worker',
                      'volunteer_team', 'fire_engine', 'ambulance', 'department_crew')),
    agency        text NOT NULL CHECK (agency IN ('police', 'grid', 'fire', 'health',
                      'water', 'power', 'roads', 'sanitation', 'volunteer')),
    platform_id   integer REFERENCES platforms (id),
    grid_code     text,
    status        text NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'dispatched',
                      'en_route', 'on_scene', 'returning', 'off_duty')),
    status_time   timestamptz NOT NULL DEFAULT now(),
    geom          geometry(Point, 4326),
    h3            bigint,
    position_time timestamptz,
    path          ltree NOT NULL,
    CHECK ((geom IS NULL) = (position_time IS NULL))
);
CREATE INDEX units_geom ON units USING gist (geom);
CREATE INDEX units_status ON units (status, type);

-- Position history (AVL).
CREATE TABLE unit_positions (
    id       bigserial PRIMARY KEY,
    unit_id  integer NOT NULL REFERENCES units (id),
    time     timestamptz NOT NULL,
    geom     geometry(Point, 4326) NOT NULL,
    h3       bigint NOT NULL,
    speed    real CHECK (speed IS NULL OR speed >= 0),
    heading  real CHECK (heading IS NULL OR (heading >= 0 AND heading < 360))
);
CREATE INDEX unit_positions_unit_time ON unit_positions (unit_id, time);

-- Incident categories with their domain and default class (三事: 家事/共事/公事).
CREATE TABLE categories (
    code          text PRIMARY KEY CHECK (code ~ '^[a-z_]{2,40}$'),
    name_zh       text NOT NULL,
    name_en       text NOT NULL,
    domain        text NOT NULL,
    default_class text NOT NULL CHECK (default_class IN ('family', 'shared', 'public'))
);

CREATE SEQUENCE incident_number_seq;

CREATE TABLE incidents (
    id             bigserial PRIMARY KEY,
    number         text NOT NULL UNIQUE,
    reported_at    timestamptz NOT NULL DEFAULT now(),
    source         text NOT NULL CHECK (source IN ('grid_worker', 'hotline_12345',
                       'transfer_110', 'wechat_group', 'walk_in', 'sensor', 'operator')),
    category       text NOT NULL REFERENCES categories (code),
    class          text NOT NULL CHECK (class IN ('family', 'shared', 'public')),
    priority       text NOT NULL CHECK (priority IN ('red', 'yellow', 'blue')),
    description    text NOT NULL DEFAULT '' CHECK (length(description) <= 4000),
    reporter_name  text CHECK (length(reporter_name) <= 100),
    reporter_phone text CHECK (length(reporter_phone) <= 40),
    geom           geometry(Point, 4326) NOT NULL,
    h3             bigint NOT NULL,
    grid_id        integer REFERENCES grids (id),
    grid_code      text,
    path           ltree NOT NULL,
    status         text NOT NULL DEFAULT 'reported' CHECK (status IN ('reported', 'dispatched',
                       'accepted', 'on_scene', 'resolved', 'closed')),
    dispatched_at  timestamptz,
    accepted_at    timestamptz,
    on_scene_at    timestamptz,
    resolved_at    timestamptz,
    closed_at      timestamptz,
    feedback_at    timestamptz,
    satisfaction   smallint CHECK (satisfaction BETWEEN 1 AND 5),
    respond_due    timestamptz,
    arrive_due     timestamptz,
    report_due     timestamptz,
    close_due      timestamptz,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incidents_geom ON incidents USING gist (geom);
CREATE INDEX incidents_reported ON incidents (reported_at);
CREATE INDEX incidents_open ON incidents (priority, status) WHERE status <> 'closed';
CREATE INDEX incidents_grid ON incidents (grid_code, reported_at);
CREATE INDEX incidents_h3 ON incidents (h3);
CREATE INDEX incidents_path ON incidents USING gist (path);

-- Append-only audit of incidents: who, when, what, before, after.
CREATE TABLE incident_events (
    id          bigserial PRIMARY KEY,
    incident_id bigint NOT NULL REFERENCES incidents (id),
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL DEFAULT app_actor(),
    action      text NOT NULL,
    before      jsonb,
    after       jsonb
);
CREATE INDEX incident_events_incident ON incident_events (incident_id, at);
CREATE TRIGGER incident_events_append_only BEFORE UPDATE OR DELETE ON incident_events
    FOR EACH ROW EXECUTE FUNCTION forbid_change();

-- Append-only audit of every other state change (grids, units, platforms, imports).
CREATE TABLE audit_log (
    id        bigserial PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    actor     text NOT NULL DEFAULT app_actor(),
    entity    text NOT NULL,
    entity_id text,
    action    text NOT NULL,
    before    jsonb,
    after     jsonb
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, at);
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION forbid_change();

-- The city's own roads and water: the offline base map and the travel-time network.
CREATE TABLE roads (
    id        serial PRIMARY KEY,
    name      text,
    class     text NOT NULL CHECK (class IN ('motorway', 'trunk', 'primary', 'secondary',
                  'tertiary', 'residential', 'service', 'footway')),
    speed_kmh real CHECK (speed_kmh IS NULL OR speed_kmh > 0),
    oneway    boolean NOT NULL DEFAULT false,
    bridge    boolean NOT NULL DEFAULT false,
    geom      geometry(LineString, 4326) NOT NULL
);
CREATE INDEX roads_geom ON roads USING gist (geom);

CREATE TABLE water (
    id   serial PRIMARY KEY,
    name text,
    kind text NOT NULL DEFAULT 'river' CHECK (kind IN ('river', 'lake', 'canal', 'reservoir', 'other')),
    geom geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom))
);
CREATE INDEX water_geom ON water USING gist (geom);

-- What the database holds and where it came from (demo size and seed, or an import).
CREATE TABLE dataset_info (
    key   text PRIMARY KEY,
    value jsonb NOT NULL
);
