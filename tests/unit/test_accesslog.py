"""The access log never holds an API key sent in the query string (Open311 allows that)."""

from __future__ import annotations

import logging

from console.server import accesslog


def _line(path: str) -> str:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                               '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", path, "1.1", 200), None)  # fmt: skip
    assert accesslog.Redact().filter(record)
    return record.getMessage()


def test_keys_in_the_query_are_not_logged() -> None:
    line = _line("/open311/v2/requests.json?api_key=s3cr3t-KEY&status=open")
    assert "s3cr3t" not in line and "api_key=***&status=open" in line
    assert "TOK" not in _line("/x?Token=TOK") and "AT" not in _line("/x?a=1&access_token=AT#f")
    assert _line("/dispatch?lang=zh").endswith('"GET /dispatch?lang=zh HTTP/1.1" 200')


def test_the_console_installs_it_once() -> None:
    accesslog.install()
    accesslog.install()
    filters = logging.getLogger("uvicorn.access").filters
    assert sum(isinstance(f, accesslog.Redact) for f in filters) == 1
