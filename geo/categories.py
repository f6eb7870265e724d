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
    default_priority: str = "blue"
    line: str = "12345"  # the emergency line: 110, 119, 120, 122, or 12345 (the hotline)


def categories(*, conn: psycopg.Connection) -> list[Category]:
    """Incident categories for pick lists.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).

    Returns
    -------
    list of Category
        Every category (code, Chinese and English names, domain, default 三事 class, default
        priority, emergency line), the emergency lines' first (110, 119, 120, 122), then by
        code.
    """
    with conn.cursor(row_factory=class_row(Category)) as cur:
        return cur.execute(
            "SELECT code, name_zh, name_en, domain, default_class, default_priority, line "
            "FROM categories ORDER BY line = '12345', line, code"
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


def default_priority(*, conn: psycopg.Connection, category: str) -> str:
    """The priority a category's new cases get unless the operator says otherwise (a fire or
    a crime in progress: red).

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    category : str
        Category code.

    Returns
    -------
    str
        The category's default priority; "blue" when the category is unknown (the intake then
        refuses the category itself).
    """
    row = conn.execute(
        "SELECT default_priority FROM categories WHERE code = %(c)s", {"c": category}
    ).fetchone()
    return "blue" if row is None else str(row[0])
