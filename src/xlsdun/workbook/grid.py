"""A sheet's rows as calamine gives them, a few thousand at a time (`Grid`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import cast

from python_calamine import CalamineWorkbook

from .cellerrors import ErrorCells
from .coerce import to_text
from .columns import MAX_HEADER
from .opening import WorkbookReadError
from .series import NA_SPELLINGS

_CHUNK = 4096  # rows converted at a time
_CHUNK_CELLS = 1 << 16  # ... fewer on a wide sheet: about this many cells at a time


def chunk_rows(width: int) -> int:
    """Rows converted at a time on a sheet `width` columns wide."""
    return min(_CHUNK, max(64, _CHUNK_CELLS // max(width, 1)))


class Grid:
    """A sheet's rows as calamine yields them, a few thousand at a time.

    The rows are never all Python lists at once: at 200,000 rows that list of lists cost
    more memory than the rest of the run together. calamine's rows start at row 1 but at
    the first used column, so the header rows are padded to absolute column positions and a
    body cell is taken at `column - first_column`.
    """

    def __init__(self, book: CalamineWorkbook, path: Path, name: str) -> None:
        self.path, self.name = path, name
        try:
            sheet = book.get_sheet_by_name(name)
        except Exception as exc:
            raise self.error(exc) from None
        self.first_column = sheet.start[1] if sheet.start else 0
        self.rows_expected: int | None = sheet.end[0] + 1 if sheet.end else 0
        # the last row and column (1-based) holding a value: what the writer must be able to keep
        self.extent = (sheet.end[0] + 1, sheet.end[1] + 1) if sheet.end else (0, 0)
        self.chunk = chunk_rows(sheet.width)
        # calamine's rows, whose cells (numbers, text, dates) are handled as plain objects here
        self._rows = cast(Iterator[list[object]], sheet.iter_rows())
        self._head: list[list[object]] = []
        self._errors: dict[int, list[tuple[int, str]]] = {}
        self.count = 0

    @classmethod
    def of_rows(cls, rows: Iterator[list[object]], path: Path, name: str, width: int) -> Grid:
        """A grid over rows read elsewhere (a CSV file, textfile.py): from column A, as many
        as the file has (counted as they come, so not checked against a number)."""
        grid = cls.__new__(cls)
        grid.path, grid.name = path, name
        grid.first_column, grid.rows_expected, grid.extent = 0, None, (0, width)
        grid.chunk = chunk_rows(width)
        grid._rows, grid._head, grid._errors, grid.count = rows, [], {}, 0
        return grid

    def error(self, exc: BaseException) -> WorkbookReadError:
        return WorkbookReadError(
            f"{self.path}, sheet '{self.name}': cannot be read ({type(exc).__name__}: {exc})."
        )

    def head(self, n: int) -> list[list[object]]:
        """The first n rows at absolute column positions, with pandas' NA spellings ("",
        "N/A", "NULL", ...) read as None, as `read_excel` reads them."""
        self._head = self._take(n)
        pad: list[object] = [None] * self.first_column
        return [pad + [None if c in NA_SPELLINGS else c for c in row] for row in self._head]

    def texts_above(self, index: int) -> set[str]:
        """The text of the cells above the header row (0-based `index`): a report's title and
        parameters, which a report exported page by page repeats below (accounting.py). A
        cell is cut to a header's length first: a huge one costs no more."""
        cells = (c[:MAX_HEADER] if c.__class__ is str else c for r in self._head[:index] for c in r)
        return {t for t in map(to_text, cells) if t}

    def put_back(self, errors: ErrorCells, columns: Iterable[int]) -> None:
        """Have `chunks` give the Excel error values (cellerrors.py) in `columns` (0-based)
        as their text ("#DIV/0!"), where calamine gives an empty cell."""
        wanted = set(columns)
        for row, cells in errors.items():
            found = [(c - self.first_column, code) for c, code in cells.items() if c in wanted]
            if found:
                self._errors[row] = found

    def chunks(self, start: int) -> Iterator[tuple[int, list[list[object]]]]:
        """(0-based index of the first row, the rows as calamine gives them, with the error
        values `put_back`) from `start` on."""
        head, self._head = self._head, []
        if start < len(head):
            yield start, self._with_errors(start, head[start:])
        while rows := self._take(self.chunk):
            first = self.count - len(rows)
            if first + len(rows) > start:
                first, rows = max(first, start), rows[max(start - first, 0) :]
                yield first, self._with_errors(first, rows)
        if self.rows_expected is not None and self.count != self.rows_expected:  # calamine's layout
            raise self.error(RuntimeError("calamine returned the rows in an unexpected layout"))

    def _with_errors(self, first: int, rows: list[list[object]]) -> list[list[object]]:
        """`rows` (from 0-based index `first`) with the error values in their cells: a loop
        over the errors, none over the rows."""
        for number, cells in self._errors.items():
            if first < number <= first + len(rows):
                row = rows[number - 1 - first]
                for column, code in cells:
                    if 0 <= column < len(row) and row[column] in ("", None):
                        row[column] = code
        return rows

    def _take(self, n: int) -> list[list[object]]:
        try:
            rows = list(islice(self._rows, n))
        except Exception as exc:
            raise self.error(exc) from None
        self.count += len(rows)
        return rows
