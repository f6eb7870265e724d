-- A version number per base layer, bumped by any change to its table: caches built from the
-- database (the travel-time graph, lookup indexes) compare it and rebuild when it moved.
CREATE TABLE layer_versions (
    name       text PRIMARY KEY,
    version    bigint NOT NULL DEFAULT 0,
    changed_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO layer_versions (name) VALUES ('roads'), ('water'), ('grids'), ('admin_units');

CREATE FUNCTION bump_layer_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE layer_versions SET version = version + 1, changed_at = now()
    WHERE name = TG_TABLE_NAME;
    RETURN NULL;
END $$;

CREATE TRIGGER roads_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON roads
    FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version();
CREATE TRIGGER water_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON water
    FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version();
CREATE TRIGGER grids_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON grids
    FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version();
CREATE TRIGGER admin_units_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON admin_units
    FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version();
