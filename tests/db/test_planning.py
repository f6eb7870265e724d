"""Boundary changes in PostGIS: preview, save as versions, re-homing, conflicts, restore."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
import shapely

from geo import boundaries, intake, planning, planning_history, planning_import, planning_suggest
from geo.db import transaction
from geo.errors import Conflict, InvalidGeometry

RULES = boundaries.Rules()


def pair(conn: psycopg.Connection) -> tuple[str, str, Any, Any]:
    """Two current grids of one community sharing an edge of over 100 m."""
    row = conn.execute(
        "SELECT a.code, b.code, ST_AsBinary(a.geom), ST_AsBinary(b.geom) FROM grids a "
        "JOIN grids b ON a.community_code = b.community_code AND a.code < b.code "
        "AND ST_Length(ST_Intersection(ST_Boundary(a.geom), ST_Boundary(b.geom))::geography)"
        " > 100 WHERE a.valid_to IS NULL AND b.valid_to IS NULL ORDER BY a.code LIMIT 1"
    ).fetchone()
    assert row is not None
    return row[0], row[1], shapely.from_wkb(row[2]), shapely.from_wkb(row[3])


def grown(a: Any, b: Any, metres: float = 25.0) -> Any:
    """``a`` with the edge it shares with ``b`` pushed ``metres`` into ``b``."""
    return shapely.union_all([a, b.intersection(a.buffer(metres / 100_000))])


def case_at(conn: psycopg.Connection, x: float, y: float, code: str) -> dict[str, Any]:
    with transaction(conn, "operator:test") as c:
        report = intake.Report(lon=x, lat=y, category="public_security", priority="red",
                               source="operator", grid_code=code)  # fmt: skip
        return intake.open_case(conn=c, report=report, boundary_m=50)[0]


def save(conn: psycopg.Connection, edit: planning.Edit, reason: str = "test") -> planning.Saved:
    p = planning.preview(conn=conn, edit=edit)
    assert p.problems == []
    with transaction(conn, "planner:test") as c:
        return planning.save(conn=c, edit=edit, reason=reason, base=p.base)


def current(conn: psycopg.Connection, code: str) -> tuple[int, Any, int]:
    row = conn.execute(
        "SELECT version, ST_AsBinary(geom), households FROM grids "
        "WHERE code = %s AND valid_to IS NULL", (code,)
    ).fetchone()  # fmt: skip
    assert row is not None
    return row[0], shapely.from_wkb(row[1]), row[2]


def test_moving_a_shared_edge_saves_both_grids_as_new_versions(conn: psycopg.Connection) -> None:
    a, b, ga, gb = pair(conn)
    va, vb = current(conn, a)[0], current(conn, b)[0]
    hh = current(conn, a)[2] + current(conn, b)[2]
    edit = planning.Edit("edit", code=a, geom=grown(ga, gb))
    p = planning.preview(conn=conn, edit=edit)
    assert p.ok and set(p.proposal.after) == {a, b} and p.base == {a: va, b: vb}
    rows = {r.code: r for r in p.impact}
    assert rows[a].area_m2[1] > rows[a].area_m2[0] and rows[b].area_m2[1] < rows[b].area_m2[0]
    assert abs(rows[a].households[1] + rows[b].households[1] - hh) <= 1
    saved = save(conn, edit, "school catchment moved")
    assert current(conn, a)[0] == va + 1 and current(conn, b)[0] == vb + 1
    assert current(conn, a)[1].area > ga.area
    closed = conn.execute(
        "SELECT count(*) FROM grids WHERE code = ANY(%s) AND closed_by = %s "
        "AND valid_to IS NOT NULL",
        ([a, b], saved.change_id),
    ).fetchone()
    assert closed == (2,)
    hist = planning_history.history(conn=conn, code=b)
    assert hist[0].id == saved.change_id and hist[0].reason == "school catchment moved"
    assert hist[0].author == "planner:test" and hist[0].kind == "edit"
    vs = planning_history.versions(conn=conn, code=a)
    assert vs[0].version == va + 1 and vs[0].reason == "school catchment moved"
    assert vs[1].valid_to is not None


def test_open_incidents_are_rehomed_and_closed_ones_keep_their_grid(
    conn: psycopg.Connection,
) -> None:
    a, b, ga, gb = pair(conn)
    strip = gb.intersection(ga.buffer(25 / 100_000)).difference(ga.buffer(5 / 100_000))
    p = shapely.Point(shapely.get_coordinates(strip.representative_point())[0])
    open_case = case_at(conn, p.x, p.y, b)
    done = case_at(conn, p.x, p.y, b)
    conn.execute("UPDATE incidents SET status = 'closed' WHERE id = %s", (done["id"],))
    old_grid_id = conn.execute(
        "SELECT grid_id FROM incidents WHERE id = %s", (done["id"],)
    ).fetchone()
    edit = planning.Edit("edit", code=a, geom=grown(ga, gb))
    prev = {r.code: r for r in planning.preview(conn=conn, edit=edit).impact}
    assert prev[a].open_incidents[1] == prev[a].open_incidents[0] + 1
    saved = save(conn, edit)
    assert saved.rehomed == 1
    moved = conn.execute(
        "SELECT i.grid_code, g.valid_to IS NULL FROM incidents i JOIN grids g ON g.id = i.grid_id "
        "WHERE i.id = %s", (open_case["id"],)
    ).fetchone()  # fmt: skip
    assert moved == (a, True)
    kept = conn.execute(
        "SELECT grid_code, grid_id FROM incidents WHERE id = %s", (done["id"],)
    ).fetchone()
    assert kept == (b, old_grid_id[0])
    ev = conn.execute(
        "SELECT before->>'grid_code', after->>'grid_code' FROM incident_events "
        "WHERE incident_id = %s AND action = 'rehomed'", (open_case["id"],)
    ).fetchone()  # fmt: skip
    assert ev == (b, a)
    assert planning_history.history(conn=conn, code=a)[0].rehomed == 1


def test_a_save_after_someone_else_saved_is_refused(conn: psycopg.Connection) -> None:
    a, b, ga, gb = pair(conn)
    edit = planning.Edit("edit", code=a, geom=grown(ga, gb))
    stale = planning.preview(conn=conn, edit=edit).base
    save(conn, planning.Edit("edit", code=a, geom=grown(ga, gb, 10)))
    with pytest.raises(Conflict, match="changed since the preview"):
        with transaction(conn, "planner:test") as c:
            planning.save(conn=c, edit=edit, reason="late", base=stale)


def test_a_refused_edit_writes_nothing(conn: psycopg.Connection) -> None:
    a, b, ga, gb = pair(conn)
    before = conn.execute("SELECT count(*), max(id) FROM grids").fetchone()
    changes = conn.execute("SELECT count(*) FROM grid_changes").fetchone()
    edit = planning.Edit("edit", code=a, geom=grown(ga, gb), follow=False)
    p = planning.preview(conn=conn, edit=edit)
    assert [x.kind for x in p.problems] == ["overlap"] and p.problems[0].codes == (a, b)
    with pytest.raises(InvalidGeometry, match="overlap"):
        with transaction(conn, "planner:test") as c:
            planning.save(conn=c, edit=edit, reason="bad", base=p.base)
    assert conn.execute("SELECT count(*), max(id) FROM grids").fetchone() == before
    assert conn.execute("SELECT count(*) FROM grid_changes").fetchone() == changes


def test_split_gives_the_new_part_a_fresh_code_and_the_platforms(conn: psycopg.Connection) -> None:
    a, _, ga, _ = pair(conn)
    conn.execute(
        "INSERT INTO platform_grids SELECT id, %s FROM platforms ORDER BY id LIMIT 1 "
        "ON CONFLICT DO NOTHING", (a,)
    )  # fmt: skip
    minx, miny, maxx, maxy = ga.bounds
    cx = (minx + maxx) / 2
    line = shapely.LineString([(cx, miny - 0.001), (cx, maxy + 0.001)])
    saved = save(conn, planning.Edit("split", code=a, geom=line))
    (new,) = [c for c in saved.codes if c != a]
    assert new[:12] == a[:12] and new != a
    _, g_new, _ = current(conn, new)
    assert abs(g_new.area + current(conn, a)[1].area - ga.area) < 1e-10
    served = conn.execute("SELECT count(*) FROM platform_grids WHERE grid_code = %s", (new,))
    assert served.fetchone()[0] >= 1  # type: ignore[index]
    worker = conn.execute(
        "SELECT worker_name FROM grids WHERE code = %s AND valid_to IS NULL", (new,)
    ).fetchone()
    assert worker == (None,)


def test_merge_retires_the_second_grid_and_hands_over_its_units(conn: psycopg.Connection) -> None:
    a, b, ga, gb = pair(conn)
    unit = conn.execute(
        "UPDATE units SET grid_code = %s WHERE id = (SELECT min(id) FROM units) RETURNING id", (b,)
    ).fetchone()
    saved = save(conn, planning.Edit("merge", codes=(a, b)))
    assert conn.execute(
        "SELECT count(*) FROM grids WHERE code = %s AND valid_to IS NULL", (b,)
    ).fetchone() == (0,)
    assert abs(current(conn, a)[1].area - (ga.area + gb.area)) < 1e-10
    assert conn.execute("SELECT grid_code FROM units WHERE id = %s", unit).fetchone() == (a,)
    assert planning_history.history(conn=conn, code=b)[0].id == saved.change_id


def test_restore_brings_an_earlier_version_back(conn: psycopg.Connection) -> None:
    a, b, ga, gb = pair(conn)
    va = current(conn, a)[0]
    save(conn, planning.Edit("edit", code=a, geom=grown(ga, gb)))
    save(conn, planning.Edit("restore", code=a, version=va), "undo")
    v, g, _ = current(conn, a)
    assert v == va + 2 and g.symmetric_difference(ga).area < 1e-12
    assert current(conn, b)[1].symmetric_difference(gb).area < 1e-12
    assert planning_history.versions(conn=conn, code=a)[0].reason == "undo"


def test_a_merged_grid_can_be_brought_back(conn: psycopg.Connection) -> None:
    a, b, ga, gb = pair(conn)
    vb = current(conn, b)[0]
    save(conn, planning.Edit("merge", codes=(a, b)))
    save(conn, planning.Edit("restore", code=b, version=vb))
    assert current(conn, b)[1].symmetric_difference(gb).area < 1e-12
    assert current(conn, a)[1].symmetric_difference(ga).area < 1e-12


def test_overloaded_grids_get_a_cut_that_splits_cleanly(conn: psycopg.Connection) -> None:
    a, *_ = pair(conn)
    conn.execute("UPDATE grids SET households = 5000 WHERE code = %s AND valid_to IS NULL", (a,))
    found = planning_suggest.suggestions(conn=conn, rules=boundaries.Rules(households_target=600))
    assert found and found[0].code == a and found[0].overload == pytest.approx(5000 / 600)
    edit = planning.Edit("split", code=a, geom=found[0].line)
    p = planning.preview(conn=conn, edit=edit)
    assert p.ok and len(p.proposal.after) == 2
    # each part carries about half the workload: households and last year's cases, equally
    hh = [r.households[1] for r in p.impact]
    cases = [r.last_year[1] for r in p.impact]
    share = [
        0.5 * h / max(sum(hh), 1) + 0.5 * (n / sum(cases) if sum(cases) else 0.5)
        for h, n in zip(hh, cases, strict=True)
    ]
    assert share[0] == pytest.approx(0.5, abs=0.08), (hh, cases)


def community_set(conn: psycopg.Connection, code: str) -> list[dict[str, Any]]:
    """The current grids of the community of ``code`` as an import file would give them."""
    rows = conn.execute(
        "SELECT code, name, type, community_code, households, population, worker_name, "
        "worker_phone, leader_name, zone_class, ST_AsBinary(geom) FROM grids "
        "WHERE valid_to IS NULL AND community_code = (SELECT community_code FROM grids "
        "WHERE code = %s AND valid_to IS NULL) ORDER BY code",
        (code,),
    ).fetchall()
    keys = planning_import.IMPORT_FIELDS
    return [dict(zip(keys, r[:10], strict=True)) | {"geom": shapely.from_wkb(r[10])} for r in rows]


def test_an_imported_set_shows_its_diff_and_applies_only_what_changed(
    conn: psycopg.Connection,
) -> None:
    a, b, ga, gb = pair(conn)
    grids = community_set(conn, a)
    same = planning_import.import_preview(conn=conn, grids=grids)
    assert same.preview.ok and same.changed == [] and same.added == [] and same.removed == []
    # The file moves the A/B edge, renames nothing, and merges B into A.
    for g in grids:
        if g["code"] == a:
            g["geom"] = shapely.union_all([ga, gb])
            g["households"] += 10
    grids = [g for g in grids if g["code"] != b]
    d = planning_import.import_preview(conn=conn, grids=grids)
    assert d.preview.ok, d.preview.problems
    assert d.changed == [a] and d.removed == [b] and d.added == []
    assert len(d.unchanged) == len(grids) - 1
    rows = {r.code: r for r in d.preview.impact}
    assert rows[a].households[1] == rows[a].households[0] + 10
    with transaction(conn, "planner:test") as c:
        saved = planning_import.save_import(
            conn=c, grids=grids, reason="2027 boundary set", base=d.preview.base
        )
    assert saved.codes == sorted([a, b])
    assert planning_history.history(conn=conn, code=b)[0].kind == "import"
    assert current(conn, a)[1].area == pytest.approx(ga.area + gb.area)


def test_an_imported_set_with_an_overlap_or_a_hole_is_refused(conn: psycopg.Connection) -> None:
    a, b, ga, gb = pair(conn)
    grids = community_set(conn, a)
    for g in grids:
        if g["code"] == a:
            g["geom"] = shapely.union_all([ga, gb.intersection(ga.buffer(0.0003))])
    kinds = {
        x.kind for x in planning_import.import_preview(conn=conn, grids=grids).preview.problems
    }
    assert kinds == {"overlap"}
    grids = [g for g in community_set(conn, a) if g["code"] != b]
    holed = planning_import.import_preview(conn=conn, grids=grids).preview
    assert {x.kind for x in holed.problems} == {"gap"}
    with pytest.raises(InvalidGeometry, match="gap"):
        with transaction(conn, "planner:test") as c:
            planning_import.save_import(conn=c, grids=grids, reason="bad", base=holed.base)
