"""Errors of the domain core. Each carries a message that is safe to show to a user: in
English (``user_message``), and, where the raise names one, a ``code`` with its ``params``
that the console renders in the user's language (``console.i18n``, keys ``err.<code>``)."""

from __future__ import annotations

from typing import Any


class GeoError(Exception):
    """Base class: ``user_message`` is safe to show; ``status`` is the HTTP status it maps to."""

    status = 400

    def __init__(
        self, user_message: str, *, detail: str | None = None, code: str | None = None,
        **params: Any,
    ) -> None:  # fmt: skip
        super().__init__(user_message)
        self.user_message = user_message
        self.detail = detail
        self.code = code
        self.params = params


class InvalidInput(GeoError):
    """Input that can never be right: wrong type, out of range, unknown enum value."""


class InvalidGeometry(InvalidInput):
    """A geometry that is invalid, outside its parent, or overlaps its neighbours."""


class OutsideJurisdiction(InvalidInput):
    """Coordinates outside the area this system covers (or with latitude/longitude swapped)."""


class NotFound(GeoError):
    """The object named does not exist (or is not visible to the actor)."""

    status = 404


class Conflict(GeoError):
    """The action clashes with the current state (for example, a unit already dispatched)."""

    status = 409


class DatabaseUnavailable(GeoError):
    """The database cannot be reached or started."""

    status = 503


class Unauthorized(GeoError):
    """No credentials, or credentials that are unknown or revoked."""

    status = 401


class Forbidden(GeoError):
    """Known credentials that may not do this."""

    status = 403
