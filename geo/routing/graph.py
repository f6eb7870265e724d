"""The travel-time graph: one directed road network per mode, read through H3 cells.

Each travel mode (car, foot, e-bike) has its own :class:`~geo.routing.network.Network`:
roads meet only where they share a vertex (so bridges, tunnels and layers never touch what
they cross), one-way streets run one way for vehicles, private roads are closed to cars
and ``destination`` roads are slow for them. A point joins a network at its nearest usable
road, off-road at the mode's off-road speed and never across water.

H3 stays the index: the cells of the jurisdiction (resolution ``config.res``) are where
fields and coverage are reported. Each cell's centre joins the network like any other point;
a cell whose centre lies in water is never reached.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import h3
import numpy as np
import numpy.typing as npt
import psycopg
import shapely

from geo.routing.config import MODES, RoutingConfig
from geo.routing.network import Network, Place, build

log = logging.getLogger(__name__)
EARTH_R = 6_371_008.8


def haversine_m(
    lat1: npt.ArrayLike, lng1: npt.ArrayLike, lat2: npt.ArrayLike, lng2: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Great-circle distance in metres (vectorized).

    Parameters
    ----------
    lat1, lng1 : array_like
        First points, latitude and longitude in degrees.
    lat2, lng2 : array_like
        Second points in degrees; broadcast against the first.

    Returns
    -------
    numpy.ndarray
        float64 distances in metres, of the broadcast shape (0-d for scalars).
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lng2) - np.asarray(lng1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_R * np.arcsin(np.sqrt(a)), dtype=np.float64)


@dataclass(frozen=True)
class TravelGraph:
    """The cells of the area (sorted int64) and their centres, one road network per mode,
    and where each cell's centre joins each network."""

    config: RoutingConfig
    cells: npt.NDArray[np.int64]
    lat: npt.NDArray[np.float64]
    lng: npt.NDArray[np.float64]
    bbox: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat
    build_s: float
    nets: dict[str, Network]  # per mode; a mode no road is open to has none
    cell_place: dict[str, Place]  # per mode: each cell centre's place (edge -1 in water)

    @property
    def n(self) -> int:
        """Number of cells.

        Returns
        -------
        int
            ``len(cells)``, the length of every field.
        """
        return len(self.cells)

    n_cells = n

    def index_of(self, cells: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Position of each cell in ``cells``, or -1 where the cell is not in the graph.

        Parameters
        ----------
        cells : numpy.ndarray
            H3 cells (int64) at the graph's resolution ``config.res``.

        Returns
        -------
        numpy.ndarray
            int64 position of each cell or -1, of the input shape.
        """
        pos = np.minimum(np.searchsorted(self.cells, cells), self.n - 1)
        return np.where(self.cells[pos] == cells, pos, -1)

    def place(self, lat: npt.ArrayLike, lng: npt.ArrayLike, mode: str) -> Place:
        """Where points join the network of ``mode``: nearest usable road, not across water.

        Parameters
        ----------
        lat, lng : array_like
            Latitudes and longitudes in degrees (scalars or 1-d arrays of equal length).
        mode : str
            Travel mode, one of ``MODES``.

        Returns
        -------
        Place
            Edge (-1: none), metres along it and metres off-road, per point.
        """
        la = np.atleast_1d(np.asarray(lat, float))
        ln = np.atleast_1d(np.asarray(lng, float))
        net = self.nets.get(mode)
        if net is None or not len(la):
            return Place.nowhere(len(la))
        return net.place(ln, la)

    def field(self, source: Place, mode: str, limit_s: float = np.inf) -> npt.NDArray[np.float64]:
        """Seconds from the single point ``source`` to every cell centre.

        Parameters
        ----------
        source : Place
            One point, placed on the network of ``mode``.
        mode : str
            Travel mode.
        limit_s : float
            Seconds beyond which the search stops (inf there).

        Returns
        -------
        numpy.ndarray
            float64 seconds per cell, inf where not reached.
        """
        net = self.nets.get(mode)
        if net is None:
            return np.full(self.n, np.inf)
        return net.times_from(source, self.cell_place[mode], limit_s)


def _area_cells(area: shapely.Geometry, res: int) -> npt.NDArray[np.int64]:
    out: list[int] = []
    for part in shapely.get_parts(area):
        shape = h3.geo_to_h3shape(part)
        out.extend(
            h3.str_to_int(c) for c in h3.h3shape_to_cells_experimental(shape, res, "overlap")
        )
    return np.unique(np.array(out, dtype=np.uint64)).view(np.int64)


def road_speeds(
    road_class: npt.NDArray[np.str_],
    road_speed_kmh: npt.NDArray[np.float64],
    config: RoutingConfig,
    mode: str,
) -> npt.NDArray[np.float64]:
    """km/h of each road for ``mode`` (0: not usable); a road's own speed overrides for cars.

    Parameters
    ----------
    road_class : numpy.ndarray
        Road class of each road (``'primary'``, ``'footway'``, ...); unknown classes get 0.
    road_speed_kmh : numpy.ndarray
        The road's own speed limit in km/h; NaN or <= 0 where the class table applies.
    config : RoutingConfig
        Supplies the class -> km/h table ``config.speeds[mode]``.
    mode : str
        Travel mode, one of ``MODES``.

    Returns
    -------
    numpy.ndarray
        float64 km/h per road.
    """
    table = config.speeds[mode]
    speed = np.array([table.get(c, 0.0) for c in road_class], dtype=float)
    if mode == "car":
        given = np.asarray(road_speed_kmh, dtype=float)
        speed = np.where(np.isfinite(given) & (given > 0), given, speed)
    return speed


def build_graph(
    roads: npt.NDArray[np.object_],
    road_class: npt.NDArray[np.str_],
    road_speed_kmh: npt.NDArray[np.float64],
    water: npt.NDArray[np.object_],
    area: shapely.Geometry | None,
    config: RoutingConfig,
    *,
    oneway: npt.ArrayLike | None = None,
    car: npt.ArrayLike | None = None,
) -> TravelGraph:
    """Build the graph from road lines and water polygons (EPSG:4326).

    Parameters
    ----------
    roads : numpy.ndarray
        Road LineStrings in EPSG:4326 (lon, lat), drawn in the direction of travel where
        one-way; roads connect only where they share a vertex.
    road_class : numpy.ndarray
        Road class of each road (keys of ``config.speeds[mode]``).
    road_speed_kmh : numpy.ndarray
        Own speed of each road in km/h, NaN where none (used for cars only).
    water : numpy.ndarray
        Water polygons in EPSG:4326: nothing joins a road across them, and cells whose
        centre lies in them are not reached.
    area : shapely.Geometry or None
        Jurisdiction polygon in EPSG:4326, covered with a margin of ``config.margin_m``;
        None means the roads' convex hull.
    config : RoutingConfig
        Resolution, speeds and off-road speeds.
    oneway : array_like, optional
        One-way flag of each road (default: none is).
    car : array_like, optional
        Car access of each road: ``'yes'``, ``'destination'`` or ``'no'`` (default yes).

    Returns
    -------
    TravelGraph
        The cells of the area and one directed road network per mode.
    """
    t0 = time.perf_counter()
    roads = np.asarray(roads, dtype=object)
    one = np.zeros(len(roads), bool) if oneway is None else np.asarray(oneway, dtype=bool)
    if area is None:
        area = shapely.convex_hull(shapely.union_all(roads))
    lat0 = shapely.centroid(area).y
    margin_deg = config.margin_m / (111_320 * math.cos(math.radians(lat0)))
    area = shapely.buffer(area, margin_deg, quad_segs=2)
    cells = _area_cells(area, config.res)
    latlng = np.array([h3.cell_to_latlng(h3.int_to_str(int(c))) for c in cells.view(np.uint64)])
    lat, lng = latlng[:, 0], latlng[:, 1]
    dry = np.ones(len(cells), dtype=bool)
    if len(water):
        wet = shapely.union_all(np.asarray(water, dtype=object))
        shapely.prepare(wet)
        dry = ~shapely.contains_xy(wet, lng, lat)
    nets: dict[str, Network] = {}
    cell_place: dict[str, Place] = {}
    for mode in MODES:
        speed = road_speeds(road_class, road_speed_kmh, config, mode)
        if mode == "car" and car is not None:
            speed = np.where(np.asarray(car, dtype=object) == "no", 0.0, speed)
        place = Place.nowhere(len(cells))
        if (speed > 0).any():
            nets[mode] = build(roads, speed, one, mode=mode, car=car if mode == "car" else None,
                               water=water, walk_mps=config.off_road[mode] / 3.6)  # fmt: skip
            on = nets[mode].place(lng[dry], lat[dry])
            place.edge[dry], place.along_m[dry], place.offroad_m[dry] = (
                on.edge, on.along_m, on.offroad_m)  # fmt: skip
        cell_place[mode] = place
    minx, miny, maxx, maxy = shapely.bounds(area)
    g = TravelGraph(
        config, cells, lat, lng, (minx, miny, maxx, maxy), time.perf_counter() - t0, nets,
        cell_place,
    )  # fmt: skip
    log.info(
        "travel graph: %d cells at res %d, %s, %.2f s", len(cells), config.res,
        ", ".join(f"{m} {len(n.tail):,} edges" for m, n in nets.items()), g.build_s,
    )  # fmt: skip
    return g


def load_graph(*, conn: psycopg.Connection, config: RoutingConfig) -> TravelGraph:
    """Build the graph from the roads, water and city boundary in PostGIS.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection to read the ``roads``, ``water`` and ``admin_units`` tables.
    config : RoutingConfig
        Passed to :func:`build_graph`.

    Returns
    -------
    TravelGraph
        The graph over the city boundary (or the roads' hull when there is none).

    Raises
    ------
    NotFound
        There are no roads.
    """
    rows = conn.execute(
        "SELECT ST_AsBinary(geom), class, coalesce(speed_kmh, 'NaN'), oneway, car FROM roads "
        "ORDER BY id"
    ).fetchall()
    if not rows:
        from geo.errors import NotFound

        raise NotFound(
            "There are no roads to build a travel-time graph from.", code="routing.no_roads"
        )
    water = shapely.from_wkb(
        [r[0] for r in conn.execute("SELECT ST_AsBinary(geom) FROM water").fetchall()]
    )
    city = conn.execute(
        "SELECT ST_AsBinary(ST_Union(geom)) FROM admin_units WHERE level = 'city'"
    ).fetchone()
    area = shapely.from_wkb(city[0]) if city and city[0] else None
    return build_graph(
        shapely.from_wkb([r[0] for r in rows]),
        np.array([r[1] for r in rows]),
        np.array([r[2] for r in rows], dtype=float),
        water,
        area,
        config,
        oneway=np.array([bool(r[3]) for r in rows]),
        car=np.array([r[4] or "yes" for r in rows], dtype=object),
    )
