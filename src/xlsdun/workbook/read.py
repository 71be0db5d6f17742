"""Read the receivables sheet into typed Invoices (calamine, as pandas' read_excel uses it).

Row-level problems become Findings (the row is skipped, the batch goes on); file-level
problems raise WorkbookReadError with a message that names the file, the sheet, what was
expected and what was found, before anything is sent.

The steps, each in its module: the package checked beside the read (opening.py), the sheet
and header row found (locate.py), the rows taken from calamine a chunk at a time (grid.py)
and converted column by column (convert.py, with coerce.py and money.py for each value),
then made Invoices and findings (rows.py).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .. import speedups
from ..models import Receivables, SheetInfo
from .coerce import is_blank
from .columns import ColumnMap, normalize
from .convert import ERROR_FIELDS, Body
from .layout import hidden_rows
from .locate import Located, header_in, layout_fact, locate, no_receivables
from .opening import (
    READ_ONLY_SUFFIXES,
    TEXT_SUFFIXES,
    WRITABLE_SUFFIXES,
    PackageCheck,
    WorkbookReadError,
    check_file,
    check_room,
    open_book,
    parts_checked,
)
from .rows import parse_rows
from .textfile import text_grid

# WorkbookReadError: what read_receivables raises; is_blank: sheetview imports it from here,
# which loads the reader (and lxml) with the engine, as tests/test_imports.py expects
__all__ = ["WorkbookReadError", "is_blank", "read_receivables"]


@dataclass(frozen=True, slots=True)
class _Options:
    """How to read the rows once the sheet is found (`read_receivables`' arguments)."""

    owned_columns: Mapping[str, str]
    date_order: str
    default_currency: str
    default_language: str
    include_hidden_rows: bool


def read_receivables(
    path: str | Path,
    *,
    sheet: str | None = None,
    header_row: int | None = None,
    columns: Mapping[str, str] | None = None,
    owned_columns: Mapping[str, str] | None = None,
    date_order: str = "DMY",
    default_currency: str = "ILS",
    default_language: str = "en",
    include_hidden_rows: bool = True,
    backups_dir: str | Path | None = None,
    encoding: str | None = None,
) -> Receivables:
    """Find the receivables in a workbook and return them typed, with row-level findings.

    Everything the write-back would refuse is checked here too (opening.py), so a run stops
    before sending; `backups_dir` (the state folder's backups) lets an unreadable workbook's
    error name the latest backup. A .csv/.txt export is read by textfile.py (`encoding`:
    its codec when it has no byte-order mark; `sheet` does not apply) into the same rows.
    """
    path = Path(path)
    backups = Path(backups_dir) if backups_dir is not None else None
    check_file(path, backups)
    options = _Options(
        owned_columns or {}, date_order, default_currency, default_language, include_hidden_rows
    )
    tried: list[str] = []
    if path.suffix.lower() in TEXT_SUFFIXES:  # a CSV or text export: one "sheet", no package
        found = header_in(text_grid(path, encoding), [], header_row, columns, tried)
        if found is None:
            raise no_receivables(path, tried, text_file=True)
        return _read_sheet(found, path, PackageCheck(path, backups), options)
    with parts_checked(path, backups) as package:
        found = locate(
            open_book(path, backups),  # calamine's workbook goes once the sheet is found
            package,
            path,
            sheet=sheet,
            header_row=header_row,
            columns=columns,
            tried=tried,
        )
        receivables = None if found is None else _read_sheet(found, path, package, options)
        del found  # calamine's copy of the sheet goes
    if receivables is None:  # after the package check, whose error comes first
        raise no_receivables(path, tried)
    return receivables


def _read_sheet(
    found: Located, path: Path, package: PackageCheck, options: _Options
) -> Receivables:
    """The receivables on the sheet whose header `locate` found."""
    if path.suffix.lower() in WRITABLE_SUFFIXES:
        check_room(
            path, found.name, found.grid.extent, found.mapping.headers, options.owned_columns
        )
    hidden: frozenset[int] = frozenset()
    if not options.include_hidden_rows:
        hidden = frozenset(layout_fact(hidden_rows, path, found.name, "which rows are hidden"))
    end = next((t.last_row for t in found.tables if t.first_row == found.header_index + 1), None)
    found.grid.put_back(package.errors(found.name), _error_columns(found.mapping))
    owned = _owned_indexes(found.mapping.headers, options.owned_columns)
    info = _sheet_info(found, path, owned, protected=package.protected(found.name))
    body = Body(
        info.fields,
        owned,
        date_order=options.date_order,
        decimal_comma=options.date_order == "DMY" and options.default_currency.upper() == "EUR",
        default_language=options.default_language,
    )
    with _gc_paused():
        chunks = body.chunks(found.grid, found.header_index + 1, end, hidden)
        return parse_rows(chunks, body, info, options.default_currency.upper())


def _sheet_info(found: Located, path: Path, owned: Mapping[str, int], protected: bool) -> SheetInfo:
    """Where the receivables are, for the write-back and `xlsdun check`."""
    mapping = found.mapping
    mapped = {*mapping.fields.values(), *owned.values()}
    return SheetInfo(
        path=str(path),
        sheet=found.name,
        header_row=found.header_index + 1,
        headers=mapping.headers,
        fields=mapping.fields,
        read_only=path.suffix.lower() in READ_ONLY_SUFFIXES,
        unmapped={i: h for i, h in mapping.headers.items() if i not in mapped},
        protected=protected,
    )


def _owned_indexes(headers: Mapping[int, str], owned: Mapping[str, str]) -> dict[str, int]:
    """The owned columns the sheet has already, by key: their 0-based column."""
    by_norm = {normalize(h): i for i, h in headers.items()}
    return {key: by_norm[normalize(h)] for key, h in owned.items() if normalize(h) in by_norm}


def _error_columns(mapping: ColumnMap) -> list[int]:
    """The columns where an Excel error value is a finding, not an empty cell (`ERROR_FIELDS`)."""
    return [mapping.fields[k] for k in ERROR_FIELDS if k in mapping.fields]


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while rows become Invoices: the parse allocates hundreds
    of thousands of small objects and no cycles, and the collector's repeated scans of the
    growing heap cost a fifth of the read. (make bench, benchmarks/speedups.py: this and the
    GC freezes of rendering and writing save 3-4% of `run --quiet` at 20,000 invoices, which the
    end-to-end target needs.)"""
    enabled = gc.isenabled()
    if speedups.enabled("gc"):
        gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
