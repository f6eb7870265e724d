"""Coverage of the jurisdiction from platforms: travel-time fields, targets, what-if.

Every cell of the travel graph carries the people living in it (each grid's population
spread evenly over the cells whose centres lie in it) and a target in seconds from its
grid's zone class (key 1 min, central 3 min, other 5 min). A site's field is one Dijkstra
from it, cut at a horizon; the city's field is the minimum over the sites. Fields are cached
by where a site joins the roads, so moving one platform costs one search, not ten.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import psycopg
import shapely

from geo.gridindex import GridIndex
from geo.h3index import cells as h3_cells
from geo.h3index import parent_cells
from geo.routing.graph import TravelGraph
from geo.routing.search import Router, travel_field

ZONES = ("key", "central", "other")
TARGETS_S: dict[str, float] = {"key": 60.0, "central": 180.0, "other": 300.0}
HEX_RES = 9  # the map shows the field on these hexagons (about 0.1 km², a grid's size)


@dataclass(frozen=True)
class Demand:
    """People, zone and target of every cell node of ``graph`` (index = node)."""

    pop: npt.NDArray[np.float64]
    zone: npt.NDArray[np.int8]  # index into ZONES
    target_s: npt.NDArray[np.float64]
    hex_of: npt.NDArray[np.int64]  # position of each cell's HEX_RES parent in ``hexes``
    hexes: npt.NDArray[np.int64]  # the parents, sorted


def load_demand(
    *, conn: psycopg.Connection, graph: TravelGraph, targets: Mapping[str, float] = TARGETS_S
) -> Demand:
    """Spread each current grid's population over the graph cells whose centres it holds.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection to read the current ``grids`` (``valid_to IS NULL``).
    graph : TravelGraph
        The graph whose cell nodes carry the demand.
    targets : mapping of str to float
        Target seconds per zone class (``'key'``, ``'central'``, ``'other'``).

    Returns
    -------
    Demand
        Arrays of length ``graph.n_cells``; cells in no grid have 0 people and zone other.
    """
    rows = conn.execute(
        "SELECT ST_AsBinary(geom), population, zone_class, "
        "ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) "
        "FROM grids WHERE valid_to IS NULL ORDER BY id"
    ).fetchall()
    n = graph.n_cells
    lat, lng = graph.lat[:n], graph.lng[:n]
    pop = np.zeros(n)
    zone = np.full(n, ZONES.index("other"), dtype=np.int8)
    if rows:
        geoms = shapely.from_wkb([r[0] for r in rows])
        people = np.array([r[1] for r in rows], dtype=float)
        zones = np.array([ZONES.index(r[2]) for r in rows], dtype=np.int8)
        owner = GridIndex.build(geoms).assign(lng, lat)
        inside = owner >= 0
        cells_per = np.bincount(owner[inside], minlength=len(rows))
        pop[inside] = people[owner[inside]] / cells_per[owner[inside]]
        zone[inside] = zones[owner[inside]]
        # A grid smaller than a cell holds no centre: its people go to the cell of its point.
        small = np.flatnonzero((cells_per == 0) & (people > 0))
        if small.size:
            px = np.array([rows[i][3] for i in small])
            py = np.array([rows[i][4] for i in small])
            node = graph.index_of(h3_cells(py, px, graph.config.res))
            ok = node >= 0
            np.add.at(pop, node[ok], people[small[ok]])
            zone[node[ok]] = np.minimum(zone[node[ok]], zones[small[ok]])
    target = np.array([float(targets[z]) for z in ZONES])[zone]
    hexes, hex_of = np.unique(parent_cells(graph.cells[:n], HEX_RES), return_inverse=True)
    return Demand(pop, zone, target, hex_of.astype(np.int64), hexes)


@dataclass(frozen=True)
class Summary:
    """Population-weighted coverage of one field."""

    population: float
    covered: float  # people whose cell is reached within its target
    by_zone: dict[str, tuple[float, float]]  # zone -> (people, covered)
    hex_time_s: npt.NDArray[np.float32]  # per hexagon: people-weighted mean time (inf: none)
    hex_uncovered: npt.NDArray[np.float32]  # per hexagon: people not reached within target

    @property
    def pct(self) -> float:
        """Share of the population reached within its target.

        Returns
        -------
        float
            Percent, 0 to 100 (0 when there is nobody).
        """
        return 100.0 * self.covered / self.population if self.population else 0.0

    def zone_pct(self, zone: str) -> float:
        """Share of one zone's population reached within its target.

        Parameters
        ----------
        zone : str
            One of ``ZONES``.

        Returns
        -------
        float
            Percent, 0 to 100 (100 when the zone has nobody).
        """
        people, covered = self.by_zone[zone]
        return 100.0 * covered / people if people else 100.0


class Coverage:
    """Fields of sites on one graph, cached by where each site joins the roads."""

    def __init__(
        self,
        graph: TravelGraph,
        demand: Demand,
        *,
        mode: str = "car",
        horizon_s: float = 600.0,
        cache_size: int = 2048,
    ) -> None:
        self.graph, self.demand, self.mode, self.horizon_s = graph, demand, mode, horizon_s
        self.router = Router(graph)
        self._cache: OrderedDict[tuple[int, int, int], npt.NDArray[np.float32]] = OrderedDict()
        self._size = cache_size

    def site_field(self, lon: float, lat: float) -> npt.NDArray[np.float32]:
        """Seconds from the site at (lon, lat) to every cell, inf beyond the horizon.

        Parameters
        ----------
        lon, lat : float
            The site in degrees, longitude first.

        Returns
        -------
        numpy.ndarray
            Read-only float32 seconds per cell node, shape ``(graph.n_cells,)``, off-road
            access included; shared with the cache, so do not modify.

        Raises
        ------
        InvalidInput
            Unusable coordinates.
        OutsideJurisdiction
            The site is outside the area or cannot join the network.
        """
        place = self.router.source(lat, lon, self.mode)
        key = (int(place.edge[0]), round(float(place.along_m[0])), round(float(place.offroad_m[0])))
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        out = travel_field(self.graph, place, self.mode, self.horizon_s).astype(np.float32)
        out[out > self.horizon_s] = np.inf
        out.setflags(write=False)
        self._cache[key] = out
        if len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return out

    def field(self, sites: Sequence[tuple[float, float]]) -> npt.NDArray[np.float32]:
        """Seconds from the nearest of ``sites`` ((lon, lat) pairs) to every cell.

        Parameters
        ----------
        sites : sequence of (float, float)
            Sites as ``(lon, lat)`` pairs in degrees; empty gives inf everywhere.

        Returns
        -------
        numpy.ndarray
            float32 seconds per cell node, shape ``(graph.n_cells,)``, inf beyond the horizon.
        """
        if not sites:
            return np.full(self.graph.n_cells, np.inf, dtype=np.float32)
        return np.minimum.reduce([self.site_field(x, y) for x, y in sites])

    def summary(self, field: npt.NDArray[np.float32]) -> Summary:
        """Population-weighted coverage of a field.

        Parameters
        ----------
        field : numpy.ndarray
            Seconds per cell node, shape ``(graph.n_cells,)`` (from :meth:`field`).

        Returns
        -------
        Summary
            People and people covered, overall and per zone, and per-hexagon mean time and
            uncovered people (hexagons in the order of ``demand.hexes``).
        """
        d = self.demand
        ok = field <= d.target_s
        by_zone = {
            z: (float(d.pop[d.zone == i].sum()), float(d.pop[(d.zone == i) & ok].sum()))
            for i, z in enumerate(ZONES)
        }
        nh = len(d.hexes)
        reach = np.isfinite(field)
        w = d.pop + 1e-6  # empty cells still count a little, so an empty hexagon has a time
        tw = np.bincount(d.hex_of[reach], weights=(w * field)[reach], minlength=nh)
        ww = np.bincount(d.hex_of[reach], weights=w[reach], minlength=nh)
        whole = np.bincount(d.hex_of, weights=w, minlength=nh)
        with np.errstate(invalid="ignore", divide="ignore"):
            # a hexagon mostly out of reach shows as out of reach
            mean = np.where(ww >= whole / 2, tw / ww, np.inf)
        return Summary(
            float(d.pop.sum()),
            float(d.pop[ok].sum()),
            by_zone,
            mean.astype(np.float32),
            np.bincount(d.hex_of, weights=np.where(ok, 0.0, d.pop), minlength=nh).astype(
                np.float32
            ),
        )


def available_units(
    *, conn: psycopg.Connection, types: Sequence[str] = ("patrol_car",)
) -> list[tuple[float, float]]:
    """Where the available units of ``types`` are now ((lon, lat) pairs): coverage from the
    responders on the street rather than from the platforms.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection to read the ``units`` table.
    types : sequence of str
        Unit types to include.

    Returns
    -------
    list of (float, float)
        ``(lon, lat)`` in degrees of each available unit with a position, in id order.
    """
    rows = conn.execute(
        "SELECT ST_X(geom), ST_Y(geom) FROM units WHERE status = 'available' "
        "AND geom IS NOT NULL AND type = ANY(%(t)s) ORDER BY id",
        {"t": list(types)},
    ).fetchall()
    return [(float(x), float(y)) for x, y in rows]
