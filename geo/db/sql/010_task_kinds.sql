-- Mass tasks, second step: a patrol task made from a hotspot beside the city's check-lists,
-- and the moment each grid met its target, so a grid that finished after the deadline stays
-- late (a count reported late is still taken).
ALTER TABLE mass_tasks ADD COLUMN kind text NOT NULL DEFAULT 'check'
    CHECK (kind IN ('check', 'patrol'));
ALTER TABLE mass_task_grids ADD COLUMN completed_at timestamptz;
CREATE INDEX mass_tasks_created ON mass_tasks (created_at DESC);
