"""Supervision KPIs: how many cases, how many closed and on time, how fast, how liked.

Definitions (all over the cases *reported* in the window):

- closure rate (办结率) = closed / reported;
- on-time closure rate (按期办结率) = closed by their closing deadline / cases that are due
  (closed, or past their closing deadline while still open);
- response, arrival and report-back times run from the report to acceptance, arrival on
  scene and resolution; each has its median and 90th percentile and the share within its
  SLA among the cases whose deadline applies and is settled (met, or already missed);
- overdue: still open and past the current deadline; satisfaction: mean of the ratings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

from geo import analytics
from geo.errors import InvalidInput
from geo.incidents import OVERDUE_SQL

STEPS = (("respond", "accepted_at", "respond_due"), ("arrive", "on_scene_at", "arrive_due"),
         ("report", "resolved_at", "report_due"))  # fmt: skip
COLUMNS = ("reported_at", "status", "closed_at", "close_due", "accepted_at", "respond_due",
           "on_scene_at", "arrive_due", "resolved_at", "report_due", "satisfaction", "overdue",
           "path", "grid_code", "category", "class", "priority", "source")  # fmt: skip


@dataclass(frozen=True)
class Times:
    n: int  # cases that reached the step
    p50_s: float | None
    p90_s: float | None
    within_pct: float | None  # share within the SLA, of the cases whose deadline is settled


@dataclass(frozen=True)
class Kpis:
    reported: int
    closed: int
    closure_rate: float | None
    due: int
    on_time: int
    on_time_rate: float | None
    respond: Times
    arrive: Times
    report: Times
    overdue: int
    satisfaction: float | None
    rated: int


def _pct(a: int, b: int) -> float | None:
    return 100.0 * a / b if b else None


def _closure(f: pd.DataFrame, ts: pd.Timestamp) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Per case: closed; due (closed, or past its closing deadline); closed on time."""
    closed = f["closed_at"].notna()
    due = closed | (f["close_due"].notna() & (f["close_due"] < ts))
    on_time = closed & f["close_due"].notna() & (f["closed_at"] <= f["close_due"])
    return closed, due, on_time


def _sla(
    f: pd.DataFrame, at: str, deadline: str, ts: pd.Timestamp
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Per case, for one SLA step: reached; deadline settled (met, or already missed); met."""
    done = f[at].notna()
    settled = f[deadline].notna() & (done | (f[deadline] < ts))
    return done, settled, settled & done & (f[at] <= f[deadline])


def _closure_rates(g: Any, a: pd.DataFrame) -> dict[str, pd.Series]:
    """Reported, closed, closure and on-time rates per group, from the grouped closure flags
    ``g`` and their sums ``a``."""
    return {
        "reported": g.size(), "closed": a["closed"].astype(int),
        "closure": 100.0 * a["closed"] / g.size(),
        "on_time": 100.0 * a["on_time"] / a["due"].where(a["due"] > 0),
    }  # fmt: skip


def compute(f: pd.DataFrame, now: dt.datetime) -> Kpis:
    """The KPIs of the cases in ``f`` (one row per case, columns ``COLUMNS``) at ``now``.

    Parameters
    ----------
    f : pandas.DataFrame
        The cases, as :func:`frame` returns them (times timezone-aware).
    now : datetime
        The time the deadlines are judged at (timezone-aware).

    Returns
    -------
    Kpis
        Counts, rates in percent (None without cases), response, arrival and report-back
        times in seconds (:class:`Times`), overdue cases and mean satisfaction (1-5).
    """
    ts = pd.Timestamp(now)
    closed, due, on_time = _closure(f, ts)
    times = {}
    for name, at, deadline in STEPS:
        done, settled, met = _sla(f, at, deadline, ts)
        secs = (f.loc[done, at] - f.loc[done, "reported_at"]).dt.total_seconds().to_numpy()
        times[name] = Times(
            int(done.sum()),
            float(np.percentile(secs, 50)) if len(secs) else None,
            float(np.percentile(secs, 90)) if len(secs) else None,
            _pct(int(met.sum()), int(settled.sum())),
        )
    rated = f["satisfaction"].notna()
    return Kpis(
        reported=len(f),
        closed=int(closed.sum()),
        closure_rate=_pct(int(closed.sum()), len(f)),
        due=int(due.sum()),
        on_time=int(on_time.sum()),
        on_time_rate=_pct(int(on_time.sum()), int(due.sum())),
        respond=times["respond"],
        arrive=times["arrive"],
        report=times["report"],
        overdue=int(f["overdue"].fillna(False).astype(bool).sum()),
        satisfaction=float(f.loc[rated, "satisfaction"].mean()) if rated.any() else None,
        rated=int(rated.sum()),
    )


def by(f: pd.DataFrame, key: pd.Series, now: dt.datetime) -> dict[str, Kpis]:
    """The KPIs per value of ``key`` (aligned with ``f``), e.g. :func:`admin_key`.

    Parameters
    ----------
    f : pandas.DataFrame
        The cases, as :func:`frame` returns them.
    key : pandas.Series
        The group of each case (aligned with ``f``); cases with "" are left out.
    now : datetime
        The time the deadlines are judged at (timezone-aware).

    Returns
    -------
    dict of str to Kpis
        The KPIs of each group, by key.
    """
    return {str(k): compute(g, now) for k, g in f.groupby(key, sort=True) if k != ""}


def table(f: pd.DataFrame, key: pd.Series, now: dt.datetime) -> pd.DataFrame:
    """The main KPIs per value of ``key`` as one frame, most cases first: the same figures
    as :func:`by` (reported, closed, closure and on-time rates, median response and arrival
    times and their share within the SLA, overdue, satisfaction), computed in one groupby
    so that 3,000 grids or workers take milliseconds.

    Parameters
    ----------
    f : pandas.DataFrame
        The cases, as :func:`frame` returns them.
    key : pandas.Series
        The group of each case (aligned with ``f``); cases with "" are left out.
    now : datetime
        The time the deadlines are judged at (timezone-aware).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``key``; columns ``reported``, ``closed``, ``closure`` and ``on_time`` (%),
        ``respond_p50_s``, ``arrive_p50_s`` (seconds), ``respond_within``, ``arrive_within``
        (%), ``overdue`` and ``satisfaction`` (mean rating, 1-5).
    """
    ts = pd.Timestamp(now)
    closed, due, on_time = _closure(f, ts)
    parts = {
        "closed": closed,
        "due": due,
        "on_time": on_time,
        "overdue": f["overdue"].fillna(False).astype(bool),
        "rating": f["satisfaction"],
    }
    for name, at, deadline in STEPS[:2]:
        _, settled, met = _sla(f, at, deadline, ts)
        parts[f"{name}_s"] = (f[at] - f["reported_at"]).dt.total_seconds()
        parts[f"{name}_met"] = met
        parts[f"{name}_settled"] = settled
    g = pd.DataFrame(parts).groupby(key.to_numpy(), sort=True)
    a = g.sum(numeric_only=True)
    out = pd.DataFrame({
        **_closure_rates(g, a),
        "respond_p50_s": g["respond_s"].median(),
        "respond_within": 100.0 * a["respond_met"] / a["respond_settled"].where(
            a["respond_settled"] > 0),
        "arrive_p50_s": g["arrive_s"].median(),
        "arrive_within": 100.0 * a["arrive_met"] / a["arrive_settled"].where(
            a["arrive_settled"] > 0),
        "overdue": a["overdue"].astype(int), "satisfaction": g["rating"].mean(),
    })  # fmt: skip
    out = out[out.index.astype(str) != ""]
    out.index = out.index.astype(str)
    return out.rename_axis("key").sort_values(["reported"], ascending=False, kind="stable")


def trend(
    f: pd.DataFrame, now: dt.datetime, freq: str = "D", tz: str = "Asia/Shanghai"
) -> pd.DataFrame:
    """Per local day (``freq="D"``) or hour (``"h"``) of the report: cases reported and
    closed, closure rate and on-time closure rate, for the trend chart.

    Parameters
    ----------
    f : pandas.DataFrame
        The cases, as :func:`frame` returns them.
    now : datetime
        The time the deadlines are judged at (timezone-aware).
    freq : str
        "D" for days, "h" for hours.
    tz : str
        The time zone the days and hours are counted in.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``at`` (the start of each local period that has cases); columns
        ``reported``, ``closed``, ``closure`` and ``on_time`` (%).

    Raises
    ------
    InvalidInput
        ``freq`` is neither "D" nor "h".
    """
    if freq not in ("D", "h"):
        raise InvalidInput("The trend runs by day or by hour.", code="kpi.freq")
    closed, due, on_time = _closure(f, pd.Timestamp(now))
    when = f["reported_at"].dt.tz_convert(tz).dt.floor(freq)
    parts = pd.DataFrame({"closed": closed, "due": due, "on_time": on_time})
    g = parts.groupby(when.to_numpy(), sort=True)
    return pd.DataFrame(_closure_rates(g, g.sum())).rename_axis("at")


GROUPS = ("district", "street", "community", "grid", "worker", "platform", "unit", "department")


def group_key(f: pd.DataFrame, group: str) -> pd.Series:
    """The key of ``group`` (an admin level, or worker / platform / unit / department: the
    first unit sent and its agency) for each case; "" where a case has none, which
    :func:`by` and :func:`table` leave out.

    Parameters
    ----------
    f : pandas.DataFrame
        The cases, as :func:`frame` returns them.
    group : str
        One of ``GROUPS``.

    Returns
    -------
    pandas.Series
        The key of each case, aligned with ``f``.

    Raises
    ------
    InvalidInput
        An unknown group.
    """
    if group not in GROUPS:
        raise InvalidInput(
            f"Group by one of {', '.join(GROUPS)}.", code="kpi.group", groups=", ".join(GROUPS)
        )
    if group in ("district", "street", "community", "grid"):
        return admin_key(f, GROUPS.index(group) + 1)
    return f[group].fillna("").astype(str)


def admin_key(f: pd.DataFrame, level: int) -> pd.Series:
    """The admin unit at ``level`` (0 city, 1 district, 2 street, 3 community, 4 grid) of each
    case, as its path prefix (or its grid code at level 4).

    Parameters
    ----------
    f : pandas.DataFrame
        The cases, with the columns ``path`` (ltree text) and ``grid_code``.
    level : int
        The admin level, 0-4.

    Returns
    -------
    pandas.Series
        The key of each case, aligned with ``f``.

    Raises
    ------
    InvalidInput
        A level outside 0-4.
    """
    if level == 4:
        return f["grid_code"].fillna("")
    if not 0 <= level <= 3:
        raise InvalidInput("The level must be 0 (city) to 4 (grid).", code="kpi.level")
    return f["path"].str.split(".").str[: level + 1].str.join(".")


_TIMES = ("reported_at", "closed_at", "close_due", "accepted_at", "respond_due",
          "on_scene_at", "arrive_due", "resolved_at", "report_due")  # fmt: skip


def frame(
    *,
    conn: psycopg.Connection,
    start: dt.datetime,
    end: dt.datetime,
    path: str | None = None,
    filters: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """The cases reported in [start, end), under the admin ``path`` if given, passing
    ``filters``.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    start, end : datetime
        The time window [start, end), timezone-aware.
    path : str or None
        An ltree path of the admin tree; None: every case the transaction may see.
    filters : mapping of str to sequence of str, optional
        Allowed values per column (``analytics.FILTERS``), as for the heatmap.

    Returns
    -------
    pandas.DataFrame
        One row per case: the ``COLUMNS`` (times as UTC timestamps, ``overdue`` a flag) plus
        ``worker``, ``platform``, ``unit`` and ``department`` (the first unit sent).

    Raises
    ------
    InvalidInput
        A window without a time zone or not running forwards.
    """
    if start.tzinfo is None or end.tzinfo is None or not start < end:
        raise InvalidInput(
            "The time window needs a time zone and must run forwards.", code="kpi.window"
        )
    # Times travel as epoch seconds: building a frame from 50,000 rows of timezone-aware
    # datetime objects took longer than the query.
    order = [c for c in COLUMNS if c not in ("overdue", "path")]
    cols = sql.SQL(", ").join(
        sql.SQL("extract(epoch FROM i.{c})::float8 AS {c}").format(c=sql.Identifier(c))
        if c in _TIMES else sql.SQL("i.{c}").format(c=sql.Identifier(c))
        for c in order
    )  # fmt: skip
    where: list[sql.Composable] = [
        sql.SQL("i.reported_at >= %(s)s AND i.reported_at < %(e)s"),
        sql.SQL("(%(p)s::text IS NULL OR i.path <@ %(p)s::ltree)"),
    ]
    params: dict[str, object] = {"s": start, "e": end, "p": path}
    analytics.filter_clauses(filters, where, params)
    rows = conn.execute(
        sql.SQL(
            "SELECT {cols}, i.path::text AS path, "
            "(status <> 'closed' AND {overdue}) AS overdue, g.worker_name AS worker, "
            "pf.code AS platform, du.call_sign AS unit, du.agency AS department "
            "FROM incidents i LEFT JOIN grids g ON g.id = i.grid_id "
            # each grid's first platform, joined once: a subquery per case read every
            # platform per case (a province's 60 days: 2.7 s of 4)
            "LEFT JOIN (SELECT DISTINCT ON (pg.grid_code) pg.grid_code, p.code "
            " FROM platform_grids pg JOIN platforms p ON p.id = pg.platform_id "
            " ORDER BY pg.grid_code, p.code) pf ON pf.grid_code = i.grid_code "
            "LEFT JOIN LATERAL (SELECT u.call_sign, u.agency FROM dispatches d "
            " JOIN units u ON u.id = d.unit_id WHERE d.incident_id = i.id "
            " ORDER BY d.dispatched_at, d.id LIMIT 1) du ON true "
            "WHERE {where}"
        ).format(cols=cols, overdue=OVERDUE_SQL, where=sql.SQL(" AND ").join(where)),
        params,
    ).fetchall()
    order += ["path", "overdue", "worker", "platform", "unit", "department"]
    f = pd.DataFrame(rows, columns=order)
    for c in _TIMES:
        f[c] = pd.to_datetime(pd.to_numeric(f[c]), unit="s", utc=True)
    f["satisfaction"] = pd.to_numeric(f["satisfaction"])
    return f


WEIGHTS = {"closure": 30.0, "on_time": 30.0, "satisfaction": 20.0, "reports": 20.0}


def parse_weights(text: str) -> dict[str, float]:
    """``closure=30,on_time=30,satisfaction=20,reports=20`` (any subset; they need not sum
    to 100: the score is the weighted mean).

    Parameters
    ----------
    text : str
        Comma-separated ``term=weight`` pairs, terms of ``WEIGHTS``.

    Returns
    -------
    dict of str to float
        The weight of each term given.

    Raises
    ------
    InvalidInput
        An unknown term, a weight that is not a number in 0-1000, or no positive weight.
    """
    out: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        key, _, value = part.partition("=")
        key = key.strip()
        if key not in WEIGHTS:
            raise InvalidInput(
                f"Unknown assessment term {key!r}: use {', '.join(WEIGHTS)}.",
                code="kpi.term",
                term=key[:40],
                terms=", ".join(WEIGHTS),
            )
        try:
            out[key] = float(value)
        except ValueError:
            raise InvalidInput(
                f"The weight of {key} is not a number.", code="kpi.weight_nan", term=key
            ) from None
        if not 0 <= out[key] <= 1000:
            raise InvalidInput(
                f"The weight of {key} must be 0-1000.", code="kpi.weight_range", term=key
            )
    if not out or sum(out.values()) <= 0:
        raise InvalidInput("Give at least one positive assessment weight.", code="kpi.no_weight")
    return out


def assessment(
    f: pd.DataFrame, who: str, now: dt.datetime, weights: dict[str, float] = WEIGHTS
) -> pd.DataFrame:
    """Scores (0-100) per grid worker (``who="worker"``) or platform (``"platform"``), best
    first, with their rank: the weighted mean of closure rate, on-time closure rate,
    satisfaction (1-5 scaled to 0-100) and, for workers, reports filed (cases their grid
    worker reported, as a percentile among the workers). A term without data is left out
    of that one's mean.

    Parameters
    ----------
    f : pandas.DataFrame
        The cases, as :func:`frame` returns them.
    who : str
        "worker" or "platform".
    now : datetime
        The time the deadlines are judged at (timezone-aware).
    weights : dict of str to float
        The weight of each term (see :func:`parse_weights`); terms left out do not count.

    Returns
    -------
    pandas.DataFrame
        One row per worker or platform: ``who``'s column, ``cases``, ``closure``, ``on_time``,
        ``satisfaction`` (0-100), ``filed``, ``reports`` (percentile), ``score`` and ``rank``.

    Raises
    ------
    InvalidInput
        ``who`` is neither "worker" nor "platform".
    """
    if who not in ("worker", "platform"):
        raise InvalidInput("Assess workers or platforms.", code="kpi.assess_who")
    g = f[f[who].notna()]
    closed, due, on_time = _closure(g, pd.Timestamp(now))
    parts = pd.DataFrame({
        who: g[who].astype(str), "closed": closed, "due": due, "on_time": on_time,
        "rating": g["satisfaction"], "filed": g["source"] == "grid_worker",
    })  # fmt: skip
    agg = parts.groupby(who, sort=True).agg(
        cases=("closed", "size"), closed=("closed", "sum"), due=("due", "sum"),
        on_time=("on_time", "sum"), rating=("rating", "mean"), filed=("filed", "sum"),
    )  # fmt: skip
    out = pd.DataFrame({
        who: agg.index.astype(str),
        "cases": agg["cases"].to_numpy(),
        "closure": (100.0 * agg["closed"] / agg["cases"]).to_numpy(),
        "on_time": (100.0 * agg["on_time"] / agg["due"].where(agg["due"] > 0)).to_numpy(),
        "satisfaction": ((agg["rating"] - 1) * 25).to_numpy(),
        "filed": agg["filed"].astype(int).to_numpy(),
    })  # fmt: skip
    if out.empty:
        return out.assign(reports=[], score=[], rank=[])
    out["reports"] = out["filed"].rank(pct=True) * 100 if who == "worker" else np.nan
    terms = [t for t in ("closure", "on_time", "satisfaction", "reports") if t in weights]
    vals = out[terms].astype(float)
    w = np.array([weights[t] for t in terms])
    have = vals.notna().to_numpy()
    total = (vals.fillna(0).to_numpy() * w).sum(axis=1)
    wsum = (have * w).sum(axis=1)
    out["score"] = np.where(wsum > 0, total / np.where(wsum > 0, wsum, 1), np.nan)
    out = out.sort_values(["score", who], ascending=[False, True], na_position="last")
    out["rank"] = np.arange(1, len(out) + 1)
    return out.reset_index(drop=True)
