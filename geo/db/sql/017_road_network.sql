-- Roads as a network of their own (issue 20): what a car may use and where roads meet.
-- Roads join only where they share a vertex (an OSM node); a bridge, a tunnel or a road on
-- another `layer` never touches what it crosses. `oneway` means: only in the direction the
-- line is drawn (an OSM `oneway=-1` way is stored reversed). `car` is the access for cars:
-- `no` (access=private/no, a reversible lane), `destination` (only to start or end a trip
-- there), or `yes`. Tracks and cycleways are kept for the walking and e-bike modes.
ALTER TABLE roads DROP CONSTRAINT roads_class_check;
ALTER TABLE roads ADD CONSTRAINT roads_class_check CHECK (class IN ('motorway', 'trunk',
    'primary', 'secondary', 'tertiary', 'residential', 'service', 'track', 'cycleway',
    'footway'));
ALTER TABLE roads
    ADD COLUMN tunnel boolean NOT NULL DEFAULT false,
    ADD COLUMN layer smallint NOT NULL DEFAULT 0 CHECK (layer BETWEEN -10 AND 10),
    ADD COLUMN car text NOT NULL DEFAULT 'yes' CHECK (car IN ('yes', 'destination', 'no'));

-- The sea, from OSM coastlines, is water like a river.
ALTER TABLE water DROP CONSTRAINT water_kind_check;
ALTER TABLE water ADD CONSTRAINT water_kind_check CHECK (kind IN ('river', 'lake', 'canal',
    'reservoir', 'sea', 'other'));
