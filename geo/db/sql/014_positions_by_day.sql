-- Position history at scale (issue 19): unit_positions is partitioned by UTC day, so old
-- days are dropped whole (geo.retention, audited) instead of growing without bound, and
-- replay reads only the days it needs. Each day has the (unit, time) b-tree of the tracks and
-- a BRIN index on time. Trackers write to the parent table; the partitions are made ahead by
-- the housekeeping job and on demand by unit_positions_days() (a fix of a day not made yet).

ALTER TABLE unit_positions RENAME TO unit_positions_flat;
ALTER INDEX unit_positions_unit_time RENAME TO unit_positions_flat_unit_time;

CREATE TABLE unit_positions (
    unit_id  integer NOT NULL REFERENCES units (id),
    time     timestamptz NOT NULL,
    geom     geometry(Point, 4326) NOT NULL,
    h3       bigint NOT NULL,
    speed    real CHECK (speed IS NULL OR speed >= 0),
    heading  real CHECK (heading IS NULL OR (heading >= 0 AND heading < 360))
) PARTITION BY RANGE (time);
CREATE INDEX unit_positions_unit_time ON unit_positions (unit_id, time);
CREATE INDEX unit_positions_time ON unit_positions USING brin (time);

-- The partition of each UTC day from first_day to last_day, made when missing; the number
-- made. SECURITY DEFINER: the application role owns nothing, yet a tracker's fix for a day
-- not made yet must be stored.
CREATE FUNCTION unit_positions_days(first_day date, last_day date) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    d date;
    made integer := 0;
BEGIN
    IF first_day IS NULL OR last_day IS NULL OR last_day < first_day
       OR last_day - first_day > 400 THEN
        RAISE EXCEPTION 'unit_positions_days: bad range % .. %', first_day, last_day
            USING ERRCODE = '22023';
    END IF;
    PERFORM pg_advisory_xact_lock(7172010319);  -- one maker at a time
    FOR d IN SELECT generate_series(first_day, last_day, interval '1 day')::date LOOP
        IF to_regclass(format('unit_positions_%s', to_char(d, 'YYYYMMDD'))) IS NULL THEN
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF unit_positions FOR VALUES FROM (%L) TO (%L)',
                format('unit_positions_%s', to_char(d, 'YYYYMMDD')),
                (d::timestamp AT TIME ZONE 'UTC'), ((d + 1)::timestamp AT TIME ZONE 'UTC'));
            made := made + 1;
        END IF;
    END LOOP;
    RETURN made;
END $$;
REVOKE ALL ON FUNCTION unit_positions_days(date, date) FROM PUBLIC;

DO $$
DECLARE lo date; hi date;
BEGIN
    SELECT min(time AT TIME ZONE 'UTC')::date, max(time AT TIME ZONE 'UTC')::date
        INTO lo, hi FROM unit_positions_flat;
    hi := greatest(coalesce(hi, current_date), (now() AT TIME ZONE 'UTC')::date + 3);
    lo := least(coalesce(lo, current_date), (now() AT TIME ZONE 'UTC')::date);
    PERFORM unit_positions_days(greatest(lo, hi - 400), hi);
END $$;
INSERT INTO unit_positions (unit_id, time, geom, h3, speed, heading)
    SELECT unit_id, time, geom, h3, speed, heading FROM unit_positions_flat
    ORDER BY time;
DROP TABLE unit_positions_flat;

-- Tracker batches are retry-safe like cases: a batch sent again under the same
-- Idempotency-Key stores nothing and answers what the first one stored.
ALTER TABLE idempotency_keys ADD COLUMN positions_stored integer;
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
