"""Live push: what is committed in the city reaches every open page within a second.

One :class:`Hub` per console process keeps a LISTEN connection on the 'units' and 'incidents'
channels. A notification wakes it; it gathers the others that arrive within ``COALESCE_S``,
reads what changed since its watermark (``geo.live``), diffs that against the map state it
holds, and appends one tick message (``layers.live``) to a short log. The database is the
source of truth, so several worker processes, each with its own hub, show the same thing.

Each page runs one persistent WebSocket callback (Dash 4's native WebSocket callbacks on the
FastAPI backend): it sends the whole state when the page connects, and then every new tick,
appended to the page's ``live`` store with a Dash ``Patch``. In the browser a clientside
callback applies them to the map layers (a ``Patch`` again) in order. A page that reconnects
is restarted by Dash and gets the whole state again: it catches up by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import Any
from zoneinfo import ZoneInfo

import dash
import psycopg
from dash import Input, Output, Patch, State
from dash.exceptions import WebsocketDisconnected

from console.server import state
from console.server.watchdog import RECENT_S
from console.settings import Settings
from geo import dbhealth
from geo import live as glive
from geo.access import Principal
from geo.db import listen
from layers import live as llive

log = logging.getLogger(__name__)

COALESCE_S = 0.05  # gather the notifications of one burst into one tick
IDLE_S = 10.0  # with no notification, look anyway (overdue flags change with time)
FULL_UNITS_S = 60.0  # compare every unit now and then (a change older than the overlap)
LOG_TICKS = 30  # ticks kept for pages that fell behind
KEEP_IN_STORE = 8  # messages kept in a page's live store


class Hub:
    """The current live state of one process and the recent ticks, for one jurisdiction
    (``scope``): its reads run under row-level security like its pages' own requests."""

    def __init__(self, settings: Settings, scope: str = "all") -> None:
        self.settings = settings
        self.reader = Principal(actor="system:live", role="system", scope=scope)
        self.db_up = True
        self.restarted: dict[str, Any] | None = None  # the database's last restart, if recent
        self.units: dict[int, glive.UnitRow] = {}
        self.incidents: dict[int, dict[str, Any]] = {}
        self.seq = 0
        self.log: deque[dict[str, Any]] = deque(maxlen=LOG_TICKS)
        self._tick: asyncio.Event | None = None  # set (and replaced) at every new tick
        self._task: asyncio.Task[None] | None = None
        self._ready: asyncio.Event | None = None
        self._mark: dt.datetime | None = None  # database clock before the last read
        self._full_units_at = 0.0

    # ------------------------------------------------------------------ life
    async def start(self) -> None:
        """Start listening (once) and wait for the first full read."""
        if self._task is None:
            self._tick = asyncio.Event()
            self._ready = asyncio.Event()
            self._task = asyncio.create_task(self._run(), name="griddispatch-live")
        assert self._ready is not None
        await self._ready.wait()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        conninfo = state.app_conninfo(self.settings)
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
                    await listen(conn, "units", "incidents")
                    # Listening now: read everything, so nothing before this is missed.
                    await self._read(units=True, incidents=True, ids=())
                    self._status(up=True)
                    assert self._ready is not None
                    self._ready.set()
                    while True:
                        ids = await self._wait(conn)
                        # Idle: read every open case again (overdue flags change with time).
                        await self._read(units=False, incidents=ids is None, ids=ids or ())
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the database went away: retry, read all
                (log.warning if self.db_up else log.debug)(
                    "live channel lost (%s); reconnecting every 1 s", exc
                )
                self._status(up=False)
                assert self._ready is not None
                self._ready.set()  # pages connect meanwhile and show the banner
                await asyncio.sleep(1.0)

    def _status(self, *, up: bool) -> None:
        """A tick telling the pages whether the database is reachable (they show a banner)."""
        if up == self.db_up:
            return
        self.db_up = up
        self._emit({"db": "up" if up else "down"})

    def _emit(self, msg: dict[str, Any]) -> None:
        self.seq += 1
        msg["seq"] = self.seq
        self.log.append(msg)
        assert self._tick is not None
        fired, self._tick = self._tick, asyncio.Event()
        fired.set()

    async def _wait(self, conn: psycopg.AsyncConnection[Any]) -> set[int] | None:
        """Block until a notification, gather the burst: the incident ids named in it.
        None when IDLE_S passed without any."""
        ids: set[int] = set()
        got = [n async for n in conn.notifies(timeout=IDLE_S, stop_after=1)]
        if not got:
            return None
        async for n in conn.notifies(timeout=COALESCE_S):
            got.append(n)
        for n in got:
            if n.channel == "incidents":
                with contextlib.suppress(ValueError, TypeError, KeyError):
                    ids.add(int(json.loads(n.payload)["id"]))
        return ids

    # ------------------------------------------------------------------ reads
    async def _read(self, *, units: bool, incidents: bool, ids: set[int] | tuple[()]) -> None:
        """Read what changed since the mark; ``units`` / ``incidents``: read all of them
        (all units at least every FULL_UNITS_S)."""
        now = time.monotonic()
        full_units = units or now - self._full_units_at > FULL_UNITS_S
        result = await asyncio.to_thread(self._diff, full_units, incidents, list(ids))
        if full_units:
            self._full_units_at = now
        self.units, self.incidents, self._mark, changes, restarted = result
        if incidents and restarted != self.restarted:  # looked at with every full read
            self.restarted = restarted
            self._emit({"restarted": restarted})
        if changes is not None:
            self._emit(changes)

    def _diff(
        self, full_units: bool, full_incidents: bool, ids: list[int]
    ) -> tuple[
        dict[int, glive.UnitRow],
        dict[int, dict[str, Any]],
        dt.datetime,
        dict[str, Any] | None,
        dict[str, Any] | None,
    ]:
        """Read and compare (on a worker thread; the state is swapped in on the loop); with a
        full read of the cases, also the database's last restart (the banner's note)."""
        with state.db(self.settings, self.reader) as conn:
            mark = glive.clock(conn=conn)
            restarted = self._restarted(conn) if full_incidents else self.restarted
            rows = glive.units_changed(conn=conn, since=None if full_units else self._mark)
            inc_rows = glive.incidents_changed(
                conn=conn,
                since=None if full_incidents else self._mark,
                ids=ids,
                tz=self.settings.tz,
            )
        units = dict(self.units)
        moved, status, added = [], [], []
        for u in rows:
            old = units.get(u.id)
            if old is None:
                added.append(u)
            elif old != u:
                if (old.lon, old.lat, old.fix) != (u.lon, u.lat, u.fix):
                    moved.append(u)
                if old.status != u.status:
                    status.append(u)
            units[u.id] = u
        removed_units: list[int] = []
        if full_units:
            seen = {u.id for u in rows}
            removed_units = [i for i in units if i not in seen]
            for i in removed_units:
                del units[i]
        incidents = dict(self.incidents)
        changed_inc, removed_inc = [], []
        seen_inc = set()
        for r in inc_rows:
            seen_inc.add(r["id"])
            if r["status"] == "closed":
                if incidents.pop(r["id"], None) is not None:
                    removed_inc.append(r["id"])
            elif incidents.get(r["id"]) != r:
                incidents[r["id"]] = r
                changed_inc.append(r)
        if full_incidents:
            gone = [i for i in incidents if i not in seen_inc]
            for i in gone:
                del incidents[i]
            removed_inc += gone
        msg = llive.tick(
            0,
            moved=moved,
            status=status,
            added=added,
            removed_units=removed_units,
            incidents=changed_inc,
            removed_incidents=removed_inc,
        )
        return units, incidents, mark, (msg if llive.has_changes(msg) else None), restarted

    def _restarted(self, conn: psycopg.Connection) -> dict[str, Any] | None:
        """The embedded database's restart in the last ``watchdog.RECENT_S`` seconds (its
        time in GD_TZ), or None."""
        r = dbhealth.last_restart(conn, RECENT_S)
        if r is None:
            return None
        return {"at": r["at"].astimezone(ZoneInfo(self.settings.tz)).strftime("%H:%M:%S"),
                "down_s": round(r["down_s"], 1)}  # fmt: skip

    # ------------------------------------------------------------------ pages
    def full(self) -> dict[str, Any]:
        msg = llive.full(self.seq, self.units.values(), self.incidents.values())
        msg["db"] = "up" if self.db_up else "down"
        msg["restarted"] = self.restarted
        return msg

    async def after(self, seq: int, timeout: float) -> list[dict[str, Any]] | None:
        """Ticks after ``seq`` (waiting up to ``timeout`` for one); None when the page fell
        further behind than the log reaches (it needs the whole state)."""
        if self.seq <= seq:
            assert self._tick is not None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._tick.wait(), timeout)
        if self.seq <= seq:
            return []
        if not self.log or self.log[0]["seq"] > seq + 1:
            return None
        return [m for m in self.log if m["seq"] > seq]


_hubs: dict[tuple[int, str], Hub] = {}


def hub(settings: Settings, scope: str = "all") -> Hub:
    """This process's hub for the jurisdiction ``scope`` (one per event loop and scope: a
    street's desk never receives another street's cases)."""
    key = (id(asyncio.get_running_loop()), scope)
    h = _hubs.get(key)
    if h is None:
        h = _hubs[key] = Hub(settings, scope)
    return h


@contextlib.asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    """Stops this process's hubs when the ASGI server shuts down."""
    try:
        yield
    finally:
        for h in list(_hubs.values()):
            await h.stop()
        _hubs.clear()


def register(app: dash.Dash, settings: Settings) -> None:
    """The persistent live callback and its clientside half (pages with a ``live`` store)."""

    @app.callback(websocket=True, persistent=True)
    async def live_feed() -> None:
        ws = dash.ctx.websocket
        if ws is None:  # no WebSocket: the page refreshes by its timers only
            return
        h = hub(settings, state.principal().scope)
        await h.start()
        # The callback starts with the app shell, before the page (and its store) is drawn:
        # what is sent before would be dropped. Wait until the page has the store.
        # A page drawn without the store (the replay shows the past) needs no live channel.
        # Ask for the page's root first: when it was drawn before the store is asked for, a
        # missing store is really missing (asked the other way round, the page could be drawn
        # between the two questions).
        try:
            while True:
                drawn = await ws.get_prop("gd-root", "className") is not None
                if await ws.get_prop("live", "data") is not None:
                    break
                if drawn:
                    return
                await asyncio.sleep(0.05)
        except (WebsocketDisconnected, TimeoutError):
            return
        seq, length = h.seq, 1
        dash.set_props("live", {"data": [h.full()]})
        while not ws.is_shutdown:
            new = await h.after(seq, timeout=5.0)
            if ws.is_shutdown:
                break
            if new is None:  # fell behind the log: the whole state again
                seq, length = h.seq, 1
                dash.set_props("live", {"data": [h.full()]})
                continue
            if not new:
                continue
            p = Patch()
            for m in new:
                p.append(m)
            length += len(new)
            while length > KEEP_IN_STORE:
                del p[0]
                length -= 1
            seq = new[-1]["seq"]
            dash.set_props("live", {"data": p})

    app.clientside_callback(
        "function(msgs, units, incidents) {"
        " return window.griddispatch.liveApply(msgs, units, incidents); }",
        Output("layer-units", "data"),
        Output("layer-incidents", "data"),
        Output("live-cases", "data"),
        Input("live", "data"),
        State("layer-units", "data"),
        State("layer-incidents", "data"),
    )
