"""The hostile corpus through the console's callbacks: every server callback of every page gets
forged bodies (each input and state set to a hostile value: wrong types, huge numbers and
strings, injection and script text, NaN, bow-tie and out-of-range geometry, invalid H3
cells, ids of objects that do not exist), as an admin of the whole city. None may answer
5xx, and nothing may be written."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from console import settings as settings_mod
from console import state
from console.app import create_app
from tests._auth import signed_in
from tests.db.test_hostile import snapshot

BOW_TIE = {"type": "Polygon", "coordinates": [[[113.1, 27.8], [113.2, 27.9], [113.2, 27.8],
                                                [113.1, 27.9], [113.1, 27.8]]]}  # fmt: skip
HOSTILE: list[Any] = [
    None, -1, 0, 2**70, 1.5, True, float("inf"), "NaN", "", "x" * 100_000,
    "'; DROP TABLE incidents; --", "<script>alert(1)</script>", "8a2a1072b59ffff", "zzzz",
    [1, 2, 3], {"a": {"b": {"c": [None]}}},
    {"type": "Feature", "geometry": BOW_TIE, "properties": {"id": 2**40, "cell": "nothex"}},
    {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": BOW_TIE}]},
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [27.8, 113.1]},
     "properties": {"cell": 2**64 + 1, "id": -5}},
    {"latlng": {"lat": 91, "lng": 400}},
]  # fmt: skip


def _value(v: Any) -> Any:
    return "Infinity" if v == float("inf") else v


def _bodies(deps: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for cb in deps:
        if cb.get("clientside_function") or not cb["inputs"] or cb.get("websocket"):
            continue
        outs = [o.rsplit(".", 1) for o in cb["output"].strip(".").split("...")]
        if any(len(o) != 2 for o in outs):
            continue

        def item(d: dict[str, Any], v: Any) -> Any:
            if isinstance(d["id"], str) and d["id"].startswith("{"):  # pattern-matching: ALL
                return []
            return {"id": d["id"], "property": d["property"], "value": _value(v)}

        for v in HOSTILE:
            first = cb["inputs"][0]
            multi = cb["output"].startswith("..")
            targets = [{"id": i, "property": p} for i, p in outs]
            body = {
                "output": cb["output"],
                "outputs": targets if multi else targets[0],
                "inputs": [item(d, v) for d in cb["inputs"]],
                "state": [item(d, v) for d in cb["state"]],
                "changedPropIds": [f"{first['id']}.{first['property']}"],
            }
            out.append((cb["output"][:60], body))
    return out


@pytest.fixture(scope="module")
def client(db_conninfo: str):  # type: ignore[no-untyped-def]
    state.close()
    cfg = settings_mod.replace(settings_mod.load(), database_url=db_conninfo, escalation_every_s=0)
    with TestClient(create_app(cfg).server) as c:
        yield signed_in(c, db_conninfo)
    state.close()


def test_forged_callback_bodies_get_no_5xx_and_write_nothing(
    client: TestClient, db_conninfo: str
) -> None:  # noqa: E501
    deps = json.loads(client.get("/_dash-dependencies").text)
    bodies = _bodies(deps)
    before = snapshot(db_conninfo)
    failures = []
    for name, body in bodies:
        r = client.post("/_dash-update-component", content=json.dumps(body),
                        headers={"Content-Type": "application/json"})  # fmt: skip
        if r.status_code >= 500:
            failures.append(f"{name} <- {str(body['inputs'])[:120]}: {r.status_code}")
    assert len(bodies) >= 20 * len(HOSTILE)
    names = sorted({f.split(" <- ")[0] for f in failures})
    assert not failures, f"{len(failures)} of {len(bodies)} in {names}: {failures[:3]}"
    assert snapshot(db_conninfo) == before
