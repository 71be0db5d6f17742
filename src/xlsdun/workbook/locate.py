"""Where the receivables are: the sheet, its header row and its columns (`locate`).

The first visible sheet whose header row has the columns xlsdun needs, unless the config
names the sheet or the header row; on a sheet, an Excel Table's header row first, then the
row `columns.find_header_row` picks. When no sheet has them, the error tells the owner what
each sheet looked like, so the fix is obvious; a hidden sheet that has them is named.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple, TypeVar

from lxml import etree
from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from .coerce import shown, to_text
from .columns import ALIASES, MAX_HEADER, ColumnMap, find_header_row, map_headers, missing_required
from .grid import Grid
from .layout import TableRange, sheet_tables
from .opening import PackageCheck, WorkbookReadError, looks_garbled

_T = TypeVar("_T")
_HEADER_SCAN = 30  # rows searched for the header when no Table or header_row says where


class Located(NamedTuple):
    """The sheet that holds the receivables, as `find_header` found it."""

    name: str
    grid: Grid  # its rows; the first ones are read already
    header_index: int  # the header row, 0-based
    mapping: ColumnMap
    tables: list[TableRange]  # its Excel Tables: one may say where the data ends


def locate(
    book: CalamineWorkbook,
    package: PackageCheck,
    path: Path,
    *,
    sheet: str | None,
    header_row: int | None,
    columns: Mapping[str, str] | None,
    tried: list[str],
) -> Located | None:
    """The sheet with the receivables: `sheet` if given, else the first visible one whose
    header row has the columns. None, with why each sheet looked at is not it added to
    `tried`, if none has them; raises WorkbookReadError if only a hidden sheet has them."""
    names, visible = _worksheets(book, path, sheet)
    for name in [sheet] if sheet else visible:  # a hidden sheet only when named
        refused = package.loadable(name)
        if refused is not None:  # calamine would abort, or read what was not checked
            raise refused
        package.look_for_errors(name)  # in the package thread, while calamine loads
        found = find_header(book, path, name, header_row, columns, tried)
        if found is not None:
            return found
        if sheet or header_row:
            break
    if sheet is None:
        hidden = [n for n in names if n not in visible]
        match = _hidden_match(book, path, package, hidden, header_row, columns)
        if match is not None:
            raise _hidden_sheet(path, match, tried)
    return None


def _worksheets(
    book: CalamineWorkbook, path: Path, sheet: str | None
) -> tuple[list[str], list[str]]:
    """The names of the workbook's worksheets, and of the visible ones; an error if `sheet`
    (from the config) is not one of them."""
    sheets = [m for m in book.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
    names = [m.name for m in sheets]
    if sheet is not None and sheet not in names:
        raise WorkbookReadError(
            f"{path}: no sheet named '{sheet}'. Sheets found: {', '.join(names)}. "
            f"Fix 'workbook.sheet' in the config."
        )
    return names, [m.name for m in sheets if m.visible == SheetVisibleEnum.Visible]


def find_header(
    book: CalamineWorkbook,
    path: Path,
    name: str,
    header_row: int | None,
    columns: Mapping[str, str] | None,
    tried: list[str],
) -> Located | None:
    """The sheet's grid, its header row and its columns; None (and why in `tried`) if the
    sheet does not hold the receivables."""
    tables = layout_fact(sheet_tables, path, name, "its Excel Tables")  # header and extent
    return header_in(Grid(book, path, name), tables, header_row, columns, tried)


def header_in(
    grid: Grid,
    tables: list[TableRange],
    header_row: int | None,
    columns: Mapping[str, str] | None,
    tried: list[str],
) -> Located | None:
    """`find_header` on a grid, from a sheet or a text file (textfile.py, no Tables)."""
    path, name = grid.path, grid.name
    rows = grid.head(max([_HEADER_SCAN, header_row or 0, *(t.first_row for t in tables)]))
    index = _header_index(rows, path, name, header_row, tables, columns)
    if index is None:
        tried.append(f"'{name}' (no header row recognised{_first_rows(rows)})")
        return None
    mapping = map_headers(rows[index], columns)
    missing = missing_required(mapping.fields)
    missing += [
        f"{f} (configured as '{h}')"
        for f, h in (columns or {}).items()
        if f not in mapping.fields and f not in missing
    ]
    if missing:
        seen = ", ".join(shown(h, 40) for h in mapping.headers.values()) or "nothing"
        tried.append(f"'{name}' row {index + 1} has {seen}; missing {', '.join(missing)}")
        return None
    return Located(name, grid, index, mapping, tables)


def _header_index(
    rows: Sequence[Sequence[object]],
    path: Path,
    name: str,
    header_row: int | None,
    tables: Sequence[TableRange],
    columns: Mapping[str, str] | None,
) -> int | None:
    """The header row (0-based): the configured one, else an Excel Table's, else the row
    that looks like headers; None if no row does."""
    if header_row is not None:
        if header_row - 1 >= len(rows):
            raise WorkbookReadError(
                f"{path}, sheet '{name}': header row {header_row} is past the last row "
                f"({len(rows)}). Fix 'workbook.header_row' or remove it to detect the header."
            )
        return header_row - 1
    found = _table_header(tables, rows, columns)
    return found if found is not None else find_header_row(rows, columns)


def _table_header(
    tables: Sequence[TableRange],
    rows: Sequence[Sequence[object]],
    columns: Mapping[str, str] | None,
) -> int | None:
    """0-based header row of an Excel Table on the sheet that holds the receivables."""
    for table in tables:
        index = table.first_row - 1
        if index < len(rows) and not missing_required(map_headers(rows[index], columns).fields):
            return index
    return None


def layout_fact(fact: Callable[[Path, str], _T], path: Path, sheet: str, what: str) -> _T:
    """A fact from the package XML (layout.py), or a clear error if that XML is damaged."""
    try:
        return fact(path, sheet)
    except (etree.XMLSyntaxError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise WorkbookReadError(
            f"{path}, sheet '{sheet}': cannot read {what} ({type(exc).__name__}: {exc}). "
            f"Open the workbook in Excel, save it again (Excel repairs it) and run again."
        ) from None


def _hidden_match(
    book: CalamineWorkbook,
    path: Path,
    package: PackageCheck,
    names: Sequence[str],
    header_row: int | None,
    columns: Mapping[str, str] | None,
) -> str | None:
    """The first hidden sheet that has the columns xlsdun needs, if no visible one has: the
    owner is told how to use it, rather than that no sheet has them."""
    for name in names:
        if package.loadable(name) is not None:
            continue  # calamine must not load it; it is not used anyway
        try:
            if find_header(book, path, name, header_row, columns, []) is not None:
                return name
        except WorkbookReadError:
            continue
    return None


def _hidden_sheet(path: Path, name: str, tried: Sequence[str]) -> WorkbookReadError:
    looked = f" (the visible sheets do not: {'; '.join(tried)})" if tried else ""
    return WorkbookReadError(
        f"{path}: sheet '{name}' has the columns xlsdun needs, but it is hidden in the "
        f"workbook, so xlsdun did not use it and sent nothing{looked}. A hidden sheet is often "
        f"an archive or a template copy. If it is the one to send reminders from, set "
        f'workbook.sheet = "{name}" in the config (or unhide it in Excel: right-click a sheet '
        f"tab > Unhide) and run again."
    )


def _first_rows(rows: Sequence[Sequence[object]], count: int = 3) -> str:
    """The text of the first non-empty rows, for the message that no header row was found:
    the owner sees what xlsdun saw (garbled text means a CSV imported in the wrong encoding)."""
    seen, garbled = [], False
    for row in rows:
        cells = [str(c)[:MAX_HEADER] for c in row if c is not None]  # a huge cell costs no more
        garbled = garbled or any(map(looks_garbled, cells))  # before control characters go
        if cells := [t for t in map(to_text, cells) if t]:
            seen.append(" | ".join(cells))
        if len(seen) == count:
            break
    if not seen:
        return "; the first rows are empty"
    text = "; its first rows read: " + "; ".join(shown(line, 80) for line in seen)
    if garbled:
        text += (
            " — this text looks garbled: if the sheet came from a CSV file, import it again "
            "choosing UTF-8 as the encoding (Data > From Text/CSV > File origin), or save the "
            "CSV as UTF-8 in the program that made it"
        )
    return text


def no_receivables(path: Path, tried: list[str], text_file: bool = False) -> WorkbookReadError:
    """The error for a workbook where no sheet has the columns: what each sheet looked like
    (`tried`), and the ways to name the columns. A text export has one "sheet", the file."""
    examples = "; ".join(
        f"{f}: {', '.join(repr(a) for a in ALIASES[f][:3])}"
        for f in ("customer", "email", "invoice", "due_date", "balance")
    )
    return WorkbookReadError(
        f"{path}: {'no header row has' if text_file else 'no sheet has'} the columns xlsdun "
        f"needs. Looked at: {'; '.join(tried)}. "
        f"Name the columns in the header row (e.g. {examples}), map your own headers in the "
        f"[columns] table of the config, or set 'workbook.header_row' to the row that holds "
        f"them."
    )
