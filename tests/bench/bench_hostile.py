"""bad_inputs_rejected_pct and server_errors_on_bad_input: the hostile-input corpus
(tests/hostile.py) through the real app on the city database. A case counts as rejected when
it gets a 4xx and nothing was written; the baseline is the share of valid control requests
(the same token, the same objects) that succeed, so a corpus refused for a trivial reason
(a bad token, a wrong path) would show."""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi.testclient import TestClient

from console import settings as settings_mod
from console.app import create_app
from console.server import state
from geo import tasks
from geo.access import tokens
from geo.db import connect, transaction
from tests.bench._harness import Context, Result
from tests.db.test_hostile import snapshot
from tests.hostile import corpus, send

NAMES = ("bad_inputs_rejected_pct", "server_errors_on_bad_input")
QUICK = True


def run(ctx: Context) -> list[Result]:
    with connect(ctx.conninfo) as c:
        lon, lat = c.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids "
            "WHERE valid_to IS NULL ORDER BY code LIMIT 1) g"
        ).fetchone()  # type: ignore[misc]
        incident = c.execute("SELECT max(id) FROM incidents WHERE status <> 'closed'").fetchone()
        unit = c.execute("SELECT min(id) FROM units WHERE status = 'available'").fetchone()
        community = c.execute("SELECT min(community_code) FROM grids").fetchone()
        soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        name = f"bench-hostile-{uuid.uuid4().hex[:8]}"
        with transaction(c, "bench:hostile") as t:
            task, _ = tasks.create(conn=t, title="bench corpus", target=5, deadline=soon,
                                   admin_codes=[community[0]])  # type: ignore[index]  # fmt: skip
            secret = tokens.create(conn=t, name=name, scopes=[
                "incidents:read", "incidents:write", "units:read", "units:write",
                "tasks:write", "open311", "features:read"])  # fmt: skip
    auth = {"Authorization": f"Bearer {secret}"}
    cases = corpus((lon, lat), incident[0], unit[0], task)  # type: ignore[index]
    controls = ["/api/v1/incidents?limit=5", f"/api/v1/incidents/{incident[0]}",  # type: ignore[index]
                f"/api/v1/incidents/{incident[0]}/recommendations", "/api/v1/units?limit=5",  # type: ignore[index]
                "/ogc/collections/grids/items?limit=2", "/open311/v2/services.json"]  # fmt: skip
    state.close()
    cfg = settings_mod.replace(ctx.settings, database_url=ctx.conninfo, escalation_every_s=0)
    rejected = server_errors = ok = 0
    missed: list[str] = []
    try:
        with TestClient(create_app(cfg).server) as client:
            for case in cases:
                before = snapshot(ctx.conninfo)
                r = send(client, case, auth)
                server_errors += r.status_code >= 500
                ok = 400 <= r.status_code < 500 and snapshot(ctx.conninfo) == before
                rejected += ok
                if not ok:
                    missed.append(f"{case.name}: {r.status_code}")
            ok = sum(client.get(p, headers=auth).status_code == 200 for p in controls)
    finally:
        state.close()
    n = len(cases)
    pct = 100.0 * rejected / n
    note = f"{n} bad requests through the API, {len(controls)} valid controls; missed: {missed[:3]}"
    return [
        Result("bad_inputs_rejected_pct", round(pct, 2), "%", "== 100", pct == 100.0,
               {"valid_controls_ok_pct": 100.0 * ok / len(controls)}, note),
        Result("server_errors_on_bad_input", server_errors, "count", "== 0", server_errors == 0,
               {}, note),
    ]  # fmt: skip
