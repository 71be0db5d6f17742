"""Read the receivables sheet into typed Invoices (pandas + calamine).

Row-level problems become Findings (the row is skipped, the batch goes on); file-level
problems raise WorkbookReadError with a message that names the file, the sheet, what was
expected and what was found, before anything is sent.
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd

from ..models import Finding, Invoice, Receivables, SheetInfo
from .columns import ALIASES, find_header_row, map_headers, missing_required, normalize
from .layout import hidden_rows, sheet_tables

WRITABLE_SUFFIXES = (".xlsx", ".xlsm")
READ_ONLY_SUFFIXES = (".xls", ".xlsb", ".ods")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class WorkbookReadError(Exception):
    """The workbook as a whole cannot be used; nothing is sent. The message is for the user."""


_TRUE = {"yes", "y", "true", "x", "1", "v", "✓", "✔", "כן", "y es", "on"}
_HE = {"he", "heb", "hebrew", "עברית", "iw", "he il"}
_EN = {"en", "eng", "english", "אנגלית", "en us", "en gb", "en il"}
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
    if value is pd.NaT:
        return True
    return isinstance(value, str) and value.strip() == ""


def to_text(value: object) -> str | None:
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
    key = normalize(value)
    if key in _HE:
        return "he"
    if key in _EN:
        return "en"
    return default


def excel_serial_to_date(serial: float, date1904: bool = False) -> date:
    origin = date(1904, 1, 1) if date1904 else date(1899, 12, 30)
    return origin + timedelta(days=int(serial))


def to_date(value: object, date_order: str = "DMY") -> date | None:
    """A cell as a date: real dates, Excel serials, and text dates in the given order.

    Raises ValueError for a value that is present but is not a date.
    """
    if is_blank(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
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


def _list_sheets(path: Path) -> pd.ExcelFile:
    try:
        return pd.ExcelFile(path, engine="calamine")
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
    names = list(book.sheet_names)
    if sheet is not None and sheet not in names:
        raise WorkbookReadError(
            f"{path}: no sheet named '{sheet}'. Sheets found: {', '.join(names)}. "
            f"Fix 'workbook.sheet' in the config."
        )
    candidates = [sheet] if sheet else names
    tried: list[str] = []
    for name in candidates:
        grid = _read_grid(book, path, name)
        rows = grid.to_numpy(dtype=object, na_value=None).tolist() if len(grid) else []
        if header_row is not None:
            index = header_row - 1
            if index >= len(rows):
                raise WorkbookReadError(
                    f"{path}, sheet '{name}': header row {header_row} is past the last row "
                    f"({len(rows)}). Fix 'workbook.header_row' or remove it to detect the header."
                )
        else:
            found = _table_header(path, name, rows, columns)
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
        rows = _within_table(path, name, index, rows)
        if not include_hidden_rows:
            hidden = hidden_rows(path, name)
            rows = [None if i + 1 in hidden else r for i, r in enumerate(rows)]
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


def _read_grid(book: pd.ExcelFile, path: Path, name: str) -> pd.DataFrame:
    try:
        return pd.read_excel(book, sheet_name=name, header=None, dtype=object)
    except Exception as exc:
        raise WorkbookReadError(
            f"{path}, sheet '{name}': cannot be read ({type(exc).__name__}: {exc})."
        ) from None


def _owned_indexes(headers: Mapping[int, str], owned: Mapping[str, str]) -> dict[str, int]:
    by_norm = {normalize(h): i for i, h in headers.items()}
    return {key: by_norm[normalize(h)] for key, h in owned.items() if normalize(h) in by_norm}


def _table_header(
    path: Path, sheet: str, rows: Sequence[Sequence[object]], columns: Mapping[str, str] | None
) -> int | None:
    """0-based header row of an Excel Table on the sheet that holds the receivables."""
    for table in sheet_tables(path, sheet):
        index = table.first_row - 1
        if index < len(rows) and not missing_required(map_headers(rows[index], columns).fields):
            return index
    return None


def _within_table(
    path: Path, sheet: str, header_index: int, rows: list[Sequence[object]]
) -> list[Sequence[object] | None]:
    """Rows cut to the Excel Table whose header row this is (no totals row, nothing below)."""
    for table in sheet_tables(path, sheet):
        if table.first_row == header_index + 1:
            return [
                row if i < table.last_row else None for i, row in enumerate(rows)
            ]
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

    invoices: list[Invoice] = []
    findings: list[Finding] = []
    seen: dict[str, int] = {}
    duplicates: set[str] = set()
    current: dict[int, dict[str, object]] = {}
    for offset, raw in enumerate(rows[header_index + 1 :], start=header_index + 2):
        if raw is None:
            continue  # below the Excel Table, or a hidden row left out by configuration
        cells = list(raw) + [None] * (full - len(raw)) if len(raw) < full else raw
        if all(is_blank(c) for c in cells):
            continue

        def get(field: str, cells: Sequence[object] = cells) -> object:
            i = f.get(field)
            return None if i is None else cells[i]

        customer = to_text(get("customer"))
        invoice_id = to_text(get("invoice"))
        if invoice_id is None and (customer is None or normalize(customer) in _TOTAL):
            continue  # a totals row, a note or a subtotal: not an invoice
        if owned:
            current[offset] = {k: cells[i] for k, i in owned.items() if i < len(cells)}
        row_problems: list[tuple[str, str]] = []
        if customer is None:
            row_problems.append(("customer", "customer name is empty"))
        if invoice_id is None:
            row_problems.append(("invoice", "invoice number is empty"))

        dates: dict[str, date | None] = {}
        for field in ("invoice_date", "due_date", "hold_until", "promise_date"):
            try:
                dates[field] = to_date(get(field), date_order)
            except ValueError:
                dates[field] = None
                row_problems.append((field, f"{to_text(get(field))!r} is not a date"))
        due = dates["due_date"]
        if due is None and "due_date" not in dict(row_problems):
            terms = to_text(get("terms"))
            if dates["invoice_date"] and terms:
                due = due_from_terms(dates["invoice_date"], terms)
                if due is None:
                    row_problems.append(("terms", f"payment terms {terms!r} not understood"))
            else:
                row_problems.append(("due_date", "no due date (and no invoice date + terms)"))

        money: dict[str, Decimal | None] = {}
        hinted = None
        for field in ("amount", "paid", "balance"):
            try:
                money[field], hint = to_money(
                    get(field), decimal_comma=date_order == "DMY" and default_currency == "EUR"
                )
                hinted = hinted or hint
            except ValueError:
                money[field] = None
                row_problems.append((field, f"{to_text(get(field))!r} is not an amount"))
        balance = money["balance"]
        if balance is None and money["amount"] is not None:
            balance = money["amount"] - (money["paid"] or Decimal("0"))
        if balance is None and not any(p[0] in ("amount", "paid", "balance") for p in row_problems):
            row_problems.append(("balance", "no balance (and no amount)"))
        if balance is not None and balance < 0:
            row_problems.append(("balance", f"negative balance {balance} (a credit note?)"))

        email, cc_more, bad_email = split_emails(get("email"))
        cc_first, cc_rest, bad_cc = split_emails(get("cc"))
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

        currency = (to_text(get("currency")) or hinted or default_currency).upper()
        currency = "ILS" if currency in ("NIS", "₪", 'ש"ח', "ש״ח") else currency
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
                customer_id=to_text(get("customer_id")),
                language=to_language(get("language"), default_language),
                phone=to_text(get("phone")),
                hold_until=dates["hold_until"],
                promise_date=dates["promise_date"],
                disputed=to_bool(get("disputed")),
                do_not_contact=to_bool(get("do_not_contact")),
                approved=to_bool(get("approved")),
                cc=tuple(dict.fromkeys(cc_more + cc)),
                pay_link=to_text(get("pay_link")),
                attachment=to_text(get("attachment")),
                notes=to_text(get("notes")),
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


def _owned_text(cells: Sequence[object], owned: Mapping[str, int], key: str) -> str | None:
    i = owned.get(key)
    return None if i is None or i >= len(cells) else to_text(cells[i])
