"""Platforms (快警平台) placed from a planning what-if: move, add and remove in one go."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import psycopg

from geo import coords
from geo.errors import Conflict, InvalidInput
from geo.h3index import cell_of


@dataclass(frozen=True)
class Site:
    """A platform in a what-if: ``code`` None for a new one."""

    code: str | None
    name: str
    lon: float
    lat: float


def current(*, conn: psycopg.Connection) -> list[Site]:
    """The platforms as they are now.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection to read the ``platforms`` table.

    Returns
    -------
    list of Site
        Every platform in id order, with its code, name and WGS-84 lon/lat.
    """
    return [
        Site(r[0], r[1], r[2], r[3])
        for r in conn.execute(
            "SELECT code, name, ST_X(geom), ST_Y(geom) FROM platforms ORDER BY id"
        ).fetchall()
    ]


def apply(*, conn: psycopg.Connection, sites: Sequence[Site]) -> dict[str, int]:
    """Make the platforms table what ``sites`` says, in the caller's transaction: moved
    ones get their new place, new ones are added, missing ones removed (refused while units
    still belong to them). Every change goes to the audit log.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the caller's transaction.
    sites : sequence of Site
        The wanted platforms, at most 500: existing codes are kept or moved, code None adds.

    Returns
    -------
    dict of str to int
        Counts under ``'moved'``, ``'added'`` and ``'removed'``.

    Raises
    ------
    InvalidInput
        Over 500 sites, an unknown code, or unusable coordinates.
    OutsideJurisdiction
        A site lies outside the city, or its lon/lat look swapped.
    Conflict
        A platform to remove still has units.
    """
    if len(sites) > 500:
        raise InvalidInput("At most 500 platforms.", code="platform.max")
    region = conn.execute(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
        "(SELECT ST_Extent(geom) e FROM admin_units WHERE level = 'city') x"
    ).fetchone()
    bbox = tuple(float(v) for v in region) if region and region[0] is not None else None
    coords.check_lonlat([s.lon for s in sites], [s.lat for s in sites], bbox=bbox)
    have = {s.code: s for s in current(conn=conn) if s.code}
    keep = {s.code for s in sites if s.code}
    unknown = keep - set(have)
    if unknown:
        raise InvalidInput(
            f"Unknown platform: {', '.join(sorted(unknown))}.",
            code="platform.unknown",
            codes=", ".join(sorted(unknown))[:200],
        )
    counts = {"moved": 0, "added": 0, "removed": 0}
    for code in sorted(set(have) - keep):
        busy = conn.execute(
            "SELECT count(*) FROM units u JOIN platforms p ON p.id = u.platform_id "
            "WHERE p.code = %(c)s",
            {"c": code},
        ).fetchone()
        if busy and busy[0]:
            raise Conflict(
                f"Platform {code} still has {busy[0]} units: move them first.",
                code="platform.busy",
                platform=code,
                units=int(busy[0]),
            )
        conn.execute("DELETE FROM platforms WHERE code = %(c)s", {"c": code})
        _audit(conn, code, "removed", have[code], None)
        counts["removed"] += 1
    n = conn.execute("SELECT count(*) FROM platforms").fetchone()[0]  # type: ignore[index]
    for s in sites:
        args = {"x": s.lon, "y": s.lat, "h": cell_of(s.lat, s.lon), "n": s.name[:100] or "?"}
        if s.code:
            old = have[s.code]
            if (old.lon, old.lat) == (s.lon, s.lat):
                continue
            conn.execute(
                "UPDATE platforms SET geom = ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 4326), "
                "h3 = %(h)s WHERE code = %(c)s",
                {**args, "c": s.code},
            )
            _audit(conn, s.code, "moved", old, s)
            counts["moved"] += 1
        else:
            n += 1
            code = conn.execute(
                "INSERT INTO platforms (code, name, geom, h3, path) VALUES ("
                "'PLAN-' || lpad(nextval('platforms_id_seq')::text, 4, '0'), %(n)s, "
                "ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 4326), %(h)s, coalesce("
                "(SELECT path FROM admin_units WHERE level = 'district' AND ST_Intersects(geom,"
                " ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 4326)) ORDER BY code LIMIT 1),"
                "(SELECT path FROM admin_units WHERE level = 'city' LIMIT 1))) RETURNING code",
                args,
            ).fetchone()[0]  # type: ignore[index]
            _audit(conn, code, "added", None, s)
            counts["added"] += 1
    return counts


def _audit(conn: psycopg.Connection, code: str, action: str, before: Site | None,
           after: Site | None) -> None:  # fmt: skip
    def js(s: Site | None) -> str | None:
        return json.dumps({"lon": s.lon, "lat": s.lat, "name": s.name}) if s else None

    conn.execute(
        "INSERT INTO audit_log (entity, entity_id, action, before, after) "
        "VALUES ('platform', %(c)s, %(a)s, %(b)s, %(f)s)",
        {"c": code, "a": action, "b": js(before), "f": js(after)},
    )
