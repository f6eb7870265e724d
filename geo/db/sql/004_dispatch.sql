-- Dispatch: who was sent to what, SLA policies, escalation and the rest of the closed loop.

-- One row per unit sent to an incident. A unit has at most one open dispatch: the database
-- itself refuses a second (the partial unique index), whatever the application does.
CREATE TABLE dispatches (
    id            bigserial PRIMARY KEY,
    incident_id   bigint NOT NULL REFERENCES incidents (id),
    unit_id       integer NOT NULL REFERENCES units (id),
    dispatched_at timestamptz NOT NULL DEFAULT now(),
    dispatched_by text NOT NULL DEFAULT app_actor(),
    eta_s         real,
    released_at   timestamptz,
    release_reason text CHECK (release_reason IN ('completed', 'cancelled', 'reassigned'))
);
CREATE UNIQUE INDEX dispatches_one_open_per_unit ON dispatches (unit_id) WHERE released_at IS NULL;
CREATE INDEX dispatches_incident ON dispatches (incident_id);

-- SLA targets by category and priority (seconds after the report); NULL category = default.
CREATE TABLE sla_policies (
    id        serial PRIMARY KEY,
    category  text REFERENCES categories (code),
    priority  text NOT NULL CHECK (priority IN ('red', 'yellow', 'blue')),
    quick     boolean NOT NULL DEFAULT false, -- quick response: respond 1, arrive 5, report 10 min
    respond_s integer NOT NULL CHECK (respond_s > 0),
    arrive_s  integer CHECK (arrive_s > 0),
    report_s  integer CHECK (report_s > 0),
    close_s   integer NOT NULL CHECK (close_s > 0),
    UNIQUE NULLS NOT DISTINCT (category, priority)
);
-- Defaults from the field: quick response (1/5/10 min) for urgent public-security-like cases;
-- small matters the same day, large ones answered within 3 days.
INSERT INTO sla_policies (category, priority, quick, respond_s, arrive_s, report_s, close_s) VALUES
    (NULL, 'red',    true,  60,   300,  600,  86400),
    (NULL, 'yellow', false, 1800, NULL, NULL, 259200),
    (NULL, 'blue',   false, 1800, NULL, NULL, 86400);
INSERT INTO sla_policies (category, priority, quick, respond_s, arrive_s, report_s, close_s)
SELECT c.code, 'yellow', true, 60, 300, 600, 259200 FROM categories c
WHERE c.domain IN ('public_security', 'production_safety', 'natural_disaster');

ALTER TABLE incidents
    ADD COLUMN escalation_level text NOT NULL DEFAULT 'grid'
        CHECK (escalation_level IN ('grid', 'community', 'street', 'district')),
    ADD COLUMN escalated_at timestamptz,
    ADD COLUMN mediation_failures smallint NOT NULL DEFAULT 0 CHECK (mediation_failures >= 0),
    ADD COLUMN resolution_note text CHECK (length(resolution_note) <= 4000),
    ADD COLUMN resolution_photo text CHECK (length(resolution_photo) <= 400),
    ADD COLUMN linked_to bigint REFERENCES incidents (id),
    ADD COLUMN reopened smallint NOT NULL DEFAULT 0 CHECK (reopened >= 0);

-- Unit status changes are audited in audit_log by geo.units; the time is on the unit row.
