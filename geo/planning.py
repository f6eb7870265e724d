"""Grid boundary changes in the database: preview, save as a new version, history, restore.

An :class:`Edit` says what the planner did (a redrawn polygon, a cut, a merge, a new grid,
an earlier version brought back). :func:`preview` turns it into the proposal, its problems
and its impact, against the grids as they are now; :func:`save` does the same again inside
one transaction with the rows locked, refuses if anything was changed meanwhile (``base``)
or anything is wrong, then closes the old versions, writes the new ones, re-homes the open
incidents and records who, when and why. Past incidents keep the grid version they had.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import psycopg
import shapely
from psycopg import sql
from psycopg.rows import dict_row

from geo import boundaries as b
from geo.errors import Conflict, InvalidGeometry, InvalidInput, NotFound

KINDS = ("edit", "new", "split", "merge", "restore")
GRID_TYPES = ("residential", "school", "enterprise", "market", "hospital", "other")
_ATTRS = ("name", "type", "community_code", "path", "worker_name", "worker_phone",
          "leader_name", "zone_class")  # fmt: skip


@dataclass(frozen=True)
class Edit:
    """One planner action. ``geom``: the new polygon (edit, new) or the cut line (split)."""

    kind: str
    code: str | None = None
    codes: tuple[str, ...] = ()
    geom: b.Geom | None = None
    follow: bool = True
    version: int | None = None  # restore: the version to bring back
    community: str | None = None  # new: the community it is drawn in
    name: str | None = None  # new: its name
    grid_type: str = "residential"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InvalidInput(
                f"Unknown edit {self.kind!r}: expected one of {', '.join(KINDS)}.",
                code="planning.unknown_edit",
                value=str(self.kind)[:40],
                kinds=", ".join(KINDS),
            )
        if self.kind in ("edit", "split", "restore") and not self.code:
            raise InvalidInput(
                f"A {self.kind} needs the grid's code.", code="planning.need_code", kind=self.kind
            )
        if self.kind == "merge" and len(self.codes) < 2:
            raise InvalidInput("Pick two or more grids to merge.", code="planning.merge_count")
        if self.kind in ("edit", "new", "split") and self.geom is None:
            raise InvalidInput("Draw the shape first.", code="planning.no_shape")
        if self.kind == "new" and (not self.community or not (self.name or "").strip()):
            raise InvalidInput(
                "A new grid needs its community and a name.", code="planning.new_needs"
            )
        if self.kind == "new" and self.grid_type not in GRID_TYPES:
            raise InvalidInput(
                f"Unknown grid type {self.grid_type!r}.",
                code="planning.grid_type",
                value=str(self.grid_type)[:40],
            )
        if self.kind == "restore" and (self.version is None or self.version < 1):
            raise InvalidInput("Say which version to restore.", code="planning.need_version")


@dataclass(frozen=True)
class Preview:
    """What an edit (None: an imported boundary set) would do: ``base`` holds the version
    of each affected current grid."""

    edit: Edit | None
    proposal: b.Proposal
    problems: list[b.Problem]
    impact: list[b.Impact]
    base: dict[str, int]
    before: dict[str, b.Geom]
    neighbours: dict[str, b.Geom]
    names: dict[str, str] = field(default_factory=dict)
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)  # current rows, by code
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)  # attrs of new codes

    @property
    def ok(self) -> bool:
        """Whether the edit may be saved: it has no problems.

        Returns
        -------
        bool
            True when ``problems`` is empty.
        """
        return not self.problems


@dataclass(frozen=True)
class Saved:
    change_id: int
    codes: list[str]
    rehomed: int


_GRID_ROW = (
    "SELECT id, code, version, name, type, community_code, path::text AS path, worker_name, "
    "worker_phone, leader_name, zone_class, households, population, ST_AsBinary(geom) AS wkb "
    "FROM grids "
)


def _rows(
    conn: psycopg.Connection, where: str, params: Mapping[str, Any], lock: bool
) -> dict[str, dict[str, Any]]:
    q = f"{_GRID_ROW} WHERE valid_to IS NULL AND ({where}) ORDER BY code" + (
        " FOR UPDATE" if lock else ""
    )
    with conn.cursor(row_factory=dict_row) as cur:
        out = {}
        for r in cur.execute(q, params).fetchall():
            r["geom"] = shapely.from_wkb(r.pop("wkb"))
            out[r["code"]] = r
        return out


def _around(
    conn: psycopg.Connection, area: b.Geom, lock: bool, tol: float
) -> dict[str, dict[str, Any]]:
    return _rows(
        conn,
        "ST_Intersects(geom, ST_Expand(ST_GeomFromWKB(%(a)s, 4326), %(t)s)) "
        "AND ST_DWithin(geom, ST_GeomFromWKB(%(a)s, 4326), %(t)s)",
        {"a": shapely.to_wkb(area), "t": tol},
        lock,
    )


def _version(conn: psycopg.Connection, code: str, version: int) -> dict[str, Any]:
    with conn.cursor(row_factory=dict_row) as cur:
        r = cur.execute(
            _GRID_ROW + "WHERE code = %(c)s AND version = %(v)s", {"c": code, "v": version}
        ).fetchone()
    if r is None:
        raise NotFound(
            f"Grid {code} has no version {version}.",
            code="planning.no_version",
            grid=code,
            version=version,
        )
    r["geom"] = shapely.from_wkb(r.pop("wkb"))
    return r


def new_codes(conn: psycopg.Connection, community: str, n: int) -> list[str]:
    """``n`` unused grid codes in ``community`` (its code + 3 digits, never reused).

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    community : str
        The community's 12-digit code.
    n : int
        How many codes are needed.

    Returns
    -------
    list of str
        The ``n`` lowest codes no grid version has ever had.

    Raises
    ------
    InvalidInput
        The community has fewer than ``n`` free codes left.
    """
    used = {
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT code FROM grids WHERE code LIKE %(p)s", {"p": community + "%"}
        ).fetchall()
    }
    free = [c for c in (f"{community}{i:03d}" for i in range(1, 1000)) if c not in used]
    if len(free) < n:
        raise InvalidInput(
            f"Community {community} has no free grid codes left.",
            code="planning.codes_full",
            community=community,
        )
    return free[:n]


def incident_points(conn: psycopg.Connection, codes: Sequence[str], open_only: bool) -> b.Points:
    """Where the cases of grids ``codes`` were reported: the workload an edit moves.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    codes : sequence of str
        Grid codes.
    open_only : bool
        Open cases only; else every case of the last 365 days.

    Returns
    -------
    boundaries.Points
        Longitudes, latitudes and grid codes of the cases.
    """
    rows = conn.execute(
        sql.SQL(
            "SELECT ST_X(geom), ST_Y(geom), grid_code FROM incidents "
            "WHERE grid_code = ANY(%(c)s) AND {which}"
        ).format(
            which=sql.SQL(
                "status <> 'closed'" if open_only else "reported_at >= now() - interval '365 days'"
            )
        ),
        {"c": list(codes)},
    ).fetchall()
    if not rows:
        return b.Points(np.array([]), np.array([]), np.array([], dtype=str))
    x, y, g = zip(*rows, strict=True)
    return b.Points(np.array(x, float), np.array(y, float), np.array(g, dtype=str))


def preview(
    *, conn: psycopg.Connection, edit: Edit, rules: b.Rules = b.RULES, lock: bool = False
) -> Preview:
    """The proposal of ``edit`` against the current grids, its problems and its impact.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    edit : Edit
        The planner's action.
    rules : Rules
        The topology rules (snap distance, minimum area and width, households target).
    lock : bool
        Whether to lock the affected and neighbouring grid rows (FOR UPDATE), as :func:`save`
        does.

    Returns
    -------
    Preview
        The proposal, its problems (empty: it may be saved), its impact, the ``base`` versions
        and the geometries and rows it was computed from.

    Raises
    ------
    NotFound
        A named grid is not current, a version to restore does not exist, or no such community.
    InvalidInput
        Restoring the current version, nothing to change, or no free grid codes.
    InvalidGeometry
        The shape or cut cannot make a proposal (not a polygon, a line that does not cut, ...).
    """
    tol = rules.snap_m / 100_000  # degrees, a little over the snap distance
    named = [c for c in (edit.code, *edit.codes) if c]
    current = _rows(conn, "code = ANY(%(c)s)", {"c": named}, lock)
    template: dict[str, dict[str, Any]] = {}
    if edit.kind in ("edit", "split", "merge"):
        missing = [c for c in named if c not in current]
        if missing:
            raise NotFound(
                f"Not a current grid: {', '.join(missing)}.",
                code="grid.not_current_any",
                grids=", ".join(missing),
            )
    if edit.kind == "restore":
        assert edit.code and edit.version
        old = _version(conn, edit.code, edit.version)
        if edit.code in current and current[edit.code]["version"] == edit.version:
            raise InvalidInput(
                f"Version {edit.version} of grid {edit.code} is the current one.",
                code="planning.is_current",
                version=edit.version,
                grid=edit.code,
            )
        shape: b.Geom | None = old["geom"]
        template[edit.code] = old
    else:
        shape = edit.geom
    reach = [g["geom"] for g in current.values()] + ([shape] if shape is not None else [])
    if not reach:
        raise InvalidInput("Nothing to change.", code="planning.nothing")
    area = shapely.union_all(reach)
    if not area.is_valid:
        area = area.buffer(0)
    current |= _around(conn, area, lock, tol)
    geoms = {c: r["geom"] for c, r in current.items()}
    if edit.kind == "split":
        assert edit.code
        community = current[edit.code]["community_code"]
        proposal = b.split(
            geoms, edit.code, edit.geom, lambda n: new_codes(conn, community, n), rules=rules
        )
    elif edit.kind == "merge":
        proposal = b.merge(geoms, list(edit.codes))
    elif edit.kind == "new":
        assert edit.community
        code = new_codes(conn, edit.community, 1)[0]
        parent = conn.execute(
            "SELECT path::text FROM admin_units WHERE code = %(c)s AND level = 'community'",
            {"c": edit.community},
        ).fetchone()
        if parent is None:
            raise NotFound(
                f"{edit.community} is not a community.",
                code="planning.not_community",
                community=edit.community,
            )
        template[code] = {
            "name": (edit.name or "").strip()[:100],
            "type": edit.grid_type,
            "community_code": edit.community,
            "path": parent[0],
            "worker_name": None,
            "worker_phone": None,
            "leader_name": None,
            "zone_class": "key" if edit.grid_type != "residential" else "other",
        }
        proposal = b.place(geoms, code, shape, follow=edit.follow, rules=rules, kind="new")
    else:
        assert edit.code and shape is not None
        proposal = b.place(geoms, edit.code, shape, follow=edit.follow, rules=rules, kind=edit.kind)
    before = {c: geoms[c] for c in proposal.after if c in geoms}
    neighbours = {c: g for c, g in geoms.items() if c not in proposal.after}
    communities = {c: _community_of(c, current, template, proposal) for c in proposal.after}
    parents = _parents(conn, set(communities.values()))
    problems = b.check(
        proposal,
        before,
        neighbours,
        {c: parents[k] for c, k in communities.items() if k in parents},
        rules=rules,
    )
    people = {c: (current[c]["households"], current[c]["population"]) for c in before}
    impact = b.impact(
        proposal,
        before,
        people,
        incident_points(conn, list(before), True),
        incident_points(conn, list(before), False),
        rules=rules,
    )
    names = {c: r["name"] for c, r in current.items()} | {c: t["name"] for c, t in template.items()}
    for c, src in proposal.origin.items():
        names[c] = f"{names[src]} ({c[-3:]})"
    return Preview(
        edit,
        proposal,
        problems,
        impact,
        {c: current[c]["version"] for c in before},
        before,
        neighbours,
        names,
        {c: current[c] for c in before},
        template,
    )


def _community_of(
    code: str, current: dict[str, Any], template: dict[str, Any], proposal: b.Proposal
) -> str:
    if code in template:
        return str(template[code]["community_code"])
    if code in current:
        return str(current[code]["community_code"])
    return str(current[proposal.origin[code]]["community_code"])


def _parents(conn: psycopg.Connection, codes: set[str]) -> dict[str, b.Geom]:
    rows = conn.execute(
        "SELECT code, ST_AsBinary(geom) FROM admin_units WHERE code = ANY(%(c)s)",
        {"c": sorted(codes)},
    ).fetchall()
    return {r[0]: shapely.from_wkb(r[1]) for r in rows}


def _successor(code: str, p: Preview) -> str | None:
    """The grid that takes most of a retired grid's ground (its worker and platforms go there)."""
    old = p.before[code]
    best, best_area = None, 0.0
    for c, g in p.proposal.after.items():
        if g is not None and g.intersects(old):
            a = g.intersection(old).area
            if a > best_area:
                best, best_area = c, a
    return best


def save(
    *,
    conn: psycopg.Connection,
    edit: Edit,
    reason: str,
    base: Mapping[str, int],
    rules: b.Rules = b.RULES,
) -> Saved:
    """Apply ``edit`` as new grid versions, in the caller's transaction.

    ``base``: the versions the planner previewed against; if any affected grid has another
    version now (someone saved first) the save is refused, as is any edit with a problem.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    edit : Edit
        The planner's action.
    reason : str
        Why the boundary changes (1-500 characters), recorded with the change.
    base : mapping of str to int
        The version of each affected grid at preview time (``Preview.base``).
    rules : Rules
        The topology rules.

    Returns
    -------
    Saved
        The change's id, the codes of the grids it wrote or retired, and how many open
        incidents moved to another grid.

    Raises
    ------
    InvalidInput
        No reason or one that is too long (and as :func:`preview`).
    Conflict
        An affected grid changed since the preview.
    InvalidGeometry
        The edit has problems (the first three are named).
    NotFound
        As :func:`preview`.
    """
    reason = (reason or "").strip()
    if not 1 <= len(reason) <= 500:
        raise InvalidInput(
            "Say why the boundary changes (1-500 characters).", code="planning.reason"
        )
    _one_at_a_time(conn)
    p = preview(conn=conn, edit=edit, rules=rules, lock=True)
    if dict(base) != p.base:
        moved = sorted(c for c in set(base) | set(p.base) if base.get(c) != p.base.get(c))
        raise Conflict(
            f"Grid {', '.join(moved)} changed since the preview (someone saved first): "
            "preview again.",
            code="planning.stale",
            grids=", ".join(moved),
        )
    if p.problems:
        raise InvalidGeometry(
            " ".join(x.message for x in p.problems[:3]), code="planning.problems", n=len(p.problems)
        )
    return _write(conn, p, edit.kind, reason)


def _one_at_a_time(conn: psycopg.Connection) -> None:
    """Boundary saves wait for each other: a save that locked its neighbours would not see a
    neighbour version written meanwhile by another save (READ COMMITTED), and planners are
    few, so they queue for the length of one save."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('griddispatch.grid_boundaries'))")


def _write(conn: psycopg.Connection, p: Preview, kind: str, reason: str) -> Saved:
    """Close the old versions, write the new ones, hand over, re-home, audit."""
    impact = {r.code: r for r in p.impact}
    communities = sorted(
        {str(r["community_code"]) for r in p.rows.values()}
        | {str(t["community_code"]) for t in p.templates.values()}
    )
    change_id = conn.execute(
        "INSERT INTO grid_changes (reason, kind, communities, codes, impact) "
        "VALUES (%(r)s, %(k)s, %(m)s, %(c)s, %(i)s) RETURNING id",
        {
            "r": reason,
            "k": kind,
            "m": communities,
            "c": sorted(p.proposal.after),
            "i": json.dumps([asdict(r) for r in p.impact]),
        },
    ).fetchone()[0]  # type: ignore[index]
    for code in p.rows:
        conn.execute(
            "UPDATE grids SET valid_to = greatest(clock_timestamp(), valid_from + "
            "interval '1 microsecond'), closed_by = %(x)s WHERE id = %(id)s",
            {"x": change_id, "id": p.rows[code]["id"]},
        )
    for code, g in p.proposal.after.items():
        if g is None:
            continue
        src = p.templates.get(code) or p.rows.get(code) or p.rows[p.proposal.origin[code]]
        if code in p.proposal.origin:  # a new part of a split: no worker until one is named
            src = {**src, "worker_name": None, "worker_phone": None, "leader_name": None}
        attrs = {a: src[a] for a in _ATTRS}
        if code in p.proposal.origin:
            attrs["name"] = p.names[code][:100]
        conn.execute(
            "INSERT INTO grids (code, version, geom, households, population, change_id, "
            "valid_from, name, type, community_code, path, worker_name, worker_phone, "
            "leader_name, zone_class) VALUES (%(code)s, coalesce((SELECT max(version) + 1 "
            "FROM grids WHERE code = %(code)s), 1), ST_Multi(ST_GeomFromWKB(%(g)s, 4326)), "
            "%(hh)s, %(pop)s, %(x)s, clock_timestamp(), %(name)s, %(type)s, "
            "%(community_code)s, %(path)s::ltree, %(worker_name)s, %(worker_phone)s, "
            "%(leader_name)s, %(zone_class)s)",
            {
                "code": code,
                "g": shapely.to_wkb(g),
                "hh": impact[code].households[1],
                "pop": impact[code].population[1],
                "x": change_id,
                **attrs,
            },
        )
    _hand_over(conn, p)
    rehomed = _rehome(conn, p, change_id)
    if rehomed:
        conn.execute(
            "INSERT INTO audit_log (entity, entity_id, action, after) "
            "VALUES ('grid_change', %(x)s, 'rehomed', %(a)s)",
            {"x": str(change_id), "a": json.dumps({"incidents": rehomed})},
        )
    for r in p.impact:
        conn.execute(
            "INSERT INTO audit_log (entity, entity_id, action, before, after) "
            "VALUES ('grid', %(c)s, %(a)s, %(b)s, %(f)s)",
            {
                "c": r.code,
                "a": f"boundary_{kind}",
                "b": json.dumps({"version": p.base.get(r.code), "area_m2": r.area_m2[0],
                                 "households": r.households[0]}),
                "f": json.dumps({"change": change_id, "status": r.change,
                                 "area_m2": r.area_m2[1], "households": r.households[1]}),
            },
        )  # fmt: skip
    return Saved(change_id, sorted(p.proposal.after), rehomed)


def _hand_over(conn: psycopg.Connection, p: Preview) -> None:
    """Workers and platforms of a retired grid go to its successor; a new part of a split
    is served by the platforms of the grid it came from."""
    for code, g in p.proposal.after.items():
        if g is None and (succ := _successor(code, p)) is not None:
            conn.execute(
                "UPDATE units SET grid_code = %(s)s WHERE grid_code = %(c)s", {"s": succ, "c": code}
            )
            conn.execute(
                "INSERT INTO platform_grids (platform_id, grid_code) SELECT platform_id, %(s)s "
                "FROM platform_grids WHERE grid_code = %(c)s ON CONFLICT DO NOTHING",
                {"s": succ, "c": code},
            )
            conn.execute("DELETE FROM platform_grids WHERE grid_code = %(c)s", {"c": code})
    for code, src in p.proposal.origin.items():
        conn.execute(
            "INSERT INTO platform_grids (platform_id, grid_code) SELECT platform_id, %(n)s "
            "FROM platform_grids WHERE grid_code = %(c)s ON CONFLICT DO NOTHING",
            {"n": code, "c": src},
        )


def _rehome(conn: psycopg.Connection, p: Preview, change_id: int) -> int:
    """Point the open incidents of the affected grids at the grid version that now contains
    them; those that changed grid get an event. Returns how many changed grid."""
    rows = conn.execute(
        """WITH m AS (
               SELECT i.id, i.grid_code AS old_code,
                      (SELECT g.id FROM grids g WHERE g.valid_to IS NULL
                         AND ST_Intersects(g.geom, i.geom)
                       ORDER BY g.code LIMIT 1) AS gid
               FROM incidents i
               WHERE i.status <> 'closed' AND i.grid_code = ANY(%(before)s))
           UPDATE incidents i SET grid_id = g.id, grid_code = g.code
           FROM m JOIN grids g ON g.id = m.gid
           WHERE i.id = m.id AND i.grid_id IS DISTINCT FROM g.id
           RETURNING i.id, m.old_code, g.code""",
        {"before": list(p.rows)},
    ).fetchall()  # fmt: skip
    moved = [(i, old, new) for i, old, new in rows if old != new]
    if moved:
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO incident_events (incident_id, action, before, after) "
                "VALUES (%s, 'rehomed', %s, %s)",
                [
                    (i, json.dumps({"grid_code": old}),
                     json.dumps({"grid_code": new, "change": change_id}))
                    for i, old, new in moved
                ],
            )  # fmt: skip
        conn.execute(
            "SELECT pg_notify('incidents', %(p)s)",
            {"p": json.dumps({"action": "rehomed", "count": len(moved)})},
        )
    return len(moved)


def edit_from_json(data: Any) -> Edit:
    """An :class:`Edit` from its JSON form (untrusted: every field is checked).

    Parameters
    ----------
    data : Any
        The decoded JSON object: ``kind``, ``code``, ``codes``, ``geometry`` (GeoJSON, lon/lat),
        ``follow``, ``version``, ``community``, ``name`` and ``grid_type``.

    Returns
    -------
    Edit
        The edit (at most 20 codes; a name cut to 100 characters).

    Raises
    ------
    InvalidInput
        Not an object, bad codes or version, or an edit that is incomplete.
    InvalidGeometry
        The geometry is not GeoJSON, has over 20 000 or non-finite points, or is invalid.
    """
    if not isinstance(data, dict):
        raise InvalidInput("The edit is not an object.", code="planning.edit_object")
    geom = None
    if data.get("geometry") is not None:
        try:
            geom = shapely.geometry.shape(data["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidGeometry(
                "The drawn shape is not valid GeoJSON.", code="planning.geojson"
            ) from exc
        xy = shapely.get_coordinates(geom)
        if len(xy) > 20_000 or not np.isfinite(xy).all():
            raise InvalidGeometry(
                "The drawn shape has too many or non-finite points.", code="planning.shape_points"
            )
        if not geom.is_valid:  # a bow-tie, a hole outside its shell, ...
            reason = str(shapely.is_valid_reason(geom))
            raise InvalidGeometry(
                f"The drawn shape is not valid ({reason}); redraw it.",
                code="planning.shape_invalid",
                reason=reason[:200],
            )
    codes = data.get("codes") or []
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise InvalidInput("Grid codes must be a list of strings.", code="planning.codes_list")
    version = data.get("version")
    if version is not None and not isinstance(version, int):
        raise InvalidInput("The version must be a whole number.", code="planning.version_int")
    return Edit(
        kind=str(data.get("kind", "")),
        code=data.get("code") if isinstance(data.get("code"), str) else None,
        codes=tuple(codes[:20]),
        geom=geom,
        follow=bool(data.get("follow", True)),
        version=version,
        community=data.get("community") if isinstance(data.get("community"), str) else None,
        name=str(data["name"])[:100] if data.get("name") else None,
        grid_type=str(data.get("grid_type") or "residential"),
    )


def edit_to_json(edit: Edit) -> dict[str, Any]:
    """The JSON form of ``edit`` (see :func:`edit_from_json`).

    Parameters
    ----------
    edit : Edit
        The edit.

    Returns
    -------
    dict
        Its fields, with ``geometry`` as GeoJSON when it has a shape.
    """
    out: dict[str, Any] = {
        "kind": edit.kind,
        "code": edit.code,
        "codes": list(edit.codes),
        "follow": edit.follow,
        "version": edit.version,
        "community": edit.community,
        "name": edit.name,
        "grid_type": edit.grid_type,
    }
    if edit.geom is not None:
        out["geometry"] = shapely.geometry.mapping(edit.geom)
    return out


def community_at(*, conn: psycopg.Connection, geom: b.Geom) -> str:
    """The community holding most of ``geom`` (where a new grid is drawn).

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    geom : shapely geometry
        The drawn shape in EPSG:4326.

    Returns
    -------
    str
        The community's code.

    Raises
    ------
    InvalidGeometry
        The shape touches no community.
    """
    row = conn.execute(
        "SELECT code FROM admin_units WHERE level = 'community' "
        "AND ST_Intersects(geom, ST_GeomFromWKB(%(g)s, 4326)) "
        "ORDER BY ST_Area(ST_Intersection(geom, ST_GeomFromWKB(%(g)s, 4326))) DESC LIMIT 1",
        {"g": shapely.to_wkb(geom.buffer(0) if not geom.is_valid else geom)},
    ).fetchone()
    if row is None:
        raise InvalidGeometry(
            "The shape is not inside any community.", code="planning.no_community"
        )
    return str(row[0])


def grid_shape(*, conn: psycopg.Connection, code: str) -> b.Geom:
    """The current polygon of grid ``code``.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    code : str
        The grid's code.

    Returns
    -------
    shapely.MultiPolygon
        Its geometry in EPSG:4326.

    Raises
    ------
    NotFound
        No current grid of that code.
    """
    row = conn.execute(
        "SELECT ST_AsBinary(geom) FROM grids WHERE code = %(c)s AND valid_to IS NULL", {"c": code}
    ).fetchone()
    if row is None:
        raise NotFound(f"Grid {code} is not a current grid.", code="grid.not_current", grid=code)
    return shapely.from_wkb(row[0])
