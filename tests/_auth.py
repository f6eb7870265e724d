"""Users and signed-in sessions for tests: an admin of the whole city unless told otherwise."""

from __future__ import annotations

from typing import Any

import psycopg

from geo.access import users as auth
from geo.db import connect

PASSWORD = "test-password-1"  # noqa: S105 - the test database's users only


def ensure_user(conninfo: str, username: str, role: str = "admin", admin_code: str | None = None,
                with_totp: bool = False) -> str | None:  # fmt: skip
    """Create ``username`` (once) at ``admin_code`` (default: the city); its TOTP secret."""
    with connect(conninfo) as c:
        row = c.execute(
            "SELECT totp_secret FROM users WHERE username = %(u)s", {"u": username}
        ).fetchone()
        if row is not None:
            return row[0]
        code = admin_code
        if code is None:
            city = c.execute("SELECT code FROM admin_units WHERE level = 'city'").fetchone()
            assert city is not None
            code = city[0]
        secret = auth.create_user(conn=c, username=username, password=PASSWORD, role=role,
                                  admin_code=code, with_totp=with_totp)  # fmt: skip
        c.commit()
    return secret


def session_for(conninfo: str, username: str = "admin", role: str = "admin",
                admin_code: str | None = None) -> str:  # fmt: skip
    """A fresh session cookie value of ``username`` (created when missing)."""
    ensure_user(conninfo, username, role, admin_code)
    with psycopg.connect(conninfo) as c:
        return auth.sign_in(conn=c, username=username, password=PASSWORD).session


def signed_in(client: Any, conninfo: str, username: str = "admin", role: str = "admin",
              admin_code: str | None = None) -> Any:  # fmt: skip
    """``client`` (a Starlette TestClient) with the session cookie of ``username``."""
    from console.server.auth import COOKIE

    client.cookies.set(COOKIE, session_for(conninfo, username, role, admin_code))
    return client
