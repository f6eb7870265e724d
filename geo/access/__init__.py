"""Who may do what, in one place: principals and roles (``principals.py``), users, passwords,
TOTP and sessions (``users.py``), API tokens (``tokens.py``) and the audit trail reader
(``audit.py``). The database enforces the jurisdiction with row-level security; these
modules say who is acting and what their role allows. The console's sign-in middleware is
``console/server/auth.py``."""

from geo.access.principals import (
    PUBLIC,
    ROLES,
    SYSTEM,
    Principal,
    log_view,
    mask_phone,
    scope_of,
)

__all__ = ["PUBLIC", "ROLES", "SYSTEM", "Principal", "log_view", "mask_phone", "scope_of"]
