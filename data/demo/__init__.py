"""A deterministic synthetic city at real coordinates around Zhuzhou (all data is synthetic).

``generate(size, seed, now)`` returns every table of the demo as data frames in EPSG:4326:
admin units, grids, platforms, units, a year of incidents with their audit events, roads and
water. The same (size, seed, now) always gives the same city. ``data.demo.load`` writes it
into PostGIS.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from data.demo import _names
from data.demo._activity import dispatches_for, incidents_for, units_for
from data.demo._geometry import SIZES, SPACING_M, CityShape, SizeSpec, build_shape
from data.demo._present import units_now

__all__ = ["SIZES", "DemoCity", "generate"]

ORIGIN_LONLAT = (113.134, 27.835)  # Zhuzhou
_TO_WGS = Transformer.from_crs(32649, 4326, always_xy=True)
_TO_UTM = Transformer.from_crs(4326, 32649, always_xy=True)
_X0, _Y0 = _TO_UTM.transform(*ORIGIN_LONLAT)


def to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Metres of the demo's local frame to WGS-84 lon/lat."""
    lon, lat = _TO_WGS.transform(np.asarray(x) + _X0, np.asarray(y) + _Y0)
    return np.asarray(lon), np.asarray(lat)


def _wgs(geoms: np.ndarray) -> np.ndarray:
    def f(xy: np.ndarray) -> np.ndarray:
        lon, lat = to_lonlat(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    out = shapely.transform(geoms, f)
    return shapely.set_precision(out, 1e-7)  # ~1 cm; shared vertices stay shared


def _multi(geoms: np.ndarray) -> np.ndarray:
    return np.array(
        [g if g.geom_type == "MultiPolygon" else shapely.MultiPolygon([g]) for g in geoms],
        dtype=object,
    )


@dataclass
class DemoCity:
    size: str
    seed: int
    now: dt.datetime
    admin_units: pd.DataFrame
    grids: pd.DataFrame
    platforms: pd.DataFrame
    platform_grids: pd.DataFrame
    units: pd.DataFrame
    incidents: pd.DataFrame
    incident_events: pd.DataFrame
    dispatches: pd.DataFrame
    roads: pd.DataFrame
    water: pd.DataFrame


def generate(size: str = "city", seed: int = 20261122, now: dt.datetime | None = None) -> DemoCity:
    """Generate the demo city. ``now`` (default: the current time) is the demo's present: the
    year of history ends there, the live shift (the cases open, the units busy) is timed
    back from it and the units' positions are minutes old at it."""
    if size not in SIZES:
        raise ValueError(f"unknown demo size {size!r}; expected one of {sorted(SIZES)}")
    if now is None:
        now = dt.datetime.now(dt.UTC)
    spec = SIZES[size]
    rng = np.random.default_rng(seed)
    shape = build_shape(spec, rng)
    admin, grids = _admin_and_grids(shape, rng)
    platforms, platform_grids, stations = _platforms(shape, grids, spec, rng)
    units = units_for(shape, grids, platforms, stations, spec, rng, now)
    incidents, events = incidents_for(shape, grids, spec, rng, now)
    dispatches = dispatches_for(incidents, units, platform_grids)
    units = units_now(units, incidents, dispatches, rng, now)

    # Everything to WGS-84.
    admin["geom"] = _multi(_wgs(admin["geom"].to_numpy()))
    grids["geom"] = _multi(_wgs(grids["geom"].to_numpy()))
    for frame in (platforms, units, incidents):
        has = frame["geom"].notna().to_numpy()
        frame.loc[has, "geom"] = _wgs(frame.loc[has, "geom"].to_numpy())
    roads = pd.DataFrame(
        {
            "name": None,
            "class": [r.cls for r in shape.roads],
            "bridge": [r.bridge for r in shape.roads],
            "tunnel": [r.tunnel for r in shape.roads],
            "layer": [r.layer for r in shape.roads],
            "oneway": [r.oneway for r in shape.roads],
            "car": [r.car for r in shape.roads],
            "geom": _wgs(np.array([r.geom for r in shape.roads], dtype=object)),
        }
    )
    water = pd.DataFrame(
        {"name": ["湘江"], "kind": ["river"], "geom": _multi(_wgs(np.array([shape.river])))}
    )
    return DemoCity(
        size,
        seed,
        now,
        admin,
        grids,
        platforms,
        platform_grids,
        units,
        incidents,
        events,
        dispatches,
        roads,
        water,
    )


def _admin_and_grids(
    shape: CityShape, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    n_grid = len(shape.grid_geoms)
    n_comm = len(shape.community_district)
    n_street = len(shape.street_district)
    n_dist = int(shape.community_district.max()) + 1
    districts = (_names.DISTRICTS_WEST + _names.DISTRICTS_EAST)[:n_dist]
    city_code, city_name = _names.CITY

    street_names = _names.street_names(rng, n_street)
    comm_names = _names.community_names(rng, n_comm)
    street_code: list[str] = []
    per_district: dict[int, int] = {}
    for s in range(n_street):
        d = int(shape.street_district[s])
        per_district[d] = per_district.get(d, 0) + 1
        street_code.append(f"{districts[d][0]}{per_district[d]:03d}")
    comm_code: list[str] = []
    per_street: dict[int, int] = {}
    for c in range(n_comm):
        s = int(shape.community_street[c])
        per_street[s] = per_street.get(s, 0) + 1
        comm_code.append(f"{street_code[s]}{per_street[s]:03d}")

    geoms = shape.grid_geoms
    comm_geom = [shapely.union_all(geoms[shape.grid_community == c]) for c in range(n_comm)]
    street_geom = [
        shapely.union_all([comm_geom[c] for c in np.flatnonzero(shape.community_street == s)])
        for s in range(n_street)
    ]
    dist_geom = [
        shapely.union_all([street_geom[s] for s in np.flatnonzero(shape.street_district == d)])
        for d in range(n_dist)
    ]
    city_geom = shapely.union_all(dist_geom)

    rows = [
        dict(
            code=city_code,
            name=city_name,
            level="city",
            parent_code=None,
            path=city_code,
            geom=city_geom,
        )
    ]
    for d, (code, name) in enumerate(districts):
        rows.append(
            dict(
                code=code,
                name=name,
                level="district",
                parent_code=city_code,
                path=f"{city_code}.{code}",
                geom=dist_geom[d],
            )
        )
    for s in range(n_street):
        d = int(shape.street_district[s])
        rows.append(
            dict(
                code=street_code[s],
                name=street_names[s],
                level="street",
                parent_code=districts[d][0],
                path=f"{city_code}.{districts[d][0]}.{street_code[s]}",
                geom=street_geom[s],
            )
        )
    comm_path: list[str] = []
    for c in range(n_comm):
        s = int(shape.community_street[c])
        d = int(shape.street_district[s])
        comm_path.append(f"{city_code}.{districts[d][0]}.{street_code[s]}.{comm_code[c]}")
        rows.append(
            dict(
                code=comm_code[c],
                name=comm_names[c],
                level="community",
                parent_code=street_code[s],
                path=comm_path[c],
                geom=comm_geom[c],
            )
        )
    admin = pd.DataFrame(rows)

    # Grids: codes and names, type, households and population, people, zone class.
    comm = shape.grid_community
    order = np.lexsort((-shapely.get_y(shapely.centroid(geoms)), comm))
    seq = np.zeros(n_grid, dtype=int)
    counters = np.zeros(n_comm, dtype=int)
    for g in order:
        counters[comm[g]] += 1
        seq[g] = counters[comm[g]]
    area = shapely.area(geoms)
    cent = shapely.centroid(geoms)
    cx, cy = shapely.get_x(cent), shapely.get_y(cent)
    r = np.hypot(cx - shape.centre[0], cy - shape.centre[1])
    density = 1.0 - 0.45 * r / r.max()
    hh = np.clip(
        np.round(area / SPACING_M**2 * 700 * density * rng.lognormal(0, 0.22, n_grid)), 300, 1000
    ).astype(int)
    special = rng.random(n_grid) < 0.07
    kinds = np.array(["school", "market", "enterprise", "hospital", "other"])
    gtype = np.where(
        special, rng.choice(kinds, n_grid, p=[0.35, 0.2, 0.3, 0.1, 0.05]), "residential"
    )
    pop = np.round(hh * rng.uniform(2.5, 3.1, n_grid)).astype(int)
    special_pop = rng.integers(300, 3000, n_grid)
    hh = np.where(special, rng.integers(0, 60, n_grid), hh)
    pop = np.where(special, special_pop, pop)
    names: list[str] = []
    for g in range(n_grid):
        base = comm_names[comm[g]].removesuffix("社区")
        if gtype[g] in _names.SPECIAL_NAMES:
            names.append(base + str(rng.choice(_names.SPECIAL_NAMES[gtype[g]])))
        elif gtype[g] == "other":
            names.append(f"{base}特定网格{seq[g]}")
        else:
            names.append(f"{comm_names[comm[g]]}第{seq[g]}网格")
    zone = np.where(
        np.isin(gtype, ["school", "hospital", "market"]),
        "key",
        np.where(r < 2600, "central", "other"),
    )
    grids = pd.DataFrame(
        {
            "code": [f"{comm_code[comm[g]]}{seq[g]:03d}" for g in range(n_grid)],
            "name": names,
            "type": gtype,
            "community_code": [comm_code[c] for c in comm],
            "path": [comm_path[c] for c in comm],
            "geom": geoms,
            "households": hh,
            "population": pop,
            "worker_name": _names.person_names(rng, n_grid),
            "worker_phone": _names.phones(rng, n_grid),
            "leader_name": _names.person_names(rng, n_grid),
            "zone_class": zone,
        }
    )
    return admin, grids


def _platforms(
    shape: CityShape, grids: pd.DataFrame, spec: SizeSpec, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, np.ndarray]]:
    from data.demo._geometry import _kmeans

    k = spec.platforms
    cent = shapely.centroid(grids["geom"].to_numpy())
    xy = np.column_stack([shapely.get_x(cent), shapely.get_y(cent)])
    # Platforms sit where people are: k-means on population-weighted samples, snapped to a junction.
    w = grids["population"].to_numpy(float)
    sample = xy[rng.choice(len(xy), 20 * len(xy), p=w / w.sum())]
    labels = _kmeans(sample, k, seed=7)
    centres = np.array([sample[labels == c].mean(axis=0) for c in range(labels.max() + 1)])

    def snap(points: np.ndarray) -> np.ndarray:
        d = np.linalg.norm(shape.nodes[None, :, :] - points[:, None, :], axis=2)
        return shape.nodes[d.argmin(axis=1)]

    pxy = snap(centres)
    nearest = np.linalg.norm(xy[:, None, :] - pxy[None, :, :], axis=2).argmin(axis=1)
    path_of = grids["path"].to_numpy()
    rows, links = [], []
    for p in range(len(pxy)):
        served = np.flatnonzero(nearest == p)
        home = int(np.linalg.norm(xy - pxy[p], axis=1).argmin())
        rows.append(
            dict(
                code=f"KJ{p + 1:03d}",
                name=f"{grids['name'].iat[home].split('第')[0]}快警平台",
                geom=shapely.Point(pxy[p]),
                members=30,
                vehicles=8,
                path=".".join(path_of[home].split(".")[:2]),
            )
        )
        links.extend((p + 1, grids["code"].iat[g]) for g in served)
    platforms = pd.DataFrame(rows)
    platforms.insert(0, "id", np.arange(1, len(platforms) + 1))
    platform_grids = pd.DataFrame(links, columns=["platform_id", "grid_code"])

    def stations(n: int, seed: int) -> np.ndarray:
        if n <= 0:
            return np.empty((0, 2))
        lab = _kmeans(xy, n, seed=seed)
        return snap(np.array([xy[lab == c].mean(axis=0) for c in range(lab.max() + 1)]))

    return (
        platforms,
        platform_grids,
        {
            "fire": stations(spec.fire_stations, 21),
            "ambulance": stations(spec.ambulance_stations, 22),
            "depot": stations(max(1, k // 3), 23),
        },
    )
