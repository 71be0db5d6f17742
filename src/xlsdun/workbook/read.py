"""Read the receivables sheet into typed Invoices (calamine, as pandas' read_excel uses it).

Row-level problems become Findings (the row is skipped, the batch goes on); file-level
problems raise WorkbookReadError with a message that names the file, the sheet, what was
expected and what was found, before anything is sent.
"""

from __future__ import annotations

import calendar
import gc
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from operator import itemgetter
from pathlib import Path

from python_calamine import CalamineWorkbook, SheetTypeEnum

from ..models import Finding, Invoice, Receivables, SheetInfo
from ..names import currency_code, language_code
from .columns import ALIASES, find_header_row, map_headers, missing_required, normalize
from .layout import TableRange, hidden_rows, sheet_tables

WRITABLE_SUFFIXES = (".xlsx", ".xlsm")
READ_ONLY_SUFFIXES = (".xls", ".xlsb", ".ods")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class WorkbookReadError(Exception):
    """The workbook as a whole cannot be used; nothing is sent. The message is for the user."""


# pandas' default NA strings (pandas._libs.parsers.STR_NA_VALUES): read as empty cells.
_CENT = Decimal("0.01")
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
_TRUE = {"yes", "y", "true", "x", "1", "v", "✓", "✔", "כן", "y es", "on"}
_TOTAL = {"total", "totals", "grand total", "sum", "סהכ", "סה כ", "סך הכל", "סך הכול", "סיכום"}
_EMAIL = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+\.[^@\s<>(),;:\"\[\]]{2,}$")
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


def to_text(value: object) -> str | None:
    if value.__class__ is str:  # the usual cell: what the checks below come to for text
        return " ".join(value.split()) or None  # type: ignore[attr-defined]
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    return " ".join(str(value).split())


def to_bool(value: object) -> bool:
    if is_blank(value):
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return normalize(value) in _TRUE


def to_language(value: object, default: str) -> str:
    return language_code(value, default)


def excel_serial_to_date(serial: float, date1904: bool = False) -> date:
    origin = date(1904, 1, 1) if date1904 else date(1899, 12, 30)
    return origin + timedelta(days=int(serial))


def to_date(value: object, date_order: str = "DMY") -> date | None:
    """A cell as a date: real dates, Excel serials, and text dates in the given order.

    Raises ValueError for a value that is present but is not a date.
    """
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a date")
    if isinstance(value, int | float):
        if 1 <= value < 2958466:
            return excel_serial_to_date(value)
        raise ValueError(f"{value!r} is not a date")
    text = str(value).strip()
    m = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?", text)
    if m:
        return date(int(m[1]), int(m[2]), int(m[3]))
    m = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})", text)
    if m:
        a, b, year = int(m[1]), int(m[2]), int(m[3])
        if year < 100:
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
        return Decimal(repr(round(float(value), 2))).quantize(Decimal("0.01")), None
    text = str(value).strip()
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
    text = text.replace("\u200f", "").replace("\u200e", "").replace(" ", "").replace("\xa0", "")
    negative = text.startswith("(") and text.endswith(")")
    text = text.strip("()")
    if "," in text and "." in text:
        decimal_comma = text.rfind(",") > text.rfind(".")
    elif "," in text and not decimal_comma:
        decimal_comma = bool(re.fullmatch(r"-?\d+,\d{1,2}", text))
    text = text.replace(".", "").replace(",", ".") if decimal_comma else text.replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount") from None
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not an amount")
    if negative:
        amount = -amount
    return amount.quantize(Decimal("0.01")), currency


def due_from_terms(invoice_date: date, terms: str) -> date | None:
    """Due date from payment terms: "Net 30", "EOM+30", Israeli "שוטף+30" (end of month + N)."""
    m = _TERMS.match(terms.replace("־", "-"))
    if not m:
        return None
    days = int(m["days"])
    if m["kind"] and m["kind"].lower() in ("eom", "שוטף", "end of month"):
        last = calendar.monthrange(invoice_date.year, invoice_date.month)[1]
        return date(invoice_date.year, invoice_date.month, last) + timedelta(days=days)
    return invoice_date + timedelta(days=days)


def split_emails(value: object) -> tuple[str | None, tuple[str, ...], str | None]:
    """(first address, the other addresses, the raw text if it is not a valid address)."""
    text = to_text(value)
    if not text:
        return None, (), None
    parts = [p.strip() for p in re.split(r"[;,\s]+", text) if p.strip()]
    good = [p for p in parts if _EMAIL.match(p)]
    if not good or len(good) != len(parts):
        return (good[0] if good else None), tuple(good[1:]), text
    return good[0], tuple(good[1:]), None


def _list_sheets(path: Path) -> CalamineWorkbook:
    """The workbook opened with calamine, the engine pandas' `read_excel` uses.

    Called directly: the reader converts row by row anyway, and building a DataFrame first
    took as long as reading the file.
    """
    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several types for a bad file
        raise WorkbookReadError(
            f"{path}: cannot be read as a workbook ({type(exc).__name__}: {exc}). "
            f"Check that it is an Excel or LibreOffice file and open it once to be sure it is not "
            f"damaged."
        ) from None


def _check_file(path: Path) -> None:
    if not path.exists():
        raise WorkbookReadError(
            f"{path}: workbook not found. Set 'workbook.path' in the config to your receivables "
            f"workbook."
        )
    if path.suffix.lower() not in WRITABLE_SUFFIXES + READ_ONLY_SUFFIXES:
        raise WorkbookReadError(
            f"{path}: unsupported file type '{path.suffix}'. Use .xlsx or .xlsm (or .xls, .xlsb, "
            f".ods read-only)."
        )
    with path.open("rb") as fh:
        head = fh.read(8)
    if head == OLE_MAGIC and path.suffix.lower() in WRITABLE_SUFFIXES:
        raise WorkbookReadError(
            f"{path}: the workbook is password-protected (encrypted). xlsdun cannot read it; save "
            f"a copy without a password to open (File > Info > Protect Workbook) and point "
            f"'workbook.path' to it."
        )


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
) -> Receivables:
    """Find the receivables in a workbook and return them typed, with row-level findings."""
    path = Path(path)
    _check_file(path)
    book = _list_sheets(path)
    names = [m.name for m in book.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
    if sheet is not None and sheet not in names:
        raise WorkbookReadError(
            f"{path}: no sheet named '{sheet}'. Sheets found: {', '.join(names)}. "
            f"Fix 'workbook.sheet' in the config."
        )
    candidates = [sheet] if sheet else names
    tried: list[str] = []
    for name in candidates:
        rows = _read_grid(book, path, name)
        tables = sheet_tables(path, name)  # read once: used to find the header and the extent
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
                tried.append(f"'{name}' (no header row recognised)")
                continue
            index = found
        mapping = map_headers(rows[index], columns)
        missing = missing_required(mapping.fields)
        missing += [
            f"{f} (configured as '{h}')"
            for f, h in (columns or {}).items()
            if f not in mapping.fields and f"{f}" not in missing
        ]
        if missing:
            seen = ", ".join(f"'{h}'" for h in mapping.headers.values()) or "nothing"
            tried.append(f"'{name}' row {index + 1} has {seen}; missing {', '.join(missing)}")
            if sheet or header_row:
                break
            continue
        info = SheetInfo(
            path=str(path),
            sheet=name,
            header_row=index + 1,
            headers=mapping.headers,
            fields=mapping.fields,
            read_only=path.suffix.lower() in READ_ONLY_SUFFIXES,
        )
        owned = _owned_indexes(mapping.headers, owned_columns or {})
        rows = _within_table(tables, index, rows)
        if not include_hidden_rows:
            hidden = hidden_rows(path, name)
            rows = [None if i + 1 in hidden else r for i, r in enumerate(rows)]
        with _gc_paused():
            return _parse_rows(
                rows, index, info, owned, date_order, default_currency.upper(), default_language
            )
    examples = "; ".join(
        f"{f}: {', '.join(repr(a) for a in ALIASES[f][:3])}"
        for f in ("customer", "email", "invoice", "due_date", "balance")
    )
    raise WorkbookReadError(
        f"{path}: no sheet has the columns xlsdun needs. Looked at: {'; '.join(tried)}. "
        f"Name the columns in the header row (e.g. {examples}) or map your own headers in the "
        f"[columns] table of the config."
    )


def _read_grid(book: CalamineWorkbook, path: Path, name: str) -> list[list[object]]:
    """The sheet's cells as rows; empty cells and pandas' NA spellings ("N/A", "NULL", ...)
    read as None, as `read_excel` reads them. Numbers stay floats and dates stay dates: every
    converter below treats 3.0 like 3 and a date like midnight of that day."""
    try:
        with _gc_paused():
            raw = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            return [
                row if _NA_TEXT.isdisjoint(row) else [None if c in _NA_TEXT else c for c in row]
                for row in raw
            ]
    except Exception as exc:
        raise WorkbookReadError(
            f"{path}, sheet '{name}': cannot be read ({type(exc).__name__}: {exc})."
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


def _within_table(
    tables: Sequence[TableRange], header_index: int, rows: list[Sequence[object]]
) -> list[Sequence[object] | None]:
    """Rows cut to the Excel Table whose header row this is (no totals row, nothing below)."""
    for table in tables:
        if table.first_row == header_index + 1:
            return [row if i < table.last_row else None for i, row in enumerate(rows)]
    return rows


def _parse_rows(
    rows: Sequence[Sequence[object]],
    header_index: int,
    info: SheetInfo,
    owned: Mapping[str, int],
    date_order: str,
    default_currency: str,
    default_language: str,
) -> Receivables:
    f = info.fields
    full = max([*f.values(), *owned.values()]) + 1

    body = rows[header_index + 1 :]
    decimal_comma = date_order == "DMY" and default_currency == "EUR"

    rectangular = all(r is not None and len(r) >= full for r in body)

    def column(field: str, convert: Callable[[object], object]) -> list[object]:
        i = f.get(field)
        if i is None:
            return [_attempt(convert, None)] * len(body)
        if rectangular:
            return _convert_column(list(map(itemgetter(i), body)), convert)
        values = [None if r is None or i >= len(r) else r[i] for r in body]
        return _convert_column(values, convert)

    customers = column("customer", to_text)
    invoice_ids = column("invoice", to_text)
    date_columns = [
        (field, column(field, lambda v: to_date(v, date_order)))
        for field in ("invoice_date", "due_date", "hold_until", "promise_date")
    ]
    terms_column = column("terms", to_text)
    money_columns = [
        (field, column(field, lambda v: to_money(v, decimal_comma=decimal_comma)))
        for field in ("amount", "paid", "balance")
    ]
    emails, ccs = column("email", split_emails), column("cc", split_emails)
    texts = {
        field: column(field, to_text)
        for field in ("currency", "customer_id", "phone", "pay_link", "attachment", "notes")
    }
    languages = column("language", lambda v: to_language(v, default_language))
    flags = {field: column(field, to_bool) for field in ("disputed", "do_not_contact", "approved")}

    invoices: list[Invoice] = []
    findings: list[Finding] = []
    seen: dict[str, int] = {}
    duplicates: set[str] = set()
    current: dict[int, dict[str, object]] = {}
    for k, raw in enumerate(body):
        offset = header_index + 2 + k
        if raw is None:
            continue  # below the Excel Table, or a hidden row left out by configuration
        customer = customers[k]
        invoice_id = invoice_ids[k]
        if invoice_id is None and (customer is None or normalize(customer) in _TOTAL):
            continue  # a blank row, a totals row, a note or a subtotal: not an invoice
        cells = list(raw) + [None] * (full - len(raw)) if len(raw) < full else raw

        def get(field: str, cells: Sequence[object] = cells) -> object:
            i = f.get(field)
            return None if i is None else cells[i]

        if owned:
            current[offset] = {
                key: _as_pandas(cells[i]) for key, i in owned.items() if i < len(cells)
            }
        row_problems: list[tuple[str, str]] = []
        if customer is None:
            row_problems.append(("customer", "customer name is empty"))
        if invoice_id is None:
            row_problems.append(("invoice", "invoice number is empty"))

        dates: dict[str, date | None] = {}
        for field, values in date_columns:
            value = values[k]
            if value is _INVALID:
                dates[field] = None
                row_problems.append((field, f"{to_text(get(field))!r} is not a date"))
            else:
                dates[field] = value  # type: ignore[assignment]
        due = dates["due_date"]
        if due is None and "due_date" not in dict(row_problems):
            terms = terms_column[k]
            if dates["invoice_date"] and terms:
                due = due_from_terms(dates["invoice_date"], terms)  # type: ignore[arg-type]
                if due is None:
                    row_problems.append(("terms", f"payment terms {terms!r} not understood"))
            else:
                row_problems.append(("due_date", "no due date (and no invoice date + terms)"))

        money: dict[str, Decimal | None] = {}
        hinted = None
        for field, values in money_columns:
            value = values[k]
            if value is _INVALID:
                money[field] = None
                row_problems.append((field, f"{to_text(get(field))!r} is not an amount"))
            else:
                money[field], hint = value  # type: ignore[misc]
                hinted = hinted or hint
        balance = money["balance"]
        if balance is None and money["amount"] is not None:
            balance = money["amount"] - (money["paid"] or Decimal("0"))
        if balance is None and not any(p[0] in ("amount", "paid", "balance") for p in row_problems):
            row_problems.append(("balance", "no balance (and no amount)"))

        email, cc_more, bad_email = emails[k]  # type: ignore[misc]
        cc_first, cc_rest, bad_cc = ccs[k]  # type: ignore[misc]
        cc = ((cc_first,) if cc_first else ()) + cc_rest
        if bad_email:
            findings.append(
                Finding(offset, "email", f"invalid email address {bad_email!r}", invoice_id)
            )
        if bad_cc:
            findings.append(Finding(offset, "cc", f"invalid cc address {bad_cc!r}", invoice_id))

        if invoice_id is not None:
            if invoice_id in seen:
                duplicates.add(invoice_id)
            else:
                seen[invoice_id] = offset

        if row_problems:
            for field, problem in row_problems:
                findings.append(Finding(offset, field, problem, invoice_id))
            continue

        currency = currency_code(texts["currency"][k] or hinted, default_currency)
        level = _owned_text(cells, owned, "level")
        try:
            last = to_date(cells[owned["last"]], date_order) if "last" in owned else None
        except ValueError:
            last = None
        invoices.append(
            Invoice(
                row=offset,
                customer=customer,
                invoice=invoice_id,
                due_date=due,
                balance=balance,
                currency=currency,
                email=email,
                invoice_date=dates["invoice_date"],
                amount=money["amount"],
                customer_id=texts["customer_id"][k],
                language=languages[k],
                phone=texts["phone"][k],
                hold_until=dates["hold_until"],
                promise_date=dates["promise_date"],
                disputed=flags["disputed"][k],
                do_not_contact=flags["do_not_contact"][k],
                approved=flags["approved"][k],
                cc=tuple(dict.fromkeys(cc_more + cc)) if cc_more or cc else (),
                pay_link=texts["pay_link"][k],
                attachment=texts["attachment"][k],
                notes=texts["notes"][k],
                reminder_level=level.casefold() if level else None,
                last_reminder=last,
            )
        )
    if duplicates:
        rows_of = {}
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


_INVALID = object()  # a cell a converter rejected (ValueError): the row gets a finding
_NUMERIC = frozenset({int, float, bool})


def _convert_column(values: list[object], convert: Callable[[object], object]) -> list[object]:
    """`convert` applied down a column, once per distinct value: names, addresses, dates and
    empty cells repeat from row to row, so a column costs a few distinct conversions."""
    numeric = _NUMERIC.intersection(map(type, values))
    if len(numeric) > 1:  # 1, 1.0 and True are equal keys: tell them apart by type
        keys: list[object] = list(zip(map(type, values), values, strict=True))
        done = {key: _attempt(convert, key[1]) for key in dict.fromkeys(keys)}  # type: ignore[index]
    else:
        keys = values
        done = {value: _attempt(convert, value) for value in dict.fromkeys(values)}
    try:
        return list(map(done.__getitem__, keys))
    except KeyError:  # a value unequal to itself (NaN): converted one by one
        return [_attempt(convert, v) for v in values]


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


def _attempt(convert: Callable[[object], object], value: object) -> object:
    try:
        return convert(value)
    except ValueError:
        return _INVALID


def _as_pandas(value: object) -> object:
    """A cell as pandas' read_excel gave it (whole numbers as int, dates as datetime)."""
    if value.__class__ is float and value.is_integer():  # type: ignore[attr-defined]
        return int(value)  # type: ignore[call-overload]
    if value.__class__ is date:
        return datetime(value.year, value.month, value.day)  # type: ignore[attr-defined]
    return value


def _owned_text(cells: Sequence[object], owned: Mapping[str, int], key: str) -> str | None:
    i = owned.get(key)
    return None if i is None or i >= len(cells) else to_text(cells[i])
