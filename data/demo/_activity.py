"""Responders and a year of incidents for the demo city (metres; converted by the caller)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import shapely

from data.demo import _names
from data.demo._geometry import CityShape, SizeSpec
from data.demo._present import (
    FIELD_REPORTS,
    OPERATOR,
    RESOLUTION_NOTES,
    events_for,
    live_shift,
)

# code: (weight, class, P(red), P(yellow), quick response?)
CATEGORY_MIX: dict[str, tuple[float, str, float, float, bool]] = {
    "family_dispute": (6, "family", 0.03, 0.25, False),
    "neighbor_dispute": (9, "shared", 0.02, 0.25, False),
    "property_dispute": (5, "shared", 0.01, 0.30, False),
    "noise": (7, "shared", 0.01, 0.10, False),
    "sanitation": (14, "shared", 0.00, 0.08, False),
    "illegal_parking": (8, "public", 0.00, 0.05, False),
    "street_light": (5, "public", 0.00, 0.05, False),
    "road_damage": (5, "public", 0.02, 0.15, False),
    "water_supply": (4, "public", 0.05, 0.30, False),
    "power_outage": (3, "public", 0.05, 0.30, False),
    "public_security": (9, "public", 0.25, 0.45, True),
    "theft": (4, "public", 0.10, 0.40, True),
    "traffic_accident": (4, "public", 0.35, 0.45, True),
    "fire_hazard": (3, "public", 0.30, 0.40, True),
    "production_safety": (2, "public", 0.15, 0.45, True),
    "public_health": (2, "public", 0.05, 0.35, False),
    "epidemic": (1, "public", 0.05, 0.40, False),
    "natural_disaster": (1, "public", 0.40, 0.40, True),
    "assistance": (4, "family", 0.00, 0.10, False),
    "other": (4, "shared", 0.00, 0.05, False),
}
SOURCES = {
    "grid_worker": 0.40,
    "hotline_12345": 0.25,
    "transfer_110": 0.10,
    "wechat_group": 0.12,
    "walk_in": 0.05,
    "sensor": 0.03,
    "operator": 0.05,
}
# Hour-of-day profile (reports per hour, relative) and day-of-week (Mon..Sun).
HOURLY = np.array(
    [
        2,
        1.2,
        0.8,
        0.6,
        0.6,
        1,
        2.5,
        5,
        7.5,
        9,
        9.5,
        9,
        7.5,
        7,
        8.5,
        9,
        9,
        8.5,
        8,
        8.5,
        8,
        6.5,
        4.5,
        3,
    ]
)
WEEKLY = np.array([1.08, 1.02, 1.0, 1.0, 1.05, 0.95, 0.9])
_DETAILS = ["居民来电反映", "网格员巡查发现", "群众微信群反映", "现场群众反映"]


def sample_in(geoms: np.ndarray, idx: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One uniform random point inside ``geoms[i]`` for each i in ``idx`` (vectorized)."""
    bounds = shapely.bounds(geoms)
    out = np.empty((len(idx), 2))
    todo = np.arange(len(idx))
    while len(todo):
        b = bounds[idx[todo]]
        x = rng.uniform(b[:, 0], b[:, 2])
        y = rng.uniform(b[:, 1], b[:, 3])
        ok = shapely.contains_xy(geoms[idx[todo]], x, y)
        out[todo[ok]] = np.column_stack([x[ok], y[ok]])
        todo = todo[~ok]
    return out


def units_for(
    shape: CityShape,
    grids: pd.DataFrame,
    platforms: pd.DataFrame,
    stations: dict[str, np.ndarray],
    spec: SizeSpec,
    rng: np.random.Generator,
    now: dt.datetime,
) -> pd.DataFrame:
    """Platform patrols, one grid worker per grid, fire, ambulance, crews and volunteers."""
    rows: list[dict[str, object]] = []
    nodes = shape.nodes
    grid_path = grids["path"].to_numpy()
    grid_geom = grids["geom"].to_numpy()

    def near(xy: np.ndarray, n: int, radius: float) -> np.ndarray:
        d = np.linalg.norm(nodes - xy, axis=1)
        pool = np.flatnonzero(d < radius)
        if len(pool) == 0:
            pool = np.argsort(d)[:5]
        return nodes[rng.choice(pool, n)] + rng.normal(0, 15, (n, 2))

    def path_at(xy: np.ndarray) -> str:
        d = shapely.distance(grid_geom, shapely.Point(xy))
        return ".".join(grid_path[int(d.argmin())].split(".")[:3])

    for _, p in platforms.iterrows():
        pxy = np.array(p["geom"].coords[0])
        path = str(p["path"])
        for k, xy in enumerate(near(pxy, 8, 2000)):
            rows.append(
                dict(
                    call_sign=f"{p['code']}-C{k + 1:02d}",
                    type="patrol_car",
                    agency="police",
                    platform_id=int(p["id"]),
                    grid_code=None,
                    xy=xy,
                    path=path,
                )
            )
        for k, xy in enumerate(near(pxy, 22, 900)):
            rows.append(
                dict(
                    call_sign=f"{p['code']}-F{k + 1:02d}",
                    type="foot_patrol",
                    agency="police",
                    platform_id=int(p["id"]),
                    grid_code=None,
                    xy=xy,
                    path=path,
                )
            )
    pts = sample_in(grid_geom, np.arange(len(grids)), rng)
    for g in range(len(grids)):
        rows.append(
            dict(
                call_sign=f"WG{grids['code'].iat[g]}",
                type="grid_worker",
                agency="grid",
                platform_id=None,
                grid_code=grids["code"].iat[g],
                xy=pts[g],
                path=grid_path[g],
            )
        )
    for kind, utype, agency, per in (
        ("fire", "fire_engine", "fire", 2),
        ("ambulance", "ambulance", "health", 2),
    ):
        for s, sxy in enumerate(stations[kind]):
            for k in range(per):
                rows.append(
                    dict(
                        call_sign=f"{kind[:2].upper()}{s + 1:02d}-{k + 1}",
                        type=utype,
                        agency=agency,
                        platform_id=None,
                        grid_code=None,
                        xy=sxy + rng.normal(0, 5, 2),
                        path=path_at(sxy),
                    )
                )
    for d, dxy in enumerate(stations["depot"]):
        for agency in ("water", "power", "roads", "sanitation"):
            rows.append(
                dict(
                    call_sign=f"{agency[:2].upper()}{d + 1:02d}",
                    type="department_crew",
                    agency=agency,
                    platform_id=None,
                    grid_code=None,
                    xy=near(dxy, 1, 1500)[0],
                    path=path_at(dxy),
                )
            )
    n_vol = max(2, len(grids) // 150)
    for v, g in enumerate(rng.choice(len(grids), n_vol, replace=False)):
        rows.append(
            dict(
                call_sign=f"VT{v + 1:03d}",
                type="volunteer_team",
                agency="volunteer",
                platform_id=None,
                grid_code=None,
                xy=pts[g] + rng.normal(0, 30, 2),
                path=grid_path[g],
            )
        )
    units = pd.DataFrame(rows)
    n = len(units)
    status = rng.choice(
        ["available", "off_duty"],
        n,
        p=[0.95, 0.05],
    )  # busy statuses come from the live shift's dispatches (data.demo._present.units_now)
    status = np.where((units["type"] == "grid_worker") & (rng.random(n) < 0.15), "off_duty", status)
    age = np.clip(rng.exponential(40, n), 2, 240)  # trackers report every few minutes at most
    nowts = pd.Timestamp(now)
    units["status"] = status
    units["status_time"] = nowts - pd.to_timedelta(rng.uniform(60, 7200, n), unit="s")
    units["position_time"] = nowts - pd.to_timedelta(age, unit="s")
    xy = np.stack(units.pop("xy").to_numpy())
    units["geom"] = shapely.points(xy)
    units["platform_id"] = units["platform_id"].astype("Int64")
    units.insert(0, "id", np.arange(1, n + 1))
    return units


def incidents_for(
    shape: CityShape,
    grids: pd.DataFrame,
    spec: SizeSpec,
    rng: np.random.Generator,
    now: dt.datetime,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A year of incidents with the lifecycle timestamps, SLA deadlines and audit events.

    The year is history, every case in it closed; the present is a live shift with cases
    at every step (:func:`data.demo._present.live_shift`)."""
    n = spec.incidents
    geoms = grids["geom"].to_numpy()
    # When: 365 days, weekly and seasonal rhythm, hourly profile.
    start = pd.Timestamp(now).floor("D") - pd.Timedelta(days=365)
    days = pd.date_range(start, periods=366, freq="D")
    season = 1 + 0.15 * np.sin(2 * np.pi * (days.day_of_year.to_numpy() - 100) / 365)
    wday = WEEKLY[days.day_of_week.to_numpy()] * season
    day = rng.choice(len(days), n, p=wday / wday.sum())
    hour = rng.choice(24, n, p=HOURLY / HOURLY.sum())
    secs = rng.uniform(0, 3600, n)
    # The hourly profile is local time (UTC+8); days are UTC midnights.
    local = pd.to_timedelta(hour - 8, unit="h") + pd.to_timedelta(secs, unit="s")
    reported = days[day] + local
    reported = reported[reported <= pd.Timestamp(now)]
    reported = reported.sort_values()
    n = len(reported)

    # Where: 65% where people live, 35% around hotspots (markets, stations, nightlife).
    pop = grids["population"].to_numpy(float)
    g_pop = rng.choice(len(grids), n, p=pop / pop.sum())
    xy = sample_in(geoms, g_pop, rng)
    grid_idx = g_pop.copy()
    markets = np.flatnonzero(grids["type"].to_numpy() == "market")
    extra = rng.choice(len(grids), max(3, len(markets) // 2), replace=False)
    centres = np.vstack([sample_in(geoms, np.concatenate([markets, extra]), rng)])
    hot = rng.random(n) < 0.35
    h_xy = centres[rng.integers(0, len(centres), hot.sum())] + rng.normal(0, 220, (hot.sum(), 2))
    tree = shapely.STRtree(geoms)
    q_pt, q_grid = tree.query(shapely.points(h_xy), predicate="within")
    ok = np.zeros(hot.sum(), dtype=bool)
    ok[q_pt] = True
    hot_idx = np.flatnonzero(hot)
    g_hot = np.full(hot.sum(), -1)
    g_hot[q_pt] = q_grid
    xy[hot_idx[ok]] = h_xy[ok]
    grid_idx[hot_idx[ok]] = g_hot[ok]

    # What.
    cats = list(CATEGORY_MIX)
    w = np.array([CATEGORY_MIX[c][0] for c in cats], float)
    summer = (reported.month >= 5) & (reported.month <= 8)
    cat_i = rng.choice(len(cats), n, p=w / w.sum())
    # Summer floods: more natural-disaster reports.
    flood = summer & (rng.random(n) < 0.01)
    cat_i[flood] = cats.index("natural_disaster")
    cat = np.array(cats)[cat_i]
    p_red = np.array([CATEGORY_MIX[c][2] for c in cats])[cat_i]
    p_yel = np.array([CATEGORY_MIX[c][3] for c in cats])[cat_i]
    u = rng.random(n)
    priority = np.where(u < p_red, "red", np.where(u < p_red + p_yel, "yellow", "blue"))
    klass = np.array([CATEGORY_MIX[c][1] for c in cats])[cat_i]
    quick = np.array([CATEGORY_MIX[c][4] for c in cats])[cat_i] & (priority != "blue")
    source = rng.choice(list(SOURCES), n, p=np.array(list(SOURCES.values())))

    # Lifecycle (seconds after the report), quick-response cases much faster.
    def ln(median_quick: float, median_slow: float, sigma: float) -> np.ndarray:
        med = np.where(quick, median_quick, median_slow)
        return med * rng.lognormal(0, sigma, n)

    t_disp = ln(35, 600, 0.5)
    t_claim = t_disp * rng.uniform(0.35, 0.9, n)  # an operator claims (签收) before dispatching
    t_acc = t_disp + ln(20, 300, 0.6)
    t_scene = t_acc + ln(230, 2400, 0.45)
    slow_resolve = np.where(priority == "blue", 5 * 3600, 30 * 3600)
    t_res = t_scene + np.where(quick, 1200, slow_resolve) * rng.lognormal(0, 0.6, n)
    t_close = t_res + 2 * 3600 * rng.lognormal(0, 0.7, n)
    # The on-scene report (现场反馈): quick cases report back about 10 minutes after arrival
    # (some late); slow ones early 60% of the time, else with the resolution.
    early = quick | (rng.random(n) < 0.6)
    t_rep = t_scene + np.where(quick, 600 * rng.uniform(0.15, 1.15, n), rng.uniform(120, 1500, n))
    t_rep = np.where(early, np.minimum(t_rep, t_res), t_res)
    fb_after = 86400 * rng.uniform(0.2, 2, n)
    has_fb = rng.random(n) < 0.7
    nowts = pd.Timestamp(now)
    age = (nowts - reported).total_seconds().to_numpy()
    # The year is history: a case that would still be open now ran faster and is closed
    # (what is open now is the live shift, data.demo._present).
    squeeze = np.minimum(1.0, age * rng.uniform(0.6, 0.97, n) / t_close)
    t_claim, t_disp, t_acc, t_scene, t_rep, t_res, t_close = (
        t * squeeze for t in (t_claim, t_disp, t_acc, t_scene, t_rep, t_res, t_close)
    )
    t_fb = np.where(has_fb, t_close + fb_after, np.inf)

    rep = pd.Series(reported)

    def at(t: np.ndarray) -> pd.Series:
        s = rep + pd.to_timedelta(np.where(np.isfinite(t), t, 0), unit="s")
        return s.where((t <= age) & np.isfinite(t))

    feedback = at(t_fb)
    satisfaction = np.where(
        feedback.notna(), rng.choice([1, 2, 3, 4, 5], n, p=[0.02, 0.03, 0.08, 0.27, 0.60]), 0
    )
    close_h = np.where(priority == "yellow", 72, 24)
    grid_code = grids["code"].to_numpy()[grid_idx]
    names = grids["name"].to_numpy()[grid_idx]
    detail = rng.choice(_DETAILS, n)
    with_reporter = np.isin(source, ["hotline_12345", "transfer_110", "walk_in", "wechat_group"])
    rep_names = np.array(_names.person_names(rng, n), dtype=object)
    rep_phone = np.array(_names.phones(rng, n), dtype=object)
    resolution = rng.choice(RESOLUTION_NOTES, n)
    on_scene = at(t_scene)
    history = pd.DataFrame(
        {
            "reported_at": rep,
            "source": source,
            "category": cat,
            "class": klass,
            "priority": priority,
            "description": [f"{d}：{g}附近" for d, g in zip(detail, names, strict=True)],
            "reporter_name": np.where(with_reporter, rep_names, None),
            "reporter_phone": np.where(with_reporter, rep_phone, None),
            "geom": shapely.points(xy),
            "grid_code": grid_code,
            "path": grids["path"].to_numpy()[grid_idx],
            "status": "closed",
            "claimed_by": OPERATOR,
            "claimed_at": at(t_claim),
            "dispatched_at": at(t_disp),
            "accepted_at": at(t_acc),
            "on_scene_at": on_scene,
            "field_report": np.where(early, rng.choice(FIELD_REPORTS, n), resolution),
            "field_report_at": at(t_rep),
            "resolved_at": at(t_res),
            "resolution_note": resolution,
            "closed_at": at(t_close),
            "feedback_at": feedback,
            "satisfaction": pd.array(np.where(satisfaction > 0, satisfaction, None), dtype="Int16"),
            "respond_due": rep + pd.to_timedelta(np.where(quick, 60, 1800), unit="s"),
            "arrive_due": (rep + pd.Timedelta(minutes=5)).where(quick),
            "report_due": (on_scene + pd.Timedelta(minutes=10)).where(quick),
            "close_due": rep + pd.to_timedelta(close_h, unit="h"),
            "quick": quick,
        }
    )
    incidents = live_shift(history, rng, now, spec.incidents / 100_000)
    return incidents, events_for(incidents)


# Who is sent for what: the agency by category, else platform police for red cases and the
# grid's own worker for the rest.
AGENCY_FOR = {
    "fire_hazard": "fire", "natural_disaster": "fire", "public_health": "health",
    "epidemic": "health", "water_supply": "water", "power_outage": "power",
    "street_light": "power", "road_damage": "roads", "sanitation": "sanitation",
    "public_security": "police", "theft": "police", "traffic_accident": "police",
}  # fmt: skip


def dispatches_for(
    incidents: pd.DataFrame, units: pd.DataFrame, platform_grids: pd.DataFrame
) -> pd.DataFrame:
    """One unit for every case that was dispatched, from its dispatch until its resolution
    (then released as completed); a case still open keeps its unit (an open dispatch, never an
    off-duty unit). A unit is never on two cases at once, as in live operations: a case goes
    to its agency's crews (or, red, to its platform's police; else to its grid's worker), and
    when all of those are busy to the grid's worker or the platform's police; if every one is
    busy it gets none."""
    inc = incidents[incidents["dispatched_at"].notna()]
    agency = inc["category"].map(AGENCY_FOR)
    agency = agency.where(agency.notna(), np.where(inc["priority"] == "red", "police", "grid"))
    plat = platform_grids.drop_duplicates("grid_code").set_index("grid_code")["platform_id"]
    worker = dict(units.loc[units["type"] == "grid_worker", ["grid_code", "id"]].to_numpy())
    police = {p: ids.to_numpy() for p, ids in
              units[units["agency"] == "police"].groupby("platform_id")["id"]}  # fmt: skip
    crews = {a: ids.to_numpy() for a, ids in
             units[~units["agency"].isin(["grid", "police"])].groupby("agency")["id"]}  # fmt: skip
    on_duty = np.zeros(int(units["id"].max()) + 1, dtype=bool)
    on_duty[units.loc[units["status"] != "off_duty", "id"].to_numpy()] = True
    none = np.zeros(0, dtype=np.int64)
    starts = inc["dispatched_at"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    live = inc["resolved_at"].isna().to_numpy()
    ends = np.where(
        live,
        np.iinfo(np.int64).max,
        inc["resolved_at"].to_numpy(dtype="datetime64[ns]").astype(np.int64),
    )
    case_ids, grids = inc["id"].to_numpy(), inc["grid_code"].to_numpy()
    kinds, platforms = agency.to_numpy(), inc["grid_code"].map(plat).to_numpy()
    free_at = np.full(int(units["id"].max()) + 1, np.iinfo(np.int64).min)
    unit = np.full(len(inc), -1, dtype=np.int64)
    for i in np.argsort(starts, kind="stable"):
        own = np.array([worker[grids[i]]]) if grids[i] in worker else none
        cops = police.get(platforms[i], none)
        first = {"grid": own, "police": cops}.get(kinds[i], crews.get(kinds[i], none))
        if len(first):
            first = np.roll(first, -int(case_ids[i] % len(first)))
        for u in (*first, *own, *cops):
            if free_at[u] <= starts[i] and (on_duty[u] or not live[i]):
                free_at[u], unit[i] = ends[i], u
                break
    has = unit >= 0
    released = inc["resolved_at"].to_numpy()[has]
    return pd.DataFrame(
        {
            "incident_id": case_ids[has],
            "unit_id": unit[has],
            "dispatched_at": inc["dispatched_at"].to_numpy()[has],
            "dispatched_by": "demo",
            "released_at": released,
            "release_reason": np.where(live[has], None, "completed"),
        }
    )
