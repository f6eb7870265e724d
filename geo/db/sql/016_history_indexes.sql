-- Ten years of cases (tests/bench/bench_history.py). Row-level security's scope is an
-- InitPlan the planner cannot see, so it guessed a small share of rows for `path <@ scope`
-- and ANDed this index into every windowed query: for a city-level user that read every case
-- ever kept (the 30-day heatmap went from 168 ms at one year to 2.5 s at ten). The windows'
-- own indexes find their rows; the scope is checked on those.
DROP INDEX incidents_path;

-- Cases open at some moment of a window (the replay: not closed, or closed after its start).
-- Without it the replay read every case reported before the window's end. (An index on
-- coalesce(closed_at, 'infinity') would not do: under row-level security the planner uses
-- only leakproof conditions in an index, and COALESCE does not count as one.)
CREATE INDEX incidents_closed ON incidents (closed_at);
