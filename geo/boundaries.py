"""Grid boundary edits as pure geometry: proposals, topology checks and impact.

An edit is turned into a :class:`Proposal`: the geometry every affected grid would have
afterwards (``None``: the grid is retired). Operations:

- :func:`place` gives one grid a new shape (an edited polygon, a new grid drawn inside a
  community, an earlier version restored). With ``follow`` the neighbours change with it:
  they lose what it takes and gain what it gives up, so a shared edge moves for both.
- :func:`split` cuts a grid along a drawn line; :func:`merge` joins adjacent grids.

:func:`check` finds what would be wrong (invalid, outside the community, overlaps, gaps,
too small, slivers) with the place to highlight; :func:`impact` says what changes for each
grid (households, population, incidents, workload). Geometries are EPSG:4326; lengths and
areas are measured in a local metric frame, good to a fraction of a percent at city scale.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

import h3
import numpy as np
import numpy.typing as npt
import shapely
from shapely import ops
from shapely.geometry.base import BaseGeometry

from geo.errors import InvalidGeometry

Geom: TypeAlias = BaseGeometry
POLYGONAL = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class Rules:
    """Topology rules (from settings)."""

    snap_m: float = 1.0  # vertices this close to a neighbour snap to it; thinner gaps are noise
    min_area_m2: float = 2_000.0  # no grid (nor any part of one) smaller than this
    min_width_m: float = 10.0  # no part of a grid narrower than this (a sliver)
    households_target: int = 600  # households one grid worker serves


RULES = Rules()


@dataclass(frozen=True)
class Problem:
    """Why an edit is refused, and where (``where``: a geometry to highlight)."""

    kind: str  # invalid | not_polygon | outside | overlap | gap | too_small | sliver
    codes: tuple[str, ...]
    message: str
    where: Geom | None = None
    # What the text ``err.problem.<kind>`` names: grid codes, areas in m² (whole numbers), ...
    params: dict[str, str | int | float] = field(default_factory=dict)


@dataclass(frozen=True)
class Proposal:
    """Geometry of each affected grid after the edit (None: retired).

    ``origin``: for each new code, the code it came from (its attributes are the template).
    """

    kind: str
    after: dict[str, Geom | None]
    origin: dict[str, str] = field(default_factory=dict)


# --- the local metric frame ---------------------------------------------------------------


class Frame:
    """Equirectangular metres around a point: fine for areas and widths within a city."""

    def __init__(self, lon0: float, lat0: float) -> None:
        self.lon0, self.lat0 = lon0, lat0
        self.kx = 111_320.0 * math.cos(math.radians(lat0))
        self.ky = 110_574.0

    @classmethod
    def around(cls, geoms: Sequence[Geom | None]) -> Frame:
        """The frame centred on the bounding box of ``geoms``.

        Parameters
        ----------
        geoms : sequence of geometry or None
            Geometries in EPSG:4326; None and empty ones are skipped (at least one must remain).

        Returns
        -------
        Frame
            A frame whose origin is the centre of their combined bounds.
        """
        g = [x for x in geoms if x is not None and not x.is_empty]
        minx, miny, maxx, maxy = shapely.total_bounds(np.array(g, dtype=object))
        return cls((minx + maxx) / 2, (miny + maxy) / 2)

    def metres(self, g: Geom) -> Geom:
        """A lon/lat geometry in this frame's metres.

        Parameters
        ----------
        g : shapely geometry
            A geometry in EPSG:4326 (lon, lat degrees).

        Returns
        -------
        shapely geometry
            The same geometry in metres east and north of the frame's origin.
        """
        return shapely.transform(
            g,
            lambda xy: np.column_stack(
                [(xy[:, 0] - self.lon0) * self.kx, (xy[:, 1] - self.lat0) * self.ky]
            ),
        )

    def degrees(self, g: Geom) -> Geom:
        """A geometry in this frame's metres back in lon/lat degrees.

        Parameters
        ----------
        g : shapely geometry
            A geometry in metres east and north of the frame's origin.

        Returns
        -------
        shapely geometry
            The same geometry in EPSG:4326 (lon, lat degrees).
        """
        return shapely.transform(
            g,
            lambda xy: np.column_stack(
                [xy[:, 0] / self.kx + self.lon0, xy[:, 1] / self.ky + self.lat0]
            ),
        )

    def area(self, g: Geom | None) -> float:
        """The area of a lon/lat geometry in square metres.

        Parameters
        ----------
        g : shapely geometry or None
            A geometry in EPSG:4326.

        Returns
        -------
        float
            Its area in m²; 0 for None or an empty geometry.
        """
        return 0.0 if g is None or g.is_empty else float(self.metres(g).area)

    def deg(self, metres: float) -> float:
        """A length in metres as degrees (the larger of the two axes, for tolerances).

        Parameters
        ----------
        metres : float
            A length in metres.

        Returns
        -------
        float
            The length in degrees.
        """
        return metres / min(self.kx, self.ky)


# --- cleaning and shapes -------------------------------------------------------------------


def clean(g: Geom) -> Geom:
    """Drop repeated vertices (a double click while drawing) and return a MultiPolygon.

    Parameters
    ----------
    g : shapely.Polygon or shapely.MultiPolygon
        A polygonal geometry in EPSG:4326.

    Returns
    -------
    shapely geometry
        A MultiPolygon for a Polygon; other geometries with repeated points removed only.
    """
    g = shapely.remove_repeated_points(g, 1e-9)
    if g.geom_type == "Polygon":
        return shapely.MultiPolygon([g])
    return g


def _polygons(g: Geom | None) -> Geom | None:
    """The polygonal part of an overlay result as a MultiPolygon, or None if nothing is left."""
    if g is None or g.is_empty:
        return None
    parts = [p for p in shapely.get_parts(g) if p.geom_type in POLYGONAL and not p.is_empty]
    polys = [q for p in parts for q in shapely.get_parts(p)]
    return shapely.MultiPolygon(polys) if polys else None


def _solid(pieces: Geom | None, frame: Frame, width_m: float) -> list[Geom]:
    """The parts of ``pieces`` that are more than ``width_m`` wide (thinner ones are noise)."""
    out = []
    for p in shapely.get_parts(_polygons(pieces) or shapely.MultiPolygon()):
        if not frame.metres(p).buffer(-width_m / 2).is_empty:
            out.append(p)
    return out


# --- operations ----------------------------------------------------------------------------


def place(
    current: Mapping[str, Geom],
    code: str,
    geom: Geom,
    *,
    follow: bool = True,
    rules: Rules = RULES,
    kind: str = "edit",
) -> Proposal:
    """Give grid ``code`` the shape ``geom`` (a new code: a new grid).

    With ``follow``, the grids it overlaps lose that area (a grid left with nothing is
    retired) and each piece it gives up goes to the neighbour sharing the longest edge with
    that piece. Vertices within ``rules.snap_m`` of a neighbour snap onto it first.

    Parameters
    ----------
    current : mapping of str to geometry
        The current grids near the edit by code (EPSG:4326), including ``code`` unless new.
    code : str
        The grid given the new shape.
    geom : shapely.Polygon or shapely.MultiPolygon
        Its new shape in EPSG:4326.
    follow : bool
        Whether the neighbours change with it.
    rules : Rules
        The topology rules (snap distance in metres).
    kind : str
        The proposal's kind, such as 'edit', 'new' or 'restore'.

    Returns
    -------
    Proposal
        The geometry after the edit of ``code`` and of each neighbour that changes.

    Raises
    ------
    InvalidGeometry
        ``geom`` is not a polygon.
    """
    if geom is None or geom.is_empty or geom.geom_type not in POLYGONAL:
        raise InvalidGeometry("A grid must be a polygon.", code="grid.not_polygon")
    new = clean(geom)
    old = current.get(code)
    frame = Frame.around([new, old])
    after: dict[str, Geom | None] = {}
    if follow and new.is_valid:
        tol = frame.deg(rules.snap_m)
        reach = new if old is None else shapely.union_all([new, old])
        others = {c: g for c, g in current.items() if c != code and g.intersects(reach.buffer(tol))}
        if others:
            edges = shapely.union_all([g.boundary for g in others.values()])
            new = clean(_polygons(shapely.snap(new, edges, tol)) or new)
        for c, g in others.items():
            rest = _solid(g.difference(new), frame, rules.snap_m)
            if not rest:
                after[c] = None
                continue
            kept = shapely.MultiPolygon([q for p in rest for q in shapely.get_parts(p)])
            if frame.area(kept.symmetric_difference(g)) > 1.0:  # else only noding noise
                after[c] = kept
        if old is not None:
            for piece in _solid(old.difference(new), frame, rules.snap_m):
                best, best_len = None, 0.0
                for c, g in others.items():
                    mine = after.get(c, g)
                    if mine is None:
                        continue
                    shared = frame.metres(piece.boundary.intersection(mine.buffer(tol))).length
                    if shared > best_len:
                        best, best_len = c, shared
                if best is not None:  # no neighbour: the piece stays a gap, and check() says so
                    after[best] = _polygons(
                        shapely.union_all([after.get(best, others[best]), piece])
                    )
    after[code] = new
    return Proposal(kind, after)


def _extend(line: Geom, metres: float, frame: Frame) -> Geom:
    """The line with both ends pulled out by ``metres`` (a drawn cut rarely ends exactly
    outside the grid)."""
    xy = shapely.get_coordinates(frame.metres(line))
    for end, prev in ((0, 1), (-1, -2)):
        d = xy[end] - xy[prev]
        n = float(np.hypot(*d))
        if n > 0:
            xy[end] = xy[end] + d / n * metres
    return frame.degrees(shapely.LineString(xy))


def split(
    current: Mapping[str, Geom],
    code: str,
    line: Geom,
    new_codes: Callable[[int], list[str]],
    *,
    rules: Rules = RULES,
) -> Proposal:
    """Cut grid ``code`` along ``line``. The largest part keeps the code; the others get
    codes from ``new_codes(n)``.

    Parameters
    ----------
    current : mapping of str to geometry
        The current grids by code (EPSG:4326).
    code : str
        The grid to cut.
    line : shapely.LineString
        The cut in EPSG:4326; both ends are extended by 30 m.
    new_codes : callable
        ``new_codes(n)`` gives ``n`` unused grid codes for the other parts.
    rules : Rules
        The topology rules (not used by the cut itself).

    Returns
    -------
    Proposal
        Of kind 'split': each part by code; ``origin`` maps each new code to ``code``.

    Raises
    ------
    InvalidGeometry
        ``code`` is not a current grid, ``line`` is not a line, or it does not cut the grid.
    """
    if code not in current:
        raise InvalidGeometry(
            f"Grid {code} is not a current grid.", code="grid.not_current", grid=code
        )
    if line is None or line.geom_type != "LineString" or len(line.coords) < 2:
        raise InvalidGeometry("Draw the cut as a line of two or more points.", code="grid.cut_line")
    g = current[code]
    frame = Frame.around([g])
    cut = _extend(line, 30.0, frame)
    parts = [p for p in shapely.get_parts(ops.split(g, cut)) if frame.area(p) > 1.0]
    if len(parts) < 2:
        raise InvalidGeometry(
            "The line does not cut the grid in two: draw it from one side across to the other.",
            code="grid.cut_miss",
        )
    parts.sort(key=frame.area, reverse=True)
    codes = [code, *new_codes(len(parts) - 1)]
    after: dict[str, Geom | None] = {c: clean(p) for c, p in zip(codes, parts, strict=True)}
    return Proposal("split", after, {c: code for c in codes[1:]})


def merge(current: Mapping[str, Geom], codes: Sequence[str]) -> Proposal:
    """Join ``codes`` (adjacent, sharing an edge) into the first of them.

    Parameters
    ----------
    current : mapping of str to geometry
        The current grids by code (EPSG:4326).
    codes : sequence of str
        Two or more different grids; the first keeps its code, the others are retired.

    Returns
    -------
    Proposal
        Of kind 'merge': the union under the first code, None for the others.

    Raises
    ------
    InvalidGeometry
        Fewer than two different grids, one that is not current, or grids not sharing an edge.
    """
    if len(codes) < 2 or len(set(codes)) != len(codes):
        raise InvalidGeometry("Pick two or more different grids to merge.", code="grid.merge_count")
    missing = [c for c in codes if c not in current]
    if missing:
        raise InvalidGeometry(
            f"Not a current grid: {', '.join(missing)}.",
            code="grid.not_current_any",
            grids=", ".join(missing),
        )
    frame = Frame.around([current[c] for c in codes])
    joined = shapely.union_all([current[c].buffer(frame.deg(0.01)) for c in codes]).buffer(
        -frame.deg(0.01)
    )
    if len(shapely.get_parts(joined)) != 1:
        raise InvalidGeometry(
            "These grids do not share an edge, so they cannot be merged.", code="grid.merge_apart"
        )
    exact = shapely.union_all([current[c] for c in codes])
    after: dict[str, Geom | None] = {c: None for c in codes[1:]}
    after[codes[0]] = clean(_polygons(exact) or exact)
    return Proposal("merge", after)


def _thin(pm: Geom, width_m: float) -> Geom | None:
    """The parts of a metric polygon narrower than ``width_m`` (what a morphological opening
    removes), ignoring the crumbs an opening always takes from sharp corners."""
    opened = pm.buffer(-width_m / 2, join_style="mitre").buffer(width_m / 2, join_style="mitre")
    pieces = [p for p in shapely.get_parts(pm.difference(opened)) if p.area > 5 * width_m**2]
    return shapely.union_all(pieces) if pieces else None


# --- checks --------------------------------------------------------------------------------

_AT = re.compile(r"\[(-?[0-9.eE+-]+) (-?[0-9.eE+-]+)\]")


def _m2(area: float) -> int:
    """An area in whole square metres (the texts of problems name them so)."""
    return round(area)


def _num(x: float) -> int | float:
    """A setting as the texts name it: 10.0 as 10, 2.5 as 2.5."""
    return round(x) if float(x).is_integer() else x


def _invalid(code: str, g: Geom) -> Problem:
    reason = shapely.is_valid_reason(g)
    m = _AT.search(reason)
    where = shapely.Point(float(m.group(1)), float(m.group(2))) if m else None
    what = reason.split("[")[0].strip()
    if what.lower().startswith("self-intersection") or "self-intersection" in what.lower():
        text = "its edges cross (a bow-tie or self-intersection)"
    elif "hole" in what.lower():
        text = "a hole lies outside its shell"
    else:
        text = what.lower() or "invalid geometry"
    return Problem(
        "invalid",
        (code,),
        f"Grid {code} is not a valid polygon: {text}.",
        where,
        params={"grid": code},
    )


def check(  # noqa: C901 - one independent check after the other
    proposal: Proposal,
    before: Mapping[str, Geom],
    neighbours: Mapping[str, Geom],
    parents: Mapping[str, Geom],
    *,
    rules: Rules = RULES,
) -> list[Problem]:
    """Everything wrong with ``proposal``.

    ``before``: the affected grids' current geometry; ``neighbours``: current grids near
    them that the edit leaves alone; ``parents``: the community polygon of each grid in
    ``proposal.after``. Pieces thinner than ``rules.snap_m`` are drawing noise, not faults.

    Parameters
    ----------
    proposal : Proposal
        The edit to check.
    before : mapping of str to geometry
        The affected grids' current geometry by code (EPSG:4326).
    neighbours : mapping of str to geometry
        Current grids near them by code; those in the proposal are ignored.
    parents : mapping of str to geometry
        The community polygon of each grid of ``proposal.after`` by grid code.
    rules : Rules
        Snap distance, minimum area (m²) and minimum width (m).

    Returns
    -------
    list of Problem
        Empty when the edit is sound. Invalid or non-polygonal shapes are reported alone;
        otherwise outside, too_small, sliver, overlap and gap problems, each with the place.
    """
    live = {c: g for c, g in proposal.after.items() if g is not None}
    frame = Frame.around([*live.values(), *before.values()])
    problems: list[Problem] = []
    good: dict[str, Geom] = {}
    for c, g in live.items():
        if g.geom_type not in POLYGONAL:
            problems.append(
                Problem(
                    "not_polygon", (c,), f"Grid {c} is not a polygon.", None, params={"grid": c}
                )
            )
        elif not g.is_valid:
            problems.append(_invalid(c, g))
        else:
            good[c] = g
    if problems:  # overlaps and gaps of a broken shape would only confuse: fix it first
        return problems
    for c, g in good.items():
        parent = parents.get(c)
        if parent is not None:
            out = _solid(g.difference(parent), frame, rules.snap_m)
            if out:
                where = shapely.union_all(out)
                problems.append(
                    Problem(
                        "outside",
                        (c,),
                        f"Grid {c} reaches {frame.area(where):,.0f} m² outside its community.",
                        where,
                        params={"grid": c, "area": _m2(frame.area(where))},
                    )
                )
        area = frame.area(g)
        if area < rules.min_area_m2:
            problems.append(
                Problem(
                    "too_small",
                    (c,),
                    f"Grid {c} would be {area:,.0f} m², less than the minimum "
                    f"{rules.min_area_m2:,.0f} m².",
                    g,
                    params={"grid": c, "area": _m2(area), "min": _m2(rules.min_area_m2)},
                )
            )
            continue
        for part in shapely.get_parts(g):
            pm = frame.metres(part)
            if pm.area < rules.min_area_m2:
                problems.append(
                    Problem(
                        "too_small",
                        (c,),
                        f"A {pm.area:,.0f} m² piece of grid {c} is smaller than the minimum "
                        f"{rules.min_area_m2:,.0f} m².",
                        part,
                        params={"grid": c, "area": _m2(pm.area), "min": _m2(rules.min_area_m2)},
                    )
                )
            else:
                thin = _thin(pm, rules.min_width_m)
                if thin is not None:
                    problems.append(
                        Problem(
                            "sliver",
                            (c,),
                            f"Grid {c} has a sliver narrower than {rules.min_width_m:g} m.",
                            frame.degrees(thin),
                            params={"grid": c, "width": _num(rules.min_width_m)},
                        )
                    )
    # Overlaps: between grids of the proposal, and with the neighbours left alone.
    others = {c: g for c, g in neighbours.items() if c not in proposal.after}
    pool = {**good, **others}
    names = list(pool)
    geoms = np.array([pool[c] for c in names], dtype=object)
    tree = shapely.STRtree(geoms)
    seen: set[tuple[str, str]] = set()
    for c in good:
        for j in tree.query(good[c], predicate="intersects"):
            d = names[int(j)]
            pair = (min(c, d), max(c, d))
            if d == c or pair in seen:
                continue
            seen.add(pair)
            over = _solid(good[c].intersection(pool[d]), frame, rules.snap_m)
            if over:
                where = shapely.union_all(over)
                problems.append(
                    Problem(
                        "overlap",
                        pair,
                        f"Grids {pair[0]} and {pair[1]} overlap by {frame.area(where):,.0f} m².",
                        where,
                        params={"a": pair[0], "b": pair[1], "area": _m2(frame.area(where))},
                    )
                )
    # Gaps: ground the affected grids covered before that no grid covers afterwards.
    if before:
        was = shapely.union_all(list(before.values()))
        now = shapely.union_all([*good.values(), *others.values()]) if pool else None
        holes = _solid(was if now is None else was.difference(now), frame, rules.snap_m)
        for hole in holes:
            near = tuple(
                sorted(c for c in pool if pool[c].distance(hole) < frame.deg(rules.snap_m))
            )
            problems.append(
                Problem(
                    "gap",
                    near,
                    f"The edit leaves a gap of {frame.area(hole):,.0f} m² that no grid covers"
                    + (f" (beside {', '.join(near)})." if near else "."),
                    hole,
                    params={"area": _m2(frame.area(hole)), "grids": ", ".join(near)},
                )
            )
    return problems


# --- impact --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Impact:
    """Before -> after for one affected grid."""

    code: str
    change: str  # changed | new | retired
    area_m2: tuple[float, float]
    households: tuple[int, int]
    population: tuple[int, int]
    open_incidents: tuple[int, int]
    last_year: tuple[int, int]
    workload: tuple[float, float]  # households / households_target


@dataclass(frozen=True)
class Points:
    """Incident points of the affected grids: where they are and the grid they have now."""

    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]
    grid: npt.NDArray[np.str_]


def impact(
    proposal: Proposal,
    before: Mapping[str, Geom],
    people: Mapping[str, tuple[int, int]],
    open_points: Points,
    year_points: Points,
    *,
    rules: Rules = RULES,
) -> list[Impact]:
    """Before -> after per affected grid. Households and population move with area (people
    are taken as spread evenly over each old grid); incidents are counted by position.

    Parameters
    ----------
    proposal : Proposal
        The edit.
    before : mapping of str to geometry
        The affected grids' current geometry by code (EPSG:4326).
    people : mapping of str to (int, int)
        ``(households, population)`` of each current grid by code.
    open_points : Points
        The open incidents of the affected grids.
    year_points : Points
        The incidents of the last year in the affected grids.
    rules : Rules
        ``households_target`` for the workload.

    Returns
    -------
    list of Impact
        One per grid of ``proposal.after``: change, area (m²), households, population, open
        incidents, last year's incidents and workload, each as (before, after).
    """
    frame = Frame.around([*before.values(), *proposal.after.values()])
    old_area = {c: frame.area(g) for c, g in before.items()}
    rows = []
    for code, g in proposal.after.items():
        hh_b, pop_b = people.get(code, (0, 0)) if code in before else (0, 0)
        hh_a = pop_a = 0.0
        if g is not None:
            for c, og in before.items():
                if old_area[c] <= 0 or not og.intersects(g):
                    continue
                share = frame.area(_polygons(og.intersection(g))) / old_area[c]
                hh, pop = people.get(c, (0, 0))
                hh_a, pop_a = hh_a + hh * share, pop_a + pop * share
        change = "retired" if g is None else ("changed" if code in before else "new")
        rows.append(
            Impact(
                code,
                change,
                (old_area.get(code, 0.0), frame.area(g)),
                (hh_b, round(hh_a)),
                (pop_b, round(pop_a)),
                _counts(code, g, open_points),
                _counts(code, g, year_points),
                (hh_b / rules.households_target, round(hh_a) / rules.households_target),
            )
        )
    return rows


def _counts(code: str, g: Geom | None, pts: Points) -> tuple[int, int]:
    before = int((pts.grid == code).sum())
    if g is None or len(pts.lon) == 0:
        return before, 0
    return before, int(shapely.contains_xy(g, pts.lon, pts.lat).sum())


# --- workload suggestions ------------------------------------------------------------------


def balanced_cut(
    g: Geom,
    lon: npt.NDArray[np.float64] | None = None,
    lat: npt.NDArray[np.float64] | None = None,
    *,
    load_share: float = 0.5,
    samples: int = 2000,
) -> Geom:
    """A straight line cutting ``g`` into two halves of equal workload.

    The grid's ground is taken as the H3 cells inside it (resolution 13, about 44 m², or
    12 for a large grid), each holding an equal share of the households; with weight
    ``load_share`` the incidents at (``lon``, ``lat``) are added to their nearest cells.
    The cells are parted into two groups of equal weight along the grid's long axis
    (weighted principal axis, weighted median), and the line between the groups is returned,
    reaching past the grid on both sides (for :func:`split`).

    Parameters
    ----------
    g : shapely.Polygon or shapely.MultiPolygon
        The grid in EPSG:4326.
    lon, lat : numpy.ndarray of float, optional
        Longitudes and latitudes (degrees) of the grid's incidents; None: households only.
    load_share : float
        The share of the workload the incidents carry (0-1).
    samples : int
        Points of the fine lattice used instead of cells for a grid of fewer than 20 cells.

    Returns
    -------
    shapely.LineString
        The cut in EPSG:4326.
    """
    frame = Frame.around([g])
    gm = frame.metres(g)
    minx, miny, maxx, maxy = gm.bounds
    res = 13 if gm.area < 500_000 else 12
    cells = h3.h3shape_to_cells(h3.geo_to_h3shape(g), res)
    centres = np.array([h3.cell_to_latlng(c) for c in cells]).reshape(-1, 2)
    pts = shapely.get_coordinates(frame.metres(shapely.multipoints(centres[:, ::-1])))
    if len(pts) < 20:  # a grid smaller than a few cells: sample it on a fine lattice instead
        step = math.sqrt(gm.area / samples)
        gx, gy = np.meshgrid(
            np.arange(minx + step / 2, maxx, step), np.arange(miny + step / 2, maxy, step)
        )
        xs, ys = gx.ravel(), gy.ravel()
        inside = shapely.contains_xy(gm, xs, ys)
        pts = np.column_stack([xs[inside], ys[inside]])
    if len(pts) < 4:
        pts = shapely.get_coordinates(
            gm.exterior if gm.geom_type == "Polygon" else gm.convex_hull.exterior
        )
    w = np.full(len(pts), (1 - load_share) / len(pts))
    if lon is not None and lat is not None and len(lon):
        inc = shapely.get_coordinates(
            frame.metres(shapely.multipoints(np.column_stack([lon, lat])))
        )
        near = np.argmin(((pts[:, None, :] - inc[None, :, :]) ** 2).sum(axis=2), axis=0)
        np.add.at(w, near, load_share / len(inc))
    else:
        w = np.full(len(pts), 1 / len(pts))
    centre = (pts * w[:, None]).sum(axis=0) / w.sum()
    cov = np.cov((pts - centre).T, aweights=w)
    axis = np.linalg.eigh(cov)[1][:, -1]  # the long axis
    proj = (pts - centre) @ axis
    order = np.argsort(proj)
    cum = np.cumsum(w[order])
    at = float(np.interp(cum[-1] / 2, cum - w[order] / 2, proj[order]))
    normal = np.array([-axis[1], axis[0]])
    reach = math.hypot(maxx - minx, maxy - miny) + 50
    mid = centre + axis * at
    line = shapely.LineString([mid - normal * reach, mid + normal * reach])
    return frame.degrees(line)
