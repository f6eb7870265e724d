"""Boundary sets from a file: the diff against today and one change that applies it.

The same checks and the same writing as an edit on the map (``geo.planning``); only what the
file changes gets a new version.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg
import shapely

from geo import boundaries as b
from geo.errors import Conflict, InvalidGeometry, InvalidInput
from geo.planning import (
    _ATTRS,
    GRID_TYPES,
    Preview,
    Saved,
    _around,
    _one_at_a_time,
    _parents,
    _rows,
    _write,
    incident_points,
)

IMPORT_FIELDS = ("code", "name", "type", "community_code", "households", "population",
                 "worker_name", "worker_phone", "leader_name", "zone_class")  # fmt: skip


@dataclass(frozen=True)
class ImportDiff:
    """A boundary set from a file against the grids of its communities now."""

    preview: Preview
    added: list[str]
    removed: list[str]
    changed: list[str]
    unchanged: list[str]


def import_preview(
    *, conn: psycopg.Connection, grids: Sequence[Mapping[str, Any]], rules: b.Rules = b.RULES,
    lock: bool = False,
) -> ImportDiff:  # fmt: skip
    """Check a new boundary set (rows of ``IMPORT_FIELDS`` plus ``geom``) for the communities
    it names: every current grid of those communities missing from it is removed; each grid
    gets the same checks as an edit (valid, inside its community, no overlaps with each
    other or with the grids around, no gaps where there were grids).

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    grids : sequence of mapping
        1-5,000 rows with the keys of ``IMPORT_FIELDS`` and ``geom`` (a shapely polygon in
        EPSG:4326); a field left None keeps the current grid's value.
    rules : Rules
        The topology rules (snap distance, minimum area and width, households target).
    lock : bool
        Whether to lock the grid rows read (FOR UPDATE), as :func:`save_import` does.

    Returns
    -------
    ImportDiff
        The preview (proposal, problems, impact, base versions) and the codes added, removed,
        changed and unchanged.

    Raises
    ------
    InvalidInput
        No or too many grids, a bad or repeated code, bad attributes, or an unknown community.
    InvalidGeometry
        A grid without a polygon.
    """
    if not grids or len(grids) > 5_000:
        raise InvalidInput("The file must hold 1 to 5,000 grids.", code="import.count")
    incoming: dict[str, dict[str, Any]] = {}
    for g in grids:
        code = str(g.get("code") or "")
        _check_row(code, g)
        if code in incoming:
            raise InvalidInput(
                f"Grid {code} appears twice in the file.", code="import.twice", grid=code
            )
        geom = g.get("geom")
        if geom is None or geom.is_empty or geom.geom_type not in b.POLYGONAL:
            raise InvalidGeometry(
                f"Grid {code} has no polygon.", code="import.no_polygon", grid=code
            )
        incoming[code] = {**{k: g.get(k) for k in IMPORT_FIELDS}, "geom": b.clean(geom)}
    communities = sorted({str(r["community_code"]) for r in incoming.values()})
    paths: dict[str, str] = dict(
        conn.execute(
            "SELECT code, path::text FROM admin_units WHERE level = 'community' "
            "AND code = ANY(%(c)s)",
            {"c": communities},
        ).fetchall()
    )
    missing = [c for c in communities if c not in paths]
    if missing:
        raise InvalidInput(
            f"Not a community: {', '.join(missing)}.",
            code="import.not_community",
            communities=", ".join(missing),
        )
    current = _rows(conn, "community_code = ANY(%(m)s)", {"m": communities}, lock)
    for c, r in incoming.items():  # what the file leaves empty stays as it is
        if c in current:
            for k in IMPORT_FIELDS:
                if r[k] is None:
                    r[k] = current[c][k]
    area = shapely.union_all([r["geom"] for r in incoming.values()])
    around = _around(conn, area if area.is_valid else area.buffer(0), lock, rules.snap_m / 100_000)
    neighbours = {c: r["geom"] for c, r in around.items() if c not in current}
    after: dict[str, b.Geom | None] = {c: r["geom"] for c, r in incoming.items()}
    after |= {c: None for c in current if c not in incoming}
    proposal = b.Proposal("import", after)
    before = {c: r["geom"] for c, r in current.items()}
    parents = _parents(conn, set(communities))
    problems = b.check(
        proposal,
        before,
        neighbours,
        {c: parents[str(r["community_code"])] for c, r in incoming.items()},
        rules=rules,
    )
    people = {c: (r["households"], r["population"]) for c, r in current.items()}
    impact = []
    for row in b.impact(
        proposal, before, people, incident_points(conn, list(before), True),
        incident_points(conn, list(before), False), rules=rules,
    ):  # fmt: skip
        new = incoming.get(row.code)
        if new is not None:  # the file says how many live there
            hh, pop = int(new["households"] or 0), int(new["population"] or 0)
            row = dataclasses.replace(
                row,
                households=(row.households[0], hh),
                population=(row.population[0], pop),
                workload=(row.workload[0], hh / rules.households_target),
            )
        impact.append(row)
    templates = {
        c: {**{k: r[k] for k in _ATTRS if k != "path"}, "path": paths[str(r["community_code"])]}
        for c, r in incoming.items()
    }
    changed: list[str] = []
    unchanged: list[str] = []
    for c in sorted(set(incoming) & set(current)):
        old, new = current[c], incoming[c]
        same_shape = old["geom"].symmetric_difference(new["geom"]).area < 1e-12
        same_attrs = all((old[k] or None) == (new[k] or None) for k in IMPORT_FIELDS if k != "code")
        (unchanged if same_shape and same_attrs else changed).append(c)
    names = {c: str(r["name"]) for c, r in incoming.items()} | {
        c: str(r["name"]) for c, r in current.items() if c not in incoming
    }
    p = Preview(
        None,
        proposal,
        problems,
        impact,
        {c: r["version"] for c, r in current.items()},
        before,
        neighbours,
        names,
        current,
        templates,
    )
    return ImportDiff(
        p,
        sorted(set(incoming) - set(current)),
        sorted(set(current) - set(incoming)),
        changed,
        unchanged,
    )


def _check_row(code: str, g: Mapping[str, Any]) -> None:
    """The attributes of one imported grid (the file reader checks them too; a preview that
    travelled through the browser is checked again here)."""
    if not (len(code) == 15 and code.isascii() and code.isdigit()):
        raise InvalidInput(
            f"Grid code {code!r} is not 15 digits.", code="import.code", grid=code[:40]
        )
    if g.get("type") not in GRID_TYPES:
        raise InvalidInput(
            f"Grid {code}: unknown type {g.get('type')!r}.",
            code="import.grid_type",
            grid=code,
            value=str(g.get("type"))[:40],
        )
    if g.get("zone_class") not in ("key", "central", "other"):
        raise InvalidInput(
            f"Grid {code}: unknown zone class {g.get('zone_class')!r}.",
            code="import.zone",
            grid=code,
            value=str(g.get("zone_class"))[:40],
        )
    name = g.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        raise InvalidInput(
            f"Grid {code}: the name must be 1-100 characters.", code="import.name", grid=code
        )
    for k in ("households", "population"):
        v = g.get(k)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 0):
            raise InvalidInput(
                f"Grid {code}: {k} must be a whole number of 0 or more.",
                code="import.whole",
                grid=code,
                field=k,
            )
    for k in ("worker_name", "worker_phone", "leader_name", "community_code"):
        v = g.get(k)
        if v is not None and (not isinstance(v, str) or len(v) > 100):
            raise InvalidInput(
                f"Grid {code}: {k} must be text of up to 100 characters.",
                code="import.text",
                grid=code,
                field=k,
            )


def save_import(
    *,
    conn: psycopg.Connection,
    grids: Sequence[Mapping[str, Any]],
    reason: str,
    base: Mapping[str, int],
    rules: b.Rules = b.RULES,
) -> Saved:
    """Apply a previewed boundary set in the caller's transaction (checked again, locked,
    refused if any grid changed since ``base`` or anything is wrong). Unchanged grids keep
    their version.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    grids : sequence of mapping
        The boundary set, as for :func:`import_preview`.
    reason : str
        Why the boundaries change (1-500 characters), recorded with the change.
    base : mapping of str to int
        The version of each current grid of those communities at preview time.
    rules : Rules
        The topology rules.

    Returns
    -------
    Saved
        The change's id, the codes written or retired, and how many open incidents moved grid.

    Raises
    ------
    InvalidInput
        A missing or too long reason, a file that changes nothing (and as
        :func:`import_preview`).
    Conflict
        Grids of these communities changed since the preview.
    InvalidGeometry
        The set has problems (the first three are named).
    """
    reason = (reason or "").strip()
    if not 1 <= len(reason) <= 500:
        raise InvalidInput(
            "Say why the boundaries change (1-500 characters).", code="planning.reason"
        )
    _one_at_a_time(conn)
    d = import_preview(conn=conn, grids=grids, rules=rules, lock=True)
    if dict(base) != d.preview.base:
        raise Conflict(
            "Grids of these communities changed since the preview: preview again.",
            code="import.stale",
        )
    if d.preview.problems:
        raise InvalidGeometry(
            " ".join(x.message for x in d.preview.problems[:3]),
            code="planning.problems",
            n=len(d.preview.problems),
        )
    keep = set(d.unchanged)
    p = d.preview
    if keep == set(p.proposal.after):
        raise InvalidInput("The file changes nothing.", code="import.nothing")
    trimmed = dataclasses.replace(
        p,
        proposal=b.Proposal("import", {c: g for c, g in p.proposal.after.items() if c not in keep}),
        impact=[r for r in p.impact if r.code not in keep],
        rows={c: r for c, r in p.rows.items() if c not in keep},
    )
    return _write(conn, trimmed, "import", reason)
