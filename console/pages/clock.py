"""Times as people read them: every time the console shows is in one zone, ``GD_TZ``.

``show`` formats a time for a page, ``iso`` writes one for a file or an API (ISO 8601 with
its offset), ``now`` is the clock in the zone and ``local`` reads a wall-clock time typed
into a page. The zone is set once per process from the settings (``use``, called when the app
is built); until then it is the default, Asia/Shanghai. Nothing else in console/ converts a
time to a zone.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

DEFAULT = "Asia/Shanghai"
_zone = ZoneInfo(DEFAULT)


def use(tz: str) -> None:
    """Show every time in ``tz`` (an IANA name, checked by the settings) from now on."""
    global _zone
    _zone = ZoneInfo(tz)


def zone() -> ZoneInfo:
    """The display zone."""
    return _zone


def name() -> str:
    """The display zone's IANA name (what geo functions take as ``tz``)."""
    return _zone.key


def now() -> dt.datetime:
    """The current time in the display zone."""
    return dt.datetime.now(_zone)


def at(t: dt.datetime) -> dt.datetime:
    """``t`` in the display zone; a time without a zone is taken as UTC (the database's)."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.astimezone(_zone)


def show(t: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """``t`` for a page, in the display zone ('–' for no time)."""
    return "–" if t is None else at(t).strftime(fmt)


def iso(t: dt.datetime | None, timespec: str = "seconds") -> str | None:
    """``t`` for a file or an API: ISO 8601 in the display zone, with its offset
    (2026-11-22T10:00:00+08:00); None for no time."""
    return None if t is None else at(t).isoformat(timespec=timespec)


def local(text: str) -> dt.datetime:
    """A time typed into a page (ISO, as a ``datetime-local`` input sends it): a wall-clock
    time in the display zone unless it names its own offset. ``ValueError`` if it is not a
    time."""
    t = dt.datetime.fromisoformat(text)
    return t.replace(tzinfo=_zone) if t.tzinfo is None else t
