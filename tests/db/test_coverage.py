"""Coverage and siting on the tiny demo city's travel graph."""

from __future__ import annotations

import numpy as np
import psycopg
import pytest

from geo import coverage, platforms, siting
from geo.db import transaction
from geo.errors import Conflict, InvalidInput, OutsideJurisdiction
from geo.routing import RoutingConfig, load_graph


@pytest.fixture(scope="module")
def model(db_conninfo: str) -> coverage.Coverage:
    with psycopg.connect(db_conninfo) as c:
        graph = load_graph(conn=c, config=RoutingConfig())
        return coverage.Coverage(graph, coverage.load_demand(conn=c, graph=graph))


@pytest.fixture(scope="module")
def sites(db_conninfo: str) -> list[tuple[float, float]]:
    with psycopg.connect(db_conninfo) as c:
        return [(r[0], r[1]) for r in c.execute("SELECT ST_X(geom), ST_Y(geom) FROM platforms")]


def test_everyone_lives_in_some_cell(model: coverage.Coverage, db_conninfo: str) -> None:
    with psycopg.connect(db_conninfo) as c:
        people = c.execute("SELECT sum(population) FROM grids WHERE valid_to IS NULL").fetchone()
    assert people is not None and model.demand.pop.sum() == pytest.approx(people[0], rel=1e-9)
    zones = set(model.demand.zone.tolist())
    assert zones <= {0, 1, 2} and model.demand.target_s.min() >= 60


def test_the_summary_is_the_people_within_their_target(
    model: coverage.Coverage, sites: list[tuple[float, float]]
) -> None:
    f = model.field(sites)
    s = model.summary(f)
    d = model.demand
    assert s.covered == pytest.approx(float(d.pop[f <= d.target_s].sum()))
    assert 0 < s.pct < 100
    assert sum(v[0] for v in s.by_zone.values()) == pytest.approx(s.population)
    assert len(s.hex_time_s) == len(d.hexes) == len(s.hex_uncovered)
    assert s.hex_uncovered.sum() == pytest.approx(s.population - s.covered, rel=1e-5)


def test_the_field_starts_at_the_site_and_grows(
    model: coverage.Coverage, sites: list[tuple[float, float]]
) -> None:
    x, y = sites[0]
    f = model.site_field(x, y)
    assert np.isfinite(f).sum() > 10 and f.min() < 60
    assert model.site_field(x, y) is f  # cached: moving back costs nothing


def test_what_if_adding_never_loses_and_moving_away_loses(
    model: coverage.Coverage, sites: list[tuple[float, float]]
) -> None:
    now = model.summary(model.field(sites)).covered
    g = model.graph
    far = (float(g.lng[0]), float(g.lat[0]))
    added = model.summary(model.field([*sites, far])).covered
    assert added >= now
    moved = model.summary(model.field([far, *sites[1:]])).covered
    assert moved < now


def test_siting_is_within_two_percent_of_the_optimum(
    model: coverage.Coverage, sites: list[tuple[float, float]]
) -> None:
    d, g = model.demand, model.graph
    rng = np.random.default_rng(7)
    cells = rng.choice(np.flatnonzero(d.pop > 0), 40, replace=False)
    candidates = sites + [(float(g.lng[i]), float(g.lat[i])) for i in cells]
    p = siting.cover_matrix(model, candidates)
    k = 3
    heur = siting.swap(p, siting.greedy(p, k))
    _, best = siting.exact(p, k)
    assert siting.covered(p, heur) <= best + 1e-6
    assert siting.covered(p, heur) >= 0.98 * best
    result = siting.site(model, candidates, k)
    assert result.covered == pytest.approx(siting.covered(p, heur))
    # a site's column is exactly the cells its own field reaches within their targets
    x, y = candidates[heur[0]]
    f = model.site_field(x, y)
    want = np.flatnonzero(d.pop > 0)
    reached = int((f[want] <= d.target_s[want]).sum())
    assert p.cover[:, heur[0]].nnz == reached


def test_confirming_a_what_if_moves_adds_and_refuses_what_it_must(
    conn: psycopg.Connection,
) -> None:
    now = platforms.current(conn=conn)
    first = now[0]
    moved = platforms.Site(first.code, first.name, first.lon + 0.002, first.lat)
    new = platforms.Site(None, "New platform 1", first.lon - 0.003, first.lat + 0.001)
    with transaction(conn, "planner:test") as c:
        counts = platforms.apply(conn=c, sites=[moved, *now[1:], new])
    assert counts == {"moved": 1, "added": 1, "removed": 0}
    after = platforms.current(conn=conn)
    assert len(after) == len(now) + 1 and after[0].lon == pytest.approx(first.lon + 0.002)
    assert after[-1].code is not None and after[-1].code.startswith("PLAN-")
    with pytest.raises(InvalidInput, match="Unknown platform"):
        platforms.apply(conn=conn, sites=[platforms.Site("NOPE", "x", first.lon, first.lat)])
    with pytest.raises(OutsideJurisdiction):
        platforms.apply(conn=conn, sites=[platforms.Site(None, "x", first.lat, first.lon)])
    conn.execute(
        "UPDATE units SET platform_id = (SELECT id FROM platforms WHERE code = %s) "
        "WHERE id = (SELECT min(id) FROM units)",
        (after[1].code,),
    )
    with pytest.raises(Conflict, match="still has"):
        platforms.apply(conn=conn, sites=[a for a in after if a.code != after[1].code])


def test_coverage_from_the_available_patrol_cars(
    model: coverage.Coverage, conn: psycopg.Connection
) -> None:
    cars = coverage.available_units(conn=conn)
    n = conn.execute(
        "SELECT count(*) FROM units WHERE status = 'available' AND type = 'patrol_car' "
        "AND geom IS NOT NULL"
    ).fetchone()
    assert n is not None and len(cars) == n[0] > 0
    s = model.summary(model.field(cars))
    assert 0 < s.pct <= 100


def test_the_planning_page_prepares_the_coverage_model(db_conninfo: str) -> None:
    """Opening /planning starts building the coverage model in a thread, as the planner,
    step by step; the coverage tab then finds it (a province's takes seconds to build), and
    the map gets the hexagons in view, coarser ones when too many. A build can be cancelled,
    and someone who may not plan gets none."""
    import time

    from console import settings as settings_mod
    from console.pages.planning import coverage as page
    from console.server import covmodel, state
    from geo.access.principals import Principal
    from geo.errors import Forbidden
    from geo.maplayers import View

    state.close()
    s = settings_mod.replace(settings_mod.load(), database_url=db_conninfo)
    with psycopg.connect(db_conninfo) as c:
        city = c.execute("SELECT path::text FROM admin_units WHERE level = 'city'").fetchone()[0]  # type: ignore[index]
    planner = Principal(actor="user:planner_prep", role="planner", scope=city)

    def wait() -> covmodel.Status:
        deadline = time.monotonic() + 120
        while covmodel.status().running and time.monotonic() < deadline:
            time.sleep(0.02)
        return covmodel.status()

    covmodel.forget()  # a model built by an earlier test
    try:
        with state.acting(planner):
            page.prepare(s)
            covmodel.cancel()  # at once: the build stops at its next step
        st = wait()
        assert st.cancelled and not st.ready and covmodel._model is None  # noqa: SLF001
        with state.acting(planner):
            page.prepare(s)  # opening the tab again starts it again
        st = wait()
        assert st.ready and st.step == covmodel.STEPS and not st.cancelled
        built = covmodel._model  # noqa: SLF001
        with state.acting(planner):
            got = covmodel.get(s)
        assert got is built  # the tab uses it, not a second build

        hexes = got.hexagons
        n = len(hexes.cells)
        assert n == len(got.cov.demand.hexes) > 100
        x0, y0 = float(hexes.lon.min()) - 0.01, float(hexes.lat.min()) - 0.01
        x1, y1 = float(hexes.lon.max()) + 0.01, float(hexes.lat.max()) + 0.01
        everything = View(x0, y0, x1, y1, 12)
        fine = hexes.in_view(everything, cap=n)
        assert fine["res"] == hexes.res and fine["in_view"] == n
        assert sorted(f["properties"]["i"] for f in fine["features"]) == list(range(n))
        ring = fine["features"][0]["geometry"]["coordinates"][0]
        assert len(ring) == 7 and ring[0] == ring[-1]
        coarse = hexes.in_view(everything, cap=n // 4)
        assert coarse["res"] < hexes.res and len(coarse["features"]) <= n // 4
        kids = [i for f in coarse["features"] for i in f["properties"]["c"]]
        assert sorted(kids) == list(range(n))  # every hexagon in exactly one parent
        x, y = float(hexes.lon[0]), float(hexes.lat[0])
        near = hexes.in_view(View(x - 0.002, y - 0.002, x + 0.002, y + 0.002, 17), cap=n)
        assert 0 in [f["properties"]["i"] for f in near["features"]] and near["in_view"] < 30

        operator = Principal(actor="user:op", role="operator", scope=city)
        with state.acting(operator):
            with pytest.raises(Forbidden):
                covmodel.get(s)
            covmodel.forget()
            page.prepare(s)  # the build fails, and says why (the tab shows it)
        st = wait()
        assert isinstance(st.failed, Forbidden) and not st.ready and covmodel._model is None  # noqa: SLF001
    finally:
        covmodel.forget()
        state.close()
