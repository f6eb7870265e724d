"""The operator's loop (migration 013) on real PostGIS: claiming (签收), units freed when a case
is settled, response plans (预案), the three quick clocks, escalation and supervision flags,
the banded queue and the search.

Most tests run in the ``conn`` fixture's transaction (rolled back afterwards, so ``now()`` is
one instant for the whole test: times are moved with SQL). The claim races and the trigger
race need committed rows on several connections; they close what they opened afterwards.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql

from geo import caseflow, caselists, dispatching, escalation, incidents, intake, places, plans
from geo import units as units_mod
from geo.db import connect, transaction
from geo.errors import Conflict, InvalidInput
from geo.routing import Router, RoutingConfig, load_graph, load_units

QUICK = {"respond": 60, "arrive": 300, "report": 600}
TIME_COLUMNS = (
    "reported_at",
    "dispatched_at",
    "accepted_at",
    "on_scene_at",
    "claimed_at",
    "field_report_at",
    "respond_due",
    "arrive_due",
    "report_due",
    "close_due",
)


# ---------------------------------------------------------------------------- helpers
def spot(conn: psycopg.Connection) -> tuple[float, float, str]:
    """(lon, lat, grid code): well inside the first grid."""
    row = conn.execute(
        "SELECT ST_X(p), ST_Y(p), code FROM (SELECT ST_PointOnSurface(ST_Buffer(geom::geography,"
        " -60)::geometry) p, code FROM grids WHERE valid_to IS NULL ORDER BY code LIMIT 1) x"
    ).fetchone()
    assert row is not None
    return row[0], row[1], row[2]


def new_case(conn: psycopg.Connection, actor: str = "operator:intake", **kw: Any) -> dict:
    lon, lat, _ = spot(conn)
    args: dict[str, Any] = dict(
        lon=lon,
        lat=lat,
        category="public_security",
        priority="red",
        source="operator",
        region_bbox=places.city_bbox(conn=conn),
    )
    args.update(kw)
    with transaction(conn, actor) as c:
        return dict(incidents.create(conn=c, **args))


def get(conn: psycopg.Connection, incident_id: int) -> dict:
    return dict(incidents.get(conn=conn, incident_id=incident_id))


def free_units(conn: psycopg.Connection, n: int, unit_type: str | None = None) -> list[int]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT id FROM units WHERE status = 'available' "
            "AND (%(t)s::text IS NULL OR type = %(t)s) ORDER BY id LIMIT %(n)s",
            {"n": n, "t": unit_type},
        )
    ]


def statuses(conn: psycopg.Connection, ids: list[int]) -> dict[int, str]:
    return dict(
        conn.execute(  # type: ignore[arg-type]
            "SELECT id, status FROM units WHERE id = ANY(%(i)s)", {"i": list(ids)}
        ).fetchall()
    )


def scalar(conn: psycopg.Connection, query: str, params: dict | None = None) -> Any:
    row = conn.execute(query, params or {}).fetchone()  # type: ignore[arg-type]
    assert row is not None
    return row[0]


def open_dispatches(conn: psycopg.Connection, incident_id: int) -> int:
    return int(
        scalar(
            conn,
            "SELECT count(*) FROM dispatches WHERE incident_id = %(i)s AND released_at IS NULL",
            {"i": incident_id},
        )
    )


def shift(conn: psycopg.Connection, ids: list[int], minutes: float) -> None:
    """Move every time of the cases ``minutes`` into the past (as if that much time passed)."""
    sets = sql.SQL(", ").join(
        sql.SQL("{c} = {c} - make_interval(mins => %(m)s)").format(c=sql.Identifier(c))
        for c in TIME_COLUMNS
    )
    conn.execute(
        sql.SQL("UPDATE incidents SET {s} WHERE id = ANY(%(i)s)").format(s=sets),
        {"m": minutes, "i": list(ids)},
    )


def overdue_sql(conn: psycopg.Connection, incident_id: int) -> bool:
    q = sql.SQL("SELECT {o} FROM incidents WHERE id = %(i)s").format(o=incidents.OVERDUE_SQL)
    return bool(scalar(conn, q.as_string(conn), {"i": incident_id}))


def queue_row(conn: psycopg.Connection, incident_id: int) -> dict | None:
    for r in caselists.queue(conn=conn, limit=1000).rows:
        if r["id"] == incident_id:
            return dict(r)
    return None


def seconds(a: dt.datetime | None, b: dt.datetime | None) -> float:
    assert a is not None and b is not None
    return (a - b).total_seconds()


BUSY_ON_SETTLED = (
    "SELECT count(*) FROM units u JOIN dispatches d ON d.unit_id = u.id AND d.released_at IS NULL"
    " JOIN incidents i ON i.id = d.incident_id"
    " WHERE u.status IN ('dispatched', 'en_route', 'on_scene')"
    " AND i.status IN ('resolved', 'closed')"
)
OPEN_ON_SETTLED = (
    "SELECT count(*) FROM dispatches d JOIN incidents i ON i.id = d.incident_id"
    " WHERE d.released_at IS NULL AND i.status IN ('resolved', 'closed')"
)
BUSY_WITHOUT_DISPATCH = (
    "SELECT count(*) FROM units u WHERE u.status IN ('dispatched', 'en_route', 'on_scene')"
    " AND NOT EXISTS (SELECT 1 FROM dispatches d WHERE d.unit_id = u.id"
    " AND d.released_at IS NULL)"
)


@pytest.fixture()
def committed(db_conninfo: str) -> Iterator[tuple[psycopg.Connection, list[int]]]:
    """A connection whose work is committed, and a list of case ids that are closed (and their
    units freed) after the test, so that they leave the queue of the other tests."""
    c = connect(db_conninfo)
    made: list[int] = []
    try:
        yield c, made
    finally:
        c.rollback()
        with transaction(c, "test:cleanup"):  # no transaction open: this one commits
            c.execute(
                "UPDATE dispatches SET released_at = clock_timestamp(), release_reason = "
                "'cancelled' WHERE incident_id = ANY(%(i)s) AND released_at IS NULL",
                {"i": made},
            )
            c.execute(
                "UPDATE units SET status = 'available', status_time = clock_timestamp() "
                "WHERE status <> 'available' AND id IN (SELECT unit_id FROM dispatches "
                "WHERE incident_id = ANY(%(i)s))",
                {"i": made},
            )
            c.execute(
                "UPDATE incidents SET status = 'closed', closed_at = now() WHERE id = ANY(%(i)s)",
                {"i": made},
            )
        # and then gone, so that the later tests' city (workloads, queues) is the fixture's
        with transaction(c, "test:cleanup"):
            # the case history is append-only for everyone else: the test's superuser lifts it
            c.execute("SET LOCAL session_replication_role = replica")
            c.execute(
                "UPDATE incidents SET linked_to = NULL WHERE linked_to = ANY(%(i)s)", {"i": made}
            )
            for table in ("incident_events", "dispatches", "incident_photos", "idempotency_keys"):
                c.execute(
                    sql.SQL("DELETE FROM {} WHERE incident_id = ANY(%(i)s)").format(
                        sql.Identifier(table)
                    ),
                    {"i": made},
                )
            c.execute("DELETE FROM incidents WHERE id = ANY(%(i)s)", {"i": made})
        c.close()


def committed_case(c: psycopg.Connection, made: list[int], **kw: Any) -> dict:
    case = new_case(c, **kw)
    c.commit()
    made.append(case["id"])
    return case


# ---------------------------------------------------------------------------- 1. claiming
def _race_claim(conninfo: str, case_ids: list[int]) -> list[list[tuple[Any, ...]]]:
    """For each case, two operators on two connections claim it at once (a barrier)."""
    conns = [connect(conninfo), connect(conninfo)]
    actors = ["operator:east", "operator:west"]
    rounds: list[list[tuple[Any, ...]]] = []
    try:
        for cid in case_ids:
            barrier = threading.Barrier(2)
            out: list[tuple[Any, ...]] = [(), ()]

            def go(
                i: int,
                cid: int = cid,
                barrier: threading.Barrier = barrier,
                out: list[tuple[Any, ...]] = out,
            ) -> None:
                barrier.wait()
                try:
                    with transaction(conns[i], actors[i]) as tx:
                        row = caseflow.claim(conn=tx, incident_id=cid)
                    out[i] = ("won", actors[i], row["claimed_by"])
                except Conflict as exc:
                    out[i] = ("lost", actors[i], exc.code, exc.params.get("who"))
                except Exception as exc:  # noqa: BLE001 - reported by the assertion
                    out[i] = ("crash", actors[i], repr(exc))

            threads = [threading.Thread(target=go, args=(i,)) for i in (0, 1)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            rounds.append(out)
    finally:
        for c in conns:
            c.close()
    return rounds


def test_two_operators_claiming_at_once_one_wins(
    committed: tuple[psycopg.Connection, list[int]], db_conninfo: str
) -> None:
    c, made = committed
    cases = [committed_case(c, made)["id"] for _ in range(20)]
    rounds = _race_claim(db_conninfo, cases)
    double_claims = sum(1 for r in rounds if [o[0] for o in r] == ["won", "won"])
    crashes = [o for r in rounds for o in r if o[0] == "crash"]
    print(f"claim races: {len(rounds)}, double claims: {double_claims}")
    assert crashes == [] and double_claims == 0
    for cid, r in zip(cases, rounds, strict=True):
        won = [o for o in r if o[0] == "won"]
        lost = [o for o in r if o[0] == "lost"]
        assert len(won) == 1 and len(lost) == 1, r
        winner = won[0][1]
        assert won[0][2] == winner
        # names the winner, as operators know each other (without the "operator:" role prefix)
        assert lost[0][2] == "claim.taken" and lost[0][3] == winner.split(":", 1)[-1]
        c.rollback()
        row = get(c, cid)
        assert row["claimed_by"] == winner and row["claimed_at"] is not None
        claims = scalar(
            c,
            "SELECT count(*) FROM incident_events WHERE incident_id = %(i)s AND action = 'claim'",
            {"i": cid},
        )
        assert claims == 1
    c.rollback()


def test_second_claim_waits_for_the_first_and_is_refused(
    committed: tuple[psycopg.Connection, list[int]], db_conninfo: str
) -> None:
    """Deterministic overlap: the second claim blocks on the row until the first commits,
    then sees the holder."""
    c, made = committed
    case = committed_case(c, made)
    a, b, watch = connect(db_conninfo), connect(db_conninfo), connect(db_conninfo, autocommit=True)
    outcome: dict[str, Any] = {}

    def b_claims() -> None:
        try:
            with transaction(b, "operator:b") as tb:
                caseflow.claim(conn=tb, incident_id=case["id"])
            outcome["b"] = "won"
        except Conflict as exc:
            outcome["b"] = (exc.code, exc.params.get("who"))

    try:
        with transaction(a, "operator:a") as ta:
            mine = caseflow.claim(conn=ta, incident_id=case["id"])
            assert mine["claimed_by"] == "operator:a"
            t = threading.Thread(target=b_claims)
            t.start()
            waited = False
            for _ in range(100):  # B waits for A's row lock
                waited = bool(
                    scalar(
                        watch,
                        "SELECT count(*) FROM pg_stat_activity WHERE "
                        "pid = %(p)s AND wait_event_type = 'Lock'",
                        {"p": b.info.backend_pid},
                    )
                )
                if waited:
                    break
                time.sleep(0.05)
            assert waited and t.is_alive() and "b" not in outcome
        t.join(10)
        assert outcome["b"] == ("claim.taken", "a")

        # The holder may claim again: no error, nothing changes.
        with transaction(a, "operator:a") as ta:
            again = caseflow.claim(conn=ta, incident_id=case["id"])
        assert again["claimed_by"] == "operator:a" and again["claimed_at"] == mine["claimed_at"]

        # Another operator's dispatch of the held case is refused and changes nothing.
        unit = free_units(c, 1)[0]
        c.rollback()
        with pytest.raises(Conflict) as err, transaction(b, "operator:b") as tb:
            units_mod.dispatch(conn=tb, incident_id=case["id"], unit_ids=[unit])
        assert err.value.code == "claim.taken" and err.value.params["who"] == "a"
        assert statuses(c, [unit]) == {unit: "available"}
        assert open_dispatches(c, case["id"]) == 0
        after = get(c, case["id"])
        assert after["status"] == "reported" and after["claimed_by"] == "operator:a"
        # ... and so is handing it back (退回) for someone else; the holder may.
        with pytest.raises(Conflict) as err, transaction(b, "operator:b") as tb:
            caseflow.unclaim(conn=tb, incident_id=case["id"])
        assert err.value.code == "claim.taken"
        with transaction(a, "operator:a") as ta:
            back = caseflow.unclaim(conn=ta, incident_id=case["id"])
        assert back["claimed_by"] is None and back["claimed_at"] is None
    finally:
        for x in (a, b, watch):
            x.close()
        c.rollback()


def test_dispatch_claims_for_the_dispatcher_and_stops_the_respond_clock(
    conn: psycopg.Connection,
) -> None:
    case, twin = new_case(conn), new_case(conn)
    assert case["claimed_at"] is None
    row = queue_row(conn, case["id"])
    assert row is not None and row["band"] == "new" and row["stage"] == "respond"
    unit = free_units(conn, 1)[0]
    with transaction(conn, "operator:disp") as c:
        units_mod.dispatch(conn=c, incident_id=case["id"], unit_ids=[unit])
    sent = get(conn, case["id"])
    assert sent["claimed_by"] == "operator:disp" and sent["claimed_at"] is not None
    assert sent["status"] == "dispatched"
    row = queue_row(conn, case["id"])
    assert row is not None and row["band"] == "active" and row["stage"] == "arrive"
    # Ten minutes later: the respond deadline (reported + 60 s) has passed. The dispatched case
    # met it (claimed at the report); the twin nobody touched did not.
    shift(conn, [case["id"], twin["id"]], 10)
    conn.execute(
        "UPDATE incidents SET arrive_due = now() + interval '1 hour' WHERE id = ANY(%(i)s)",
        {"i": [case["id"], twin["id"]]},
    )
    assert not overdue_sql(conn, case["id"])
    assert overdue_sql(conn, twin["id"])
    now = scalar(conn, "SELECT now()")
    assert not incidents.is_overdue(get(conn, case["id"]), now)
    assert incidents.is_overdue(get(conn, twin["id"]), now)
    # A claim after the deadline is late on the respond clock.
    conn.execute(
        "UPDATE incidents SET claimed_at = respond_due + interval '1 second' WHERE id = %(i)s",
        {"i": case["id"]},
    )
    assert overdue_sql(conn, case["id"])


def test_a_settled_case_cannot_be_claimed(conn: psycopg.Connection) -> None:
    case = new_case(conn)
    conn.execute("UPDATE incidents SET status = 'closed' WHERE id = %(i)s", {"i": case["id"]})
    with pytest.raises(Conflict) as err, transaction(conn, "operator:late") as c:
        caseflow.claim(conn=c, incident_id=case["id"])
    assert err.value.code == "claim.settled"
    assert get(conn, case["id"])["claimed_at"] is None


def _closed_case(conn: psycopg.Connection) -> dict:
    case = new_case(conn)
    unit = free_units(conn, 1)[0]
    with transaction(conn, "operator:first") as c:
        units_mod.dispatch(conn=c, incident_id=case["id"], unit_ids=[unit])
        units_mod.set_status(conn=c, unit_id=unit, target="on_scene")
        incidents.resolve(conn=c, incident_id=case["id"], note="已处理")
        closed = incidents.transition(conn=c, incident_id=case["id"], target="closed")
    assert closed["claimed_by"] == "operator:first"
    return dict(closed)


def test_a_case_reopened_by_the_operator_is_nobody_s(conn: psycopg.Connection) -> None:
    case = _closed_case(conn)
    with transaction(conn, "operator:second") as c:
        back = incidents.transition(conn=c, incident_id=case["id"], target="reported")
    assert back["claimed_by"] is None and back["claimed_at"] is None
    with transaction(conn, "operator:second") as c:
        assert caseflow.claim(conn=c, incident_id=case["id"])["claimed_by"] == "operator:second"


def test_a_case_reopened_by_resident_feedback_is_nobody_s(conn: psycopg.Connection) -> None:
    case = _closed_case(conn)
    with transaction(conn, "resident") as c:
        back = incidents.feedback(conn=c, incident_id=case["id"], satisfaction=1)
    assert back["status"] == "reported" and back["reopened"] == 1
    with transaction(conn, "operator:second") as c:
        assert caseflow.claim(conn=c, incident_id=case["id"])["claimed_by"] == "operator:second"


# ---------------------------------------------------------------------------- 2. units freed
def test_resolving_frees_every_unit_of_the_case(conn: psycopg.Connection) -> None:
    case = new_case(conn)
    a, b = free_units(conn, 2)
    with transaction(conn, "operator:disp") as c:
        units_mod.dispatch(conn=c, incident_id=case["id"], unit_ids=[a, b])
    with transaction(conn, "responder:a") as c:
        units_mod.set_status(conn=c, unit_id=a, target="en_route")
        units_mod.set_status(conn=c, unit_id=a, target="on_scene")
    assert statuses(conn, [a, b]) == {a: "on_scene", b: "dispatched"}
    with transaction(conn, "responder:a") as c:
        done = incidents.resolve(conn=c, incident_id=case["id"], note="已处置完毕")
    assert done["status"] == "resolved"
    assert statuses(conn, [a, b]) == {a: "returning", b: "returning"}
    assert open_dispatches(conn, case["id"]) == 0
    released = conn.execute(
        "SELECT entity_id, actor, after->>'case_status' FROM audit_log WHERE entity = 'unit' "
        "AND action = 'release' AND (after->>'incident')::bigint = %(i)s ORDER BY entity_id",
        {"i": case["id"]},
    ).fetchall()
    assert sorted(r[0] for r in released) == sorted([str(a), str(b)])
    assert {(r[1], r[2]) for r in released} == {("responder:a", "resolved")}
    reasons = {
        r[0]
        for r in conn.execute(
            "SELECT release_reason FROM dispatches WHERE incident_id = %(i)s", {"i": case["id"]}
        )
    }
    assert reasons == {"completed"}
    # The crew pressing "returning" afterwards is harmless.
    with transaction(conn, "responder:a") as c:
        assert units_mod.set_status(conn=c, unit_id=a, target="returning") == "returning"
    with transaction(conn, "operator:disp") as c:
        closed = incidents.transition(conn=c, incident_id=case["id"], target="closed")
    assert closed["status"] == "closed"
    assert statuses(conn, [a, b]) == {a: "returning", b: "returning"}
    assert int(scalar(conn, BUSY_ON_SETTLED)) == 0


def test_a_unit_arriving_while_its_case_is_resolved_does_not_deadlock(
    committed: tuple[psycopg.Connection, list[int]], db_conninfo: str
) -> None:
    """A crew on scene presses "returning" (the unit's row, then its case's) while the operator
    resolves the case (which frees its units): the resolve waits for the unit, and neither
    transaction is aborted as a deadlock. The crew holds the unit when the resolve starts."""
    c, made = committed
    case = committed_case(c, made)
    unit = free_units(c, 1)[0]
    c.rollback()
    with transaction(c, "operator:disp") as t:
        units_mod.dispatch(conn=t, incident_id=case["id"], unit_ids=[unit])
    with transaction(c, "responder:crew") as t:
        units_mod.set_status(conn=t, unit_id=unit, target="on_scene")
    crew, desk, watch = (connect(db_conninfo), connect(db_conninfo),
                         connect(db_conninfo, autocommit=True))  # fmt: skip
    outcome: dict[str, Any] = {}

    def desk_resolves() -> None:
        try:
            with transaction(desk, "operator:disp") as td:
                outcome["desk"] = incidents.resolve(conn=td, incident_id=case["id"],
                                                    note="已处置")["status"]  # fmt: skip
        except (psycopg.Error, Conflict) as exc:
            outcome["desk"] = type(exc).__name__ + ": " + str(exc)

    try:
        try:
            with transaction(crew, "responder:crew") as tc:
                # set_status's first step: the unit's row, locked
                tc.execute("SELECT 1 FROM units WHERE id = %(u)s FOR UPDATE", {"u": unit})
                t = threading.Thread(target=desk_resolves)
                t.start()
                for _ in range(200):  # the resolve is waiting on a lock
                    if scalar(watch, "SELECT count(*) FROM pg_stat_activity WHERE pid = %(p)s"
                              " AND wait_event_type = 'Lock'", {"p": desk.info.backend_pid}):
                        break
                    time.sleep(0.05)
                assert t.is_alive(), outcome
                outcome["crew"] = units_mod.set_status(conn=tc, unit_id=unit, target="returning")
        except psycopg.Error as exc:
            outcome["crew"] = type(exc).__name__
        t.join(15)
        assert outcome == {"crew": "returning", "desk": "resolved"}
        assert statuses(c, [unit]) == {unit: "returning"}
        assert open_dispatches(c, case["id"]) == 0
    finally:
        for x in (crew, desk, watch):
            x.close()
        c.rollback()


def test_raw_sql_cannot_leave_a_unit_on_a_settled_case(conn: psycopg.Connection) -> None:
    """As the table owner, bypassing geo: the triggers still hold the invariant."""
    case, live = new_case(conn), new_case(conn)
    a, b, spare = free_units(conn, 3)
    with transaction(conn, "operator:disp") as c:
        units_mod.dispatch(conn=c, incident_id=case["id"], unit_ids=[a])
        units_mod.dispatch(conn=c, incident_id=live["id"], unit_ids=[b])
    with transaction(conn, "dba:raw") as c:
        c.execute("UPDATE incidents SET status = 'closed' WHERE id = %(i)s", {"i": case["id"]})
    assert statuses(conn, [a]) == {a: "returning"}
    assert open_dispatches(conn, case["id"]) == 0
    assert (
        scalar(
            conn,
            "SELECT count(*) FROM audit_log WHERE entity = 'unit' AND action = "
            "'release' AND entity_id = %(u)s AND after->>'case_status' = 'closed'",
            {"u": str(a)},
        )
        == 1
    )
    # A new open dispatch on the closed case is refused ...
    with pytest.raises(psycopg.errors.CheckViolation, match="settled"), conn.transaction():
        conn.execute(
            "INSERT INTO dispatches (incident_id, unit_id) VALUES (%(i)s, %(u)s)",
            {"i": case["id"], "u": spare},
        )
    # ... and so is re-opening the released one ...
    with pytest.raises(psycopg.errors.CheckViolation, match="settled"), conn.transaction():
        conn.execute(
            "UPDATE dispatches SET released_at = NULL, release_reason = NULL "
            "WHERE incident_id = %(i)s",
            {"i": case["id"]},
        )
    # ... and moving a live case's open dispatch onto it.
    with pytest.raises(psycopg.errors.CheckViolation, match="settled"), conn.transaction():
        conn.execute(
            "UPDATE dispatches SET incident_id = %(c)s WHERE incident_id = %(l)s",
            {"c": case["id"], "l": live["id"]},
        )
    # The dispatch path of geo refuses too, with its own message.
    with pytest.raises(Conflict) as err, transaction(conn, "operator:disp") as c:
        units_mod.dispatch(conn=c, incident_id=case["id"], unit_ids=[spare])
    assert err.value.code == "dispatch.settled"
    assert statuses(conn, [spare, b]) == {spare: "available", b: "dispatched"}
    # Resolving by raw SQL frees units as well (dispatched -> resolved directly).
    with transaction(conn, "dba:raw") as c:
        c.execute("UPDATE incidents SET status = 'resolved' WHERE id = %(i)s", {"i": live["id"]})
    assert statuses(conn, [b]) == {b: "returning"}
    # Released dispatches may still be written on a closed case (e.g. a late release stamp).
    conn.execute(
        "INSERT INTO dispatches (incident_id, unit_id, released_at, release_reason) "
        "VALUES (%(i)s, %(u)s, now(), 'cancelled')",
        {"i": case["id"], "u": spare},
    )
    assert int(scalar(conn, BUSY_ON_SETTLED)) == 0
    assert int(scalar(conn, OPEN_ON_SETTLED)) == 0


def _other_street_fire_case(conn: psycopg.Connection) -> tuple[dict, int, str]:
    """A fire case in a street other than a fire engine's own: (case, engine id, the case's
    street path)."""
    engine, engine_path = conn.execute(
        "SELECT id, path::text FROM units WHERE type = 'fire_engine' AND status = 'available' "
        "ORDER BY id LIMIT 1"
    ).fetchone()  # type: ignore[misc]
    row = conn.execute(
        "SELECT ST_X(p), ST_Y(p), subpath(path, 0, 3)::text FROM (SELECT ST_PointOnSurface("
        "ST_Buffer(geom::geography, -60)::geometry) p, path FROM grids WHERE valid_to IS NULL "
        "AND NOT path <@ %(e)s::ltree ORDER BY code LIMIT 1) x",
        {"e": engine_path},
    ).fetchone()
    assert row is not None
    case = new_case(conn, lon=row[0], lat=row[1], category="fire", priority="red")
    street = row[2]
    assert not (case["path"] + ".").startswith(engine_path + ".")
    assert not (engine_path + ".").startswith(street + ".")  # the street cannot see the engine
    return case, engine, street


def test_a_street_operator_resolving_frees_a_unit_from_another_street(
    conn: psycopg.Connection,
) -> None:
    from geo.db.roles import APP_ROLE

    case, engine, street = _other_street_fire_case(conn)
    with transaction(conn, "operator:city", scope="all", role="operator") as c:
        units_mod.dispatch(conn=c, incident_id=case["id"], unit_ids=[engine])
        units_mod.set_status(conn=c, unit_id=engine, target="on_scene")
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(APP_ROLE)))
    with transaction(conn, "operator:street", scope=street, role="operator") as c:
        done = incidents.resolve(conn=c, incident_id=case["id"], note="明火已扑灭")
    conn.execute("RESET ROLE")
    assert done["status"] == "resolved"
    assert open_dispatches(conn, case["id"]) == 0  # the dispatch was released ...
    assert statuses(conn, [engine]) == {engine: "returning"}  # ... the engine was not


def test_a_dispatch_racing_the_close_cannot_stay_open(
    committed: tuple[psycopg.Connection, list[int]], db_conninfo: str
) -> None:
    c, made = committed
    case = committed_case(c, made)
    unit = free_units(c, 1)[0]
    c.rollback()
    a, b, watch = connect(db_conninfo), connect(db_conninfo), connect(db_conninfo, autocommit=True)
    done: dict[str, Any] = {}

    def close() -> None:
        try:
            b.execute("UPDATE incidents SET status = 'closed' WHERE id = %(i)s", {"i": case["id"]})
            b.commit()
            done["b"] = "committed"
        except psycopg.Error as exc:
            b.rollback()
            done["b"] = repr(exc)

    try:
        # A script opens a dispatch with raw SQL (not yet committed) ...
        a.execute(
            "INSERT INTO dispatches (incident_id, unit_id) VALUES (%(i)s, %(u)s)",
            {"i": case["id"], "u": unit},
        )
        a.execute("UPDATE units SET status = 'dispatched' WHERE id = %(u)s", {"u": unit})
        # ... while another closes the case.
        t = threading.Thread(target=close)
        t.start()
        for _ in range(100):
            if not t.is_alive() or scalar(
                watch,
                "SELECT count(*) FROM pg_stat_activity WHERE "
                "pid = %(p)s AND wait_event_type = 'Lock'",
                {"p": b.info.backend_pid},
            ):
                break
            time.sleep(0.05)
        try:
            a.commit()
            done["a"] = "committed"
        except psycopg.Error as exc:
            a.rollback()
            done["a"] = repr(exc)
        t.join(10)
        print(f"dispatch racing the close: {done}")
        c.rollback()
        assert get(c, case["id"])["status"] == "closed" or "committed" not in done.get("b", "")
        assert int(scalar(c, OPEN_ON_SETTLED)) == 0
        assert int(scalar(c, BUSY_ON_SETTLED)) == 0
    finally:
        for x in (a, b, watch):
            x.close()
        c.rollback()


def test_the_invariants_hold_on_the_migrated_demo_data(conn: psycopg.Connection) -> None:
    busy_on_settled = int(scalar(conn, BUSY_ON_SETTLED))
    busy_without = int(scalar(conn, BUSY_WITHOUT_DISPATCH))
    unclaimed_history = int(
        scalar(
            conn,
            "SELECT count(*) FROM incidents WHERE dispatched_at IS NOT NULL AND claimed_at IS NULL",
        )
    )
    # Cases sent within their respond deadline that OVERDUE_SQL still counts late on that
    # clock because nothing claimed them (the demo history is loaded after the migration).
    late_by_no_claim = int(
        scalar(
            conn,
            "SELECT count(*) FROM incidents WHERE claimed_at IS NULL AND dispatched_at "
            "<= respond_due AND respond_due < now()",
        )
    )
    print(
        f"demo data: busy on settled cases {busy_on_settled}, busy without an open dispatch "
        f"{busy_without}, dispatched cases with no claim {unclaimed_history}, of which "
        f"counted late on the respond clock though sent in time {late_by_no_claim}"
    )
    assert busy_on_settled == 0
    assert int(scalar(conn, OPEN_ON_SETTLED)) == 0


def test_returning_units_become_available_after_their_type_s_time(
    conn: psycopg.Connection,
) -> None:
    return_s = dict(conn.execute("SELECT type, return_s FROM unit_types").fetchall())  # type: ignore[arg-type]
    assert return_s["patrol_car"] == 300 and return_s["fire_engine"] == 900
    car_old, car_fresh = free_units(conn, 2, "patrol_car")
    fire_mid, fire_old = free_units(conn, 2, "fire_engine")

    def returning(unit: int, ago_s: float | None) -> None:
        conn.execute(
            "UPDATE units SET status = 'returning', status_time = "
            "CASE WHEN %(s)s::float8 IS NULL THEN clock_timestamp() "
            "ELSE now() - make_interval(secs => %(s)s) END WHERE id = %(u)s",
            {"s": ago_s, "u": unit},
        )

    returning(car_old, 301)
    returning(car_fresh, None)
    returning(fire_mid, 400)  # older than a car's time, younger than a fire engine's
    returning(fire_old, 901)
    with transaction(conn, "system:return") as c:
        ready = units_mod.return_ready(conn=c)
    assert car_old in ready and fire_old in ready
    assert car_fresh not in ready and fire_mid not in ready
    assert statuses(conn, [car_old, car_fresh, fire_mid, fire_old]) == {
        car_old: "available",
        car_fresh: "returning",
        fire_mid: "returning",
        fire_old: "available",
    }
    audited = scalar(
        conn,
        "SELECT count(*) FROM audit_log WHERE entity = 'unit' AND action = "
        "'status' AND entity_id = %(u)s AND after->>'status' = 'available' "
        "AND actor = 'system:return'",
        {"u": str(car_old)},
    )
    assert audited == 1
    with transaction(conn, "system:return") as c:
        assert units_mod.return_ready(conn=c) == []  # nothing more is ready


def test_the_unit_board_counts_by_type_and_agency(conn: psycopg.Connection) -> None:
    before = units_mod.board(conn=conn)
    truth = conn.execute(
        "SELECT type, agency, status, count(*) FROM units GROUP BY 1, 2, 3"
    ).fetchall()
    assert sum(sum(v.values()) for v in before.values()) == sum(r[3] for r in truth)
    for t, a, st, n in truth:
        assert before[(t, a)][st] == n
    crews = {a for t, a in before if t == "department_crew"}
    assert len(crews) >= 2  # one row per department, not one for all crews
    case = new_case(conn, category="fire", priority="red")
    engine = free_units(conn, 1, "fire_engine")
    with transaction(conn, "operator:board") as c:
        units_mod.dispatch(conn=c, incident_id=case["id"], unit_ids=engine)
    after = units_mod.board(conn=conn)
    key = ("fire_engine", "fire")
    assert after[key]["dispatched"] == before[key]["dispatched"] + 1
    assert after[key]["available"] == before[key]["available"] - 1


# ---------------------------------------------------------------------------- 3. plans
@pytest.fixture(scope="module")
def router(db_conninfo: str) -> Router:
    with psycopg.connect(db_conninfo) as c:
        return Router(load_graph(conn=c, config=RoutingConfig()))


def test_default_plans_and_emergency_categories(conn: psycopg.Connection) -> None:
    assert plans.plan_for(conn=conn, category="fire", priority="red") == [
        plans.Need("fire_engine", 2),
        plans.Need("ambulance", 1),
        plans.Need("patrol_car", 1),
    ]
    every = plans.plans(conn=conn)
    cats = {
        r[0]: (r[1], r[2])
        for r in conn.execute("SELECT code, default_priority, line FROM categories")
    }
    missing = [(c, p) for c in cats for p in incidents.PRIORITIES if not every.get((c, p))]
    assert missing == []
    expected = {
        "fire": ("red", "119"),
        "hazmat": ("red", "119"),
        "medical": ("red", "120"),
        "criminal_case": ("red", "110"),
        "suicide_risk": ("red", "110"),
        "missing_person": ("yellow", "110"),
        "traffic_accident": ("yellow", "122"),
    }
    assert {c: cats[c] for c in expected} == expected
    # A new fire case gets its category's priority, and the quick clocks at any priority.
    lon, lat, _ = spot(conn)
    with transaction(conn, "operator:intake") as c:
        fire, _ = intake.open_case(
            conn=c,
            boundary_m=30,
            report=intake.Report(
                category="fire", priority=None, source="transfer_110", lon=lon, lat=lat
            ),
        )
        blue_fire = incidents.create(
            conn=c,
            lon=lon,
            lat=lat,
            category="fire",
            priority="blue",
            source="operator",
            region_bbox=places.city_bbox(conn=c),
        )
    assert fire["priority"] == "red"
    assert seconds(blue_fire["arrive_due"], blue_fire["reported_at"]) == QUICK["arrive"]


def test_set_plan_is_audited_and_refuses_bad_plans(conn: psycopg.Connection) -> None:
    def table() -> list[tuple[Any, ...]]:
        return conn.execute("SELECT * FROM response_plans ORDER BY 1, 2, 3").fetchall()

    before_audit = scalar(conn, "SELECT count(*) FROM audit_log WHERE entity = 'response_plan'")
    with transaction(conn, "admin:plans") as c:
        now = plans.set_plan(
            conn=c,
            category="fire",
            priority="red",
            needs={"fire_engine": 3, "ambulance": 1, "patrol_car": 0, "foot_patrol": 1},
        )
    assert now == [
        plans.Need("fire_engine", 3),
        plans.Need("ambulance", 1),
        plans.Need("foot_patrol", 1),
    ]
    assert plans.plan_for(conn=conn, category="fire", priority="red") == now
    audit = conn.execute(
        "SELECT actor, entity_id, action, before, after FROM audit_log "
        "WHERE entity = 'response_plan' ORDER BY id OFFSET %(n)s",
        {"n": before_audit},
    ).fetchall()
    assert {r[0] for r in audit} == {"admin:plans"} and {r[1] for r in audit} == {"fire:red"}
    changes = {(r[2], str(r[3]), str(r[4])) for r in audit}
    assert changes == {
        ("update", str({"fire_engine": 2}), str({"fire_engine": 3})),
        ("delete", str({"patrol_car": 1}), "None"),
        ("insert", "None", str({"foot_patrol": 1})),
    }
    # Setting the same plan again writes nothing.
    with transaction(conn, "admin:plans") as c:
        plans.set_plan(
            conn=c,
            category="fire",
            priority="red",
            needs={"fire_engine": 3, "ambulance": 1, "foot_patrol": 1},
        )
    assert scalar(conn, "SELECT count(*) FROM audit_log WHERE entity = 'response_plan'") == (
        before_audit + 3
    )
    snapshot, audits = table(), before_audit + 3
    bad: list[tuple[str, str, dict[str, Any]]] = [
        ("fire", "red", {"tank": 1}),
        ("fire", "red", {"fire_engine": 11}),
        ("fire", "red", {"fire_engine": -1}),
        ("fire", "red", {"fire_engine": 1.5}),
        ("fire", "red", {"fire_engine": True}),
        ("fire", "red", {}),
        ("fire", "red", {"fire_engine": 0, "ambulance": 0}),
        ("fire", "purple", {"fire_engine": 1}),
        ("aliens", "red", {"fire_engine": 1}),
    ]
    for category, priority, needs in bad:
        with pytest.raises(InvalidInput), transaction(conn, "admin:plans") as c:
            plans.set_plan(conn=c, category=category, priority=priority, needs=needs)
    assert table() == snapshot
    assert scalar(conn, "SELECT count(*) FROM audit_log WHERE entity = 'response_plan'") == audits
    # The trigger audits whoever writes, raw SQL included.
    with transaction(conn, "dba:raw") as c:
        c.execute("DELETE FROM response_plans WHERE category = 'medical' AND priority = 'blue'")
    assert (
        scalar(
            conn,
            "SELECT actor FROM audit_log WHERE entity = 'response_plan' "
            "AND entity_id = 'medical:blue'",
        )
        == "dba:raw"
    )


def _fire_case(conn: psycopg.Connection) -> dict:
    return new_case(conn, category="fire", priority="red")


def test_fill_picks_units_by_type_and_reports_what_is_missing(
    conn: psycopg.Connection, router: Router
) -> None:
    case = _fire_case(conn)
    snap, _ = load_units(conn=conn, graph=router.graph)
    filled = plans.fill(conn=conn, router=router, units=snap, case=case)  # type: ignore[arg-type]
    need = {n.unit_type: n.count for n in filled.needs}
    assert need == {"fire_engine": 2, "ambulance": 1, "patrol_car": 1}
    types = dict(conn.execute("SELECT id, type FROM units").fetchall())  # type: ignore[arg-type]
    for t, picks in filled.picks.items():
        assert len(picks) <= need[t]
        assert all(p.type == t and types[p.unit_id] == t for p in picks), t
        assert filled.unmet.get(t, 0) == need[t] - len(picks)
    assert len(set(filled.unit_ids)) == len(filled.unit_ids)
    print(
        f"fire red plan in the demo city: {[(t, len(p)) for t, p in filled.picks.items()]}, "
        f"unmet {filled.unmet}, eta {filled.eta_s}"
    )
    assert filled.complete, filled.unmet  # the demo city has 2 fire engines and 2 ambulances
    assert filled.eta_s == max(p.eta_s for ps in filled.picks.values() for p in ps)
    # No ambulance on duty: the plan says so.
    conn.execute("UPDATE units SET status = 'off_duty' WHERE type = 'ambulance'")
    snap, _ = load_units(conn=conn, graph=router.graph)
    short = plans.fill(conn=conn, router=router, units=snap, case=case)  # type: ignore[arg-type]
    assert short.unmet == {"ambulance": 1} and short.picks["ambulance"] == []
    assert not short.complete
    assert short.eta_s == max(p.eta_s for ps in short.picks.values() for p in ps)
    assert {types[u] for u in short.unit_ids} == {"fire_engine", "patrol_car"}
    # The plan all sent: nothing more is needed, and the plan's types are still known (the
    # desk's other units for a fire are engines, ambulances and cars, not grid workers).
    done = plans.fill(conn=conn, router=router, units=snap, case=case,  # type: ignore[arg-type]
                      sent={"fire_engine": 2, "ambulance": 1, "patrol_car": 1})  # fmt: skip
    assert done.needs == [] and done.unit_ids == [] and done.planned
    assert set(done.types) == {"fire_engine", "ambulance", "patrol_car"}


def test_the_filled_plan_is_sent_all_or_none(conn: psycopg.Connection, router: Router) -> None:
    case, other = _fire_case(conn), new_case(conn)
    snap, _ = load_units(conn=conn, graph=router.graph)
    filled = plans.fill(conn=conn, router=router, units=snap, case=case)  # type: ignore[arg-type]
    assert filled.complete
    ids = filled.unit_ids
    assert len(ids) == 4
    taken = filled.picks["patrol_car"][0].unit_id
    # Meanwhile another operator sends the plan's patrol car elsewhere.
    with transaction(conn, "operator:other") as c:
        units_mod.dispatch(conn=c, incident_id=other["id"], unit_ids=[taken])
    with pytest.raises(Conflict) as err, transaction(conn, "operator:fire") as c:
        dispatching.send(conn=c, router=router, units=snap, case=case, unit_ids=ids)  # type: ignore[arg-type]
    assert err.value.code == "dispatch.taken"
    rest = [u for u in ids if u != taken]
    assert statuses(conn, rest) == dict.fromkeys(rest, "available")
    assert statuses(conn, [taken]) == {taken: "dispatched"}
    after = get(conn, case["id"])
    assert after["status"] == "reported" and after["claimed_at"] is None
    assert (
        scalar(conn, "SELECT count(*) FROM dispatches WHERE incident_id = %(i)s", {"i": case["id"]})
        == 0
    )
    # The other case gives the car back; now the whole plan goes in one go.
    with transaction(conn, "responder:car") as c:
        units_mod.set_status(conn=c, unit_id=taken, target="available")
    with transaction(conn, "operator:fire") as c:
        res = dispatching.send(conn=c, router=router, units=snap, case=case, unit_ids=ids)  # type: ignore[arg-type]
    assert res.unit_ids == sorted(ids) and len(res.dispatch_ids) == 4
    assert statuses(conn, ids) == dict.fromkeys(ids, "dispatched")
    rows = conn.execute(
        "SELECT unit_id, eta_s, dispatched_by FROM dispatches WHERE incident_id = %(i)s "
        "AND released_at IS NULL",
        {"i": case["id"]},
    ).fetchall()
    assert sorted(r[0] for r in rows) == sorted(ids)
    assert all(r[1] is not None and r[1] > 0 and r[2] == "operator:fire" for r in rows)
    sent = get(conn, case["id"])
    assert sent["status"] == "dispatched" and sent["claimed_by"] == "operator:fire"


# ---------------------------------------------------------------------------- 4. clocks
def test_the_three_quick_clocks(conn: psycopg.Connection) -> None:
    case, twin = new_case(conn), new_case(conn)
    for c in (case, twin):
        assert seconds(c["respond_due"], c["reported_at"]) == QUICK["respond"]
        assert seconds(c["arrive_due"], c["reported_at"]) == QUICK["arrive"]
        assert c["report_due"] is None
    a, b = free_units(conn, 2)
    with transaction(conn, "operator:disp") as c:
        units_mod.dispatch(conn=c, incident_id=case["id"], unit_ids=[a])
        units_mod.dispatch(conn=c, incident_id=twin["id"], unit_ids=[b])
    assert get(conn, case["id"])["report_due"] is None
    # No report back before anyone is on scene, and none without text.
    with pytest.raises(Conflict) as err, transaction(conn, "responder:a") as c:
        caseflow.field_report(conn=c, incident_id=case["id"], text="到了吗")
    assert err.value.code == "report.not_on_scene"
    # Four minutes pass before the units arrive: report back is due 10 minutes after arrival,
    # not after the report.
    shift(conn, [case["id"], twin["id"]], 4)
    with transaction(conn, "responder:a") as c:
        units_mod.set_status(conn=c, unit_id=a, target="on_scene")
        units_mod.set_status(conn=c, unit_id=b, target="on_scene")
    on = get(conn, case["id"])
    assert on["status"] == "on_scene" and on["on_scene_at"] is not None
    assert seconds(on["report_due"], on["on_scene_at"]) == QUICK["report"]
    assert seconds(on["report_due"], on["reported_at"]) == QUICK["report"] + 240
    for text in ("", "   ", None):
        with pytest.raises(InvalidInput) as bad, transaction(conn, "responder:a") as c:
            caseflow.field_report(conn=c, incident_id=case["id"], text=text)  # type: ignore[arg-type]
        assert bad.value.code == "report.empty"
    assert get(conn, case["id"])["field_report_at"] is None
    with transaction(conn, "responder:a") as c:
        rep = caseflow.field_report(conn=c, incident_id=case["id"], text="现场两人争执，已劝离")
    assert rep["field_report"] == "现场两人争执，已劝离" and rep["field_report_at"] is not None
    # Twenty minutes later the report-back deadline has passed: the case that reported in time
    # is not overdue, the twin (on scene, silent) is, on the report clock.
    shift(conn, [case["id"], twin["id"]], 20)
    assert not overdue_sql(conn, case["id"])
    assert overdue_sql(conn, twin["id"])
    mine, silent = queue_row(conn, case["id"]), queue_row(conn, twin["id"])
    assert mine is not None and silent is not None
    assert (mine["stage"], mine["overdue"]) == ("close", False)
    assert (silent["stage"], silent["overdue"]) == ("report", True)
    with transaction(conn, "system:flags") as c:
        flagged = caseflow.flag_overdue(conn=c)
    assert twin["id"] in flagged and case["id"] not in flagged
    assert get(conn, twin["id"])["flag_reason"] == "report"
    # A later report replaces the text but not the time; resolving a silent case records the
    # resolution as its report back.
    first_at = get(conn, case["id"])["field_report_at"]
    with transaction(conn, "responder:a") as c:
        again = caseflow.field_report(conn=c, incident_id=case["id"], text="补充：已调解")
    assert again["field_report"] == "补充：已调解" and again["field_report_at"] == first_at
    with transaction(conn, "responder:b") as c:
        done = incidents.resolve(conn=c, incident_id=twin["id"], note="已处理")
    assert done["field_report"] == "已处理" and done["field_report_at"] is not None


# ---------------------------------------------------------------------------- 5. escalation
def test_only_unclaimed_cases_climb_the_ladder_the_others_are_flagged(
    conn: psycopg.Connection,
) -> None:
    waiting, held, sent = new_case(conn), new_case(conn), new_case(conn)
    with transaction(conn, "operator:held") as c:
        caseflow.claim(conn=c, incident_id=held["id"])
    with transaction(conn, "operator:sent") as c:
        units_mod.dispatch(conn=c, incident_id=sent["id"], unit_ids=free_units(conn, 1))
    ids = [waiting["id"], held["id"], sent["id"]]
    shift(conn, ids, 20)  # all three waited 20 minutes
    with transaction(conn, "system:escalation") as c:
        moved = escalation.escalate_due(conn=c)
    assert waiting["id"] in moved
    assert held["id"] not in moved and sent["id"] not in moved
    levels = {i: get(conn, i)["escalation_level"] for i in ids}
    assert levels == {waiting["id"]: "street", held["id"]: "grid", sent["id"]: "grid"}
    # Held and dispatched cases past their arrive deadline get the supervision flag instead;
    # the unclaimed one is not flagged (it climbs the ladder).
    with transaction(conn, "system:flags") as c:
        flagged = caseflow.flag_overdue(conn=c)
    assert sent["id"] in flagged and held["id"] in flagged and waiting["id"] not in flagged
    assert get(conn, sent["id"])["flag_reason"] == "arrive"
    assert get(conn, held["id"])["flag_reason"] == "arrive"
    assert get(conn, waiting["id"])["flagged_at"] is None
    with transaction(conn, "system:flags") as c:
        again = caseflow.flag_overdue(conn=c)
    assert not set(again) & set(ids)
    flags = scalar(
        conn,
        "SELECT count(*) FROM incident_events WHERE action = 'flag' AND incident_id = ANY(%(i)s)",
        {"i": ids},
    )
    assert flags == 2
    assert get(conn, sent["id"])["escalation_level"] == "grid"
    # the supervisor's 督办 list: the two flagged cases, with the clock each missed
    listed = {r["id"]: r for r in caselists.flagged(conn=conn)}
    assert {held["id"], sent["id"]} <= set(listed) and waiting["id"] not in listed
    assert listed[held["id"]]["flag_reason"] == "arrive"
    assert listed[held["id"]]["claimed_by"] == "operator:held"


# ---------------------------------------------------------------------------- 6. queue bands
def test_the_new_red_case_is_never_pushed_down_by_old_overdue_ones(
    conn: psycopg.Connection,
) -> None:
    # The queue holds only this test's cases (the other tests' committed ones are closed here,
    # in this rolled-back transaction), so the order is exactly the one asserted.
    conn.execute(
        "UPDATE incidents SET status = 'closed', closed_at = now() WHERE status <> 'closed'"
    )
    base = new_case(conn, category="noise", priority="blue")
    old = [
        r[0]
        for r in conn.execute(
            "INSERT INTO incidents (number, reported_at, source, category, class, priority, "
            "description, geom, h3, grid_id, grid_code, path, status, claimed_by, claimed_at, "
            "dispatched_at, on_scene_at, respond_due, arrive_due, report_due, close_due) "
            "SELECT 'OLD' || b.number || '-' || g, now() - make_interval(days => 3, mins => g), "
            "b.source, b.category, b.class, p.v, b.description, b.geom, b.h3, b.grid_id, "
            "b.grid_code, b.path, s.v, c.by, c.at, c.at, "
            "CASE WHEN s.v = 'on_scene' THEN c.at END, "
            "now() - make_interval(days => 3, mins => g) + interval '1 minute', "
            "now() - make_interval(days => 3, mins => g) + interval '5 minutes', NULL, "
            "now() - make_interval(days => 2, mins => g) "
            "FROM incidents b, generate_series(1, 300) g, "
            "LATERAL (SELECT (ARRAY['red', 'yellow', 'blue'])[1 + g %% 3] AS v) p, "
            "LATERAL (SELECT (ARRAY['reported', 'dispatched', 'on_scene'])[1 + (g / 3) %% 3] "
            "  AS v) s, "
            "LATERAL (SELECT CASE WHEN s.v = 'reported' THEN NULL ELSE 'operator:old' END AS by,"
            "  CASE WHEN s.v = 'reported' THEN NULL "
            "  ELSE now() - make_interval(days => 3, mins => g) END AS at) c "
            "WHERE b.id = %(b)s RETURNING id",
            {"b": base["id"]},
        )
    ]
    assert len(old) == 300
    fresh = new_case(conn, category="criminal_case", priority="red")
    q = caselists.queue(conn=conn)
    assert q.rows[0]["id"] == fresh["id"] and q.rows[0]["band"] == "new"
    assert q.counts["overdue"] >= 300
    bands = {r["id"]: r["band"] for r in caselists.queue(conn=conn, limit=1000).rows}
    assert {bands[i] for i in old} == {"overdue"}
    # Paging 50 at a time: the new case is first on the first page and nowhere else.
    order: list[int] = []
    offset = 0
    while True:
        page = caselists.queue(conn=conn, limit=50, offset=offset).rows
        assert len(page) <= 50
        order += [r["id"] for r in page]
        if len(page) < 50:
            break
        offset += 50
    assert order.index(fresh["id"]) == 0 and order.count(fresh["id"]) == 1
    assert len(order) == len(set(order)) == q.total
    assert set(old) <= set(order)
    # A page of 10 while the counts tell the whole queue.
    ten = caselists.queue(conn=conn, limit=10)
    open_cases = scalar(conn, "SELECT count(*) FROM incidents WHERE status <> 'closed'")
    assert len(ten.rows) == 10 and ten.total == open_cases and ten.total > 300
    only_overdue = caselists.queue(conn=conn, bands=["overdue"], limit=1000)
    assert {r["band"] for r in only_overdue.rows} == {"overdue"}
    assert only_overdue.counts == ten.counts
    with pytest.raises(InvalidInput):
        caselists.queue(conn=conn, bands=["late"])


def test_a_resolved_case_is_late_only_after_its_close_deadline(conn: psycopg.Connection) -> None:
    ok, late = new_case(conn), new_case(conn)
    a, b = free_units(conn, 2)
    with transaction(conn, "operator:disp") as c:
        units_mod.dispatch(conn=c, incident_id=ok["id"], unit_ids=[a])
        units_mod.dispatch(conn=c, incident_id=late["id"], unit_ids=[b])
        units_mod.set_status(conn=c, unit_id=a, target="on_scene")
        units_mod.set_status(conn=c, unit_id=b, target="on_scene")
        incidents.resolve(conn=c, incident_id=ok["id"], note="已处理")
        incidents.resolve(conn=c, incident_id=late["id"], note="已处理")
    # An hour later: arrive and report-back deadlines long gone, the close deadline (a day
    # after the report) not yet for one, already for the other.
    shift(conn, [ok["id"], late["id"]], 60)
    conn.execute(
        "UPDATE incidents SET close_due = now() - interval '1 minute' WHERE id = %(i)s",
        {"i": late["id"]},
    )
    row_ok, row_late = queue_row(conn, ok["id"]), queue_row(conn, late["id"])
    assert row_ok is not None and row_late is not None
    assert (row_ok["band"], row_ok["stage"], row_ok["overdue"]) == ("other", "close", False)
    assert (row_late["band"], row_late["overdue"]) == ("overdue", True)


# ---------------------------------------------------------------------------- 7. search
def test_search_by_number_phone_grid_and_address(conn: psycopg.Connection) -> None:
    lon, lat, grid = spot(conn)
    with transaction(conn, "operator:intake") as c:
        case, opened = intake.open_case(
            conn=c,
            boundary_m=30,
            report=intake.Report(
                category="noise",
                priority=None,
                source="hotline_12345",
                lon=lon,
                lat=lat,
                address="岳麓区麓山南路932号测试公寓5栋",
                reporter_phone="138-0731-9527",
            ),
        )
    assert opened and case["priority"] == "blue" and case["grid_code"] == grid
    cid, number = case["id"], case["number"]

    def ids(text: str) -> list[int]:
        with transaction(conn, "operator:search") as c:
            return [r["id"] for r in caselists.search(conn=c, text=text, limit=100)]

    assert ids(number)[0] == cid
    assert ids(number.lower())[0] == cid
    assert cid in ids(number[-6:])
    assert cid in ids("9527") and cid in ids("0731 9527") and cid in ids("0731-9527")
    assert cid in ids(grid) and cid in ids(grid[:12])
    assert cid in ids("测试公寓") and cid in ids("麓山南路932号")
    assert ids("%%") == [] and ids("__") == []  # wildcards are literal
    found = caselists.search(conn=conn, text=number)[0]
    assert found["band"] == "new" and found["category_en"]
    conn.execute(
        "UPDATE incidents SET status = 'closed', closed_at = now() WHERE id = %(i)s", {"i": cid}
    )
    closed = caselists.search(conn=conn, text=number)[0]
    assert closed["id"] == cid and closed["band"] == "closed" and closed["overdue"] is False
    assert cid not in {r["id"] for r in caselists.queue(conn=conn, limit=1000).rows}
    for text in ("S", " 7 ", "", None, "9" * 101):
        with pytest.raises(InvalidInput):
            caselists.search(conn=conn, text=text)  # type: ignore[arg-type]
