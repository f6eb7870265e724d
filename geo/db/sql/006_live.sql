-- Live push. Every change to a unit or an incident stamps changed_at with the wall-clock time
-- of the change (clock_timestamp, not the transaction's start), and every writer sends a
-- NOTIFY on 'units' or 'incidents'. Each console process keeps one LISTEN connection; on a
-- notification it reads the rows changed since its watermark (with an overlap, so a change
-- committed late is still seen) and pushes the difference to its open pages.
ALTER TABLE units ADD COLUMN changed_at timestamptz NOT NULL DEFAULT clock_timestamp();
ALTER TABLE incidents ADD COLUMN changed_at timestamptz NOT NULL DEFAULT clock_timestamp();

CREATE FUNCTION stamp_changed_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.changed_at := clock_timestamp();
    RETURN NEW;
END
$$;
CREATE TRIGGER units_changed_at BEFORE UPDATE ON units
    FOR EACH ROW EXECUTE FUNCTION stamp_changed_at();
CREATE TRIGGER incidents_changed_at BEFORE UPDATE ON incidents
    FOR EACH ROW EXECUTE FUNCTION stamp_changed_at();
CREATE INDEX units_changed_at ON units (changed_at);
CREATE INDEX incidents_changed_at ON incidents (changed_at);
