"""Python values as cell content: which values a cell can hold, and their text in the XML."""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

from ..bounds import MAX_CELL_TEXT

_ILLEGAL_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_ESCAPE_LOOKALIKE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


def check_value(value: object) -> None:
    """Refuse, as a programmer error, a value no cell can hold."""
    if value is None or isinstance(value, str | bool | int | date):
        return
    if isinstance(value, float | Decimal):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} cannot be stored in a cell")
        return
    raise TypeError(f"cannot write a {type(value).__name__} into a cell: {value!r}")


def clean_text(text: str) -> str:
    """Drop characters XML cannot carry and protect literal ``_xHHHH_`` sequences."""
    text = _ILLEGAL_XML_CHARS.sub("", text)[:MAX_CELL_TEXT]
    return _ESCAPE_LOOKALIKE.sub(r"_x005F_\1", text) if "_x" in text else text


def serial(value: date, date1904: bool) -> float | int:
    """Excel's day number, including its 1900 leap-year quirk."""
    if date1904:
        epoch = datetime(1904, 1, 1)
    elif date(value.year, value.month, value.day) < date(1900, 3, 1):
        epoch = datetime(1899, 12, 31)
    else:
        epoch = datetime(1899, 12, 30)
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=None)
        delta: timedelta = moment - epoch
        number = delta.days + delta.seconds / 86_400 + delta.microseconds / 86_400_000_000
        return int(number) if number == int(number) else number
    return (datetime(value.year, value.month, value.day) - epoch).days


def has_time(value: date) -> bool:
    """A datetime past midnight needs a date-and-time format; a bare day, a date format."""
    return isinstance(value, datetime) and value.time() != datetime.min.time()


def number_text(value: int | float | Decimal) -> str:
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


def xml_text(text: str) -> str:
    """Text content escaped the way lxml writes it."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text
