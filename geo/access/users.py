"""Users, sign-in and sessions: argon2id password hashes, a lockout after repeated failures,
an idle lock, and an optional TOTP second factor (RFC 6238).

Only hashes are stored: the password's argon2id hash, the session cookie's SHA-256. Every
sign-in, failure, lockout and sign-out is written to the audit log.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import json
import secrets
import struct
from dataclasses import dataclass

import psycopg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from geo.access.principals import ROLES, Principal, scope_of
from geo.errors import Conflict, InvalidInput, NotFound, Unauthorized

MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=10)
MIN_PASSWORD = 10
_TOUCH_S = 30  # last_seen is written at most this often per session

_hasher = PasswordHasher()  # argon2id with the library's current defaults


@functools.cache
def _dummy() -> str:
    """A hash to verify against when the user does not exist, so both take the same time."""
    return _hasher.hash(secrets.token_hex(16))


@dataclass(frozen=True)
class SignIn:
    session: str  # the cookie's value: returned once, only its SHA-256 is kept
    principal: Principal


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _audit(conn: psycopg.Connection, user: str, action: str, after: dict | None = None) -> None:
    conn.execute(
        "INSERT INTO audit_log (entity, entity_id, action, after) "
        "VALUES ('user', %(u)s, %(a)s, %(x)s::jsonb)",
        {"u": user, "a": action, "x": json.dumps(after) if after else None},
    )


# ---------------------------------------------------------------------- TOTP (RFC 6238)
def totp(secret_b32: str, at: float, *, step: int = 30, digits: int = 6) -> str:
    """The TOTP code of ``secret_b32`` (base32) at unix time ``at`` (HMAC-SHA1).

    Parameters
    ----------
    secret_b32 : str
        The shared secret, base32-encoded.
    at : float
        Unix time in seconds.
    step : int
        Length of a time step in seconds.
    digits : int
        Number of digits of the code.

    Returns
    -------
    str
        The code, zero-padded to ``digits`` digits.
    """
    key = base64.b32decode(secret_b32)
    mac = hmac.new(key, struct.pack(">Q", int(at // step)), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    code = struct.unpack(">I", mac[off : off + 4])[0] & 0x7FFFFFFF
    return str(code % 10**digits).zfill(digits)


def totp_ok(secret_b32: str, code: str, at: float) -> bool:
    """Whether ``code`` is the TOTP of the step at ``at`` or of one step either side.

    Parameters
    ----------
    secret_b32 : str
        The user's shared secret, base32-encoded.
    code : str
        The code typed (6 digits).
    at : float
        Unix time in seconds; codes of the 30 s steps before and after are accepted too.

    Returns
    -------
    bool
        True when the code matches.
    """
    return any(hmac.compare_digest(totp(secret_b32, at + d * 30), code) for d in (-1, 0, 1))


def new_totp_secret() -> str:
    """A new random TOTP secret (160 bits) to enrol an authenticator app.

    Returns
    -------
    str
        The secret, base32-encoded.
    """
    return base64.b32encode(secrets.token_bytes(20)).decode()


# ---------------------------------------------------------------------- users
def create_user(
    *,
    conn: psycopg.Connection,
    username: str,
    password: str,
    role: str,
    admin_code: str,
    display_name: str = "",
    with_totp: bool = False,
) -> str | None:
    """A new user of ``role`` at the admin-tree node ``admin_code``; returns the TOTP secret
    (to enrol an authenticator app) when ``with_totp``.

    The creation is written to the audit log.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    username : str
        The sign-in name (2-40 of a-z, 0-9, '_', '.', '-').
    password : str
        The initial password (``MIN_PASSWORD`` to 200 characters); only its argon2id hash is
        stored.
    role : str
        One of ``ROLES``.
    admin_code : str
        Code of the admin unit (city, district, street or community) of the jurisdiction.
    display_name : str
        The name shown in the console.
    with_totp : bool
        Whether to require a TOTP second factor.

    Returns
    -------
    str or None
        The base32 TOTP secret when ``with_totp``, else None.

    Raises
    ------
    InvalidInput
        Unknown role, a password of the wrong length, no such admin unit, or a bad user name.
    Conflict
        A user of that name exists already.
    """
    if role not in ROLES:
        raise InvalidInput(
            f"Unknown role {role!r}; roles: {', '.join(ROLES)}.",
            code="user.role",
            value=str(role)[:40],
            roles=", ".join(ROLES),
        )
    if len(password) < MIN_PASSWORD or len(password) > 200:
        raise InvalidInput(
            f"A password has {MIN_PASSWORD} to 200 characters.",
            code="user.password",
            min=MIN_PASSWORD,
        )
    if scope_of(conn=conn, admin_code=admin_code) is None:
        raise InvalidInput(
            f"No admin unit {admin_code!r} (city, district, street or community).",
            code="user.admin_unit",
            admin=str(admin_code)[:40],
        )
    secret = new_totp_secret() if with_totp else None
    try:
        with conn.transaction():
            conn.execute(
                "INSERT INTO users (username, display_name, role, admin_code, password_hash, "
                "totp_secret) VALUES (%(u)s, %(d)s, %(r)s, %(c)s, %(h)s, %(t)s)",
                {
                    "u": username,
                    "d": display_name,
                    "r": role,
                    "c": admin_code,
                    "h": _hasher.hash(password),
                    "t": secret,
                },
            )
            _audit(conn, username, "create", {"role": role, "admin_code": admin_code})
    except psycopg.errors.UniqueViolation:
        raise Conflict(
            f"A user named {username!r} exists already.", code="user.exists", name=username[:40]
        ) from None
    except psycopg.errors.CheckViolation:
        raise InvalidInput(
            "A user name is 2-40 of a-z, 0-9, '_', '.', '-'.", code="user.name"
        ) from None
    return secret


def has_users(*, conn: psycopg.Connection) -> bool:
    """Whether anybody can sign in yet.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).

    Returns
    -------
    bool
        True when at least one user exists.
    """
    return conn.execute("SELECT EXISTS (SELECT 1 FROM users)").fetchone() == (True,)


def set_password(*, conn: psycopg.Connection, username: str, password: str) -> None:
    """Set a user's password, clear its failure count and lockout, and audit the change.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    username : str
        The user whose password changes.
    password : str
        The new password (``MIN_PASSWORD`` to 200 characters).

    Raises
    ------
    InvalidInput
        A password of the wrong length.
    NotFound
        No user ``username``.
    """
    if len(password) < MIN_PASSWORD or len(password) > 200:
        raise InvalidInput(
            f"A password has {MIN_PASSWORD} to 200 characters.",
            code="user.password",
            min=MIN_PASSWORD,
        )
    with conn.transaction():
        cur = conn.execute(
            "UPDATE users SET password_hash = %(h)s, failed_logins = 0, locked_until = NULL "
            "WHERE username = %(u)s",
            {"h": _hasher.hash(password), "u": username},
        )
        if cur.rowcount == 0:
            raise NotFound(f"No user {username!r}.", code="user.not_found", name=username[:40])
        _audit(conn, username, "set_password")


def listing(*, conn: psycopg.Connection) -> list[dict[str, object]]:
    """Every user, without secrets.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).

    Returns
    -------
    list of dict
        One row per user, by user name: ``username``, ``display_name``, ``role``,
        ``admin_code``, ``totp`` (whether a second factor is set), ``disabled``,
        ``locked_until`` and ``created_at``.
    """
    cur = conn.execute(
        "SELECT username, display_name, role, admin_code, totp_secret IS NOT NULL AS totp, "
        "disabled, locked_until, created_at FROM users ORDER BY username"
    )
    cols = [c.name for c in cur.description or ()]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


# ---------------------------------------------------------------------- sign-in
def sign_in(
    *,
    conn: psycopg.Connection,
    username: str,
    password: str,
    code: str | None = None,
    now: dt.datetime | None = None,
    actor: str = "signin",
) -> SignIn:
    """Check the password (and TOTP code when the user has one) and open a session.

    After ``MAX_FAILURES`` failures in a row the account is locked for ``LOCKOUT``; while
    locked even the right password is refused. The message never says which part was wrong.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    username : str
        The user name typed.
    password : str
        The password typed.
    code : str or None
        The TOTP code typed, needed when the user has a second factor.
    now : datetime or None
        The time of the attempt (timezone-aware); None: now (UTC).
    actor : str
        The actor named in the audit log for this transaction.

    Returns
    -------
    SignIn
        The session secret (the cookie's value, returned once) and the user's principal.

    Raises
    ------
    Unauthorized
        Wrong name, password or code; account disabled or locked; jurisdiction gone.
    """
    now = now or dt.datetime.now(dt.UTC)
    bad = Unauthorized("Wrong user name, password or code.")
    if not username or len(username) > 40 or len(password) > 200:
        raise bad
    # the failure count and the lockout must be committed even though the answer is an error
    refusal: Unauthorized | None = None
    signed: SignIn | None = None
    with conn.transaction():
        conn.execute("SELECT set_config('app.actor', %(a)s, true)", {"a": actor[:100]})
        row = conn.execute(
            "SELECT id, password_hash, totp_secret, failed_logins, locked_until, disabled, "
            "role, admin_code, display_name FROM users WHERE username = %(u)s FOR UPDATE",
            {"u": username},
        ).fetchone()
        if row is None:
            _verify(_dummy(), password)
            _audit(conn, username, "sign_in_failed_unknown_user")
            refusal = bad
        else:
            refusal = _check(conn, row, username, password, code, now, bad)
        if refusal is None:
            assert row is not None
            uid, hashed, _, _, _, _, role, admin_code, name = row
            place = conn.execute(
                "SELECT path::text, name FROM admin_units WHERE code = %(c)s", {"c": admin_code}
            ).fetchone()
            if place is None:
                raise Unauthorized(
                    "Your jurisdiction no longer exists; ask an administrator.",
                    code="user.no_jurisdiction",
                )
            if _hasher.check_needs_rehash(hashed):
                conn.execute(
                    "UPDATE users SET password_hash = %(h)s WHERE id = %(i)s",
                    {"h": _hasher.hash(password), "i": uid},
                )
            conn.execute(
                "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = %(i)s",
                {"i": uid},
            )
            secret = secrets.token_urlsafe(32)
            conn.execute(
                "INSERT INTO sessions (id_sha256, user_id, created_at, last_seen) "
                "VALUES (%(d)s, %(u)s, %(n)s, %(n)s)",
                {"d": _digest(secret), "u": uid, "n": now},
            )
            _audit(conn, username, "sign_in")
            who = _principal(username, role, place[0], admin_code, name, place[1])
            signed = SignIn(secret, who)
    if refusal is not None or signed is None:
        raise refusal or bad
    return signed


def _check(
    conn: psycopg.Connection,
    row: tuple,
    username: str,
    password: str,
    code: str | None,
    now: dt.datetime,
    bad: Unauthorized,
) -> Unauthorized | None:
    """None when the password (and code) are right; else the refusal, with the failure
    counted and the account locked at the fifth."""
    uid, hashed, totp_secret, failures, locked_until, disabled = row[:6]
    if disabled:
        return Unauthorized("This account is disabled.")
    if locked_until is not None and locked_until > now:
        left = int((locked_until - now).total_seconds() // 60) + 1
        _audit(conn, username, "sign_in_refused_locked")
        return Unauthorized(f"Too many failed sign-ins: locked for {left} more minute(s).")
    ok = _verify(hashed, password)
    if ok and totp_secret:
        ok = bool(code) and totp_ok(totp_secret, (code or "").strip(), now.timestamp())
    if ok:
        return None
    failures += 1
    locked = failures >= MAX_FAILURES
    conn.execute(
        "UPDATE users SET failed_logins = %(f)s, locked_until = %(l)s WHERE id = %(i)s",
        {"f": 0 if locked else failures, "l": now + LOCKOUT if locked else None, "i": uid},
    )
    _audit(conn, username, "locked" if locked else "sign_in_failed")
    if locked:
        return Unauthorized(
            f"Too many failed sign-ins: locked for {LOCKOUT.seconds // 60} minutes."
        )
    return bad


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def _principal(
    username: str, role: str, scope: str, admin_code: str, name: str, area: str
) -> Principal:
    return Principal(
        actor=f"user:{username}",
        role=role,
        scope=scope,
        admin_code=admin_code,
        name=name,
        area=area,
    )


def session(
    *,
    conn: psycopg.Connection,
    secret: str | None,
    idle: dt.timedelta,
    now: dt.datetime | None = None,
    touch: bool = True,
) -> Principal:
    """The principal of a session cookie. A session idle for longer than ``idle`` is ended
    (the console is locked: sign in again); ``touch``: this request is the person's doing,
    so the session is not idle (timers ask with ``touch=False``).

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    secret : str or None
        The session cookie's value.
    idle : datetime.timedelta
        The longest idle time before the session is ended.
    now : datetime or None
        The time of the request (timezone-aware); None: now (UTC).
    touch : bool
        Whether to record this request as activity (``last_seen``, at most every 30 s).

    Returns
    -------
    Principal
        The signed-in user: actor, role, jurisdiction (ltree path) and admin unit.

    Raises
    ------
    Unauthorized
        No, unknown or ended session; a disabled account; a session idle too long.
    """
    if not secret or len(secret) > 100:
        raise Unauthorized("Please sign in.", code="session.sign_in")
    now = now or dt.datetime.now(dt.UTC)
    digest = _digest(secret)
    row = conn.execute(
        "SELECT s.last_seen, s.ended_at, u.username, u.role, u.admin_code, u.display_name, "
        "u.disabled, a.path::text, a.name FROM sessions s JOIN users u ON u.id = s.user_id "
        "LEFT JOIN admin_units a ON a.code = u.admin_code WHERE s.id_sha256 = %(d)s",
        {"d": digest},
    ).fetchone()
    if row is None or row[1] is not None:
        raise Unauthorized("Please sign in.", code="session.sign_in")
    last_seen, _, username, role, admin_code, name, disabled, scope, area = row
    if disabled or scope is None:
        _end(conn, digest, "disabled")
        raise Unauthorized("This account is disabled.", code="session.disabled")
    if now - last_seen > idle:
        _end(conn, digest, "idle")
        minutes = int(idle.total_seconds() // 60)
        raise Unauthorized(
            f"Locked after {minutes} idle minutes: please sign in again.",
            code="session.idle",
            minutes=minutes,
        )
    if touch and (now - last_seen).total_seconds() > _TOUCH_S:
        conn.execute(
            "UPDATE sessions SET last_seen = %(n)s WHERE id_sha256 = %(d)s",
            {"n": now, "d": digest},
        )
    return _principal(username, role, scope, admin_code, name, area)


def _end(conn: psycopg.Connection, digest: str, reason: str) -> None:
    conn.execute(
        "UPDATE sessions SET ended_at = now(), end_reason = %(r)s "
        "WHERE id_sha256 = %(d)s AND ended_at IS NULL",
        {"r": reason, "d": digest},
    )


def sign_out(*, conn: psycopg.Connection, secret: str | None) -> None:
    """End the session of a cookie (nothing happens for an unknown or missing one).

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    secret : str or None
        The session cookie's value.
    """
    if secret and len(secret) <= 100:
        _end(conn, _digest(secret), "signed_out")
