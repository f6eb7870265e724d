"""API tokens: one per integration, limited by scopes; only their SHA-256 is stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import psycopg

from geo.access.principals import Principal, scope_of
from geo.errors import Conflict, InvalidInput, NotFound, Unauthorized

SCOPES = (
    "incidents:read",
    "incidents:write",
    "units:read",
    "units:write",
    "open311",
    "features:read",
    "tasks:write",
    "reporters:read",
)
PREFIX = "gd_"


@dataclass(frozen=True)
class Token:
    id: int
    name: str
    scopes: tuple[str, ...]
    jurisdiction: str = "all"  # the ltree path of its admin unit (the city's when none)

    @property
    def actor(self) -> str:
        """Who the audit tables name for this token's actions.

        Returns
        -------
        str
            ``"api:<name>"``.
        """
        return f"api:{self.name}"

    @property
    def principal(self) -> Principal:
        """The principal this token acts as: role ``api``, its jurisdiction and its scopes.

        Returns
        -------
        Principal
            Role ``api`` with the token's scopes as extra permissions (``see_phone`` too when it
            has ``reporters:read``).
        """
        extra = set(self.scopes) | ({"see_phone"} if "reporters:read" in self.scopes else set())
        return Principal(
            actor=self.actor,
            role="api",
            scope=self.jurisdiction,
            extra=frozenset(extra),
            token_id=self.id,
        )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(
    *, conn: psycopg.Connection, name: str, scopes: list[str], admin_code: str | None = None
) -> str:
    """A new token for integration ``name``, acting in the admin unit ``admin_code`` (the
    whole city when None); the secret is returned once, never stored.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    name : str
        The integration's name (1-40 of a-z, 0-9, '_', '.', '-'), unique.
    scopes : list of str
        What the token may do, some of ``SCOPES`` (at least one).
    admin_code : str or None
        Code of the admin unit of its jurisdiction; None: the whole city.

    Returns
    -------
    str
        The bearer secret (``gd_`` followed by 43 random characters).

    Raises
    ------
    InvalidInput
        Unknown or no scopes, no such admin unit, or a bad name.
    Conflict
        A token of that name exists already.
    """
    bad = sorted(set(scopes) - set(SCOPES))
    if bad or not scopes:
        raise InvalidInput(
            f"Unknown or missing scopes {bad}; known: {', '.join(SCOPES)}.",
            code="token.scopes",
            bad=", ".join(str(s)[:40] for s in bad),
            known=", ".join(SCOPES),
        )
    if admin_code is not None and scope_of(conn=conn, admin_code=admin_code) is None:
        raise InvalidInput(
            f"No admin unit {admin_code!r}.", code="token.admin_unit", admin=str(admin_code)[:40]
        )
    secret = PREFIX + secrets.token_urlsafe(32)
    try:
        with conn.transaction():
            conn.execute(
                "INSERT INTO api_tokens (name, token_sha256, scopes, admin_code) "
                "VALUES (%(n)s, %(d)s, %(s)s, %(a)s)",
                {"n": name, "d": _digest(secret), "s": sorted(set(scopes)), "a": admin_code},
            )
    except psycopg.errors.UniqueViolation:
        raise Conflict(
            f"A token named {name!r} exists already.", code="token.exists", name=name[:40]
        ) from None
    except psycopg.errors.CheckViolation:
        raise InvalidInput(
            "A token name is 1-40 of a-z, 0-9, '_', '.', '-'.", code="token.name"
        ) from None
    return secret


def verify(*, conn: psycopg.Connection, secret: str | None) -> Token:
    """The live token for a bearer ``secret``.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    secret : str or None
        The bearer token of the request.

    Returns
    -------
    Token
        Its id, name, scopes and jurisdiction (ltree path; the city's when it names none).

    Raises
    ------
    Unauthorized
        No secret, an unknown or revoked one, or a jurisdiction that no longer exists.
    """
    if not secret:
        raise Unauthorized(
            "An API token is required (Authorization: Bearer ...).", code="token.required"
        )
    if not secret.startswith(PREFIX) or len(secret) > 100:
        raise Unauthorized("Unknown or revoked API token.", code="token.unknown")
    # one query per request: the token and its admin unit (the city's when it names none)
    row = conn.execute(
        "SELECT t.id, t.name, t.scopes, a.path::text FROM api_tokens t "
        "LEFT JOIN admin_units a ON a.code = t.admin_code "
        " OR (t.admin_code IS NULL AND a.level = 'city') "
        "WHERE t.token_sha256 = %(d)s AND t.revoked_at IS NULL",
        {"d": _digest(secret)},
    ).fetchone()
    if row is None:
        raise Unauthorized("Unknown or revoked API token.", code="token.unknown")
    if row[3] is None:
        raise Unauthorized(
            "This token's jurisdiction no longer exists.", code="token.no_jurisdiction"
        )
    return Token(row[0], row[1], tuple(row[2]), row[3])


def revoke(*, conn: psycopg.Connection, name: str) -> None:
    """Revoke the live token named ``name``.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    name : str
        The token's name.

    Raises
    ------
    NotFound
        No live token of that name.
    """
    cur = conn.execute(
        "UPDATE api_tokens SET revoked_at = now() WHERE name = %(n)s AND revoked_at IS NULL",
        {"n": name},
    )
    if cur.rowcount == 0:
        raise NotFound(f"No live token named {name!r}.", code="token.not_found", name=name[:40])


def listing(
    *, conn: psycopg.Connection
) -> list[tuple[str, list[str], dt.datetime, dt.datetime | None]]:
    """(name, scopes, created, revoked) of every token.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).

    Returns
    -------
    list of tuple
        ``(name, scopes, created_at, revoked_at)`` by name; the times timezone-aware,
        ``revoked_at`` None for a live token.
    """
    rows = conn.execute(
        "SELECT name, scopes, created_at, revoked_at FROM api_tokens ORDER BY name"
    ).fetchall()
    return [(r[0], list(r[1]), r[2], r[3]) for r in rows]
