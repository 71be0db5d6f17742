"""One cell's value as a field takes it: text (tidied, with length limits), phone numbers,
flags, dates, payment terms and address lists (amounts: money.py).

Pure functions of one value, so that the reader's converters (convert.py) can apply them
once per distinct value of a column. A value that is there but unusable raises ValueError
(a `CellProblem` says what to tell the owner); the row gets a finding, the read goes on.
"""

from __future__ import annotations

import calendar
import math
import re
import unicodedata
from datetime import date, datetime, timedelta

from ..addresses import parse_list
from ..problems import Problem, cut, problem
from ..text import CONTROL
from .columns import normalize

# The longest text xlsdun takes in a field, in characters (after spaces are tidied): a
# longer cell is a finding for its row. Names, numbers and codes are short; a megabyte
# "invoice number" would become a megabyte subject line.
MAX_LENGTH: dict[str, int] = {
    "customer": 200,
    "contact": 200,  # a person's name, greeted in the message
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
    """A cell that is there but cannot be used, with what to tell the owner about it (a
    `Problem`: its English text, key and parameters)."""

    @property
    def problem(self) -> str:
        """What to tell the owner: the `Problem` it was raised with (its key kept)."""
        return self.args[0] if self.args and isinstance(self.args[0], str) else str(self)


# Excel's error values: what a formula shows when it cannot be computed. calamine reads them
# as empty cells; the reader puts their text back in amount and date columns (cellerrors.py),
# where they are findings, and "#N/A" is not read as empty there as elsewhere.
EXCEL_ERRORS = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"}
    | {"#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"}
    | {"#PYTHON!", "#EXTERNAL!"}
)
_TRUE = {"yes", "y", "true", "x", "1", "v", "✓", "✔", "כן", "y es", "on"}
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


def too_long(text: str, limit: int) -> Problem:
    """The finding for a text cell longer than xlsdun takes."""
    return problem("too_long", cell=cut(text), length=len(text), limit=limit)


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
        raise CellProblem(problem("date_too_early", cell=cut(to_text(value)), year=MIN_YEAR))
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
    return _text_date(str(value).strip(), date_order)


def _text_date(text: str, date_order: str) -> date:
    """A date written as text: ISO ("2026-11-26"), day and month in `date_order`
    ("26/11/2026", "26.11.26"), or with the month's name ("26 Nov 2026", "Nov 26, 2026")."""
    not_an_error(text, "a date")
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


def not_an_error(text: str, what: str) -> None:
    """A cell showing one of Excel's error values is a finding that names it: read as an
    empty cell, a "#DIV/0!" balance would let the amount stand in for it, unnoticed."""
    if text.upper() in EXCEL_ERRORS:
        raise CellProblem(problem(_ERROR_KEYS[what], cell=cut(text)))


# what the cell is not (its two callers: to_date, money.to_money) -> the problem's key
_ERROR_KEYS = {"a date": "excel_error_in_date", "an amount": "excel_error_in_amount"}


def visible(text: str) -> str:
    """`text` without invisible format characters (Unicode's Cf: direction marks and
    overrides, zero-width spaces and joiners): they change how a value looks, never what
    it is. Printable text (the usual cell) is returned as it is, at once."""
    if text.isprintable():
        return text
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


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


def all_emails(value: object) -> tuple[tuple[str, ...], str | None]:
    """(every address, the cell's text if it is not a valid list): `split_emails` for a Cc
    cell, whose addresses are all copied alike."""
    first, rest, bad = split_emails(value)
    return ((first,) if first else ()) + rest, bad


# An accounting export's document types: an invoice adds to what the customer owes, a
# receipt or a credit note takes from it. Written as the programs write them.
_ADDS = frozenset(
    normalize(t)
    for t in (
        "invoice",
        "tax invoice",
        "debit note",
        "bill",
        "חשבונית",
        "חשבונית מס",
        "חשבון עסקה",
        "חשבונית עסקה",
        "חשבונית חיוב",
        "חשבונית מס קבלה",
        "חשבונית מס/קבלה",
    )
)
_TAKES = frozenset(
    normalize(t)
    for t in (
        "receipt",
        "payment",
        "credit note",
        "credit memo",
        "credit",
        "קבלה",
        "תקבול",
        "זיכוי",
        "חשבונית זיכוי",
        "חשבונית מס זיכוי",
        "תעודת זיכוי",
    )
)


def doc_sign(value: object) -> int | None:
    """A Document type cell: 1 for an invoice, -1 for a receipt or credit note (it reduces
    what is owed), None if empty; any other document is a finding (a quote or a delivery
    note is not a debt)."""
    text = to_text(value)
    if text is None:
        return None
    key = normalize(text)
    if key in _ADDS:
        return 1
    if key in _TAKES:
        return -1
    raise CellProblem(problem("unknown_document", cell=cut(text)))
