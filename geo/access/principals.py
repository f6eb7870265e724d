"""Who may do what: the acting principal (a signed-in user, an API token or the console's own
background work), its role's permissions and its jurisdiction (a node of the admin tree).

The database enforces the jurisdiction with row-level security (migration 011) from the
scope each transaction names; the console checks the permissions before it acts, and the
jurisdiction too, so a refusal is a clear 403 or 404 rather than an empty answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import psycopg

from geo.errors import Forbidden

ROLES = ("operator", "planner", "supervisor", "grid_worker", "admin")

# action -> roles that may do it (admin may do everything)
PERMISSIONS: dict[str, frozenset[str]] = {
    "dispatch": frozenset({"operator"}),  # open, dispatch, escalate, resolve, close cases
    "watch": frozenset({"operator", "supervisor"}),  # the dispatch desk, replay, big screen
    "plan": frozenset({"planner"}),  # grid boundaries, platforms, coverage what-ifs
    "supervise": frozenset({"supervisor"}),  # heatmaps, KPIs, reports, mass tasks
    "see_phone": frozenset({"operator"}),  # reporters' phone numbers unmasked
    "audit": frozenset(),  # the audit viewer and users: admins only
    "view": frozenset({"operator", "planner", "supervisor"}),  # the overview, the big screen
}

_PHONE_DIGITS = re.compile(r"\d")


@dataclass(frozen=True)
class Principal:
    """Who acts: ``actor`` is written to the audit tables, ``scope`` goes to row-level security
    (an ltree path such as '430200.430211', or 'all' for the console's own work)."""

    actor: str
    role: str
    scope: str
    admin_code: str | None = None
    name: str = ""
    area: str = ""  # the name of its admin unit, for the top bar
    extra: frozenset[str] = field(default_factory=frozenset)  # API token scopes
    token_id: int | None = None  # the API token acting, if one is

    def may(self, action: str) -> bool:
        """Whether this principal may do ``action`` (admin and system may do everything).

        Parameters
        ----------
        action : str
            A key of ``PERMISSIONS`` or an API token scope.

        Returns
        -------
        bool
            True when its role or its token scopes allow it.
        """
        if self.role in ("admin", "system"):
            return True
        return self.role in PERMISSIONS.get(action, frozenset()) or action in self.extra

    def require(self, action: str) -> None:
        """Refuse unless this principal may do ``action``.

        Parameters
        ----------
        action : str
            A key of ``PERMISSIONS`` or an API token scope.

        Raises
        ------
        Forbidden
            Its role (or token scopes) do not allow it.
        """
        if not self.may(action):
            raise Forbidden(
                f"Your role ({self.role}) may not do that ({action}).",
                code="access.forbidden",
                role=self.role,
                action=action,
            )

    def covers(self, path: str | None) -> bool:
        """Whether the ltree ``path`` lies inside this jurisdiction.

        Parameters
        ----------
        path : str or None
            An ltree path of the admin tree, such as '430200.430211'.

        Returns
        -------
        bool
            True for the scope itself and any path below it (always for scope 'all'; never for
            no path).
        """
        if self.scope == "all":
            return True
        if not path:
            return False
        return path == self.scope or path.startswith(self.scope + ".")


SYSTEM = Principal(actor="system:console", role="system", scope="all", name="system")
# Open routes (Open311 service list, discovery): no jurisdiction, so no place-bound rows.
PUBLIC = Principal(actor="public", role="public", scope="", name="public")


def scope_of(*, conn: psycopg.Connection, admin_code: str | None) -> str | None:
    """The ltree path of an admin unit (None when it does not exist); no code: the city.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    admin_code : str or None
        Code of the admin unit; None: the city.

    Returns
    -------
    str or None
        Its path, such as '430200.430211'; None when there is no such unit.
    """
    if admin_code is None:
        row = conn.execute("SELECT path::text FROM admin_units WHERE level = 'city'").fetchone()
    else:
        row = conn.execute(
            "SELECT path::text FROM admin_units WHERE code = %(c)s", {"c": admin_code}
        ).fetchone()
    return row[0] if row else None


def mask_phone(phone: str | None) -> str | None:
    """A phone number with all but its first three and last two digits hidden.

    Parameters
    ----------
    phone : str or None
        The number as stored; separators are kept.

    Returns
    -------
    str or None
        The number with the hidden digits as '*'; an empty or None input unchanged.
    """
    if not phone:
        return phone
    n = len(_PHONE_DIGITS.findall(phone))
    seen = 0
    out = []
    for ch in phone:
        if ch.isdigit():
            seen += 1
            out.append(ch if seen <= 3 or seen > n - 2 else "*")
        else:
            out.append(ch)
    return "".join(out)


def log_view(*, conn: psycopg.Connection, entity: str, entity_id: str, what: str) -> None:
    """Record that the transaction's actor looked at a sensitive record (append-only).

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction, which names the actor).
    entity : str
        The kind of record, such as 'incident'.
    entity_id : str
        Its id.
    what : str
        What was shown, such as 'case' or 'case+phone' (the phone unmasked).
    """
    conn.execute(
        "INSERT INTO access_log (entity, entity_id, what) VALUES (%(e)s, %(i)s, %(w)s)",
        {"e": entity, "i": entity_id, "w": what},
    )
