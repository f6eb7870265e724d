"""The console's callbacks, called as the browser calls them, as an admin of the whole city.

1. **Valid calls** of every callback that writes (intake, link, dispatch one and checked, unit
   status, photo upload, resolve, close, feedback, escalate, mediation, mass task, grid edit,
   platform move), with real ids and the shapes the pages send: each must answer without an
   error message and write what it should (checked in the database).
2. **One field hostile**: each of those valid calls again with one input or state replaced by
   a hostile value (pattern-matching ids included).
3. **Everything hostile**: every server callback of every page with each input and state set
   to a hostile value (wrong types, huge numbers and strings, injection and script text,
   NaN, bow-tie and out-of-range geometry, invalid H3 cells, ids that do not exist); for
   pattern-matching inputs, an item whose id keys are the hostile value. Nothing may be
   written.

No call may answer 5xx, answer "Internal error", or log an unexpected error: a callback
that catches an exception and answers 200 with "Internal error" fails like a 500.
"""

from __future__ import annotations

import base64
import json
import logging
import struct
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import mapping

from console import i18n
from console import settings as settings_mod
from console.app import create_app
from console.server import errors, state
from geo.db import connect
from tests._auth import signed_in
from tests.conftest import fresh_database
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
# One field at a time: a sample of the above that covers each kind.
MUTATIONS: list[Any] = [None, -1, 2**70, True, "NaN", "x" * 100_000, "<script>alert(1)</script>",
                        [1, 2, 3], {"a": {"b": None}}, HOSTILE[16], HOSTILE[19]]  # fmt: skip


# What an unexpected error answers, in each language.
INTERNAL = (errors.INTERNAL, *(i18n.t(lang)["error.generic"] for lang in i18n.LANGS))


def _value(v: Any) -> Any:
    return "Infinity" if v == float("inf") else v


def _png() -> str:
    """A real 2x2 PNG as a data URL (what dcc.Upload sends)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))  # fmt: skip

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))  # fmt: skip
    return "data:image/png;base64," + base64.b64encode(png).decode()


# ------------------------------------------------------------------------- building bodies
def _key(d: dict[str, Any]) -> str:
    """A dependency's id as this file names it: the id, or a pattern id's ``type``."""
    i = d["id"]
    return json.loads(i)["type"] if i.startswith("{") else i


def _outs(cb: dict[str, Any]) -> Any:
    outs = [dict(zip(("id", "property"), o.rsplit(".", 1), strict=True))
            for o in cb["output"].strip(".").split("...")]  # fmt: skip
    return outs if cb["output"].startswith("..") else outs[0]


@dataclass
class Call:
    """One callback request: values by ``(key, property)``; a pattern-matching dependency
    takes a list of ``(id dict, value)``; the first key in ``fire`` is the one changed."""

    cb: dict[str, Any]
    values: dict[tuple[str, str], Any] = field(default_factory=dict)
    fire: tuple[str, str] | None = None

    def item(self, d: dict[str, Any]) -> Any:
        k = (_key(d), d["property"])
        v = self.values.get(k)
        if d["id"].startswith("{"):
            return [{"id": i, "property": d["property"], "value": _value(x)} for i, x in (v or [])]
        return {"id": d["id"], "property": d["property"], "value": _value(v)}

    def body(self) -> dict[str, Any]:
        fire = self.fire or (_key(self.cb["inputs"][0]), self.cb["inputs"][0]["property"])
        changed = []
        for d in self.cb["inputs"]:
            if (_key(d), d["property"]) == fire:
                items = self.item(d)
                ids = [json.dumps(x["id"], sort_keys=True, separators=(",", ":"))
                       for x in items] if isinstance(items, list) else [d["id"]]  # fmt: skip
                changed = [f"{i}.{d['property']}" for i in ids]
        return {
            "output": self.cb["output"],
            "outputs": _outs(self.cb),
            "inputs": [self.item(d) for d in self.cb["inputs"]],
            "state": [self.item(d) for d in self.cb["state"]],
            "changedPropIds": changed,
        }

    def slots(self) -> list[tuple[str, str]]:
        return list(self.values)


class Console:
    """The app in-process with a signed-in admin; every answer is judged."""

    def __init__(self, client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
        self.client, self.caplog = client, caplog
        deps = json.loads(client.get("/_dash-dependencies").text)
        self.deps = [d for d in deps if not d.get("clientside_function") and d["inputs"]]
        self.failures: list[str] = []

    def cb(self, key: str, prop: str, output: str | None = None) -> dict[str, Any]:
        """The callback with input ``key.prop`` (and ``output`` among its outputs)."""
        found = [d for d in self.deps
                 if any((_key(i), i["property"]) == (key, prop) for i in d["inputs"])
                 and (output is None or output in d["output"])]  # fmt: skip
        assert len(found) == 1, f"{len(found)} callbacks take {key}.{prop} ({output})"
        return found[0]

    def send(self, call: Call, label: str) -> dict[str, Any]:
        """POST one call; a 5xx, "Internal error" or a logged error is a failure."""
        self.caplog.clear()
        r = self.client.post("/_dash-update-component", content=json.dumps(call.body()),
                             headers={"Content-Type": "application/json"})  # fmt: skip
        errors = [rec.getMessage() for rec in self.caplog.records if rec.levelno >= logging.ERROR]
        if r.status_code >= 500 or any(t in r.text for t in INTERNAL) or errors:
            self.failures.append(f"{label}: {r.status_code} {r.text[:160]!r} {errors[:1]}")
        if r.status_code != 200:
            return {}
        out: dict[str, Any] = r.json().get("response", {})
        return out


def _ok(resp: dict[str, Any]) -> bool:
    text = json.dumps(resp)
    return "gd-msg-ok" in text and "gd-msg-err" not in text and "gd-error" not in text


# ------------------------------------------------------------------------------- fixtures
CALLBACK_DB = "griddispatch_callbacks"


@pytest.fixture(scope="module")
def db(cluster, tiny_city) -> str:  # type: ignore[no-untyped-def]
    """A database of its own: the valid calls write cases, tasks, a grid edit and a moved
    platform, which other tests must not see."""
    from data.demo.load import load

    conninfo = fresh_database(cluster, CALLBACK_DB)
    with connect(conninfo) as conn:
        load(conn, tiny_city)
    return conninfo


@pytest.fixture(scope="module")
def client(db: str) -> Iterator[TestClient]:
    state.close()
    cfg = settings_mod.replace(settings_mod.load(), database_url=db, escalation_every_s=0)
    with TestClient(create_app(cfg).server) as c:
        yield signed_in(c, db)
    state.close()


@dataclass
class City:
    """Real objects of the test city for the valid calls."""

    lat: float
    lng: float
    grid: str
    category: str
    case: int  # an open case
    units: list[int]  # available units
    task_area: str
    edit_code: str
    edit_shape: dict[str, Any]


def _city(conninfo: str) -> City:
    with psycopg.connect(conninfo) as c:
        lng, lat, grid = c.execute(
            "SELECT ST_X(p), ST_Y(p), code FROM (SELECT code, ST_PointOnSurface(geom) p FROM grids"
            " WHERE valid_to IS NULL ORDER BY id LIMIT 1 OFFSET 3) g").fetchone()  # type: ignore[misc]  # fmt: skip
        category = c.execute("SELECT code FROM categories ORDER BY code LIMIT 1").fetchone()[0]  # type: ignore[index]
        case = c.execute(  # one nobody holds: a claimed case is its operator's alone
            "SELECT id FROM incidents WHERE status IN ('reported', 'dispatched', 'accepted', "
            "'on_scene') AND claimed_at IS NULL ORDER BY id DESC LIMIT 1").fetchone()[0]  # type: ignore[index]
        units = [r[0] for r in c.execute(
            "SELECT id FROM units WHERE status = 'available' AND geom IS NOT NULL "
            "ORDER BY id LIMIT 3")]  # fmt: skip
        area = c.execute("SELECT code FROM admin_units WHERE level = 'community' "
                         "ORDER BY code LIMIT 1").fetchone()[0]  # type: ignore[index]  # fmt: skip
        # a grid's edge shared with a neighbour, pushed 20 m into the neighbour
        code, wa, wb = c.execute(
            "SELECT a.code, ST_AsBinary(a.geom), ST_AsBinary(b.geom) FROM grids a "
            "JOIN LATERAL (SELECT geom FROM grids b WHERE b.valid_to IS NULL "
            "AND b.community_code = a.community_code AND b.code <> a.code "
            "AND ST_Length(ST_Intersection(ST_Boundary(a.geom), ST_Boundary(b.geom))::geography)"
            " > 100 LIMIT 1) b ON true WHERE a.valid_to IS NULL ORDER BY a.code LIMIT 1"
        ).fetchone()  # type: ignore[misc]
    ga, gb = shapely.from_wkb(wa), shapely.from_wkb(wb)
    shape = shapely.union_all([ga, gb.intersection(ga.buffer(20 / 100_000))])
    return City(lat, lng, grid, category, case, units, area, code, mapping(shape))


def _count(conninfo: str, sql: str, **params: Any) -> int:
    with psycopg.connect(conninfo) as c:
        return int(c.execute(sql, params).fetchone()[0])  # type: ignore[index]


# ------------------------------------------------------------------------- the valid calls
def _valid_calls(con: Console, city: City, conninfo: str) -> list[Call]:
    """Every writing callback once with real objects; each must write. Returns the calls
    (their values are the base of the one-field-hostile corpus)."""
    done: list[Call] = []
    lang = ("lang", "data")

    def check(call: Call, label: str, sql: str, **params: Any) -> dict[str, Any]:
        before = _count(conninfo, sql, **params)
        resp = con.send(call, label)
        after = _count(conninfo, sql, **params)
        assert _ok(resp), f"{label} answered an error: {json.dumps(resp)[:400]}"
        assert after > before, f"{label} wrote nothing ({sql})"
        done.append(call)
        return resp

    pick = {"lat": city.lat, "lng": city.lng}
    intake = {("desk-pick", "data"): pick, ("intake-grid", "value"): city.grid,
              ("intake-category", "value"): city.category, ("intake-class", "value"): None,
              ("intake-priority", "value"): "blue", ("intake-source", "value"): "hotline_12345",
              ("intake-name", "value"): "张三", ("intake-phone", "value"): "13800138000",
              ("intake-desc", "value"): "路灯不亮", lang: "zh-CN"}  # fmt: skip
    resp = check(Call(con.cb("intake-create", "n_clicks"),
                      {("intake-create", "n_clicks"): 1, **intake}),
                 "create", "SELECT count(*) FROM incidents")  # fmt: skip
    new_case = resp["desk-sel"]["data"]
    check(Call(con.cb("dup-link", "n_clicks"),
               {("dup-link", "n_clicks"): [({"type": "dup-link", "id": new_case}, 1)], **intake}),
          "link", "SELECT count(*) FROM incident_events WHERE incident_id = %(i)s",
          i=new_case)  # fmt: skip

    u1, u2, u3 = city.units
    dispatch = con.cb("rec-dispatch", "n_clicks")
    check(Call(dispatch, {("rec-dispatch", "n_clicks"): [({"type": "rec-dispatch", "unit": u1}, 1)],
                          ("case-dispatch-checked", "n_clicks"): None, ("rec-check", "value"): [],
                          ("desk-sel", "data"): city.case,
                          lang: "zh-CN"}),
          "dispatch one", "SELECT count(*) FROM dispatches WHERE incident_id = %(i)s",
          i=city.case)  # fmt: skip
    check(Call(dispatch, {("rec-dispatch", "n_clicks"): [],
                          ("case-dispatch-checked", "n_clicks"): 1,
                          ("rec-check", "value"): [({"type": "rec-check", "unit": u2}, [u2]),
                                                   ({"type": "rec-check", "unit": u3}, [u3])],
                          ("desk-sel", "data"): new_case,
                          lang: "zh-CN"}, fire=("case-dispatch-checked", "n_clicks")),
          "dispatch checked", "SELECT count(*) FROM dispatches WHERE incident_id = %(i)s",
          i=new_case)  # fmt: skip
    status = con.cb("unit-act", "n_clicks")
    for to in ("en_route", "on_scene"):
        item = ({"type": "unit-act", "unit": u1, "to": to}, 1)
        check(Call(status, {("unit-act", "n_clicks"): [item], lang: "zh-CN"}),
              f"unit {to}", "SELECT count(*) FROM units WHERE id = %(u)s AND status = %(s)s",
              u=u1, s=to)  # fmt: skip
    check(Call(con.cb("case-photo", "contents"),
               {("case-photo", "contents"): [({"type": "case-photo", "id": city.case}, _png())],
                ("desk-sel", "data"): city.case, lang: "zh-CN"}),
          "photo", "SELECT count(*) FROM incident_photos WHERE incident_id = %(i)s",
          i=city.case)  # fmt: skip
    act = con.cb("inc-act", "n_clicks")

    def action(what: str, case: int, sql: str, **params: Any) -> None:
        check(Call(act, {("inc-act", "n_clicks"): [({"type": "inc-act", "act": what}, 1)],
                         ("case-note", "value"): [({"type": "case-note", "id": case}, "已处理")],
                         ("desk-sel", "data"): case, lang: "zh-CN"}),
              what, sql, **params)  # fmt: skip

    events = "SELECT count(*) FROM incident_events WHERE incident_id = %(i)s"
    action("mediation", new_case, events, i=new_case)
    action("escalate", new_case, events, i=new_case)
    action("resolve", city.case, "SELECT count(*) FROM incidents WHERE id = %(i)s "
           "AND status = 'resolved' AND resolution_photo IS NOT NULL", i=city.case)
    action("close", city.case, "SELECT count(*) FROM incidents WHERE id = %(i)s "
           "AND status = 'closed'", i=city.case)
    action("fb5", city.case, "SELECT count(*) FROM incidents WHERE id = %(i)s "
           "AND satisfaction = 5", i=city.case)

    check(Call(con.cb("task-create", "n_clicks"),
               {("task-create", "n_clicks"): 1, ("task-title", "value"): "核查返乡人员",
                ("task-instructions", "value"): "逐户核实", ("task-target", "value"): 3,
                ("task-minutes", "value"): 30, ("task-units", "value"): [city.task_area],
                ("task-drawn", "data"): None, lang: "zh-CN"}),
          "task", "SELECT count(*) FROM mass_tasks")  # fmt: skip

    preview = Call(con.cb("plan-drawn", "data"),
                   {("plan-drawn", "data"): {"type": "Feature", "geometry": city.edit_shape},
                    ("plan-go", "data"): None, ("plan-follow", "value"): ["follow"],
                    ("plan-restore", "n_clicks"): [],
                    ("plan-mode", "data"): {"kind": "edit", "code": city.edit_code},
                    ("plan-sel", "data"): city.edit_code, ("plan-new-name", "value"): None,
                    lang: "zh-CN"})  # fmt: skip
    pending = con.send(preview, "plan preview").get("plan-pending", {}).get("data")
    assert isinstance(pending, dict), "the grid edit's preview gave nothing to save"
    done.append(preview)
    check(Call(con.cb("plan-save", "n_clicks"),
               {("plan-save", "n_clicks"): 1, ("plan-pending", "data"): pending,
                ("plan-reason", "value"): "边界调整", lang: "zh-CN"}),
          "plan save", "SELECT count(*) FROM grid_changes")  # fmt: skip

    tab = con.cb("plan-tabs", "value", "cov-sites.data")
    opened = con.send(Call(tab, {("plan-tabs", "value"): "coverage", ("cov-sites", "data"): None}),
                      "coverage tab")  # fmt: skip
    deadline = time.monotonic() + 120
    n = 0
    while "cov-sites" not in opened and time.monotonic() < deadline:  # the model's build
        assert opened.get("cov-wait", {}).get("disabled") is False, opened  # still waiting
        time.sleep(0.1)
        n += 1
        opened = con.send(Call(tab, {("cov-wait", "n_intervals"): n, ("plan-tabs", "value"):
                                     "coverage", ("cov-sites", "data"): None},
                               fire=("cov-wait", "n_intervals")), "coverage tab wait")  # fmt: skip
    sites = opened.get("cov-sites", {}).get("data")
    assert isinstance(sites, list) and sites, f"the coverage tab gave no sites: {opened}"
    moved = [dict(s) for s in sites]
    moved[0]["lat"] = float(moved[0]["lat"]) + 0.001
    check(Call(con.cb("cov-confirm", "n_clicks"),
               {("cov-confirm", "n_clicks"): 1, ("cov-sites", "data"): moved, lang: "zh-CN"}),
          "platforms", "SELECT count(*) FROM audit_log WHERE entity = 'platform'")  # fmt: skip
    return done


def _patterns(cb: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """The pattern-matching dependencies of ``cb`` and their id templates."""
    return {(_key(d), d["property"]): json.loads(d["id"])
            for d in [*cb["inputs"], *cb["state"]] if d["id"].startswith("{")}  # fmt: skip


def _one_field_hostile(call: Call) -> Iterator[tuple[str, Call]]:
    """``call`` with each of its values replaced by each mutation; a pattern-matching
    dependency gets the mutation as its item's value, and as each of its id keys."""
    patterns = _patterns(call.cb)
    for slot, v0 in call.values.items():
        for m in MUTATIONS:
            label = f"{slot}={str(m)[:20]}"
            if slot not in patterns:
                yield label, Call(call.cb, {**call.values, slot: m}, call.fire)
                continue
            ident, val = v0[0] if v0 else ({**patterns[slot]}, 1)
            yield label, Call(call.cb, {**call.values, slot: [(ident, m)]}, call.fire)
            for k in ident:
                if k != "type":
                    bad = [({**ident, k: m}, val)]
                    yield f"{slot}.{k}={str(m)[:20]}", Call(call.cb, {**call.values, slot: bad},
                                                            call.fire)  # fmt: skip


def _all_hostile(con: Console) -> Iterator[tuple[str, Call]]:
    """Every callback with every input and state set to each hostile value."""
    for cb in con.deps:
        for v in HOSTILE:
            values: dict[tuple[str, str], Any] = {}
            for d in [*cb["inputs"], *cb["state"]]:
                k = (_key(d), d["property"])
                if d["id"].startswith("{"):  # an item whose wildcard keys are hostile, clicked
                    pattern = json.loads(d["id"]).items()
                    ident = {kk: vv if kk == "type" else v for kk, vv in pattern}
                    values[k] = [(ident, 1 if d["property"] == "n_clicks" else v)]
                else:
                    values[k] = v
            yield f"{cb['output'][:50]} <- {str(v)[:30]}", Call(cb, values)


# ---------------------------------------------------------------------------------- tests
def test_callbacks_with_real_and_hostile_input(
    client: TestClient, db: str, caplog: pytest.LogCaptureFixture
) -> None:
    db_conninfo = db
    caplog.set_level(logging.ERROR)
    con = Console(client, caplog)
    city = _city(db_conninfo)

    valid = _valid_calls(con, city, db_conninfo)
    assert not con.failures, con.failures[:5]
    assert len(valid) == 16

    mutated = 0
    for call in valid:
        for label, bad in _one_field_hostile(call):
            con.send(bad, f"{call.cb['output'][:40]} {label}")
            mutated += 1
    assert mutated >= 1000
    assert not con.failures, f"{len(con.failures)} of {mutated}: " + "\n".join(con.failures)

    before = snapshot(db_conninfo)
    n = 0
    for label, bad in _all_hostile(con):
        con.send(bad, label)
        n += 1
    assert n >= 40 * len(HOSTILE)
    assert not con.failures, f"{len(con.failures)} of {n}: " + "\n".join(con.failures)
    assert snapshot(db_conninfo) == before
