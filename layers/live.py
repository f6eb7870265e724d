"""The live channel's messages: what changed on the map since the last tick, compactly.

A message is a dict; ``console/assets/griddispatch.js`` (``liveApply``) applies it to the
units and incidents layers as a Dash Patch. Unit moves dominate (thousands per second), so
they travel as one flat list of integers: for each moved unit, sorted by id, the id's
difference from the previous one, longitude and latitude in 1e-5 degrees (about a metre)
from the message's origin ``x0``/``y0``, and the fix time in seconds from ``t0``. Everything
else (new units, status changes, incident features) is sent whole: it is rare.

Messages are absolute (positions, not displacements), so applying one twice, or skipping to
a newer full message, leaves the map right.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from layers._geojson import feature_collection

if TYPE_CHECKING:
    from geo.live import UnitRow

SCALE = 100_000  # 1e-5 degree per integer step


def unit_feature(u: UnitRow) -> dict[str, Any]:
    """A unit as a map feature (the same properties as the units layer)."""
    return {
        "type": "Feature",
        "id": u.id,
        "geometry": {"type": "Point", "coordinates": [round(u.lon, 6), round(u.lat, 6)]},
        "properties": {
            "id": u.id,
            "call_sign": u.call_sign,
            "type": u.type,
            "agency": u.agency,
            "status": u.status,
            "fix": u.fix,
        },
    }


def encode_moves(units: Sequence[UnitRow]) -> dict[str, Any]:
    """Positions of ``units`` as ``{"x0", "y0", "t0", "d": [did, x, y, t, ...]}``."""
    if not units:
        return {"x0": 0, "y0": 0, "t0": 0, "d": []}
    ordered = sorted(units, key=lambda u: u.id)
    xs = [round(u.lon * SCALE) for u in ordered]
    ys = [round(u.lat * SCALE) for u in ordered]
    x0, y0, t0 = min(xs), min(ys), min(u.fix for u in ordered)
    flat: list[int] = []
    prev = 0
    for u, x, y in zip(ordered, xs, ys, strict=True):
        flat += (u.id - prev, x - x0, y - y0, u.fix - t0)
        prev = u.id
    return {"x0": x0, "y0": y0, "t0": t0, "d": flat}


def tick(
    seq: int,
    *,
    moved: Sequence[UnitRow] = (),
    status: Iterable[UnitRow] = (),
    added: Iterable[UnitRow] = (),
    removed_units: Iterable[int] = (),
    incidents: Iterable[dict[str, Any]] = (),
    removed_incidents: Iterable[int] = (),
) -> dict[str, Any]:
    """One tick's changes. ``status``: units whose status changed (sent with their feature's
    properties); ``incidents``: incident feature rows (geometry as a dict) new or changed."""
    msg: dict[str, Any] = {"seq": seq}
    if moved:
        msg["mv"] = encode_moves(moved)
    st = [[u.id, u.status] for u in status]
    if st:
        msg["st"] = st
    add = [unit_feature(u) for u in added]
    if add:
        msg["ua"] = add
    rmu = sorted(removed_units)
    if rmu:
        msg["ur"] = rmu
    inc = feature_collection(incidents)["features"]
    if inc:
        msg["iu"] = inc
    rmi = sorted(removed_incidents)
    if rmi:
        msg["ir"] = rmi
    return msg


def encode_units(units: Iterable[UnitRow]) -> dict[str, Any]:
    """Every unit in columns (a province has 35,000: as features they were 7 MB, this is a
    quarter of that): ``mv`` their positions and fixes as :func:`encode_moves` gives them
    (ordered by id), then for each in that order its call sign, and its type, agency and
    status as indexes into ``types``, ``agencies`` and ``statuses``. The browser makes the
    features (``griddispatch.liveApply``)."""
    ordered = sorted(units, key=lambda u: u.id)
    out: dict[str, Any] = {"mv": encode_moves(ordered), "call_sign": [u.call_sign for u in ordered]}
    for key, attr in (("types", "type"), ("agencies", "agency"), ("statuses", "status")):
        values = sorted({getattr(u, attr) for u in ordered})
        at = {v: i for i, v in enumerate(values)}
        out[key] = values
        out[attr] = [at[getattr(u, attr)] for u in ordered]
    return out


def full(seq: int, units: Iterable[UnitRow], incidents: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The whole live state: sent when a page connects or reconnects (it replaces the layers);
    the units in columns (:func:`encode_units`)."""
    return {
        "seq": seq,
        "full": True,
        "units": encode_units(units),
        "incidents": feature_collection(incidents),
    }


def has_changes(msg: dict[str, Any]) -> bool:
    return any(k in msg for k in ("mv", "st", "ua", "ur", "iu", "ir"))
