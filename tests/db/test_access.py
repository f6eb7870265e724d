"""Who may do what: sign-in (argon2id, lockout, idle lock, TOTP), the jurisdiction matrix as
the application role under row-level security, and the same refusals through the API and
the console's callbacks."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from console import settings as settings_mod
from console.app import create_app
from console.server import state
from geo.access import users as auth
from geo.db import connect
from geo.errors import Unauthorized
from tests import _rls
from tests._auth import PASSWORD, ensure_user, signed_in
from tests._dashcall import callback_body
from tests.db.conftest import make_token

T0 = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)


def test_rfc6238_vector() -> None:
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # noqa: S105 - RFC 6238's test key, base32
    assert auth.totp(secret, 59, digits=8) == "94287082"
    assert auth.totp(secret, 1111111109, digits=8) == "07081804"
    assert auth.totp_ok(secret, auth.totp(secret, T0.timestamp() - 30), T0.timestamp())
    assert not auth.totp_ok(secret, auth.totp(secret, T0.timestamp() - 90), T0.timestamp())


def test_passwords_are_argon2id_and_five_failures_lock_for_ten_minutes(conn) -> None:  # type: ignore[no-untyped-def]
    auth.create_user(
        conn=conn, username="lock.me", password=PASSWORD, role="operator", admin_code="430202"
    )
    stored = conn.execute("SELECT password_hash FROM users WHERE username = 'lock.me'").fetchone()
    assert stored[0].startswith("$argon2id$") and PASSWORD not in stored[0]
    for i in range(5):
        with pytest.raises(Unauthorized) as err:
            auth.sign_in(conn=conn, username="lock.me", password="wrong-" + str(i), now=T0)
    assert "locked" in err.value.user_message
    with pytest.raises(Unauthorized, match="locked"):  # even the right password, while locked
        auth.sign_in(
            conn=conn, username="lock.me", password=PASSWORD, now=T0 + dt.timedelta(minutes=9)
        )
    ok = auth.sign_in(
        conn=conn,
        username="lock.me",
        password=PASSWORD,
        now=T0 + dt.timedelta(minutes=10, seconds=1),
    )
    assert ok.principal.actor == "user:lock.me" and ok.principal.scope == "430200.430202"
    actions = [
        r[0]
        for r in conn.execute(
            "SELECT action FROM audit_log WHERE entity = 'user' AND entity_id = 'lock.me' "
            "ORDER BY id"
        )
    ]
    assert actions == [
        "create",
        *["sign_in_failed"] * 4,
        "locked",
        "sign_in_refused_locked",
        "sign_in",
    ]


def test_an_unknown_user_gets_the_same_answer(conn) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Unauthorized) as unknown:
        auth.sign_in(conn=conn, username="nobody.here", password=PASSWORD)
    auth.create_user(
        conn=conn, username="some.one", password=PASSWORD, role="operator", admin_code="430202"
    )
    with pytest.raises(Unauthorized) as wrong:
        auth.sign_in(conn=conn, username="some.one", password="not-the-password")
    assert unknown.value.user_message == wrong.value.user_message


def test_totp_is_required_when_enrolled(conn) -> None:  # type: ignore[no-untyped-def]
    secret = auth.create_user(
        conn=conn,
        username="two.factor",
        password=PASSWORD,
        role="supervisor",
        admin_code="430200",
        with_totp=True,
    )
    assert secret
    with pytest.raises(Unauthorized):
        auth.sign_in(conn=conn, username="two.factor", password=PASSWORD, now=T0)
    with pytest.raises(Unauthorized):
        auth.sign_in(conn=conn, username="two.factor", password=PASSWORD, code="000000", now=T0)
    code = auth.totp(secret, T0.timestamp())
    assert auth.sign_in(conn=conn, username="two.factor", password=PASSWORD, code=code, now=T0)


def test_idle_sessions_lock_and_timers_do_not_keep_them_alive(conn) -> None:  # type: ignore[no-untyped-def]
    auth.create_user(
        conn=conn, username="idle.one", password=PASSWORD, role="operator", admin_code="430202001"
    )
    s = auth.sign_in(conn=conn, username="idle.one", password=PASSWORD, now=T0).session
    idle = dt.timedelta(minutes=30)
    at = T0
    for _ in range(6):  # a timer asking every 5 minutes does not count as activity
        at += dt.timedelta(minutes=5)
        auth.session(conn=conn, secret=s, idle=idle, now=at, touch=False)
    with pytest.raises(Unauthorized, match="idle"):
        auth.session(conn=conn, secret=s, idle=idle, now=at + dt.timedelta(minutes=1), touch=False)
    with pytest.raises(Unauthorized):  # ended: even activity does not bring it back
        auth.session(conn=conn, secret=s, idle=idle, now=at + dt.timedelta(minutes=1))
    s2 = auth.sign_in(conn=conn, username="idle.one", password=PASSWORD, now=T0).session
    for k in range(1, 7):  # a person clicking every 25 minutes stays signed in
        p = auth.session(conn=conn, secret=s2, idle=idle, now=T0 + k * dt.timedelta(minutes=25))
        assert p.scope == "430200.430202.430202001"
    auth.sign_out(conn=conn, secret=s2)
    with pytest.raises(Unauthorized):
        auth.session(conn=conn, secret=s2, idle=idle, now=T0 + dt.timedelta(hours=3))


def test_the_application_role_owns_nothing_and_cannot_bypass(db_conninfo: str) -> None:
    with psycopg.connect(db_conninfo) as c:
        role = c.execute(
            "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles "
            "WHERE rolname = 'griddispatch_app'"
        ).fetchone()
        owned = c.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
            "WHERE r.rolname = 'griddispatch_app'"
        ).fetchone()
        forced = c.execute("SELECT count(*) FROM pg_class WHERE relforcerowsecurity").fetchone()
    assert role == (False, False, False, False)
    assert owned == (0,)
    assert forced[0] >= 9
    with psycopg.connect(
        state.app_conninfo(settings_mod.replace(settings_mod.load(), database_url=db_conninfo))
    ) as app:
        assert app.execute("SELECT current_user").fetchone() == ("griddispatch_app",)
        assert app.execute("SELECT count(*) FROM incidents").fetchone() == (0,)  # no scope
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app.execute("CREATE TABLE sneaky (id int)")


def test_jurisdiction_matrix_has_no_leaks(db_conninfo: str) -> None:
    m = _rls.run(db_conninfo)
    assert m.checks > 200 and m.visible_rows > 1000
    assert m.leaks == 0, m.details


@pytest.fixture(scope="module")
def app_client(db_conninfo: str):  # type: ignore[no-untyped-def]
    state.close()
    cfg = settings_mod.replace(settings_mod.load(), database_url=db_conninfo, escalation_every_s=0)
    with TestClient(create_app(cfg).server) as c:
        yield c
    state.close()


def _an_incident(db_conninfo: str, street: str, done: tuple[str, ...] = ("closed",)) -> int:
    """A case in ``street`` not in a status of ``done``."""
    with psycopg.connect(db_conninfo) as c:
        row = c.execute(
            "SELECT id FROM incidents WHERE path <@ ('430200.' || left(%(s)s, 6) "
            "|| '.' || %(s)s)::ltree AND status <> ALL(%(d)s) ORDER BY id LIMIT 1",
            {"s": street, "d": list(done)},
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_a_street_token_sees_and_acts_only_in_its_street(
    app_client: TestClient, db_conninfo: str
) -> None:
    with connect(db_conninfo) as c:
        from geo.access import tokens

        secret = tokens.create(
            conn=c,
            name="street-b",
            admin_code="430202002",
            scopes=["incidents:read", "incidents:write", "units:read"],
        )
        c.commit()
    head = {"Authorization": f"Bearer {secret}"}
    mine, theirs = _an_incident(db_conninfo, "430202002"), _an_incident(db_conninfo, "430202001")
    assert app_client.get(f"/api/v1/incidents/{mine}", headers=head).status_code == 200
    r = app_client.get(f"/api/v1/incidents/{theirs}", headers=head)
    assert r.status_code == 404, r.text
    listed = app_client.get("/api/v1/incidents?limit=500", headers=head).json()["items"]
    assert listed and all(i["grid_code"].startswith("430202002") for i in listed)
    r = app_client.post(f"/api/v1/incidents/{theirs}/dispatch", json={"units": [1]}, headers=head)
    assert r.status_code in (403, 404), r.text
    whole_city = make_token(db_conninfo, "incidents:read")
    assert app_client.get(f"/api/v1/incidents/{theirs}", headers=whole_city).status_code == 200


def _request(client: TestClient, trigger: str, values: dict[str, Any]) -> dict[str, Any]:
    """The body the browser posts for the desk callback fired by ``trigger``."""
    return callback_body(json.loads(client.get("/_dash-dependencies").text), trigger, values)


def _answer(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post("/_dash-update-component", json=body)
    return {"status": r.status_code, "text": r.text}


def test_forged_callbacks_outside_the_jurisdiction_get_nothing(
    app_client: TestClient, db_conninfo: str
) -> None:
    theirs = _an_incident(db_conninfo, "430202002", ("resolved", "closed"))
    with psycopg.connect(db_conninfo) as c:
        claim = c.execute("SELECT claimed_by, claimed_at FROM incidents WHERE id = %(i)s",
                          {"i": theirs}).fetchone()  # fmt: skip
        c.execute("UPDATE incidents SET claimed_by = NULL, claimed_at = NULL WHERE id = %(i)s",
                  {"i": theirs})  # nobody holds it: the street's own operator may send units
        number, phone = c.execute(
            "SELECT number, coalesce(reporter_phone, '') FROM incidents WHERE id = %(i)s",
            {"i": theirs},
        ).fetchone()
    signed_in(app_client, db_conninfo, "op.street.a", "operator", "430202001")
    values = {"desk-sel": theirs, "case-types": [], "lang": "en"}
    show = _request(app_client, "case-types", values)
    r = _answer(app_client, show)
    assert r["status"] == 200
    assert number not in r["text"] and (not phone or phone not in r["text"])
    assert "not exist" in r["text"]  # the same answer as for a case that does not exist
    # a planner has no business on the desk: the same request is refused by role
    signed_in(app_client, db_conninfo, "planner.city", "planner")
    r = _answer(app_client, show)
    assert r["status"] == 200 and "may not" in r["text"] and number not in r["text"]
    # dispatching by a forged request: a planner may not; a street's operator may not send
    # a unit to another street's case (nor see that case)
    with psycopg.connect(db_conninfo) as c:
        unit = c.execute(
            "SELECT id FROM units WHERE status = 'available' AND path <@ '430200.430202.430202002'"
            " ORDER BY id LIMIT 1"
        ).fetchone()[0]
        before = c.execute("SELECT count(*), max(id) FROM dispatches").fetchone()
        was = c.execute(
            "SELECT status, dispatched_at, updated_at FROM incidents WHERE id = %(i)s",
            {"i": theirs},
        ).fetchone()
    check = '{"type":"rec-check","unit":["ALL"]}'
    body = _request(app_client, "case-dispatch-checked", {
        "case-dispatch-checked": 1, "desk-sel": theirs, "lang": "en",
        check: [{"id": {"type": "rec-check", "unit": str(unit)}, "property": "value",
                 "value": [unit]}],
    })  # fmt: skip
    for who, role, where, answer in (
        ("planner.city", "planner", None, "may not"),
        ("op.street.a", "operator", "430202001", "not exist"),
    ):
        signed_in(app_client, db_conninfo, who, role, where)
        r = app_client.post("/_dash-update-component", json=body)
        assert r.status_code == 200 and answer in r.text, r.text
    with psycopg.connect(db_conninfo) as c:
        assert c.execute("SELECT count(*), max(id) FROM dispatches").fetchone() == before
    # the control: the same request from the street's own operator does dispatch
    signed_in(app_client, db_conninfo, "op.street.b", "operator", "430202002")
    r = app_client.post("/_dash-update-component", json=body)
    assert r.status_code == 200, r.text
    with psycopg.connect(db_conninfo) as c:
        sent = c.execute(
            "SELECT unit_id, dispatched_by FROM dispatches WHERE incident_id = %(i)s "
            "ORDER BY id DESC LIMIT 1",
            {"i": theirs},
        ).fetchone()
        # put the demo history back as it was (other tests read it)
        c.execute("DELETE FROM dispatches WHERE id > %(m)s", {"m": before[1]})
        c.execute(
            "UPDATE incidents SET status = %(s)s, dispatched_at = %(d)s, updated_at = %(u)s, "
            "claimed_by = %(cb)s, claimed_at = %(ca)s WHERE id = %(i)s",
            {"s": was[0], "d": was[1], "u": was[2], "i": theirs, "cb": claim[0], "ca": claim[1]},
        )
        c.execute("UPDATE units SET status = 'available' WHERE id = %(u)s", {"u": unit})
    assert sent == (unit, "user:op.street.b"), r.text


def test_pages_need_a_session_and_a_role(app_client: TestClient, db_conninfo: str) -> None:
    fresh = TestClient(app_client.app)
    r = fresh.get("/dispatch", headers={"Accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/dispatch")
    assert fresh.post("/_dash-update-component", json={}).status_code == 401
    assert fresh.get("/api/layers/grids.geojson").status_code == 401
    # the open routes are those paths and what lies under them, not longer names
    for path in ("/healthzz", "/loginx", "/ogcanything", "/docsx", "/open311x", "/assetsx/a.js"):
        r = fresh.get(path, headers={"Accept": "text/html"}, follow_redirects=False)
        assert r.status_code in (303, 401), (path, r.status_code)
        assert "dash" not in r.text.lower() and "python" not in r.text.lower(), path
    assert fresh.get("/healthz").status_code == 200
    login = fresh.get("/login")
    assert login.status_code == 200 and 'name="password"' in login.text
    ensure_user(db_conninfo, "sup.city", "supervisor")
    bad = fresh.post("/login", data={"username": "sup.city", "password": "nope-nope-nope"})
    assert bad.status_code == 401 and "gd_session" not in bad.headers.get("set-cookie", "")
    ok = fresh.post(
        "/login",
        data={"username": "sup.city", "password": PASSWORD, "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/dispatch"
    cookie = ok.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    layout = fresh.get("/_dash-layout")
    assert layout.status_code == 200
    assert fresh.get("/api/layers/grids.geojson").status_code == 200
    fresh.post("/logout", follow_redirects=False)
    assert fresh.get("/api/layers/grids.geojson").status_code == 401
