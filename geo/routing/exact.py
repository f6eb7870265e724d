"""Exact travel times on the road network itself: the yardstick for the H3 graph.

Vertices are the road lines' coordinates (lines that share a coordinate are connected);
edges are line segments at the mode's road speed. A point joins the network at its nearest
vertex, crossing the gap at the off-road speed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from geo.routing.config import RoutingConfig
from geo.routing.graph import _min_matrix, _to_local, road_speeds


@dataclass(frozen=True)
class RoadNetwork:
    xy: npt.NDArray[np.float64]  # vertex positions in local metres
    matrix: csr_matrix  # seconds
    tree: cKDTree
    origin: tuple[float, float]
    off_road_mps: float
    edges: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]

    def main_component(self, lat: npt.ArrayLike, lng: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """True for points that join the largest connected part of the network.

        Parameters
        ----------
        lat, lng : array_like
            Latitudes and longitudes in degrees (1-d, equal length).

        Returns
        -------
        numpy.ndarray
            Boolean per point: its nearest vertex is in the largest component.
        """
        _, labels = connected_components(self.matrix, directed=False)
        main = np.bincount(labels).argmax()
        vertex, _ = self.attach(lat, lng)
        return np.asarray(labels[vertex] == main)

    def to_xy(self, lat: npt.ArrayLike, lng: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Points in the network's local metre frame.

        Parameters
        ----------
        lat, lng : array_like
            Latitudes and longitudes in degrees (1-d, equal length).

        Returns
        -------
        numpy.ndarray
            float64 array of shape (n, 2): metres east and north of ``origin``.
        """
        return _to_local(
            np.column_stack([np.asarray(lng, float), np.asarray(lat, float)]), self.origin
        )

    def attach(
        self, lat: npt.ArrayLike, lng: npt.ArrayLike
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Nearest vertex of each point and the seconds to reach it off-road.

        Parameters
        ----------
        lat, lng : array_like
            Latitudes and longitudes in degrees (1-d, equal length).

        Returns
        -------
        vertex : numpy.ndarray
            int64 index of the nearest vertex per point.
        access_s : numpy.ndarray
            float64 seconds at the off-road speed over the straight gap.
        """
        d, i = self.tree.query(self.to_xy(lat, lng))
        return np.asarray(i, dtype=np.int64), np.asarray(d, dtype=np.float64) / self.off_road_mps

    def times(
        self, lat: float, lng: float, to_lat: npt.ArrayLike, to_lng: npt.ArrayLike
    ) -> npt.NDArray[np.float64]:
        """Exact seconds from (lat, lng) to each target point.

        Parameters
        ----------
        lat, lng : float
            The start in degrees.
        to_lat, to_lng : array_like
            Target latitudes and longitudes in degrees (1-d, equal length).

        Returns
        -------
        numpy.ndarray
            float64 seconds per target, off-road access at both ends included; inf where the
            target's vertex is not connected to the start's.
        """
        src, s_access = self.attach([lat], [lng])
        dist = dijkstra(self.matrix, directed=True, indices=int(src[0]))
        tgt, t_access = self.attach(to_lat, to_lng)
        return np.asarray(s_access[0] + dist[tgt] + t_access, dtype=np.float64)


def build_road_network(
    roads: npt.NDArray[np.object_],
    road_class: npt.NDArray[np.str_],
    road_speed_kmh: npt.NDArray[np.float64],
    config: RoutingConfig,
    mode: str = "car",
) -> RoadNetwork:
    """Road network of ``mode`` from lines in EPSG:4326 (roads it may not use are dropped).

    Parameters
    ----------
    roads : numpy.ndarray
        Road LineStrings in EPSG:4326 (lon, lat).
    road_class : numpy.ndarray
        Road class of each road.
    road_speed_kmh : numpy.ndarray
        Own speed of each road in km/h, NaN where the class table applies (cars only).
    config : RoutingConfig
        Speed tables (km/h) by mode and the off-road speeds.
    mode : str
        Travel mode, one of ``MODES``.

    Returns
    -------
    RoadNetwork
        Vertices every ~10 m in local metres, a travel-time matrix in seconds, a KD-tree.
    """
    speed = road_speeds(road_class, road_speed_kmh, config, mode)
    use = speed > 0
    # Vertices every 10 m: a point joins the network at (almost) its nearest road point.
    lines = shapely.segmentize(np.asarray(roads, dtype=object)[use], 10 / 111_000)
    speed = speed[use] / 3.6
    coords, line_idx = shapely.get_coordinates(lines, return_index=True)
    bounds = shapely.total_bounds(lines)
    origin = ((bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2)
    keys, vid = np.unique(np.round(coords, 7), axis=0, return_inverse=True)
    vid = vid.ravel()
    same_line = line_idx[1:] == line_idx[:-1]
    a, b = vid[:-1][same_line], vid[1:][same_line]
    xy = _to_local(keys, origin)
    seg_len = np.linalg.norm(xy[a] - xy[b], axis=1)
    w = seg_len / speed[line_idx[:-1][same_line]]
    keep = a != b
    a, b, w = a[keep], b[keep], np.maximum(w[keep], 1e-6)
    m = _min_matrix(
        np.concatenate([a, b]), np.concatenate([b, a]), np.concatenate([w, w]), len(keys)
    )
    return RoadNetwork(xy, m, cKDTree(xy), origin, config.off_road[mode] / 3.6, (a, b, w))
