"""The access log keeps no secrets: an Open311 client may send its ``api_key`` in the query
string (the GeoReport spec allows it), and uvicorn logs every request's path with its query.
The key is replaced by ``***`` before the line is written."""

from __future__ import annotations

import logging
import re

SECRET_PARAMS = re.compile(r"((?:^|[?&])(?:api_key|access_token|token)=)[^&#\s]*", re.I)


def redact(path: str) -> str:
    """``path`` with the values of secret query parameters replaced by ``***``."""
    return SECRET_PARAMS.sub(r"\1***", path)


class Redact(logging.Filter):
    """On uvicorn's access logger: the path (the third argument) without secrets."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact(args[2]), *args[3:])
        return True


def install() -> None:
    """Redact uvicorn's access log in this process (once)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, Redact) for f in access.filters):
        access.addFilter(Redact())
