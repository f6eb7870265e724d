-- The operator's loop under a real shift: emergency categories (110/119/120/122), response
-- plans (预案), claiming (签收), the on-scene report (现场反馈), supervision flags (督办), and
-- units that are always freed when their case is resolved or closed.

-- Categories: which emergency line they belong to and the priority a new case gets.
ALTER TABLE categories
    ADD COLUMN default_priority text NOT NULL DEFAULT 'blue'
        CHECK (default_priority IN ('red', 'yellow', 'blue')),
    ADD COLUMN line text NOT NULL DEFAULT '12345'
        CHECK (line IN ('110', '119', '120', '122', '12345'));
UPDATE categories SET line = '110', default_priority = 'yellow'
    WHERE code IN ('public_security', 'theft');
UPDATE categories SET line = '122', default_priority = 'yellow' WHERE code = 'traffic_accident';
UPDATE categories SET default_priority = 'yellow'
    WHERE code IN ('fire_hazard', 'production_safety', 'natural_disaster', 'public_health',
                   'epidemic', 'water_supply', 'power_outage');
INSERT INTO categories (code, name_zh, name_en, domain, default_class, default_priority, line)
VALUES
    ('fire',            '火灾',         'Fire',                  'fire',            'public', 'red', '119'),
    ('hazmat',          '危化品泄漏',   'Hazardous materials',   'fire',            'public', 'red', '119'),
    ('rescue',          '抢险救援',     'Rescue',                'fire',            'public', 'red', '119'),
    ('medical',         '医疗急救',     'Medical emergency',     'medical',         'public', 'red', '120'),
    ('criminal_case',   '刑事案件',     'Crime in progress',     'public_security', 'public', 'red', '110'),
    ('fight',           '打架斗殴',     'Fight',                 'public_security', 'public', 'red', '110'),
    ('missing_person',  '人员走失',     'Missing person',        'public_security', 'public', 'yellow', '110'),
    ('suicide_risk',    '轻生警情',     'Suicide risk',          'public_security', 'public', 'red', '110'),
    ('traffic_injury',  '交通事故伤人', 'Traffic accident with injuries', 'public_security', 'public', 'red', '122'),
    ('traffic_jam',     '交通拥堵',     'Traffic jam',           'municipal',       'public', 'blue', '122');
-- Urgent lines answer on the quick clocks (respond 1, arrive 5, report back 10 minutes)
-- whatever the operator sets as priority.
INSERT INTO sla_policies (category, priority, quick, respond_s, arrive_s, report_s, close_s)
SELECT c.code, p.priority, true, 60, 300, 600, 86400
FROM categories c CROSS JOIN (VALUES ('yellow'), ('blue')) p (priority)
WHERE c.line IN ('110', '119', '120') AND c.default_priority = 'red'
ON CONFLICT (category, priority) DO NOTHING;

-- Response plans (预案 / run cards): the unit types and counts a category needs at a priority.
-- A plan row of type grid_worker means the case's own grid worker when one is near.
CREATE TABLE response_plans (
    category  text NOT NULL REFERENCES categories (code),
    priority  text NOT NULL CHECK (priority IN ('red', 'yellow', 'blue')),
    unit_type text NOT NULL CHECK (unit_type IN ('patrol_car', 'foot_patrol', 'grid_worker',
                  'volunteer_team', 'fire_engine', 'ambulance', 'department_crew')),
    count     smallint NOT NULL CHECK (count BETWEEN 1 AND 10),
    PRIMARY KEY (category, priority, unit_type)
);
-- Every change is audited (who, when, before and after), whoever makes it.
CREATE FUNCTION audit_response_plan() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_log (entity, entity_id, action, before, after)
    VALUES ('response_plan',
            coalesce(NEW.category, OLD.category) || ':' || coalesce(NEW.priority, OLD.priority),
            lower(TG_OP),
            CASE WHEN TG_OP <> 'INSERT' THEN jsonb_build_object(OLD.unit_type, OLD.count) END,
            CASE WHEN TG_OP <> 'DELETE' THEN jsonb_build_object(NEW.unit_type, NEW.count) END);
    RETURN NULL;
END $$;

WITH plan (category, priority, unit_type, count) AS (VALUES
    ('fire', 'red', 'fire_engine', 2), ('fire', 'red', 'ambulance', 1),
    ('fire', 'red', 'patrol_car', 1),
    ('fire', 'yellow', 'fire_engine', 1), ('fire', 'yellow', 'patrol_car', 1),
    ('fire', 'blue', 'fire_engine', 1),
    ('hazmat', 'red', 'fire_engine', 2), ('hazmat', 'red', 'ambulance', 1),
    ('hazmat', 'red', 'patrol_car', 1),
    ('hazmat', 'yellow', 'fire_engine', 1), ('hazmat', 'yellow', 'patrol_car', 1),
    ('hazmat', 'blue', 'fire_engine', 1),
    ('rescue', 'red', 'fire_engine', 1), ('rescue', 'red', 'ambulance', 1),
    ('rescue', 'red', 'patrol_car', 1),
    ('rescue', 'yellow', 'fire_engine', 1), ('rescue', 'blue', 'fire_engine', 1),
    ('medical', 'red', 'ambulance', 1), ('medical', 'red', 'patrol_car', 1),
    ('medical', 'yellow', 'ambulance', 1), ('medical', 'blue', 'ambulance', 1),
    ('criminal_case', 'red', 'patrol_car', 2), ('criminal_case', 'red', 'grid_worker', 1),
    ('criminal_case', 'yellow', 'patrol_car', 1), ('criminal_case', 'yellow', 'grid_worker', 1),
    ('criminal_case', 'blue', 'patrol_car', 1),
    ('fight', 'red', 'patrol_car', 2), ('fight', 'red', 'grid_worker', 1),
    ('fight', 'yellow', 'patrol_car', 1), ('fight', 'yellow', 'grid_worker', 1),
    ('fight', 'blue', 'patrol_car', 1),
    ('suicide_risk', 'red', 'patrol_car', 1), ('suicide_risk', 'red', 'fire_engine', 1),
    ('suicide_risk', 'red', 'ambulance', 1),
    ('suicide_risk', 'yellow', 'patrol_car', 1), ('suicide_risk', 'yellow', 'grid_worker', 1),
    ('suicide_risk', 'blue', 'patrol_car', 1),
    ('missing_person', 'red', 'patrol_car', 2), ('missing_person', 'red', 'grid_worker', 1),
    ('missing_person', 'red', 'volunteer_team', 1),
    ('missing_person', 'yellow', 'patrol_car', 1), ('missing_person', 'yellow', 'grid_worker', 1),
    ('missing_person', 'blue', 'grid_worker', 1),
    ('traffic_injury', 'red', 'patrol_car', 1), ('traffic_injury', 'red', 'ambulance', 1),
    ('traffic_injury', 'yellow', 'patrol_car', 1), ('traffic_injury', 'yellow', 'ambulance', 1),
    ('traffic_injury', 'blue', 'patrol_car', 1),
    ('traffic_accident', 'red', 'patrol_car', 1), ('traffic_accident', 'red', 'ambulance', 1),
    ('traffic_accident', 'yellow', 'patrol_car', 1), ('traffic_accident', 'blue', 'patrol_car', 1),
    ('traffic_jam', 'red', 'patrol_car', 1), ('traffic_jam', 'yellow', 'patrol_car', 1),
    ('traffic_jam', 'blue', 'foot_patrol', 1),
    ('public_security', 'red', 'patrol_car', 2),
    ('public_security', 'yellow', 'patrol_car', 1), ('public_security', 'yellow', 'grid_worker', 1),
    ('public_security', 'blue', 'grid_worker', 1),
    ('theft', 'red', 'patrol_car', 1), ('theft', 'red', 'grid_worker', 1),
    ('theft', 'yellow', 'patrol_car', 1), ('theft', 'blue', 'grid_worker', 1),
    ('fire_hazard', 'red', 'fire_engine', 1), ('fire_hazard', 'red', 'grid_worker', 1),
    ('fire_hazard', 'yellow', 'grid_worker', 1), ('fire_hazard', 'blue', 'grid_worker', 1),
    ('production_safety', 'red', 'fire_engine', 1), ('production_safety', 'red', 'ambulance', 1),
    ('production_safety', 'yellow', 'department_crew', 1),
    ('production_safety', 'yellow', 'grid_worker', 1),
    ('production_safety', 'blue', 'grid_worker', 1),
    ('natural_disaster', 'red', 'fire_engine', 1), ('natural_disaster', 'red', 'patrol_car', 1),
    ('natural_disaster', 'red', 'volunteer_team', 1),
    ('natural_disaster', 'yellow', 'volunteer_team', 1),
    ('natural_disaster', 'yellow', 'grid_worker', 1),
    ('natural_disaster', 'blue', 'grid_worker', 1),
    ('public_health', 'red', 'ambulance', 1), ('public_health', 'red', 'grid_worker', 1),
    ('epidemic', 'red', 'ambulance', 1), ('epidemic', 'red', 'grid_worker', 1),
    ('water_supply', 'red', 'department_crew', 1), ('water_supply', 'red', 'grid_worker', 1),
    ('power_outage', 'red', 'department_crew', 1), ('power_outage', 'red', 'grid_worker', 1),
    ('road_damage', 'red', 'department_crew', 1), ('road_damage', 'red', 'patrol_car', 1),
    ('street_light', 'red', 'department_crew', 1),
    ('sanitation', 'red', 'department_crew', 1)
)
INSERT INTO response_plans (category, priority, unit_type, count)
SELECT category, priority, unit_type, count FROM plan;
-- Every other category and priority: the grid worker (a dispute, noise, a light out ...);
-- red ones add the nearest patrol car.
INSERT INTO response_plans (category, priority, unit_type, count)
SELECT c.code, p.priority, 'grid_worker', 1
FROM categories c CROSS JOIN (VALUES ('red'), ('yellow'), ('blue')) p (priority)
WHERE NOT EXISTS (SELECT 1 FROM response_plans r
                  WHERE r.category = c.code AND r.priority = p.priority);
INSERT INTO response_plans (category, priority, unit_type, count)
SELECT c.code, 'red', 'patrol_car', 1 FROM categories c
WHERE NOT EXISTS (SELECT 1 FROM response_plans r WHERE r.category = c.code
                  AND r.priority = 'red' AND r.unit_type <> 'grid_worker');
CREATE TRIGGER response_plans_audit AFTER INSERT OR UPDATE OR DELETE ON response_plans
    FOR EACH ROW EXECUTE FUNCTION audit_response_plan();

-- How long a unit of each type takes to be ready again after it leaves a scene (returning ->
-- available), unless its crew reports available sooner.
CREATE TABLE unit_types (
    type     text PRIMARY KEY,
    return_s integer NOT NULL CHECK (return_s BETWEEN 0 AND 86400)
);
INSERT INTO unit_types (type, return_s) VALUES
    ('patrol_car', 300), ('foot_patrol', 300), ('grid_worker', 300), ('volunteer_team', 600),
    ('fire_engine', 900), ('ambulance', 900), ('department_crew', 600);

-- Claiming (签收), the on-scene report (现场反馈) and the supervision flag (督办).
ALTER TABLE incidents
    ADD COLUMN claimed_by text CHECK (length(claimed_by) <= 100),
    ADD COLUMN claimed_at timestamptz,
    ADD COLUMN field_report text CHECK (length(field_report) <= 4000),
    ADD COLUMN field_report_at timestamptz,
    ADD COLUMN field_photo text CHECK (length(field_photo) <= 400),
    ADD COLUMN flagged_at timestamptz,
    ADD COLUMN flag_reason text CHECK (length(flag_reason) <= 200),
    ADD CONSTRAINT incidents_claim_whole CHECK ((claimed_by IS NULL) = (claimed_at IS NULL));
-- Cases reported before this migration: the respond clock counts as met when they were sent.
UPDATE incidents SET claimed_at = dispatched_at, claimed_by = 'migration'
    WHERE dispatched_at IS NOT NULL AND claimed_at IS NULL;
-- The report back is due 10 minutes after arrival (not after the report); a resolution
-- counts as the report back when no on-scene report came before it.
UPDATE incidents SET report_due = CASE WHEN on_scene_at IS NULL THEN NULL
                                       ELSE on_scene_at + (report_due - reported_at) END
    WHERE report_due IS NOT NULL;
UPDATE incidents SET field_report_at = resolved_at, field_report = resolution_note
    WHERE resolved_at IS NOT NULL;
CREATE INDEX incidents_unclaimed ON incidents (reported_at) WHERE claimed_at IS NULL
    AND status = 'reported';

-- No unit is ever busy on a resolved or closed case. Resolving or closing a case releases its
-- open dispatches and sends their units home (returning), however the status was changed and
-- whoever changed it: the function runs as its owner, so a street operator's resolve also
-- frees a unit from another street that row-level security hides from that operator.
CREATE FUNCTION release_units_of_settled_case() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    d record;
BEGIN
    FOR d IN UPDATE dispatches SET released_at = clock_timestamp(), release_reason = 'completed'
             WHERE incident_id = NEW.id AND released_at IS NULL RETURNING unit_id
    LOOP
        UPDATE units SET status = 'returning', status_time = clock_timestamp()
        WHERE id = d.unit_id AND status IN ('dispatched', 'en_route', 'on_scene');
        INSERT INTO audit_log (entity, entity_id, action, before, after)
        VALUES ('unit', d.unit_id::text, 'release', NULL,
                jsonb_build_object('status', 'returning', 'incident', NEW.id,
                                   'case_status', NEW.status));
        PERFORM pg_notify('units', jsonb_build_object('id', d.unit_id,
                                                      'action', 'release')::text);
    END LOOP;
    RETURN NULL;
END $$;
CREATE TRIGGER incidents_release_units AFTER UPDATE OF status ON incidents
    FOR EACH ROW WHEN (NEW.status IN ('resolved', 'closed') AND OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION release_units_of_settled_case();

-- And no dispatch is ever opened on one.
-- The case's row is read FOR SHARE: a close running at the same moment either waits for this
-- dispatch (and then releases it) or has committed first (and this dispatch is refused).
CREATE FUNCTION refuse_dispatch_to_settled_case() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    st text;
BEGIN
    IF NEW.released_at IS NOT NULL THEN
        RETURN NEW;
    END IF;
    SELECT status INTO st FROM incidents WHERE id = NEW.incident_id FOR SHARE;
    IF st IN ('resolved', 'closed') THEN
        RAISE EXCEPTION 'incident % is settled: no unit may be sent to it', NEW.incident_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER dispatches_open_on_live_case BEFORE INSERT OR UPDATE OF released_at, incident_id
    ON dispatches FOR EACH ROW EXECUTE FUNCTION refuse_dispatch_to_settled_case();

-- Cases resolved or closed before this migration free their units now.
WITH freed AS (
    UPDATE dispatches d SET released_at = clock_timestamp(), release_reason = 'completed'
    FROM incidents i
    WHERE i.id = d.incident_id AND d.released_at IS NULL AND i.status IN ('resolved', 'closed')
    RETURNING d.unit_id
)
UPDATE units SET status = 'returning', status_time = clock_timestamp()
WHERE id IN (SELECT unit_id FROM freed) AND status IN ('dispatched', 'en_route', 'on_scene');
