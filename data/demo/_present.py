"""The demo's present: a command centre's live shift, as at about 10:00 on a weekday.

The generated year is history, and every case in it is closed. What is open at the demo's
``now`` is a live shift timed back from it: new cases nobody has claimed yet (the last few
minutes), claimed ones, units dispatched, en route and on scene, cases resolved and awaiting
verification within their close deadline, and a handful overdue (a late arrival, no report
back, claimed late, a repair past its deadline, a resolution not verified in time). About 40
in the city, scaled with its size. The history's last hour makes room for them: its cases
become live ones or are left out. Every step has its audit event (:func:`events_for`); the
units sent come from ``dispatches_for`` and stand where their step says (:func:`units_now`).
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import shapely

OPERATOR = "operator"  # who claims (签收): the demo users' operator (python -m console run)
FIELD_REPORTS = (
    "已到达现场，正在核实情况",
    "现场情况属实，正在处置",
    "已联系相关部门协同处置",
    "当事人情绪稳定，正在调解",
    "现场已设置警戒，正在处理",
)
RESOLUTION_NOTES = (
    "已处置完毕，现场恢复正常",
    "经调解，双方达成一致",
    "已修复",
    "已清理完毕",
    "已移交相关职能部门办理",
    "已劝离，现场秩序恢复",
)
# Live cases of the city (100,000 cases a year) at each step; other sizes scale them.
LIVE = {"new": 3, "claimed": 3, "dispatched": 4, "accepted": 6, "on_scene": 9, "resolved": 8}
# The overdue ones, in this order (4 to 6 in the city).
OVERDUE = ("late_arrival", "no_report", "late_claim", "stalled", "unverified")
STATUS = {
    "new": "reported", "claimed": "reported", "dispatched": "dispatched",
    "accepted": "accepted", "on_scene": "on_scene", "resolved": "resolved",
    "late_arrival": "accepted", "no_report": "on_scene", "late_claim": "dispatched",
    "stalled": "on_scene", "unverified": "resolved",
}  # fmt: skip
QUICK = {"late_arrival": True, "no_report": True, "new": False, "claimed": False,
         "late_claim": False, "stalled": False, "unverified": False}  # fmt: skip
QUICK_SHARE = 0.4  # of the other live cases, quick-response ones
STEP_COLUMNS = {
    "claim": "claimed_at", "disp": "dispatched_at", "acc": "accepted_at",
    "scene": "on_scene_at", "report": "field_report_at", "res": "resolved_at",
}  # fmt: skip
MAKE_ROOM = pd.Timedelta(hours=1)  # the history's last hour gives way to the live shift
POOL = pd.Timedelta(days=14)  # live cases take their what and where from this recent past
RETURN_S = 600  # a unit released this recently is still on its way back


def _chain(quick: bool, n: int, rng: np.random.Generator) -> list[float]:
    """Offsets (seconds after the report) of claim, dispatch, acceptance and arrival; a
    quick case is claimed within its minute and reached within its five."""
    u = rng.uniform
    if quick:
        t = [u(8, 30)]
        t.append(t[-1] + u(5, 20))
        t.append(t[-1] + u(10, 40))
        t.append(u(t[-1] + 30, 290))
    else:
        t = [u(60, 1200)]
        t.append(t[-1] + u(60, 900))
        t.append(t[-1] + u(60, 900))
        t.append(t[-1] + u(600, 3600))
    return t[:n]


def _fit(steps: dict[str, float], age: float, margin: float) -> dict[str, float]:
    """The steps squeezed to end ``margin`` seconds before now (quick clocks stay met)."""
    last = max(steps.values(), default=0.0)
    if last <= age - margin:
        return steps
    f = (age - margin) / last
    return {k: v * f for k, v in steps.items()}


def timeline(
    kind: str, quick: bool, close_h: float, rng: np.random.Generator
) -> tuple[float, dict[str, float]]:
    """How long ago a live case of ``kind`` was reported (seconds) and when (seconds after
    the report) it took each step it has taken: ``claim``, ``disp``, ``acc``, ``scene``,
    ``report`` (the on-scene report) and ``res``."""
    u = rng.uniform
    close_s = close_h * 3600
    keys = ("claim", "disp", "acc", "scene")
    margin = 5.0 if quick else 60.0
    if kind == "new":
        return u(20, 180), {}
    if kind == "claimed":
        age = u(120, 900)
        return age, {"claim": u(15, min(age - 5, 600))}
    if kind == "late_claim":  # claimed after the half hour, units sent since
        age = u(2700, 4200)
        claim = u(1900, 2300)
        return age, {"claim": claim, "disp": claim + u(60, 300)}
    if kind == "stalled":  # units still on scene past the close deadline
        age = close_s + u(1800, 3 * 3600)
        steps = dict(zip(keys, _chain(False, 3, rng), strict=False))
        steps["scene"] = age - u(3600, 3 * 3600)
        steps["report"] = steps["scene"] + u(60, 900)
        return age, steps
    if kind == "unverified":  # resolved, never verified before the close deadline
        age = close_s + u(3600, 6 * 3600)
        steps = dict(zip(keys, _chain(False, 4, rng), strict=True))
        steps["res"] = steps["scene"] + u(3600, 8 * 3600)
        steps["report"] = steps["scene"] + u(60, 900) if rng.random() < 0.6 else steps["res"]
        return age, steps
    # (quick, slow) ranges of the age in seconds, and how many steps of the chain are taken
    quick_age, slow_age, n = {
        "dispatched": ((60, 150), (300, 1500), 2),
        "accepted": ((120, 200), (900, 3600), 3),
        "late_arrival": ((420, 900), (420, 900), 3),  # en route past the five minutes
        "on_scene": ((420, 5400), (1800, 6 * 3600), 4),
        "no_report": ((900, 1800), (900, 1800), 4),  # on scene, no report back in ten
        "resolved": ((1800, 4 * 3600), (2 * 3600, min(20.0, close_h - 2) * 3600), 4),
    }[kind]
    age = u(*(quick_age if quick else slow_age))
    steps = dict(zip(keys, _chain(quick, n, rng), strict=False))
    if kind == "resolved":
        steps["res"] = steps["scene"] + (u(600, 3600) if quick else u(3600, 8 * 3600))
        early = quick or rng.random() < 0.6  # a quick case reports back within ten minutes
        steps["report"] = steps["scene"] + (u(60, 540) if quick else u(60, 900))
        if not early or steps["report"] > steps["res"]:
            steps["report"] = steps["res"]
    steps = _fit(steps, age, margin)
    if kind == "on_scene":
        since = age - steps["scene"]
        if (quick and since > 300) or rng.random() < (0.5 if quick else 0.7):
            # reported back within ten minutes of arrival (a quick case must by now)
            steps["report"] = steps["scene"] + min(u(30, 540), since - 5)
    return age, steps


def _pick(
    hist: pd.DataFrame, pool: np.ndarray, quick: bool, used: set[int], rng: np.random.Generator
) -> int:
    """A history row (index) of the wanted kind (quick or not), recent if one is left."""
    flag, taken = hist["quick"].to_numpy(), np.fromiter(used, dtype=np.int64, count=len(used))
    everyone = np.arange(len(hist))
    for where in (pool[flag[pool] == quick], everyone[flag == quick], everyone):
        left = where[~np.isin(where, taken)]
        if len(left):
            return int(left[rng.integers(len(left))])
    raise ValueError("no history left to take live cases from")


def live_shift(
    hist: pd.DataFrame, rng: np.random.Generator, now: dt.datetime, scale: float
) -> pd.DataFrame:
    """The incidents at the demo's ``now``: the closed history (without its last hour) and
    the live shift, in report order with ids and numbers. ``hist`` has a ``quick`` column
    (quick-response clocks), dropped here; ``scale`` is the city's size against the 100,000
    cases a year of ``city``."""
    nowts = pd.Timestamp(now)
    hist = hist.reset_index(drop=True)
    kinds = [k for k, c in LIVE.items() for _ in range(max(1, round(c * scale)))]
    overdue = max(1, round(int(rng.integers(4, 7)) * scale))
    kinds += [OVERDUE[i % len(OVERDUE)] for i in range(overdue)]
    pool = np.flatnonzero((hist["reported_at"] > nowts - POOL).to_numpy())
    used: set[int] = set()
    rows = []
    for kind in kinds:
        quick = QUICK.get(kind, bool(rng.random() < QUICK_SHARE))
        i = _pick(hist, pool, quick, used, rng)
        used.add(i)
        row = hist.iloc[i].copy()
        quick = bool(row["quick"])  # what the history had (a fallback may differ)
        close_h = 72.0 if row["priority"] == "yellow" else 24.0
        age, steps = timeline(kind, quick, close_h, rng)
        rep = nowts - pd.Timedelta(seconds=age)
        row["reported_at"] = rep
        row["status"] = STATUS[kind]
        for key, col in STEP_COLUMNS.items():
            row[col] = rep + pd.Timedelta(seconds=steps[key]) if key in steps else pd.NaT
        row["claimed_by"] = OPERATOR if "claim" in steps else None
        note = str(rng.choice(RESOLUTION_NOTES))
        report = str(rng.choice(FIELD_REPORTS))
        row["resolution_note"] = note if "res" in steps else None
        late_report = "res" in steps and steps.get("report") == steps["res"]
        row["field_report"] = (note if late_report else report) if "report" in steps else None
        row["closed_at"] = row["feedback_at"] = pd.NaT
        row["satisfaction"] = pd.NA
        row["respond_due"] = rep + pd.Timedelta(seconds=60 if quick else 1800)
        row["arrive_due"] = rep + pd.Timedelta(minutes=5) if quick else pd.NaT
        row["report_due"] = (
            row["on_scene_at"] + pd.Timedelta(minutes=10)
            if quick and "scene" in steps
            else pd.NaT
        )
        row["close_due"] = rep + pd.Timedelta(hours=close_h)
        rows.append(row)
    keep = np.ones(len(hist), dtype=bool)
    keep[list(used)] = False
    keep &= (hist["reported_at"] <= nowts - MAKE_ROOM).to_numpy()
    live = pd.DataFrame(rows, columns=hist.columns)
    for col, dtype in hist.dtypes.items():
        live[col] = (pd.to_datetime(live[col], utc=True) if isinstance(dtype, pd.DatetimeTZDtype)
                     else live[col].astype(dtype))  # fmt: skip
    out = pd.concat([hist[keep], live], ignore_index=True)
    out = out.sort_values("reported_at", kind="stable", ignore_index=True).drop(columns="quick")
    out.insert(0, "id", np.arange(1, len(out) + 1))
    out.insert(1, "number", [f"SJ{d:%Y%m%d}{i + 1:07d}" for i, d in enumerate(out["reported_at"])])
    return out


def events_for(incidents: pd.DataFrame) -> pd.DataFrame:
    """The audit events of every step taken: create, claim (by the claimant), the status
    changes, and the on-scene report when it came before the resolution."""
    ids = incidents["id"]
    frames = [
        pd.DataFrame({"incident_id": ids, "at": incidents["reported_at"], "actor": "demo",
                      "action": "create", "after": json.dumps({"status": "reported"})})
    ]  # fmt: skip
    claimed = incidents["claimed_at"].notna()
    frames.append(
        pd.DataFrame({"incident_id": ids[claimed], "at": incidents["claimed_at"][claimed],
                      "actor": incidents["claimed_by"][claimed], "action": "claim",
                      "after": [json.dumps({"claimed_by": c})
                                for c in incidents["claimed_by"][claimed]]})
    )  # fmt: skip
    for status, col in (("dispatched", "dispatched_at"), ("accepted", "accepted_at"),
                        ("on_scene", "on_scene_at"), ("resolved", "resolved_at"),
                        ("closed", "closed_at")):  # fmt: skip
        has = incidents[col].notna()
        frames.append(
            pd.DataFrame({"incident_id": ids[has], "at": incidents[col][has], "actor": "demo",
                          "action": "status", "after": json.dumps({"status": status})})
        )  # fmt: skip
    early = incidents["field_report_at"].notna() & ~(
        incidents["field_report_at"] >= incidents["resolved_at"]
    )
    frames.append(
        pd.DataFrame({"incident_id": ids[early], "at": incidents["field_report_at"][early],
                      "actor": "demo", "action": "field_report",
                      "after": [json.dumps({"note": t}, ensure_ascii=False)
                                for t in incidents["field_report"][early]]})
    )  # fmt: skip
    events = pd.concat(frames, ignore_index=True)
    return events.sort_values(["at", "incident_id"], kind="stable", ignore_index=True)


def units_now(
    units: pd.DataFrame,
    incidents: pd.DataFrame,
    dispatches: pd.DataFrame,
    rng: np.random.Generator,
    now: dt.datetime,
) -> pd.DataFrame:
    """``units`` (metres) as the live shift has them: a unit with an open dispatch is
    dispatched (where it was), en route (part of the way) or on scene (at the case) as its
    case's step says, with a fix of the last half minute; one released in the last ten
    minutes is returning from the scene. Nobody else is busy."""
    out = units.copy()
    nowts = pd.Timestamp(now)
    row_of = pd.Series(np.arange(len(out)), index=out["id"].to_numpy())
    case = incidents.set_index("id")
    xy = np.column_stack([shapely.get_x(out["geom"].to_numpy()),
                          shapely.get_y(out["geom"].to_numpy())])  # fmt: skip
    status = out["status"].to_numpy(dtype=object).copy()
    since = out["status_time"].copy()
    fix = out["position_time"].copy()
    freed = dispatches["released_at"]
    back = dispatches[freed.notna() & (freed > nowts - pd.Timedelta(seconds=RETURN_S))]
    for _, d in back.iterrows():
        r, c = row_of[d["unit_id"]], case.loc[d["incident_id"]]
        at = np.array(c["geom"].coords[0])
        xy[r] = at + rng.uniform(0.05, 0.5) * (xy[r] - at)
        status[r], since.iat[r] = "returning", d["released_at"]
    for _, d in dispatches[dispatches["released_at"].isna()].iterrows():
        r, c = row_of[d["unit_id"]], case.loc[d["incident_id"]]
        at = np.array(c["geom"].coords[0])
        if c["status"] == "on_scene":
            xy[r] = at + rng.normal(0, 8, 2)
            status[r], since.iat[r] = "on_scene", c["on_scene_at"]
        elif c["status"] == "accepted":
            xy[r] = xy[r] + rng.uniform(0.2, 0.8) * (at - xy[r])
            status[r], since.iat[r] = "en_route", c["accepted_at"]
        else:
            status[r], since.iat[r] = "dispatched", d["dispatched_at"]
        fix.iat[r] = nowts - pd.Timedelta(seconds=rng.uniform(2, 30))
    out["status"] = status
    out["status_time"] = since
    out["position_time"] = fix
    out["geom"] = shapely.points(xy)
    return out
