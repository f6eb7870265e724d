"""The travel-time graph as a cache of the database, rebuilt when roads, water or the city
boundary change (``layer_versions``, bumped by triggers on those tables)."""

from __future__ import annotations

import logging
import threading

import psycopg

from geo.routing.config import RoutingConfig
from geo.routing.graph import TravelGraph, load_graph
from geo.routing.search import UnitSnapshot, load_units

log = logging.getLogger(__name__)
_LAYERS = ("roads", "water", "admin_units")


def layer_versions(conn: psycopg.Connection) -> tuple[int, ...]:
    """Current versions of the layers the graph is built from."""
    rows: dict[str, int] = dict(
        conn.execute(
            "SELECT name, version FROM layer_versions WHERE name = ANY(%(n)s)", {"n": list(_LAYERS)}
        ).fetchall()
    )
    return tuple(int(rows.get(name, 0)) for name in _LAYERS)


class GraphCache:
    """One graph per process; :meth:`get` costs one small query when nothing changed."""

    def __init__(self, config: RoutingConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._graph: TravelGraph | None = None
        self._versions: tuple[int, ...] | None = None
        self.builds = 0

    def get(self, conn: psycopg.Connection) -> TravelGraph:
        versions = layer_versions(conn)
        with self._lock:
            if self._graph is None or versions != self._versions:
                log.info("building the travel graph (layer versions %s)", versions)
                self._graph = load_graph(conn=conn, config=self.config)
                self._versions = versions
                self.builds += 1
            return self._graph


class UnitCache:
    """The latest unit snapshot; each :meth:`get` reads every unit from the database (the
    truth) but joins to the graph only the units that moved since the last call."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: tuple[TravelGraph, UnitSnapshot] | None = None

    def get(self, conn: psycopg.Connection, graph: TravelGraph) -> UnitSnapshot:
        with self._lock:
            last = self._last
        reuse = last[1] if last is not None and last[0] is graph else None
        snap = load_units(conn=conn, graph=graph, reuse=reuse)
        with self._lock:
            self._last = (graph, snap)
        return snap
