"""Incident categories: pick lists and the 三事 class a category's cases get."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg.rows import class_row


@dataclass(frozen=True)
class Category:
    code: str
    name_zh: str
    name_en: str
    domain: str
    default_class: str


def categories(*, conn: psycopg.Connection) -> list[Category]:
    """Incident categories for pick lists.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).

    Returns
    -------
    list of Category
        Every category (code, Chinese and English names, domain, default 三事 class),
        ordered by code.
    """
    with conn.cursor(row_factory=class_row(Category)) as cur:
        return cur.execute(
            "SELECT code, name_zh, name_en, domain, default_class FROM categories ORDER BY code"
        ).fetchall()


def default_class(*, conn: psycopg.Connection, category: str) -> str | None:
    """The 三事 class a category's cases get unless the operator says otherwise.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    category : str
        Category code.

    Returns
    -------
    str or None
        The category's default class, or None when the category is unknown.
    """
    row = conn.execute(
        "SELECT default_class FROM categories WHERE code = %(c)s", {"c": category}
    ).fetchone()
    return None if row is None else str(row[0])
