"""The live channel's whole-state units in columns decode to the features they stand for
(the decoding mirrors ``griddispatch.js``'s ``unitFeatures``)."""

from __future__ import annotations

import json
from typing import Any

from geo.live import UnitRow
from layers import live


def decode(c: dict[str, Any]) -> list[dict[str, Any]]:
    d, out, uid = c["mv"]["d"], [], 0
    for i, sign in enumerate(c["call_sign"]):
        did, x, y, t = d[4 * i : 4 * i + 4]
        uid += did
        out.append({"id": uid, "lon": (c["mv"]["x0"] + x) / live.SCALE,
                    "lat": (c["mv"]["y0"] + y) / live.SCALE, "fix": c["mv"]["t0"] + t,
                    "call_sign": sign, "type": c["types"][c["type"][i]],
                    "agency": c["agencies"][c["agency"][i]],
                    "status": c["statuses"][c["status"][i]]})  # fmt: skip
    return out


def test_units_in_columns_round_trip_and_are_smaller() -> None:
    kinds = [("patrol_car", "police", "available"), ("grid_worker", "grid", "busy"),
             ("fire_engine", "fire", "en_route")]  # fmt: skip
    units = [
        UnitRow(id=3 * i + 7, call_sign=f"单位-{i:04d}", type=kinds[i % 3][0],
                agency=kinds[i % 3][1], status=kinds[(i // 3) % 3][2],
                lon=113.1 + i * 1e-3, lat=27.8 - i * 7e-4, fix=1_765_000_000 + i)
        for i in range(500)
    ][::-1]  # fmt: skip
    got = decode(live.encode_units(units))
    want = sorted(units, key=lambda u: u.id)
    assert [g["id"] for g in got] == [u.id for u in want]
    for g, u in zip(got, want, strict=True):
        assert (g["call_sign"], g["type"], g["agency"], g["status"], g["fix"]) == (
            u.call_sign, u.type, u.agency, u.status, u.fix)  # fmt: skip
        assert abs(g["lon"] - u.lon) < 1e-5 and abs(g["lat"] - u.lat) < 1e-5
    as_features = len(json.dumps([live.unit_feature(u) for u in units]))
    assert len(json.dumps(live.encode_units(units))) < as_features / 2


def test_no_units() -> None:
    assert decode(live.encode_units([])) == []
