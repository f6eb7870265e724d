"""Incident photos: JPEG, PNG or WebP only, recognised by their magic bytes, stored in PostGIS.

The content type is always taken from the bytes, never from the client (a file name or a
``data:`` URL's media type says nothing). Each upload is written to ``incident_events``
(action ``photo``) and announced on the ``incidents`` channel.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import re

import psycopg

from geo.errors import InvalidInput, NotFound

log = logging.getLogger(__name__)

CONTENT_TYPES = ("image/jpeg", "image/png", "image/webp")
_DATA_URL = re.compile(r"^data:([a-z0-9.+/-]{0,100})((?:;[a-z0-9=.+-]{1,100}){0,4});base64,", re.I)


def sniff(data: bytes) -> str | None:
    """The image type of ``data`` from its magic bytes: ``image/jpeg``, ``image/png``,
    ``image/webp``, or None for anything else.

    Parameters
    ----------
    data : bytes
        The file's bytes (only the first 12 are looked at).

    Returns
    -------
    str or None
        The content type, or None when it is not a JPEG, PNG or WebP file.
    """
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _limit_text(max_bytes: int) -> str:
    if max_bytes >= 1024 * 1024 and max_bytes % (1024 * 1024) == 0:
        return f"{max_bytes // (1024 * 1024)} MB"
    if max_bytes >= 1024:
        return f"{max_bytes / 1024:g} KB"
    return f"{max_bytes} bytes"


def _check_size(n: int, max_bytes: int) -> None:
    if n <= 0:
        raise InvalidInput("The photo is empty.", code="photo.empty")
    if n > max_bytes:
        raise InvalidInput(
            f"The photo is too large: the limit is {_limit_text(max_bytes)}.",
            code="photo.too_large",
            limit=_limit_text(max_bytes),
        )


def decode_data_url(s: str, max_bytes: int) -> bytes:
    """The bytes of a ``data:<type>;base64,<payload>`` URL (as ``dcc.Upload`` gives them).

    The size is checked from the payload's length before it is decoded; the declared media
    type is ignored (:func:`save` reads the type from the bytes).

    Parameters
    ----------
    s : str
        The data URL.
    max_bytes : int
        Largest decoded size accepted, in bytes.

    Returns
    -------
    bytes
        The decoded payload.

    Raises
    ------
    InvalidInput
        Not a base64 data URL, bad base64, empty, or larger than ``max_bytes``.
    """
    if not isinstance(s, str):
        raise InvalidInput("The upload is not a data URL.", code="photo.not_data_url")
    m = _DATA_URL.match(s[:512])
    if m is None:
        raise InvalidInput("The upload is not a base64 data URL.", code="photo.not_base64_url")
    payload = s[m.end() :]
    # 4 characters carry 3 bytes; padding takes at most 2 off the last group.
    if len(payload) // 4 * 3 - 2 > max_bytes:
        raise InvalidInput(
            f"The photo is too large: the limit is {_limit_text(max_bytes)}.",
            code="photo.too_large",
            limit=_limit_text(max_bytes),
        )
    if len(payload) % 4:
        raise InvalidInput("The upload is not valid base64.", code="photo.bad_base64")
    try:  # validate: only the base64 alphabet, padding at the end
        data = base64.b64decode(payload.encode("ascii", errors="replace"), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("The upload is not valid base64.", code="photo.bad_base64") from exc
    _check_size(len(data), max_bytes)
    return data


def save(*, conn: psycopg.Connection, incident_id: int, data: bytes, max_bytes: int) -> int:
    """Store a photo of an incident; return its id.

    Parameters
    ----------
    conn
        Connection inside a transaction opened for the acting user (written as the uploader).
    incident_id
        The case the photo belongs to.
    data
        The file's bytes: JPEG, PNG or WebP.
    max_bytes
        Largest size accepted, in bytes.

    Returns
    -------
    int
        The new photo's id.

    Raises
    ------
    InvalidInput
        Empty, too large, or not a JPEG/PNG/WebP file.
    NotFound
        No such incident.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InvalidInput("The photo must be bytes.", code="photo.not_bytes")
    data = bytes(data)
    _check_size(len(data), max_bytes)
    content_type = sniff(data)
    if content_type is None:
        raise InvalidInput("Only JPEG, PNG or WebP photos are accepted.", code="photo.type")
    found = conn.execute(
        "SELECT 1 FROM incidents WHERE id = %(i)s FOR KEY SHARE", {"i": incident_id}
    ).fetchone()
    if found is None:
        raise NotFound(
            f"Incident {incident_id} does not exist.", code="incident.not_found", id=incident_id
        )
    digest = hashlib.sha256(data).hexdigest()
    row = conn.execute(
        "INSERT INTO incident_photos (incident_id, content_type, data, sha256, bytes) "
        "VALUES (%(i)s, %(t)s, %(d)s, %(h)s, %(n)s) RETURNING id",
        {"i": incident_id, "t": content_type, "d": data, "h": digest, "n": len(data)},
    ).fetchone()
    assert row is not None
    photo_id = int(row[0])
    conn.execute(
        "INSERT INTO incident_events (incident_id, action, before, after) "
        "VALUES (%(i)s, 'photo', NULL, %(a)s)",
        {
            "i": incident_id,
            "a": json.dumps(
                {
                    "photo": photo_id,
                    "content_type": content_type,
                    "bytes": len(data),
                    "sha256": digest,
                }
            ),
        },
    )
    conn.execute(
        "SELECT pg_notify('incidents', %(p)s)",
        {"p": json.dumps({"id": incident_id, "action": "photo"})},
    )
    log.info(
        "photo %s (%s, %d bytes) for incident %s", photo_id, content_type, len(data), incident_id
    )
    return photo_id


def load(*, conn: psycopg.Connection, photo_id: int) -> tuple[str, bytes]:
    """A stored photo as ``(content_type, bytes)``.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    photo_id : int
        Id of the photo.

    Returns
    -------
    tuple of (str, bytes)
        The content type (``image/jpeg``, ``image/png`` or ``image/webp``) and the file.

    Raises
    ------
    NotFound
        No such photo.
    """
    row = conn.execute(
        "SELECT content_type, data FROM incident_photos WHERE id = %(i)s", {"i": photo_id}
    ).fetchone()
    if row is None:
        raise NotFound(f"Photo {photo_id} does not exist.", code="photo.not_found", id=photo_id)
    return str(row[0]), bytes(row[1])


def ref(photo_id: int) -> str:
    """The path a stored photo is served at (what a case keeps as its resolution photo).

    Parameters
    ----------
    photo_id : int
        Id of the photo.

    Returns
    -------
    str
        ``/api/photos/<id>``, relative to the console's address.
    """
    return f"/api/photos/{int(photo_id)}"


def photo_ids(*, conn: psycopg.Connection, incident_id: int) -> list[int]:
    """Ids of the photos of a case, oldest first.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    incident_id : int
        Id of the incident.

    Returns
    -------
    list of int
        Photo ids by upload time.
    """
    return [
        int(r[0])
        for r in conn.execute(
            "SELECT id FROM incident_photos WHERE incident_id = %(i)s ORDER BY uploaded_at, id",
            {"i": incident_id},
        )
    ]
