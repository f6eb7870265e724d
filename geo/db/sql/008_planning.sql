-- Planning: every boundary change is one row here (who, when, why, what kind), and every grid
-- version points to the change that made it and, once replaced, the change that closed it.
CREATE TABLE grid_changes (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    author      text NOT NULL DEFAULT app_actor(),
    reason      text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    kind        text NOT NULL CHECK (kind IN ('edit', 'split', 'merge', 'new', 'restore',
                    'import', 'suggestion')),
    communities text[] NOT NULL,
    codes       text[] NOT NULL,
    impact      jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX grid_changes_codes ON grid_changes USING gin (codes);
CREATE INDEX grid_changes_communities ON grid_changes USING gin (communities);
CREATE TRIGGER grid_changes_append_only BEFORE UPDATE OR DELETE ON grid_changes
    FOR EACH ROW EXECUTE FUNCTION forbid_change();

ALTER TABLE grids ADD COLUMN change_id bigint REFERENCES grid_changes (id);
ALTER TABLE grids ADD COLUMN closed_by bigint REFERENCES grid_changes (id);
CREATE INDEX grids_code_version ON grids (code, version);
