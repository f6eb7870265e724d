-- Photos of incidents (reports, scene, resolution evidence). Stored in the database, the
-- system of record: the type comes from the file's magic bytes (geo.photos), never from the
-- client. Evidence is append-only; the upload is also written to incident_events.
CREATE TABLE incident_photos (
    id           bigserial PRIMARY KEY,
    incident_id  bigint NOT NULL REFERENCES incidents (id),
    content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
    data         bytea NOT NULL,
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    bytes        integer NOT NULL CHECK (bytes > 0 AND bytes = octet_length(data)),
    uploaded_at  timestamptz NOT NULL DEFAULT now(),
    actor        text NOT NULL DEFAULT app_actor()
);
CREATE INDEX incident_photos_incident ON incident_photos (incident_id, uploaded_at);
-- JPEG/PNG/WebP are compressed already: keep the bytes out of TOAST compression.
ALTER TABLE incident_photos ALTER COLUMN data SET STORAGE EXTERNAL;
CREATE TRIGGER incident_photos_append_only BEFORE UPDATE OR DELETE ON incident_photos
    FOR EACH ROW EXECUTE FUNCTION forbid_change();
