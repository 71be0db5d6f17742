"""Read the receivables sheet into typed Invoices (calamine, as pandas' read_excel uses it,
and pandas for the columns).

Row-level problems become Findings (the row is skipped, the batch goes on); file-level
problems raise WorkbookReadError with a message that names the file, the sheet, what was
expected and what was found, before anything is sent.

The steps, each in its module: the package checked beside the read (opening.py), the sheet
and header row found (locate.py), the rows taken from calamine a chunk at a time (grid.py),
each chunk a pandas DataFrame converted column by column (convert.py: each column's
distinct values with pandas, series.py; what pandas leaves, and the wording of findings,
with coerce.py and money.py), then made Invoices and findings (rows.py).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from .. import speedups
from ..models import Receivables, SheetInfo
from .accounting import Report
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
    columns: Mapping[str, str]  # [columns]: a balance named there is used beside a debit
    shown_once: bool | None  # [workbook] customer_shown_once; None: recognised


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
    customer_shown_once: bool | None = None,
) -> Receivables:
    """Find the receivables in a workbook and return them typed, with row-level findings.

    Everything the write-back would refuse is checked here too (opening.py), so a run stops
    before sending; `backups_dir` (the state folder's backups) lets an unreadable workbook's
    error name the latest backup. A .csv/.txt export is read by textfile.py (`encoding`:
    its codec when it has no byte-order mark; `sheet` does not apply) into the same rows.
    An accounting export's layout is recognised (accounting.py); `customer_shown_once` says
    whether a customer is named once above its invoices where the sheet does not tell.
    """
    path = Path(path)
    backups = Path(backups_dir) if backups_dir is not None else None
    check_file(path, backups)
    options = _Options(
        owned_columns or {},
        date_order,
        default_currency,
        default_language,
        include_hidden_rows,
        columns or {},
        customer_shown_once,
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
    found, notes = _ledger(found, options.columns)
    info = _sheet_info(found, path, owned, protected=package.protected(found.name))
    above = found.grid.texts_above(found.header_index)
    report = Report(info.fields, info.headers, above, fill=options.shown_once is not False)
    info = replace(info, layout=(*_above(found.header_index, above), *notes))
    body = Body(
        info.fields,
        owned,
        date_order=options.date_order,
        decimal_comma=options.date_order == "DMY" and options.default_currency.upper() == "EUR",
        default_language=options.default_language,
    )
    with _gc_paused():
        chunks = body.chunks(found.grid, found.header_index + 1, end, hidden)
        return parse_rows(
            chunks, body, info, options.default_currency.upper(), report, options.shown_once
        )


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


def _ledger(found: Located, columns: Mapping[str, str]) -> tuple[Located, list[str]]:
    """An accounting export's debit and credit columns are the amount (accounting.py), and a
    balance or amount column beside them is not used unless `[columns]` names it: in such a
    report "יתרה" is the running balance, which summed would multiply the debt. What the
    sheet was read as, for `xlsdun check`."""
    fields, headers = found.mapping.fields, found.mapping.headers
    notes = []
    if "doc_type" in fields:
        notes.append(
            f"a document type column ('{headers[fields['doc_type']]}'): receipts and credit "
            f"notes reduce what is owed"
        )
    ledger = [headers[fields[k]] for k in ("debit", "credit") if k in fields]
    if not ledger:
        return found, notes
    notes.insert(
        0, f"debit and credit columns ({' − '.join(repr(h) for h in ledger)}) as the amount"
    )
    dropped = [k for k in ("amount", "balance") if k in fields and k not in columns]
    if not dropped:
        return found, notes
    kept = {k: v for k, v in fields.items() if k not in dropped}
    notes.append(
        f"not used beside them: {', '.join(repr(headers[fields[k]]) for k in dropped)} (a "
        f"running balance; name it in [columns] to use it)"
    )
    return found._replace(mapping=ColumnMap(kept, found.mapping.headers)), notes


def _above(index: int, texts: set[str]) -> list[str]:
    """The rows above the header (0-based `index`), if they hold any `texts`: a report's
    title and parameters."""
    if not texts:  # none above row 1 either
        return []
    return [f"title and report rows above the header (rows 1-{index}), not read"]


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
