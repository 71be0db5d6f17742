"""Read the receivables sheet into typed Invoices (calamine, as pandas' read_excel uses it).

Row-level problems become Findings (the row is skipped, the batch goes on); file-level
problems raise WorkbookReadError with a message that names the file, the sheet, what was
expected and what was found, before anything is sent.
"""

from __future__ import annotations

import calendar
import ctypes
import gc
import math
import re
import sys
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from itertools import islice, repeat
from operator import itemgetter
from pathlib import Path
from typing import TypeVar, cast

from lxml import etree
from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from ..addresses import parse_list
from ..models import Finding, Invoice, Receivables, SheetInfo
from ..names import currency_code, language_code
from ..text import CONTROL
from .bounds import MAX_AMOUNT, MAX_CELL_TEXT
from .cellerrors import ErrorCells
from .columns import (
    ALIASES,
    MAX_HEADER,
    ColumnMap,
    find_header_row,
    map_headers,
    missing_required,
    normalize,
)
from .layout import TableRange, hidden_rows, sheet_tables
from .opening import (
    READ_ONLY_SUFFIXES,
    WRITABLE_SUFFIXES,
    PackageCheck,
    WorkbookReadError,
    check_file,
    check_room,
    looks_garbled,
    open_book,
    parts_checked,
)

__all__ = ["READ_ONLY_SUFFIXES", "WRITABLE_SUFFIXES", "WorkbookReadError", "read_receivables"]
_T = TypeVar("_T")

# The longest text xlsdun takes in a field, in characters (after spaces are tidied): a
# longer cell is a finding for its row. Names, numbers and codes are short; a megabyte
# "invoice number" would become a megabyte subject line.
MAX_LENGTH: dict[str, int] = {
    "customer": 200,
    "customer_id": 100,
    "invoice": 100,
    "email": 1_000,  # the cell; each address at most 254 (`addresses.MAX_ADDRESS`)
    "cc": 1_000,
    "phone": 40,
    "currency": 10,
    "terms": 50,
    "pay_link": 2_000,
    "attachment": 260,
    "notes": 2_000,  # cut there, not refused: notes are never sent (`cut_text`)
}
MIN_YEAR = 1900  # Excel's first year; an earlier date is a typo


class CellProblem(ValueError):
    """A cell that is there but cannot be used, with what to tell the owner about it."""


# pandas' default NA strings (pandas._libs.parsers.STR_NA_VALUES): read as empty cells.
_NA_TEXT = frozenset(
    {
        "",
        "#N/A",
        "#N/A N/A",
        "#NA",
        "-1.#IND",
        "-1.#QNAN",
        "-NaN",
        "-nan",
        "1.#IND",
        "1.#QNAN",
        "<NA>",
        "N/A",
        "NA",
        "NULL",
        "NaN",
        "None",
        "n/a",
        "nan",
        "null",
    }
)
# Excel's error values: what a formula shows when it cannot be computed. calamine reads them
# as empty cells; the reader puts their text back in amount and date columns (cellerrors.py),
# where they are findings, and "#N/A" is not read as empty there as elsewhere.
EXCEL_ERRORS = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"}
    | {"#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"}
    | {"#PYTHON!", "#EXTERNAL!"}
)
_NA_NOT_ERRORS = _NA_TEXT - EXCEL_ERRORS
_TRUE = {"yes", "y", "true", "x", "1", "v", "✓", "✔", "כן", "y es", "on"}
_TOTAL = {"total", "totals", "grand total", "sum", "סהכ", "סה כ", "סך הכל", "סך הכול", "סיכום"}
_SYMBOLS = {"₪": "ILS", "$": "USD", "€": "EUR", "£": "GBP", 'ש"ח': "ILS", "ש״ח": "ILS"}
_CODES = re.compile(r"\b(ILS|NIS|USD|EUR|GBP)\b", re.IGNORECASE)
_TERMS = re.compile(
    r"^\s*(?P<kind>net|eom|שוטף|end of month)?\s*\+?\s*(?P<days>\d{1,3})\s*(days?|ימים|יום)?\s*$",
    re.IGNORECASE,
)


def is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if value.__class__.__name__ == "NaTType":  # pandas' missing date, from a caller's frame
        return True
    return isinstance(value, str) and value.strip() == ""


_CONTROL = re.compile(f"[{CONTROL}]")


def _tidy(text: str) -> str | None:
    """Runs of spaces, tabs and line breaks as one space; control characters (NUL, ESC,
    DEL, ...) removed: they must reach neither a terminal nor a message."""
    text = " ".join(text.split())
    if not text.isprintable():  # fast for the usual text; Hebrew marks also land here
        text = " ".join(_CONTROL.sub("", text).split())
    return text or None


def to_text(value: object) -> str | None:
    if value.__class__ is str:  # the usual cell: what the checks below come to for text
        return _tidy(value)
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    return _tidy(str(value))


def shown(text: object, width: int = 60) -> str:
    """A cell's text quoted for a message, cut short: a finding must not carry a megabyte."""
    text = str(text)
    return repr(text if len(text) <= width else text[:width] + "…")


def capped_text(value: object, limit: int) -> str | None:
    """`to_text`, refusing text longer than `limit` characters (`MAX_LENGTH`)."""
    text = to_text(value)
    if text is not None and len(text) > limit:
        raise CellProblem(too_long(text, limit))
    return text


def too_long(text: str, limit: int) -> str:
    """The finding for a text cell longer than xlsdun takes."""
    return f"{shown(text)} is {len(text):,} characters long (xlsdun takes at most {limit:,})"


def to_phone(value: object) -> str | None:
    """A Phone cell's text without invisible format characters (`visible`): the number goes
    into the owner's call list and a tel: link, where a U+202E would show it reversed and
    a direction mark would break the link. None if nothing else is left."""
    text = to_text(value)
    if text is not None and not text.isprintable():
        text = _tidy(visible(text))
    if text is not None and len(text) > MAX_LENGTH["phone"]:
        raise CellProblem(too_long(text, MAX_LENGTH["phone"]))
    return text


def cut_text(value: object, limit: int) -> str | None:
    """`to_text`, cut to `limit` characters (the last one "…"): for Notes, which are never
    sent, so a long one is no reason to skip the invoice."""
    text = to_text(value)
    if text is not None and len(text) > limit:
        return text[: limit - 1] + "…"
    return text


def to_bool(value: object) -> bool:
    if is_blank(value):
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return normalize(value) in _TRUE


def excel_serial_to_date(serial: float) -> date:
    return date(1899, 12, 30) + timedelta(days=int(serial))


def to_date(value: object, date_order: str = "DMY") -> date | None:
    """A cell as a date: real dates, Excel serials, and text dates in the given order.

    Raises ValueError for a value that is present but is not a date.
    """
    if is_blank(value):
        return None
    found = _date(value, date_order)
    if found.year < MIN_YEAR:
        raise CellProblem(f"{shown(to_text(value))} is a date before {MIN_YEAR}; check the year")
    return found


def _date(value: object, date_order: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a date")
    if isinstance(value, int | float):
        if 1 <= value < 2958466:  # Excel's serial numbers, 1900-01-01 to 9999-12-31
            return excel_serial_to_date(value)
        raise ValueError(f"{value!r} is not a date")
    text = str(value).strip()
    _not_an_error(text, "a date")
    m = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?", text)
    if m:
        return date(int(m[1]), int(m[2]), int(m[3]))
    m = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})", text)
    if m:
        a, b, year = int(m[1]), int(m[2]), int(m[3])
        if len(m[3]) == 2:  # "26/11/26"; a four-digit year is taken as written
            year += 2000
        day, month = (b, a) if date_order == "MDY" else (a, b)
        return date(year, month, day)
    for fmt in ("%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y", "%b %d, %Y", "%B %d, %Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date")


def to_money(value: object, decimal_comma: bool = False) -> tuple[Decimal | None, str | None]:
    """An amount and the currency its text names, if any. Raises ValueError if not a number."""
    if value.__class__ is float and -1e12 < value < 1e12:  # the usual cell, checks skipped
        # below 10^12 this is exactly the general path's value, formatted once, not thrice
        return Decimal(f"{value:.2f}"), None
    if is_blank(value):
        return None, None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not an amount")
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{value!r} is not an amount")
        _plausible(value, value)
        return Decimal(repr(round(float(value), 2))).quantize(Decimal("0.01")), None
    text = str(value).strip()
    _not_an_error(text, "an amount")
    currency = None
    for symbol, code in _SYMBOLS.items():
        if symbol in text:
            currency = code
            text = text.replace(symbol, "")
    m = _CODES.search(text)
    if m:
        code = m[1].upper()
        currency = "ILS" if code == "NIS" else code
        text = _CODES.sub("", text)
    amount = _number(visible(text), decimal_comma)
    if amount is None:
        raise ValueError(f"{value!r} is not an amount")
    _plausible(amount, value)
    return amount.quantize(Decimal("0.01")), currency


def _not_an_error(text: str, what: str) -> None:
    """A cell showing one of Excel's error values is a finding that names it: read as an
    empty cell, a "#DIV/0!" balance would let the amount stand in for it, unnoticed."""
    if text.upper() in EXCEL_ERRORS:
        raise CellProblem(
            f"{shown(text)} is an Excel error (the cell's formula could not be calculated), "
            f"not {what}"
        )


def visible(text: str) -> str:
    """`text` without invisible format characters (Unicode's Cf: direction marks and
    overrides, zero-width spaces and joiners): they change how a value looks, never what
    it is. Printable text (the usual cell) is returned as it is, at once."""
    if text.isprintable():
        return text
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


# Spaces not between two digits (around a sign, a parenthesis or a removed currency) go; a
# space between digits is a thousands separator ("1 200"), held to groups of three as well.
_LOOSE_SPACE = re.compile(r"\s+(?![0-9])|(?<![0-9])\s+")
_SPACES = re.compile(r"\s+")
_NUMBER = {
    (point, group): re.compile(
        rf"(?=[^0-9]*[0-9])(?:[0-9]{{1,3}}(?:{re.escape(group)}[0-9]{{3}})+|[0-9]*)"
        rf"(?:{re.escape(point)}[0-9]*)?"
    )
    for point, group in ((".", ","), (",", "."), (".", " "), (",", " "))
}


def _number(text: str, decimal_comma: bool) -> Decimal | None:
    """The number a text holds, if it holds exactly one: ASCII digits, a sign or
    parentheses, thousands separators only in groups of three ("1,234,567.89", with a
    decimal comma "1.234.567,89") and at most one decimal separator. "1,2,3", "1_000",
    "1e5" and "(-5)" are None: xlsdun never guesses an amount."""
    text = _SPACES.sub(" ", _LOOSE_SPACE.sub("", text))
    negative = len(text) > 1 and text[0] == "(" and text[-1] == ")"
    if negative:
        text = text[1:-1]
    if text[:1] in ("-", "+"):
        if negative:
            return None
        negative, text = text[0] == "-", text[1:]
    point, group = _separators(text, decimal_comma)
    if group != " " and " " in text or not _NUMBER[point, group].fullmatch(text):
        return None
    amount = Decimal(text.replace(group, "").replace(point, "."))
    return -amount if negative else amount


def _separators(text: str, decimal_comma: bool) -> tuple[str, str]:
    """(decimal separator, thousands separator) of a number's text. With both a comma and a
    period, the later one is the decimal separator; a lone one followed by one or two digits
    at the end is one too ("12,50"); otherwise the locale says (a period, or a comma with
    `decimal_comma`). A space between digits is only ever a thousands separator."""
    comma, period = text.rfind(","), text.rfind(".")
    if comma >= 0 and period >= 0:
        return (",", ".") if comma > period else (".", ",")
    if comma < 0 and period < 0:
        return ".", " " if " " in text else ","
    mark, other = (",", ".") if comma >= 0 else (".", ",")
    tail = text[max(comma, period) + 1 :]
    if text.count(mark) == 1 and 1 <= len(tail) <= 2 and tail.isdigit():
        point = mark
    else:
        point = mark if (mark == ",") == decimal_comma else other
    group = other if point == mark else mark
    return point, " " if " " in text and group not in text else group


def _plausible(amount: Decimal | float, cell: object) -> None:
    """No debt is a trillion or more: such a number is a typo (or a date or an ID in the
    wrong column), and past 10^26 it would not even fit the arithmetic."""
    if not -MAX_AMOUNT < amount < MAX_AMOUNT:
        text = f"{cell:.6g}" if isinstance(cell, float) else to_text(cell)
        raise CellProblem(
            f"{shown(text)} is not a plausible amount (xlsdun accepts amounts under "
            f"{MAX_AMOUNT:,.0f})"
        )


_IMMEDIATE = frozenset(
    normalize(t)
    for t in (
        "due on receipt",
        "on receipt",
        "upon receipt",
        "payable on receipt",
        "immediate",
        "immediately",
        "cod",
        "c.o.d.",
        "cash on delivery",
        "מיידי",
        "מידי",
        "מיידית",
        "לתשלום מיידי",
        "תשלום מיידי",
    )
)


def due_from_terms(invoice_date: date, terms: str) -> date | None:
    """Due date from payment terms: "Net 30", "EOM+30", Israeli "שוטף+30" (end of month + N);
    "Due on receipt", "מיידי", "COD" are due on the invoice date (Net 0)."""
    if normalize(terms) in _IMMEDIATE:
        return invoice_date
    m = _TERMS.match(terms.replace("־", "-"))
    if not m:
        return None
    days = int(m["days"])
    if m["kind"] and m["kind"].lower() in ("eom", "שוטף", "end of month"):
        last = calendar.monthrange(invoice_date.year, invoice_date.month)[1]
        return date(invoice_date.year, invoice_date.month, last) + timedelta(days=days)
    return invoice_date + timedelta(days=days)


def split_emails(value: object) -> tuple[str | None, tuple[str, ...], str | None]:
    """(first address, the other addresses, the cell's text if it is not a valid list).

    A cell that fails `addresses.parse_list` gives no address at all: mailing the valid
    part of an invalid cell is how an injected "Bcc:" line got its copy. So does a cell with
    a control character `to_text` would drop ("ap\x00@x.example" is not "ap@x.example": it is
    quoted as it is) and one longer than mail allows.
    """
    if (
        value.__class__ is str
        and not value.isprintable()
        and _CONTROL.search(" ".join(value.split()))  # what `_tidy` drops, not a space
    ):
        return None, (), value[: MAX_LENGTH["email"]]
    text = to_text(value)
    if not text:
        return None, (), None
    found = parse_list(text) if len(text) <= MAX_LENGTH["email"] else None
    if found is None:
        return None, (), text
    return found[0], found[1:], None


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
) -> Receivables:
    """Find the receivables in a workbook and return them typed, with row-level findings.

    Everything the write-back would refuse is checked here too (opening.py), so a run stops
    before sending; `backups_dir` (the state folder's backups) lets an unreadable workbook's
    error name the latest backup.
    """
    path = Path(path)
    backups = Path(backups_dir) if backups_dir is not None else None
    check_file(path, backups)
    tried: list[str] = []
    options = (owned_columns or {}, date_order, default_currency, default_language)
    receivables = found = None
    with parts_checked(path, backups) as package:
        book = open_book(path, backups)
        sheets = [m for m in book.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
        names = [m.name for m in sheets]
        if sheet is not None and sheet not in names:
            raise WorkbookReadError(
                f"{path}: no sheet named '{sheet}'. Sheets found: {', '.join(names)}. "
                f"Fix 'workbook.sheet' in the config."
            )
        visible = [m.name for m in sheets if m.visible == SheetVisibleEnum.Visible]
        for name in [sheet] if sheet else visible:  # a hidden sheet only when named
            refused = package.loadable(name)
            if refused is not None:  # calamine would abort, or read what was not checked
                raise refused
            package.look_for_errors(name)  # in the package thread, while calamine loads
            found = _find_header(book, path, name, header_row, columns, tried)
            if found is not None:
                receivables = _read_sheet(found, path, name, package, options, include_hidden_rows)
            if found is not None or sheet or header_row:
                break
        if receivables is None and sheet is None:
            hidden = [n for n in names if n not in visible]
            match = _hidden_match(book, path, package, hidden, header_row, columns)
            if match is not None:
                raise _hidden_sheet(path, match, tried)
        del book, found  # calamine's copy of the sheet goes
    if receivables is None:
        raise _no_receivables(path, tried)
    _return_freed_memory()
    return receivables


def _read_sheet(
    found: tuple[_Grid, int, ColumnMap, list[TableRange]],
    path: Path,
    name: str,
    package: PackageCheck,
    options: tuple[Mapping[str, str], str, str, str],
    include_hidden_rows: bool,
) -> Receivables:
    """The receivables on the sheet whose header `_find_header` found."""
    grid, index, mapping, tables = found
    if path.suffix.lower() in WRITABLE_SUFFIXES:
        check_room(path, name, grid.extent, mapping.headers, options[0])
    hidden: frozenset[int] = frozenset()
    if not include_hidden_rows:
        hidden = frozenset(_layout(hidden_rows, path, name, "which rows are hidden"))
    end = next((t.last_row for t in tables if t.first_row == index + 1), None)
    grid.put_back(package.errors(name), _error_columns(mapping))
    protected = package.protected(name)
    return _read_body(grid, path, name, index, mapping, options, end, hidden, protected)


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
            if _find_header(book, path, name, header_row, columns, []) is not None:
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


def _find_header(
    book: CalamineWorkbook,
    path: Path,
    name: str,
    header_row: int | None,
    columns: Mapping[str, str] | None,
    tried: list[str],
) -> tuple[_Grid, int, ColumnMap, list[TableRange]] | None:
    """The sheet's grid, its header row (0-based) and its columns; None (and why in
    `tried`) if the sheet does not hold the receivables."""
    tables = _layout(sheet_tables, path, name, "its Excel Tables")  # header and extent
    grid = _Grid(book, path, name)
    rows = grid.head(max([_HEADER_SCAN, header_row or 0, *(t.first_row for t in tables)]))
    if header_row is not None:
        index = header_row - 1
        if index >= len(rows):
            raise WorkbookReadError(
                f"{path}, sheet '{name}': header row {header_row} is past the last row "
                f"({len(rows)}). Fix 'workbook.header_row' or remove it to detect the header."
            )
    else:
        found = _table_header(tables, rows, columns)
        if found is None:
            found = find_header_row(rows, columns)
        if found is None:
            tried.append(f"'{name}' (no header row recognised{_first_rows(rows)})")
            return None
        index = found
    mapping = map_headers(rows[index], columns)
    missing = missing_required(mapping.fields)
    missing += [
        f"{f} (configured as '{h}')"
        for f, h in (columns or {}).items()
        if f not in mapping.fields and f"{f}" not in missing
    ]
    if missing:
        seen = ", ".join(shown(h, 40) for h in mapping.headers.values()) or "nothing"
        tried.append(f"'{name}' row {index + 1} has {seen}; missing {', '.join(missing)}")
        return None
    return grid, index, mapping, tables


def _read_body(
    grid: _Grid,
    path: Path,
    name: str,
    index: int,
    mapping: ColumnMap,
    options: tuple[Mapping[str, str], str, str, str],
    end: int | None,
    hidden: frozenset[int],
    protected: bool = False,
) -> Receivables:
    """The rows below the header row `index` (0-based), up to the Table's last row `end`."""
    owned_columns, date_order, default_currency, default_language = options
    owned = _owned_indexes(mapping.headers, owned_columns)
    mapped = {*mapping.fields.values(), *owned.values()}
    info = SheetInfo(
        path=str(path),
        sheet=name,
        header_row=index + 1,
        headers=mapping.headers,
        fields=mapping.fields,
        read_only=path.suffix.lower() in READ_ONLY_SUFFIXES,
        unmapped={i: h for i, h in mapping.headers.items() if i not in mapped},
        protected=protected,
    )
    body = _Body(
        info.fields,
        owned,
        date_order=date_order,
        decimal_comma=date_order == "DMY" and default_currency.upper() == "EUR",
        default_language=default_language,
    )
    with _gc_paused():
        chunks = body.chunks(grid, index + 1, end, hidden)
        return _parse_rows(chunks, body, info, default_currency.upper())


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


def _no_receivables(path: Path, tried: list[str]) -> WorkbookReadError:
    examples = "; ".join(
        f"{f}: {', '.join(repr(a) for a in ALIASES[f][:3])}"
        for f in ("customer", "email", "invoice", "due_date", "balance")
    )
    return WorkbookReadError(
        f"{path}: no sheet has the columns xlsdun needs. Looked at: {'; '.join(tried)}. "
        f"Name the columns in the header row (e.g. {examples}), map your own headers in the "
        f"[columns] table of the config, or set 'workbook.header_row' to the row that holds "
        f"them."
    )


_HEADER_SCAN = 30  # rows searched for the header when no Table or header_row says where
_CHUNK = 4096  # rows converted at a time
_CHUNK_CELLS = 1 << 16  # ... fewer on a wide sheet: about this many cells at a time
_CACHE = 1 << 16  # distinct values remembered per column


class _Grid:
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
        self.rows_expected = sheet.end[0] + 1 if sheet.end else 0
        # the last row and column (1-based) holding a value: what the writer must be able to keep
        self.extent = (sheet.end[0] + 1, sheet.end[1] + 1) if sheet.end else (0, 0)
        self.chunk = min(_CHUNK, max(64, _CHUNK_CELLS // max(sheet.width, 1)))
        # calamine's rows, whose cells (numbers, text, dates) are handled as plain objects here
        self._rows = cast(Iterator[list[object]], sheet.iter_rows())
        self._head: list[list[object]] = []
        self._errors: dict[int, list[tuple[int, str]]] = {}
        self.count = 0

    def error(self, exc: BaseException) -> WorkbookReadError:
        return WorkbookReadError(
            f"{self.path}, sheet '{self.name}': cannot be read ({type(exc).__name__}: {exc})."
        )

    def head(self, n: int) -> list[list[object]]:
        """The first n rows at absolute column positions, with pandas' NA spellings ("",
        "N/A", "NULL", ...) read as None, as `read_excel` reads them."""
        self._head = self._take(n)
        pad: list[object] = [None] * self.first_column
        return [pad + [None if c in _NA_TEXT else c for c in row] for row in self._head]

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
        if self.count != self.rows_expected:  # see the class docstring
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


class _Invalid:
    """A cell a converter rejected (ValueError): its row gets a finding that quotes it, or
    says what `problem` (a CellProblem's) says."""

    __slots__ = ("raw", "problem")

    def __init__(self, raw: object, problem: str | None = None) -> None:
        self.raw = raw
        self.problem = problem

    def says(self, what: str) -> str:
        """The finding: the converter's own words, else "'<cell>' is not <what>"."""
        return self.problem or f"{shown(to_text(self.raw))} is not {what}"


class _Converter:
    """`convert` applied down a column, once per distinct value: names, addresses, dates and
    empty cells repeat from row to row, so a column costs a few distinct conversions, and
    rows that repeat a value share one object. New values are converted by `bulk` where it
    can (plain text, plain numbers)."""

    __slots__ = ("convert", "bulk", "done", "flags", "invalid", "blank", "refuse_long")

    def __init__(
        self,
        convert: Callable[[object], object],
        bulk: Callable[[Sequence[object], set[type]], list[object] | None] | None = None,
        *,
        blank: frozenset[str] = _NA_TEXT,
        refuse_long: bool = False,
    ) -> None:
        self.convert = convert
        self.bulk = bulk
        self.done: dict[object, object] = {}
        self.flags: dict[object, object] = {}  # TRUE/FALSE cells: as keys they equal 1 and 0
        self.invalid = False  # a cell was rejected: rows must be checked one by one
        self.blank = blank  # text read as an empty cell
        self.refuse_long = refuse_long  # text longer than Excel's cells: a finding, else cut

    def one(self, value: object) -> object:
        if value.__class__ is str:
            if len(value) > MAX_CELL_TEXT:
                # not from Excel, and whole-cell work on it (tidying, matching) would cost
                # gigabytes: a finding where the field has them, else cut before it is read
                if self.refuse_long:
                    self.invalid = True
                    return _Invalid(value, too_long(value, MAX_CELL_TEXT))
                value = value[: MAX_CELL_TEXT + 1]
            elif value in self.blank:
                value = None
        try:
            return self.convert(value)
        except CellProblem as exc:
            self.invalid = True
            return _Invalid(value, str(exc))
        except ValueError:
            self.invalid = True
            return _Invalid(value)

    def column(self, values: Sequence[object]) -> list[object]:
        types = set(map(type, values))
        if bool in types:
            return [self._flag(v) if v.__class__ is bool else self._value(v) for v in values]
        done = self.done
        try:
            return list(map(done.__getitem__, values))
        except KeyError:
            pass
        if len(done) > _CACHE:  # a column of distinct values (invoice numbers, amounts)
            done.clear()
        new = [v for v in dict.fromkeys(values) if v not in done]  # NaN: found by identity
        converted = self.bulk(new, types) if self.bulk is not None else None
        done.update(zip(new, map(self.one, new) if converted is None else converted, strict=True))
        return list(map(done.__getitem__, values))

    def _value(self, value: object) -> object:
        if value not in self.done:
            self.done[value] = self.one(value)
        return self.done[value]

    def _flag(self, value: object) -> object:
        if value not in self.flags:
            self.flags[value] = self.one(value)
        return self.flags[value]


def _texts(values: Sequence[object], types: set[type], limit: int) -> list[object] | None:
    """`capped_text` of a chunk that is all text, none of it an NA spelling, none too long
    and with no control character (else one by one, which says which)."""
    if types != {str} or max(map(len, values), default=0) > limit:  # type: ignore[arg-type]
        return None  # tidying shortens text, never lengthens it: the raw length will do
    if not _NA_TEXT.isdisjoint(values):
        return None
    tidy = [" ".join(v.split()) or None for v in values]  # type: ignore[attr-defined]
    if not "".join(filter(None, tidy)).isprintable():
        return None
    return tidy  # type: ignore[return-value]


def _amounts(values: Sequence[object], types: set[type]) -> list[object] | None:
    """`to_money` of a chunk of ordinary numbers (its short path, row by row)."""
    if types != {float} or not -1e12 < min(values) <= max(values) < 1e12:  # type: ignore[type-var, operator]
        return None  # text, infinities, a NaN first: one by one
    return [(Decimal(f"{v:.2f}"), None) if -1e12 < v < 1e12 else (None, None) for v in values]  # type: ignore[operator]


_MONEY = ("amount", "paid", "balance")
_DATES = ("invoice_date", "due_date", "hold_until", "promise_date")
_TEXTS: tuple[str, ...]  # grown below
_TEXTS = ("customer", "invoice", "terms", "currency", "customer_id", "phone", "pay_link")
_TEXTS += ("attachment", "notes")
_FLAGS = ("disputed", "do_not_contact", "approved")
# Where an Excel error value is a finding: the amount owed and when it is due, for which a
# blank lets something else stand in (the amount for the balance, the terms for the due
# date). An optional date (hold until, promise date) with one reads as empty, as before: a
# lookup column's "#N/A" there means "none", and skipping every row would send nothing.
_ERROR_FIELDS = (*_MONEY, "invoice_date", "due_date")
# Fields whose findings skip the row: a cell longer than Excel's is one there.
_REFUSE_LONG = frozenset((*_MONEY, *_DATES, *_TEXTS, "last")) - {"notes"}


class _Body:
    """The data rows below the header, converted column by column, a chunk at a time."""

    def __init__(
        self,
        fields: Mapping[str, int],
        owned: Mapping[str, int],
        *,
        date_order: str,
        decimal_comma: bool,
        default_language: str,
    ) -> None:
        date_of = partial(to_date, date_order=date_order)
        converters: dict[str, Callable[[object], object]] = {
            **{k: partial(capped_text, limit=MAX_LENGTH[k]) for k in _TEXTS},
            "notes": partial(cut_text, limit=MAX_LENGTH["notes"]),
            "phone": to_phone,
            **dict.fromkeys(_DATES, date_of),
            **dict.fromkeys(_MONEY, partial(to_money, decimal_comma=decimal_comma)),
            **dict.fromkeys(_FLAGS, to_bool),
            "email": split_emails,
            "cc": split_emails,
            "language": partial(language_code, default=default_language),
        }
        self.constant = {k: _Converter(c).one(None) for k, c in converters.items()}
        bulk: dict[str, Callable[[Sequence[object], set[type]], list[object] | None]] = {
            **{k: partial(_texts, limit=MAX_LENGTH[k]) for k in _TEXTS},
            **dict.fromkeys(_MONEY, _amounts),
        }
        wanted = {
            k: (fields[k], self._converter(k, c, bulk.get(k)))
            for k, c in converters.items()
            if k in fields
        }
        owned_converters: dict[str, Callable[[object], object]] = {
            "level": _level_of,
            "last": date_of,
            **{f"owned:{key}": _as_pandas for key in owned},
        }
        for key, convert in owned_converters.items():
            column = owned.get(key.removeprefix("owned:"))
            if column is not None:
                wanted[key] = (column, self._converter(key, convert))
        self.wanted = wanted
        self.owned_keys = tuple(owned)
        self.shared: dict[object, dict[str, object]] = {}  # owned cells, one dict per kind

    @staticmethod
    def _converter(
        key: str,
        convert: Callable[[object], object],
        bulk: Callable[[Sequence[object], set[type]], list[object] | None] | None = None,
    ) -> _Converter:
        """A field's converter: amounts and the invoice and due dates read Excel's error
        values ("#N/A") as findings, not as empty cells; fields whose findings skip the row
        refuse a cell longer than Excel's, the others cut it (an address, a flag, a note)."""
        checked = key in _ERROR_FIELDS
        return _Converter(
            convert,
            bulk,
            blank=_NA_NOT_ERRORS if checked else _NA_TEXT,
            refuse_long=key in _REFUSE_LONG,
        )

    def chunks(
        self, grid: _Grid, start: int, end: int | None, hidden: frozenset[int]
    ) -> Iterator[tuple[Sequence[int], dict[str, list[object]]]]:
        """(1-based Excel rows, converted values by field) a chunk at a time, from row index
        `start` up to the Table's last row `end` (1-based), if any."""
        offset = grid.first_column
        for first, chunk in grid.chunks(start):
            rows = chunk if end is None else chunk[: max(end - first, 0)]
            numbers: Sequence[int] = range(first + 1, first + 1 + len(rows))
            if hidden:
                kept = [(n, r) for n, r in zip(numbers, rows, strict=True) if n not in hidden]
                numbers, rows = [n for n, _ in kept], [r for _, r in kept]
            if len(set(map(len, rows))) > 1:  # calamine's rows are all as wide; be sure
                width = max(map(len, rows))
                rows = [r + [None] * (width - len(r)) for r in rows]
            width = len(rows[0]) if rows else 0
            places = sorted(
                {c - offset for c, _ in self.wanted.values() if 0 <= c - offset < width}
            )
            by_column = _columns(rows, places)
            blank = (None,) * len(rows)
            values = {}
            for key, (column, converter) in self.wanted.items():
                values[key] = converter.column(by_column.get(column - offset, blank))
            last = end is not None and first + len(chunk) >= end
            del rows, chunk, by_column  # the raw cells go before the next chunk is read
            yield numbers, values
            if last:
                break

    def column(self, values: dict[str, list[object]], key: str) -> Iterable[object]:
        """A field's values row by row; the same value in every row if the sheet lacks it."""
        found = values.get(key)
        return found if found is not None else repeat(self.constant.get(key))

    def checked(self) -> bool:
        """Whether a date, amount or text cell was rejected so far (rows need a closer look)."""
        return any(
            converter.invalid
            for key, (_, converter) in self.wanted.items()
            if key in _DATES or key in _MONEY or key in _TEXTS
        )

    def owned_rows(self, values: dict[str, list[object]]) -> Iterable[dict[str, object] | None]:
        """Each row's owned cells as {key: value}; rows with the same cells share one dict."""
        if not self.owned_keys:
            return repeat(None)
        shared = self.shared

        def cells(*row: object) -> dict[str, object]:
            tag = (row, tuple(map(type, row)))  # 1, 1.0 and True are different cells
            found = shared.get(tag)
            if found is None:
                found = shared[tag] = dict(zip(self.owned_keys, row, strict=True))
            return found

        return map(cells, *(values[f"owned:{key}"] for key in self.owned_keys))


def _columns(rows: list[list[object]], places: list[int]) -> dict[int, Sequence[object]]:
    """The cells at `places` down the rows, one tuple per place: only the columns read are
    transposed, as a sheet may have many more."""
    if not rows or not places:
        return {}
    if len(places) == 1:
        return {places[0]: tuple(r[places[0]] for r in rows)}
    return dict(zip(places, zip(*map(itemgetter(*places), rows), strict=True), strict=True))


def _level_of(value: object) -> str | None:
    text = to_text(value)
    return text.casefold() if text else None


def _layout(fact: Callable[[Path, str], _T], path: Path, sheet: str, what: str) -> _T:
    """A fact from the package XML (layout.py), or a clear error if that XML is damaged."""
    try:
        return fact(path, sheet)
    except (etree.XMLSyntaxError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise WorkbookReadError(
            f"{path}, sheet '{sheet}': cannot read {what} ({type(exc).__name__}: {exc}). "
            f"Open the workbook in Excel, save it again (Excel repairs it) and run again."
        ) from None


def _owned_indexes(headers: Mapping[int, str], owned: Mapping[str, str]) -> dict[str, int]:
    by_norm = {normalize(h): i for i, h in headers.items()}
    return {key: by_norm[normalize(h)] for key, h in owned.items() if normalize(h) in by_norm}


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


def _error_columns(mapping: ColumnMap) -> list[int]:
    """The columns where an Excel error value is a finding, not an empty cell (`_ERROR_FIELDS`)."""
    return [mapping.fields[k] for k in _ERROR_FIELDS if k in mapping.fields]


_ZERO = Decimal("0")
_ROW_FIELDS: tuple[str, ...]  # grown below
_ROW_FIELDS = ("customer", "invoice", *_DATES, "terms", *_MONEY, "email", "cc", "currency")
_ROW_FIELDS += ("customer_id", "phone", "pay_link", "attachment", "notes", "language", *_FLAGS)
_ROW_FIELDS += ("level", "last")


def _parse_rows(
    chunks: Iterable[tuple[Sequence[int], dict[str, list[object]]]],
    body: _Body,
    info: SheetInfo,
    default_currency: str,
) -> Receivables:
    """Invoices from the converted columns, a chunk at a time, so that a chunk's cells are
    gone before the next is read. A row with nothing wrong takes the short path; any other
    row goes through `_row_problems`, which says what is wrong with it."""
    currency_of: dict[object, str] = {}
    invoices: list[Invoice] = []
    findings: list[Finding] = []
    seen: dict[str, int] = {}
    duplicates: set[str] = set()
    current: dict[int, dict[str, object]] = {}
    for numbers, values in chunks:
        checked = body.checked()
        columns = [body.column(values, key) for key in _ROW_FIELDS]
        rows = zip(numbers, body.owned_rows(values), *columns, strict=False)  # repeat(): endless
        for (
            offset,
            owned,
            customer,
            invoice_id,
            invoice_date,
            due,
            hold,
            promise,
            terms,
            amount,
            paid,
            balance,
            (email, cc_more, bad_email),
            (cc_first, cc_rest, bad_cc),
            named,
            customer_id,
            phone,
            pay_link,
            attachment,
            notes,
            language,
            disputed,
            do_not_contact,
            approved,
            level,
            last,
        ) in rows:
            if invoice_id is None and (customer is None or normalize(customer) in _TOTAL):
                continue  # a blank row, a totals row, a note or a subtotal: not an invoice
            if owned is not None:
                current[offset] = owned
            if bad_email:
                problem = f"invalid email address {shown(bad_email)}"
                findings.append(Finding(offset, "email", problem, invoice_id))
            if bad_cc:
                problem = f"invalid cc address {shown(bad_cc)}"
                findings.append(Finding(offset, "cc", problem, invoice_id))
            if invoice_id is not None:
                if invoice_id in seen:
                    duplicates.add(invoice_id)
                else:
                    seen[invoice_id] = offset

            if (
                checked
                or customer is None
                or invoice_id is None
                or due is None
                or (balance[0] is None and amount[0] is None)
            ):
                problems, dates, money, hinted = _row_problems(
                    customer,
                    invoice_id,
                    (invoice_date, due, hold, promise),
                    terms,
                    (amount, paid, balance),
                    (named, customer_id, phone, pay_link, attachment, notes),
                )
                if problems:
                    for field, problem in problems:
                        findings.append(Finding(offset, field, problem, invoice_id))
                    continue
                invoice_date, due, hold, promise = dates
                amount, paid, balance = money
            else:
                (amount, hint), (paid, paid_hint), (balance, balance_hint) = amount, paid, balance
                hinted = hint or paid_hint or balance_hint
                if balance is None:
                    balance = amount - (paid or _ZERO)
                elif balance == amount:
                    balance = amount  # one object for both: Decimals are 104 bytes each

            named = named or hinted
            currency = currency_of.get(named)
            if currency is None:
                currency = currency_of[named] = currency_code(named, default_currency)
            cc = ((cc_first,) if cc_first else ()) + cc_rest
            invoices.append(
                Invoice(  # positional, in the field order: faster than keywords
                    offset,
                    customer,
                    invoice_id,
                    due,
                    balance,
                    currency,
                    email,
                    invoice_date,
                    amount,
                    customer_id,
                    language,
                    phone,
                    hold,
                    promise,
                    disputed,
                    do_not_contact,
                    approved,
                    tuple(dict.fromkeys(cc_more + cc)) if cc_more or cc else (),
                    pay_link,
                    attachment,
                    notes,
                    level,
                    None if last.__class__ is _Invalid else last,
                )
            )
    if duplicates:
        rows_of: dict[str, list[int]] = {}
        for inv in invoices:
            if inv.invoice in duplicates:
                rows_of.setdefault(inv.invoice, []).append(inv.row)
        for inv in invoices:
            if inv.invoice in duplicates:
                others = [r for r in rows_of[inv.invoice] if r != inv.row]
                findings.append(
                    Finding(
                        inv.row,
                        "invoice",
                        f"duplicate invoice number {inv.invoice!r} (also in row "
                        f"{', '.join(map(str, others))})",
                        inv.invoice,
                    )
                )
        invoices = [i for i in invoices if i.invoice not in duplicates]
    findings.sort(key=lambda x: (x.row, x.field))
    return Receivables(
        invoices=tuple(invoices), findings=tuple(findings), sheet=info, owned=current
    )


_OTHER_TEXTS = ("currency", "customer_id", "phone", "pay_link", "attachment", "notes")


def _row_problems(
    customer: object,
    invoice_id: object,
    dates: tuple[object, ...],
    terms: object,
    money: tuple[object, ...],
    texts: tuple[object, ...],
) -> tuple[list[tuple[str, str]], list[object], list[Decimal | None], str | None]:
    """What is wrong with a row, as (field, problem) pairs, with its dates, its amount, paid
    and balance (missing balance worked out) and the currency its amounts name. `texts` are
    the row's other text fields (`_OTHER_TEXTS`), which can only be too long."""
    problems: list[tuple[str, str]] = []
    if customer is None:
        problems.append(("customer", "customer name is empty"))
    if invoice_id is None:
        problems.append(("invoice", "invoice number is empty"))
    named = (("customer", customer), ("invoice", invoice_id), ("terms", terms))
    for field, value in (*named, *zip(_OTHER_TEXTS, texts, strict=True)):
        if value.__class__ is _Invalid:
            problems.append((field, value.says("text")))
    checked_dates: list[object] = []
    for field, value in zip(_DATES, dates, strict=True):
        if value.__class__ is _Invalid:
            problems.append((field, value.says("a date")))
            value = None
        checked_dates.append(value)
    checked_dates[1] = _due(checked_dates[0], checked_dates[1], dates[1], terms, problems)

    amounts: list[Decimal | None] = []
    hinted = None
    amount: Decimal | None
    hint: str | None
    for field, value in zip(_MONEY, money, strict=True):
        if value.__class__ is _Invalid:
            problems.append((field, value.says("an amount")))
            amounts.append(None)
        else:
            amount, hint = value  # type: ignore[misc]
            amounts.append(amount)
            hinted = hinted or hint
    amount, paid, balance = amounts
    if balance is None and amount is not None:
        amounts[2] = amount - (paid or _ZERO)
    elif balance is None and not any(p[0] in _MONEY for p in problems):
        problems.append(("balance", "no balance (and no amount)"))
    return problems, checked_dates, amounts, hinted


def _due(
    invoice_date: object, due: object, cell: object, terms: object, problems: list[tuple[str, str]]
) -> object:
    """The due date, worked out from the invoice date and terms where the sheet has none."""
    if due is not None or cell.__class__ is _Invalid or terms.__class__ is _Invalid:
        return due
    if not (invoice_date and terms):
        problems.append(("due_date", "no due date (and no invoice date + terms)"))
        return None
    try:
        due = due_from_terms(invoice_date, terms)  # type: ignore[arg-type]
    except OverflowError:
        problems.append(("terms", f"the invoice date plus {shown(terms)} is past the year 9999"))
        return None
    if due is None:
        problems.append(("terms", f"payment terms {shown(terms)} not understood"))
    return due


def _return_freed_memory() -> None:
    """calamine's copy of the sheet (150 MB at 200,000 rows) is freed into the C heap, which
    glibc keeps for the process; `malloc_trim` hands it back to the system, so the rest of
    the run does not carry it. Nothing to do on other C libraries and systems."""
    if not sys.platform.startswith("linux"):
        return
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, ...)
        return
    trim(0)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while rows become Invoices: the parse allocates hundreds
    of thousands of small objects and no cycles, and the collector's repeated scans of the
    growing heap cost a fifth of the read."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _as_pandas(value: object) -> object:
    """A cell as pandas' read_excel gave it (whole numbers as int, dates as datetime)."""
    if value.__class__ is float and value.is_integer():
        return int(value)
    if value.__class__ is date:
        return datetime(value.year, value.month, value.day)
    return value
