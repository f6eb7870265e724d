-- Mass tasks (格防码 / 吹哨报到): the city office sends a check-list to many grids at once
-- (e.g. "verify the returnees in your grid"), each grid has a target count, and grid workers
-- report their progress through the API until the deadline.
CREATE TABLE mass_tasks (
    id           bigserial PRIMARY KEY,
    title        text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    instructions text NOT NULL DEFAULT '' CHECK (length(instructions) <= 4000),
    deadline     timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text NOT NULL DEFAULT app_actor()
);

CREATE TABLE mass_task_grids (
    task_id    bigint NOT NULL REFERENCES mass_tasks (id),
    grid_code  text NOT NULL,
    target     integer NOT NULL CHECK (target BETWEEN 1 AND 100000),
    done       integer NOT NULL DEFAULT 0 CHECK (done >= 0),
    updated_at timestamptz,
    updated_by text,
    PRIMARY KEY (task_id, grid_code)
);

ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_scopes_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_scopes_check CHECK (scopes <@ ARRAY[
    'incidents:read', 'incidents:write', 'units:read', 'units:write', 'open311',
    'features:read', 'tasks:write']::text[]);
