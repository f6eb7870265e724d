"""Incident photos: type from the magic bytes, size limits, audit, and the photo route."""

from __future__ import annotations

import base64
import hashlib
import struct
import zlib
from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient

from console import settings as settings_mod
from console.app import create_app
from console.server import errors, state
from geo import photos
from geo.db import connect, transaction
from geo.errors import InvalidInput, NotFound
from tests._auth import signed_in


def png_1x1() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    + b"\x00" * 64
    + b"\xff\xd9"
)
WEBP = b"RIFF" + struct.pack("<I", 30) + b"WEBPVP8 " + b"\x00" * 22
PNG = png_1x1()
TEXT = "这不是图片, just a text file renamed to photo.png\n".encode()


def an_incident(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT min(id) FROM incidents").fetchone()
    assert row is not None and row[0] is not None
    return int(row[0])


@pytest.mark.parametrize(
    "data,content_type", [(JPEG, "image/jpeg"), (PNG, "image/png"), (WEBP, "image/webp")]
)
def test_save_and_load(conn: psycopg.Connection, data: bytes, content_type: str) -> None:
    inc = an_incident(conn)
    with transaction(conn, "worker:zhang") as c:
        pid = photos.save(conn=c, incident_id=inc, data=data, max_bytes=1024)
    assert photos.load(conn=conn, photo_id=pid) == (content_type, data)
    row = conn.execute(
        "SELECT incident_id, sha256, bytes, actor FROM incident_photos WHERE id = %(i)s",
        {"i": pid},
    ).fetchone()
    assert row == (inc, hashlib.sha256(data).hexdigest(), len(data), "worker:zhang")
    ev = conn.execute(
        "SELECT actor, after FROM incident_events WHERE incident_id = %(i)s AND action = 'photo'",
        {"i": inc},
    ).fetchall()
    assert ev[-1][0] == "worker:zhang" and ev[-1][1]["photo"] == pid
    assert ev[-1][1]["content_type"] == content_type
    assert pid in photos.photo_ids(conn=conn, incident_id=inc)


@pytest.mark.parametrize(
    "data,match",
    [
        (TEXT, "JPEG, PNG or WebP"),
        (b"GIF89a" + b"\x00" * 20, "JPEG, PNG or WebP"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "JPEG, PNG or WebP"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "JPEG, PNG or WebP"),
        (b"\xff\xd8", "JPEG, PNG or WebP"),
        (b"", "empty"),
        (PNG + b"\x00" * 2048, "limit is 1 KB"),
    ],
)
def test_bad_photos_are_refused_and_nothing_written(
    conn: psycopg.Connection, data: bytes, match: str
) -> None:
    before = conn.execute("SELECT count(*) FROM incident_photos").fetchone()
    with pytest.raises(InvalidInput, match=match) as info, transaction(conn, "worker:x") as c:
        photos.save(conn=c, incident_id=an_incident(conn), data=data, max_bytes=1024)
    # The one place in console/ that maps errors says: 4xx with the safe message.
    status, message = errors.user_message(info.value)
    assert status == 400 and match in message
    assert conn.execute("SELECT count(*) FROM incident_photos").fetchone() == before


def test_missing_incident_and_photo(conn: psycopg.Connection) -> None:
    with pytest.raises(NotFound), transaction(conn, "worker:x") as c:
        photos.save(conn=c, incident_id=2**40, data=PNG, max_bytes=1024)
    with pytest.raises(NotFound):
        photos.load(conn=conn, photo_id=2**40)


@pytest.mark.parametrize(
    "sql", ["UPDATE incident_photos SET data = '\\x00'", "DELETE FROM incident_photos"]
)
def test_photos_are_append_only(conn: psycopg.Connection, sql: str) -> None:
    with transaction(conn, "worker:x") as c:
        photos.save(conn=c, incident_id=an_incident(conn), data=JPEG, max_bytes=1024)
    with pytest.raises(psycopg.Error), conn.transaction():
        conn.execute(sql)


def test_database_checks_the_row(conn: psycopg.Connection) -> None:
    inc = an_incident(conn)
    for ctype, size in (("text/html", len(PNG)), ("image/png", len(PNG) + 1)):
        with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
            conn.execute(
                "INSERT INTO incident_photos (incident_id, content_type, data, sha256, bytes) "
                "VALUES (%(i)s, %(t)s, %(d)s, repeat('0', 64), %(n)s)",
                {"i": inc, "t": ctype, "d": PNG, "n": size},
            )


# ------------------------------------------------------------------------ data URLs
def data_url(data: bytes, media: str = "image/png") -> str:
    return f"data:{media};base64," + base64.b64encode(data).decode()


def test_data_url_round_trip() -> None:
    assert photos.decode_data_url(data_url(PNG), 1024) == PNG
    assert photos.decode_data_url(data_url(JPEG, "application/octet-stream"), 1024) == JPEG
    assert photos.decode_data_url(data_url(WEBP, ""), 1024) == WEBP
    # The declared type is ignored: save() reads it from the bytes.
    assert photos.decode_data_url(data_url(TEXT, "image/png"), 1024) == TEXT


@pytest.mark.parametrize(
    "s,match",
    [
        ("", "data URL"),
        ("hello", "data URL"),
        ("data:image/png,rawdata", "data URL"),
        ("https://example.com/x.png", "data URL"),
        ("data:image/png;base64,abc", "base64"),
        ("data:image/png;base64,ab!d", "base64"),
        ("data:image/png;base64,a=bc", "base64"),
        ("data:image/png;base64,照片照片", "base64"),
        ("data:image/png;base64,", "empty"),
        (data_url(b"x" * 1025), "limit is 1 KB"),
    ],
)
def test_bad_data_urls(s: str, match: str) -> None:
    with pytest.raises(InvalidInput, match=match):
        photos.decode_data_url(s, 1024)


def test_huge_data_url_is_refused_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*_a: object, **_k: object) -> bytes:
        raise AssertionError("decoded a payload that is too large")

    monkeypatch.setattr(photos.base64, "b64decode", never)
    huge = "data:image/png;base64," + "A" * 8_000_000  # 6 MB once decoded
    with pytest.raises(InvalidInput, match="limit is 5 MB"):
        photos.decode_data_url(huge, 5 * 1024 * 1024)


def test_upload_path_refuses_a_renamed_text_file(conn: psycopg.Connection) -> None:
    data = photos.decode_data_url(data_url(TEXT, "image/png"), 1024)
    with pytest.raises(InvalidInput, match="JPEG, PNG or WebP"), transaction(conn, "op:x") as c:
        photos.save(conn=c, incident_id=an_incident(conn), data=data, max_bytes=1024)


# ------------------------------------------------------------------------ the route
@pytest.fixture(scope="module")
def client(db_conninfo: str) -> Iterator[TestClient]:
    state.close()
    cfg = settings_mod.replace(settings_mod.load(), database_url=db_conninfo, escalation_every_s=0)
    with TestClient(create_app(cfg).server) as c:
        yield signed_in(c, db_conninfo)
    state.close()


@pytest.fixture()
def stored_photo(db_conninfo: str) -> Iterator[int]:
    """A committed photo the route can see (removed afterwards: the table is append-only for
    rows, so the test empties it with TRUNCATE, which the test database allows)."""
    with connect(db_conninfo) as c:
        row = c.execute(
            "INSERT INTO incident_photos (incident_id, content_type, data, sha256, bytes) "
            "SELECT min(id), 'image/png', %(d)s, %(h)s, %(n)s FROM incidents RETURNING id",
            {"d": PNG, "h": hashlib.sha256(PNG).hexdigest(), "n": len(PNG)},
        ).fetchone()
        c.commit()
    assert row is not None
    try:
        yield int(row[0])
    finally:
        with connect(db_conninfo) as c:
            c.execute("TRUNCATE incident_photos")
            c.commit()


def test_photo_route(client: TestClient, stored_photo: int) -> None:
    r = client.get(f"/api/photos/{stored_photo}", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.content == PNG
    assert r.headers["content-type"] == "image/png"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "private, max-age=3600"
    assert "content-encoding" not in r.headers


@pytest.mark.parametrize(
    "path,status",
    [
        ("/api/photos/999999999", 404),
        ("/api/photos/0", 422),
        ("/api/photos/abc", 422),
        ("/api/photos/1.png", 422),
        ("/api/photos/99999999999999999999", 422),
    ],
)
def test_photo_route_errors(client: TestClient, path: str, status: int) -> None:
    r = client.get(path)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/json") and r.json()["error"]
