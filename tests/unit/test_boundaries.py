"""Boundary edits as pure geometry: the operations, every refusal and the impact figures."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geo import boundaries as b
from geo.errors import InvalidGeometry

F = b.Frame(113.1, 27.8)


def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Geometry:
    """A rectangle given in metres from the frame's origin, in degrees."""
    return F.degrees(shapely.box(x0, y0, x1, y1))


def poly(*xy: tuple[float, float]) -> shapely.Geometry:
    return F.degrees(shapely.Polygon(xy))


def pt(x: float, y: float) -> tuple[float, float]:
    g = F.degrees(shapely.Point(x, y))
    return g.x, g.y


# A community 600 x 200 m of three grids, each 200 x 200 m.
COMMUNITY = box(0, 0, 600, 200)
GRIDS = {
    "A": b.clean(box(0, 0, 200, 200)),
    "B": b.clean(box(200, 0, 400, 200)),
    "C": b.clean(box(400, 0, 600, 200)),
}
PARENTS = dict.fromkeys(["A", "B", "C", "A2", "N"], COMMUNITY)
RULES = b.Rules(snap_m=1.0, min_area_m2=2_000, min_width_m=10, households_target=600)


def problems(p: b.Proposal) -> list[b.Problem]:
    before = {c: GRIDS[c] for c in p.after if c in GRIDS}
    near = {c: g for c, g in GRIDS.items() if c not in p.after}
    return b.check(p, before, near, PARENTS, rules=RULES)


def kinds(p: b.Proposal) -> set[str]:
    return {x.kind for x in problems(p)}


def test_moving_a_shared_edge_moves_the_neighbour_too() -> None:
    p = b.place(GRIDS, "A", box(0, 0, 250, 200), rules=RULES)
    assert set(p.after) == {"A", "B"}
    assert F.area(p.after["A"]) == pytest.approx(50_000, rel=1e-6)
    assert F.area(p.after["B"]) == pytest.approx(30_000, rel=1e-6)
    assert problems(p) == []


def test_giving_up_ground_hands_it_to_the_neighbour_on_that_side() -> None:
    p = b.place(GRIDS, "B", box(200, 0, 350, 200), rules=RULES)
    assert F.area(p.after["C"]) == pytest.approx(50_000, rel=1e-6)
    assert "A" not in p.after
    assert problems(p) == []


def test_a_vertex_dragged_to_within_the_snap_distance_lands_on_the_edge() -> None:
    p = b.place(GRIDS, "A", poly((0, 0), (200.4, 0), (200.4, 200), (0, 200)), rules=RULES)
    assert problems(p) == []
    assert F.area(p.after["A"]) == pytest.approx(40_000, abs=1.0)


def test_without_follow_an_overlap_is_refused_and_shown() -> None:
    p = b.place(GRIDS, "A", box(0, 0, 250, 200), follow=False, rules=RULES)
    found = problems(p)
    assert [x.kind for x in found] == ["overlap"]
    assert found[0].codes == ("A", "B") and "10,000 m²" in found[0].message
    assert F.area(found[0].where) == pytest.approx(10_000, rel=1e-6)


def test_without_follow_a_gap_is_refused_and_shown() -> None:
    p = b.place(GRIDS, "A", box(0, 0, 150, 200), follow=False, rules=RULES)
    found = problems(p)
    assert [x.kind for x in found] == ["gap"]
    assert "B" in found[0].codes and F.area(found[0].where) == pytest.approx(10_000, rel=1e-6)


def test_ground_on_the_community_edge_with_no_neighbour_is_a_gap() -> None:
    p = b.place(GRIDS, "A", box(50, 0, 200, 200), rules=RULES)
    assert kinds(p) == {"gap"}


def test_a_self_intersecting_polygon_is_refused_with_its_crossing_point() -> None:
    # A shell that crosses itself near one corner.
    g = poly((0, 0), (200, 0), (200, 200), (0, 200), (0, 150), (220, 180), (0, 100))
    found = problems(b.place(GRIDS, "A", g, follow=False, rules=RULES))
    assert found[0].kind == "invalid" and "edges cross" in found[0].message
    assert found[0].where is not None and found[0].where.geom_type == "Point"


def test_a_bow_tie_is_refused() -> None:
    g = poly((0, 0), (200, 200), (200, 0), (0, 200))
    found = problems(b.place(GRIDS, "A", g, rules=RULES))
    assert {x.kind for x in found} == {"invalid"}
    x, y = F.metres(found[0].where).coords[0]
    assert (x, y) == pytest.approx((100, 100), abs=0.01)


def test_outside_its_community_is_refused_with_the_part_outside() -> None:
    found = problems(b.place(GRIDS, "A", box(0, -40, 200, 200), rules=RULES))
    out = [x for x in found if x.kind == "outside"]
    assert len(out) == 1 and F.area(out[0].where) == pytest.approx(8_000, rel=1e-6)


def test_a_sliver_left_behind_is_refused() -> None:
    # A takes B except a 6 m strip along B's far side: that strip is all B keeps.
    rules = b.Rules(min_area_m2=1_000, min_width_m=10)
    p = b.place(GRIDS, "A", box(0, 0, 394, 200), rules=rules)
    before = {c: GRIDS[c] for c in p.after}
    found = b.check(p, before, {"C": GRIDS["C"]}, PARENTS, rules=rules)
    assert [x.kind for x in found] == ["sliver"] and found[0].codes == ("B",)


def test_a_thin_arm_is_a_sliver_too() -> None:
    arm = shapely.union_all([box(0, 0, 200, 200), box(200, 0, 400, 6)])
    found = problems(b.place(GRIDS, "A", arm, rules=RULES))
    assert [x.kind for x in found] == ["sliver"] and found[0].codes == ("A",)
    assert F.area(found[0].where) == pytest.approx(1_200, rel=0.05)


def test_a_grid_below_the_minimum_area_is_refused() -> None:
    found = problems(b.place(GRIDS, "N", box(10, 10, 40, 40), rules=RULES))
    assert "too_small" in {x.kind for x in found}


def test_duplicate_vertices_are_dropped_not_refused() -> None:
    g = poly((0, 0), (250, 0), (250, 0), (250, 200), (250, 200), (0, 200))
    p = b.place(GRIDS, "A", g, rules=RULES)
    assert problems(p) == []
    xy = shapely.get_coordinates(p.after["A"])
    assert not (np.abs(np.diff(xy, axis=0)).sum(axis=1) == 0).any()


def test_split_keeps_the_code_on_the_larger_part() -> None:
    line = shapely.LineString([pt(120, -5), pt(120, 205)])
    p = b.split(GRIDS, "A", line, lambda n: [f"A{i + 2}" for i in range(n)], rules=RULES)
    assert set(p.after) == {"A", "A2"} and p.origin == {"A2": "A"}
    assert F.area(p.after["A"]) == pytest.approx(24_000, rel=1e-6)
    assert problems(p) == []


def test_a_cut_ending_just_short_of_the_edge_still_cuts() -> None:
    line = shapely.LineString([pt(120, 10), pt(120, 190)])
    p = b.split(GRIDS, "A", line, lambda n: ["A2"], rules=RULES)
    assert len(p.after) == 2


def test_a_line_that_does_not_cross_is_refused() -> None:
    with pytest.raises(InvalidGeometry, match="does not cut"):
        b.split(GRIDS, "A", shapely.LineString([pt(50, 50), pt(60, 60)]), lambda n: ["X"])


def test_merge_joins_adjacent_grids_and_refuses_distant_ones() -> None:
    p = b.merge(GRIDS, ["A", "B"])
    assert p.after["B"] is None and F.area(p.after["A"]) == pytest.approx(80_000, rel=1e-6)
    assert len(shapely.get_parts(p.after["A"])) == 1 and problems(p) == []
    with pytest.raises(InvalidGeometry, match="do not share an edge"):
        b.merge(GRIDS, ["A", "C"])


def test_a_new_grid_carves_its_ground_from_the_grids_under_it() -> None:
    p = b.place(GRIDS, "N", box(150, 50, 250, 150), rules=RULES, kind="new")
    assert set(p.after) == {"N", "A", "B"}
    assert F.area(p.after["A"]) == pytest.approx(35_000, rel=1e-6)
    assert problems(p) == []


def test_impact_moves_people_with_the_ground_and_counts_incidents_by_place() -> None:
    p = b.place(GRIDS, "A", box(0, 0, 300, 200), rules=RULES)
    before = {c: GRIDS[c] for c in p.after}
    xs, ys = zip(pt(250, 100), pt(350, 100), pt(50, 50), strict=True)
    open_pts = b.Points(np.array(xs), np.array(ys), np.array(["B", "B", "A"]))
    none = b.Points(np.array([]), np.array([]), np.array([], dtype=str))
    rows = {
        r.code: r
        for r in b.impact(
            p, before, {"A": (600, 1500), "B": (400, 1000)}, open_pts, none, rules=RULES
        )
    }
    assert rows["A"].households == (600, 800) and rows["A"].population == (1500, 2000)
    assert rows["B"].households == (400, 200)
    assert rows["A"].open_incidents == (1, 2) and rows["B"].open_incidents == (2, 1)
    assert rows["A"].workload == (1.0, pytest.approx(800 / 600))
    assert rows["A"].change == "changed"


def test_a_balanced_cut_halves_the_ground_of_an_empty_grid() -> None:
    g = GRIDS["A"].union(GRIDS["B"])  # 400 x 200 m: the cut runs across the long side
    line = b.balanced_cut(g)
    p = b.split({"AB": b.clean(g)}, "AB", line, lambda n: ["X"], rules=RULES)
    a1, a2 = F.area(p.after["AB"]), F.area(p.after["X"])
    assert a1 == pytest.approx(a2, rel=0.05)
    x0, _ = F.metres(shapely.Point(line.coords[0])).coords[0]
    x1, _ = F.metres(shapely.Point(line.coords[-1])).coords[0]
    assert abs(x0 - x1) < 1.0 and abs(x0 - 200) < 10  # vertical, in the middle


def test_a_balanced_cut_moves_towards_the_incidents() -> None:
    g = GRIDS["A"].union(GRIDS["B"])
    xs, ys = zip(*[pt(350 + i % 40, 20 + i) for i in range(100)], strict=True)
    line = b.balanced_cut(g, np.array(xs), np.array(ys), load_share=0.5)
    x0, _ = F.metres(shapely.Point(line.coords[0])).coords[0]
    assert x0 > 230  # half the load sits at the far east end: the east part gets smaller
