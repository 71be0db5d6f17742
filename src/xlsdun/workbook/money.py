"""An amount cell as a Decimal and the currency its text names, if any.

xlsdun never guesses an amount: a text amount is taken only if it holds exactly one number
(thousands separators in groups of three, at most one decimal separator), and no debt is a
trillion or more.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

from ..problems import cut, problem
from .bounds import MAX_AMOUNT
from .coerce import CellProblem, is_blank, not_an_error, to_text, visible

_SYMBOLS = {"₪": "ILS", "$": "USD", "€": "EUR", "£": "GBP", 'ש"ח': "ILS", "ש״ח": "ILS"}
_CODES = re.compile(r"\b(ILS|NIS|USD|EUR|GBP)\b", re.IGNORECASE)


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
    not_an_error(text, "an amount")
    text, currency = _currency_named(text)
    amount = _number(visible(text), decimal_comma)
    if amount is None:
        raise ValueError(f"{value!r} is not an amount")
    _plausible(amount, value)
    return amount.quantize(Decimal("0.01")), currency


def _currency_named(text: str) -> tuple[str, str | None]:
    """An amount's text without the currency symbols and codes it names ("₪1,200", "100
    NIS"), and that currency: a code wins over a symbol."""
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
    return text, currency


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
    point = mark if _decimal_mark(text, mark, decimal_comma) else other
    group = other if point == mark else mark
    return point, " " if " " in text and group not in text else group


def _decimal_mark(text: str, mark: str, decimal_comma: bool) -> bool:
    """Whether `mark`, the only kind of separator in `text`, is its decimal separator: once,
    followed by one or two digits at the end ("12,50"), or as the locale has it."""
    tail = text[text.rfind(mark) + 1 :]
    if text.count(mark) == 1 and 1 <= len(tail) <= 2 and tail.isdigit():
        return True
    return (mark == ",") == decimal_comma


def _plausible(amount: Decimal | float, cell: object) -> None:
    """No debt is a trillion or more: such a number is a typo (or a date or an ID in the
    wrong column), and past 10^26 it would not even fit the arithmetic."""
    if not -MAX_AMOUNT < amount < MAX_AMOUNT:
        text = f"{cell:.6g}" if isinstance(cell, float) else to_text(cell)
        raise CellProblem(problem("implausible_amount", cell=cut(text), most=MAX_AMOUNT))
