"""Errors of the data package (importers and exporters). Each carries a safe user message."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import NamedTuple

from geo.errors import InvalidInput

MAX_PROBLEMS = 50  # problems collected per import before giving up


class Problem(NamedTuple):
    """One thing wrong with an input file: ``(file, row, column, message)``.

    ``row`` is the 1-based feature number (vector files) or, for CSV, the line number in the
    file with the header as line 1; None for a problem of the whole file. ``column`` is our
    column name (after mapping), or None (whole row, geometry, coordinates).
    """

    file: str
    row: int | None
    column: str | None
    message: str

    def text(self, *, line: bool = False) -> str:
        """``grids.geojson row 12, column type: message`` (``line 12`` for CSV files)."""
        where = self.file
        if self.row is not None:
            where += f" {'line' if line else 'row'} {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"

    def __str__(self) -> str:
        return self.text()


class ImportRejected(InvalidInput):
    """A file was refused and nothing was written.

    ``problems`` lists every problem found (up to :data:`MAX_PROBLEMS`), ``more`` counts
    those left out; ``line_files`` names the files (CSV) whose rows are line numbers.
    """

    def __init__(
        self, problems: Sequence[Problem], *, more: int = 0, line_files: Collection[str] = ()
    ) -> None:
        self.problems: list[Problem] = list(problems)
        self.more = more
        self.line_files = frozenset(line_files)
        files = sorted({p.file for p in self.problems})
        n = len(self.problems) + more
        head = f"Import refused: {n} problem{'s' if n != 1 else ''} in {', '.join(files)}"
        if self.line_files & set(files):
            head += " (CSV line numbers count the header as line 1)"
        lines = [p.text(line=p.file in self.line_files) for p in self.problems]
        if more:
            lines.append(f"... and {more} more")
        super().__init__(head + ":\n" + "\n".join(lines))

    def __str__(self) -> str:
        return self.user_message


class UnsupportedFormat(InvalidInput):
    """A file whose format (suffix) the importer or exporter does not handle."""
