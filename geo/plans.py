"""Response plans (预案 / run cards): which unit types, and how many, a category needs at a
priority, and the units that fill a plan for one case.

The table ``response_plans`` holds the plans; every change is audited by a trigger whoever
makes it. :func:`fill` picks, for each required type, the best units by travel time
(``geo.dispatching.recommend``: the case's own grid worker first when near); the desk sends
them with one key through ``geo.dispatching.send``, all or none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import psycopg

from geo import dispatching
from geo.errors import InvalidInput
from geo.incidents import PRIORITIES
from geo.routing import Recommendation, Router, UnitSnapshot
from geo.rows import IncidentRow

UNIT_TYPES = ("patrol_car", "foot_patrol", "grid_worker", "volunteer_team", "fire_engine",
              "ambulance", "department_crew")  # fmt: skip


@dataclass(frozen=True)
class Need:
    """One line of a plan: ``count`` units of ``unit_type``."""

    unit_type: str
    count: int


@dataclass(frozen=True)
class Filled:
    """A plan filled for one case: the units picked for each need, what could not be met, and
    the plan's ETA (its slowest unit)."""

    needs: list[Need]
    picks: dict[str, list[Recommendation]]  # by unit type, best first
    unmet: dict[str, int]  # unit type -> how many are missing
    planned: bool = True  # the category has a plan at this priority (it may be all sent)
    types: tuple[str, ...] = ()  # the unit types of the whole plan, sent or not

    @property
    def unit_ids(self) -> list[int]:
        """The units picked, need by need.

        Returns
        -------
        list of int
            Unit ids, the needs' order.
        """
        return [r.unit_id for n in self.needs for r in self.picks.get(n.unit_type, [])]

    @property
    def eta_s(self) -> float | None:
        """The plan's ETA: its slowest unit's (None when nothing was picked).

        Returns
        -------
        float or None
            Seconds.
        """
        etas = [r.eta_s for rs in self.picks.values() for r in rs]
        return max(etas) if etas else None

    @property
    def complete(self) -> bool:
        """Every need is met.

        Returns
        -------
        bool
            True when nothing is missing.
        """
        return bool(self.needs) and not self.unmet


def plan_for(*, conn: psycopg.Connection, category: str, priority: str) -> list[Need]:
    """The plan of a category at a priority.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    category : str
        Category code.
    priority : str
        One of ``PRIORITIES``.

    Returns
    -------
    list of Need
        The unit types and counts, in a fixed order (fire engines first, grid workers last);
        empty when the table has no plan for them.
    """
    rows = conn.execute(
        "SELECT unit_type, count FROM response_plans WHERE category = %(c)s AND priority = %(p)s",
        {"c": category, "p": priority},
    ).fetchall()
    order = {t: i for i, t in enumerate(
        ("fire_engine", "ambulance", "patrol_car", "foot_patrol", "department_crew",
         "volunteer_team", "grid_worker"))}  # fmt: skip
    return sorted((Need(str(t), int(n)) for t, n in rows), key=lambda n: order[n.unit_type])


def plans(*, conn: psycopg.Connection) -> dict[tuple[str, str], list[Need]]:
    """Every plan, for the admin's table.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).

    Returns
    -------
    dict
        The needs by (category, priority).
    """
    out: dict[tuple[str, str], list[Need]] = {}
    for c, p, t, n in conn.execute(
        "SELECT category, priority, unit_type, count FROM response_plans "
        "ORDER BY category, priority, unit_type"
    ):
        out.setdefault((str(c), str(p)), []).append(Need(str(t), int(n)))
    return out


def set_plan(
    *, conn: psycopg.Connection, category: str, priority: str, needs: Mapping[str, int]
) -> list[Need]:
    """Replace the plan of a category at a priority (an admin's edit; audited by the table's
    trigger with the acting user).

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the admin's transaction).
    category : str
        Category code.
    priority : str
        One of ``PRIORITIES``.
    needs : mapping of str to int
        Count by unit type; 0 drops a type. At least one unit in all.

    Returns
    -------
    list of Need
        The plan now.

    Raises
    ------
    InvalidInput
        Unknown category, priority or unit type, a count outside 0-10, or no unit at all.
    """
    if priority not in PRIORITIES:
        raise InvalidInput(f"Unknown priority {priority!r}.", code="unknown_value",
                           value=str(priority)[:40])  # fmt: skip
    bad = [t for t in needs if t not in UNIT_TYPES]
    if bad:
        raise InvalidInput(f"Unknown unit type {bad[0]!r}.", code="unknown_value",
                           value=str(bad[0])[:40])  # fmt: skip
    counts = {}
    for t, n in needs.items():
        if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 10:
            raise InvalidInput("A plan asks for 0 to 10 units of a type.", code="plan.count")
        if n:
            counts[t] = n
    if not counts:
        raise InvalidInput("A plan needs at least one unit.", code="plan.empty")
    known = conn.execute("SELECT 1 FROM categories WHERE code = %(c)s", {"c": category})
    if known.fetchone() is None:
        raise InvalidInput(f"Unknown category {category!r}.", code="unknown_value",
                           value=str(category)[:40])  # fmt: skip
    now = {n.unit_type: n.count for n in plan_for(conn=conn, category=category, priority=priority)}
    for t in set(now) - set(counts):
        conn.execute(
            "DELETE FROM response_plans WHERE category = %(c)s AND priority = %(p)s "
            "AND unit_type = %(t)s",
            {"c": category, "p": priority, "t": t},
        )
    for t, n in counts.items():
        if now.get(t) != n:
            conn.execute(
                "INSERT INTO response_plans (category, priority, unit_type, count) "
                "VALUES (%(c)s, %(p)s, %(t)s, %(n)s) ON CONFLICT (category, priority, unit_type) "
                "DO UPDATE SET count = EXCLUDED.count",
                {"c": category, "p": priority, "t": t, "n": n},
            )
    return plan_for(conn=conn, category=category, priority=priority)


def fill(
    *,
    conn: psycopg.Connection,
    router: Router,
    units: UnitSnapshot,
    case: IncidentRow,
    sent: Mapping[str, int] | None = None,
) -> Filled:
    """The units that fill what the case's plan still needs: for each need, less the units of
    its type already on their way, the best available units of its type by travel time.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection.
    router : Router
        The travel-time engine.
    units : UnitSnapshot
        The units as they are now.
    case : IncidentRow
        The case (its category, priority, position and grid are used).
    sent : mapping of str to int, optional
        Units already sent to the case and not released, by type.

    Returns
    -------
    Filled
        The picks by type, what is unmet, and the plan's ETA.
    """
    have = dict(sent or {})
    plan = plan_for(conn=conn, category=case["category"], priority=case["priority"])
    needs = [Need(n.unit_type, n.count - have.get(n.unit_type, 0))
             for n in plan if n.count > have.get(n.unit_type, 0)]  # fmt: skip
    picks: dict[str, list[Recommendation]] = {}
    unmet: dict[str, int] = {}
    for need in needs:
        res = dispatching.recommend(conn=conn, router=router, units=units, case=case,
                                    k=need.count, types=(need.unit_type,))  # fmt: skip
        got = res.recommendations[: need.count]
        picks[need.unit_type] = got
        if len(got) < need.count:
            unmet[need.unit_type] = need.count - len(got)
    types = tuple(dict.fromkeys(n.unit_type for n in plan))
    return Filled(needs, picks, unmet, planned=bool(plan), types=types)
