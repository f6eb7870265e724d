"""The travel-time graph as a cache of the database, rebuilt when roads, water or the city
boundary change (``layer_versions``, bumped by triggers on those tables)."""

from __future__ import annotations

import logging
import threading
import time

import psycopg

from geo.routing.config import RoutingConfig
from geo.routing.graph import TravelGraph, load_graph
from geo.routing.search import UnitSnapshot, load_units

log = logging.getLogger(__name__)
_LAYERS = ("roads", "water", "admin_units")


def layer_versions(conn: psycopg.Connection) -> tuple[int, ...]:
    """Current versions of the layers the graph is built from.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection to read ``layer_versions``.

    Returns
    -------
    tuple of int
        Versions of ``roads``, ``water`` and ``admin_units`` in that order (0 when absent).
    """
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
        """The graph, rebuilt from the database first if a layer version changed.

        Parameters
        ----------
        conn : psycopg.Connection
            Connection to read the layer versions and, when rebuilding, the layers.

        Returns
        -------
        TravelGraph
            The cached or freshly built graph.
        """
        versions = layer_versions(conn)
        with self._lock:
            if self._graph is None or versions != self._versions:
                log.info("building the travel graph (layer versions %s)", versions)
                self._graph = load_graph(conn=conn, config=self.config)
                self._versions = versions
                self.builds += 1
            return self._graph


class UnitCache:
    """The latest unit snapshot, kept in step with the database at little cost.

    Each :meth:`get` reads only the units whose status or position time moved past the
    newest one seen, less ``overlap_s`` (a transaction that stamped a time and committed a
    little later is still caught), and joins to the graph only the units that moved. Every
    ``full_every_s`` (and when units were added or removed) everything is read again, which
    also picks up edits that change no time (call signs, types).

    ``fresh_s``: a snapshot younger than this is returned without asking the database (under
    thousands of tracker fixes a second every unit moves between two requests; rankings a
    second old are good enough, the dispatch itself claims the unit in the database).
    """

    def __init__(
        self, overlap_s: float = 60.0, full_every_s: float = 60.0, fresh_s: float = 0.0
    ) -> None:
        self.overlap_s = overlap_s
        self.full_every_s = full_every_s
        self.fresh_s = fresh_s
        self._lock = threading.Lock()
        # graph, snapshot, newest change seen (epoch s), monotonic time of the last full read
        self._last: tuple[TravelGraph, UnitSnapshot, float, float] | None = None
        self._read_at = 0.0  # monotonic time of the last read

    def get(self, conn: psycopg.Connection, graph: TravelGraph) -> UnitSnapshot:
        """The latest unit snapshot on ``graph``, updated from the database as needed.

        Parameters
        ----------
        conn : psycopg.Connection
            Connection to read the ``units`` table.
        graph : TravelGraph
            The graph to join units to; a different graph forces a full read.

        Returns
        -------
        UnitSnapshot
            The snapshot (the cached one when younger than ``fresh_s``).
        """
        with self._lock:
            last = self._last
        clock = time.monotonic()
        if last is not None and last[0] is graph and clock - self._read_at < self.fresh_s:
            return last[1]
        self._read_at = clock
        if last is None or last[0] is not graph:
            snap, newest = load_units(conn=conn, graph=graph)
            full_at = clock
        elif clock - last[3] >= self.full_every_s:
            snap, newest = load_units(conn=conn, graph=graph, reuse=last[1])
            full_at = clock
        else:
            snap, newest = load_units(
                conn=conn, graph=graph, reuse=last[1], changed_since=last[2] - self.overlap_s
            )
            newest, full_at = max(newest, last[2]), last[3]
        with self._lock:
            self._last = (graph, snap, newest, full_at)
        return snap
