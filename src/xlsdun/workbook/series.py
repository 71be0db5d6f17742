"""A column's distinct values converted at once with pandas: dates, amounts and text.

`convert.Converter` factorizes each chunk's column (`pandas.factorize`) and hands the
distinct values here as an object Series. Each function returns one converted value per
distinct value, or `LEFT` where pandas does not take it (a NaT from `to_datetime`, a NaN
from `to_numeric`, a text not written the plain way): those go to the cell's converter
(coerce.py, money.py), which reads the exotic forms and words the finding for the rest.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Final

import numpy as np
import pandas as pd

# pandas' own NA spellings ("", "N/A", "NULL", "nan", ...), the ones read_csv and read_excel
# read as missing. pandas has no public name for the set: this is where both of them take it.
from pandas._libs.parsers import STR_NA_VALUES  # type: ignore[import-not-found]
from pandas.api.types import infer_dtype

from .bounds import MAX_AMOUNT
from .coerce import MIN_YEAR

NA_SPELLINGS: Final[frozenset[str]] = frozenset(STR_NA_VALUES)


class _Left:
    """The mark of a value a column function leaves to the cell's converter."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "LEFT"


LEFT: Final = _Left()

Values = np.ndarray  # an object array, one entry per distinct value


def _left(n: int) -> Values:
    return np.full(n, LEFT, dtype=object)


# -- dates ------------------------------------------------------------------------------------

_EXCEL_EPOCH = "1899-12-30"  # Excel's day 0 (it counts 1900 as a leap year: serials from 61 on)
_LAST_SERIAL = 2958466  # 9999-12-31 is Excel's serial 2958465
_ISO = r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$"  # "2026-11-26", "2026-11-26 10:00"
_NUMERIC = r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$"  # "26/11/2026", "26.11.2026"
_SHORT_YEAR = r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2})$"  # "26/11/26": this century
# the month's name ("26 Nov 2026", "November 26, 2026"), in any date order
_NAMED = ("%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y", "%b %d, %Y", "%B %d, %Y")


def date_formats(date_order: str) -> tuple[str, ...]:
    """The explicit formats a text date is tried in, after `_canonical`: ISO, the day and
    month in the configured order (YMD: as DMY, for the dates written with a day first),
    then with the month's name."""
    numeric = "%m/%d/%Y" if date_order == "MDY" else "%d/%m/%Y"
    return ("%Y-%m-%d", numeric, *_NAMED)


def dates(values: pd.Series, date_order: str) -> Values:
    """Each distinct cell as a date: datetime and date cells as they are, Excel's serial
    numbers with `to_datetime(unit="D")`, text with `to_datetime` in each explicit format of
    the configured order. A year before MIN_YEAR, or one pandas cannot hold (before 1677,
    after 2262), is left to `coerce.to_date`, as is every other cell."""
    out = _left(len(values))
    kind = infer_dtype(values, skipna=False)
    if kind == "datetime" and all(v.__class__ is datetime for v in values):  # the usual column
        out[:] = [v.date() for v in values]
        _before_min_year(out)
        return out
    kinds = [v.__class__ for v in values]
    for i, (cls, v) in enumerate(zip(kinds, values, strict=True)):
        if cls is datetime or cls is pd.Timestamp:
            out[i] = v.date()
        elif cls is date:
            out[i] = v
    _before_min_year(out)
    serials = np.fromiter((k is float or k is int for k in kinds), bool, len(kinds))
    if serials.any():
        _take_dates(out, serials, _from_serials(values[serials]))
    texts = np.fromiter((k is str for k in kinds), bool, len(kinds))
    if texts.any():
        _take_dates(out, texts, _from_texts(values[texts], date_order))
    return out


def _before_min_year(out: Values) -> None:
    """Leave a date before MIN_YEAR to the cell's converter, which says so."""
    for i, v in enumerate(out):
        if v.__class__ is date and v.year < MIN_YEAR:
            out[i] = LEFT


def _from_serials(serials: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(serials).astype(float)
    numbers = numbers.where((numbers >= 1) & (numbers < _LAST_SERIAL)).floordiv(1)
    return pd.to_datetime(numbers, unit="D", origin=_EXCEL_EPOCH, errors="coerce")


def _from_texts(texts: pd.Series, date_order: str) -> pd.Series:
    texts = texts.astype(object).str.strip()
    canonical = (
        texts.str.replace(_ISO, r"\1-\2-\3", regex=True)
        .str.replace(_NUMERIC, r"\1/\2/\3", regex=True)
        .str.replace(_SHORT_YEAR, r"\1/\2/20\3", regex=True)
    )
    found = pd.Series(pd.NaT, index=texts.index, dtype="datetime64[us]")
    for fmt in date_formats(date_order):
        missing = found.isna()
        if not missing.any():
            break
        parsed = pd.to_datetime(canonical[missing], format=fmt, errors="coerce")
        found = found.fillna(parsed)
    return found


def _take_dates(out: Values, where: np.ndarray, found: pd.Series) -> None:
    """Put the dates `found` for the values `where` into `out`: NaT and years before
    MIN_YEAR stay LEFT (the cell's converter says what is wrong with them)."""
    usable = (found.notna() & (found.dt.year >= MIN_YEAR)).to_numpy()
    places = np.flatnonzero(where)[usable]
    out[places] = found[usable].dt.date.to_numpy(dtype=object)


# -- amounts ----------------------------------------------------------------------------------

_CODES = "ILS|NIS|USD|EUR|GBP"
_CURRENCY = {"₪": "ILS", "$": "USD", "€": "EUR", "£": "GBP", "NIS": "ILS"}
_CURRENCY |= {c: c for c in ("ILS", "USD", "EUR", "GBP")}
_PLAIN_LONGEST = 40  # longer text is not written the plain way


def _plain(point: str, group: str) -> str:
    """An amount written the plain way, as exports write them: a currency symbol or code
    (apart from the digits, as money.py's \\b has it) before or after, parentheses or a
    minus, thousands in groups of three, at most two decimals."""
    p, g = re.escape(point), re.escape(group)
    return (
        rf"^\s*(?P<pre>[₪$€£]|(?:{_CODES})(?![A-Za-z0-9_]))?\s*"
        r"(?P<open>\()?(?P<minus>-)?"
        rf"(?P<whole>[0-9]{{1,3}}(?:{g}[0-9]{{3}})+|[0-9]+)(?P<cents>{p}[0-9]{{1,2}})?"
        r"(?P<close>\))?"
        rf"\s*(?P<post>[₪$€£]|(?<![A-Za-z0-9_])(?:{_CODES}))?\s*$"
    )


_PLAIN = {False: _plain(".", ","), True: _plain(",", ".")}


def amounts(values: pd.Series, decimal_comma: bool) -> Values:
    """Each distinct amount cell as (Decimal to 2 places, the currency its text names):
    numbers below 10^12 directly, text written the plain way (`text_amounts`). The rest
    (a trillion or more, infinities, other text) is left to `money.to_money`."""
    out = _left(len(values))
    kind = infer_dtype(values, skipna=False)
    if kind == "floating":  # the usual column: numbers, as Excel keeps them
        numbers = np.ones(len(values), dtype=bool)
    elif kind == "string":  # a text export's column
        out[:] = text_amounts(values, decimal_comma)
        return out
    else:
        numbers = np.fromiter((v.__class__ is float for v in values), bool, len(values))
    if numbers.any():
        floats = values[numbers].to_numpy(dtype=float)
        usable = (floats > -1e12) & (floats < 1e12)
        # "%.2f" of a float below 10^12 is the amount to the cent, as to_money rounds it
        # Python floats: formatting numpy's float64 costs three times as much
        found = [(Decimal(f"{v:.2f}"), None) for v in floats[usable].tolist()]
        out[np.flatnonzero(numbers)[usable]] = _as_objects(found)
    if kind != "floating":
        texts = np.fromiter((v.__class__ is str for v in values), bool, len(values))
        if texts.any():
            out[texts] = text_amounts(values[texts], decimal_comma)
    return out


def text_amounts(texts: pd.Series, decimal_comma: bool = False) -> Values:
    """(amount, currency) of each text written the plain way ("₪1,200.50", "(500.00)", "NIS
    300"; with `decimal_comma`, "1.200,50 €"): `Series.str.extract` takes it apart and
    `to_numeric` reads the number. LEFT for any other text: `to_money` reads it or words
    its finding (spaces between thousands, a sign inside parentheses, a trillion or more)."""
    point, group = (",", ".") if decimal_comma else (".", ",")
    out = _left(len(texts))
    texts = texts.astype(object)
    short = (texts.str.len() <= _PLAIN_LONGEST).to_numpy()
    if not short.any():
        return out
    parts = texts[short].str.extract(_PLAIN[decimal_comma])
    has = parts.notna()
    usable = (
        has["whole"]
        & (has["open"] == has["close"])
        & ~(has["open"] & has["minus"])
        & ~(has["pre"] & has["post"])
    )
    negative = has["open"] | has["minus"]
    digits = parts["whole"].str.replace(group, "", regex=False)
    digits += parts["cents"].fillna("").str.replace(point, ".", regex=False)
    number = pd.to_numeric(digits.where(usable), errors="coerce")
    usable &= number.notna() & (number < MAX_AMOUNT)
    usable_at = usable.to_numpy()
    if not usable_at.any():
        return out
    currency = parts["pre"].fillna(parts["post"]).map(_CURRENCY)[usable]
    found = [
        (-Decimal(f"{v:.2f}") if minus else Decimal(f"{v:.2f}"), None if c != c else c)
        for v, minus, c in zip(
            number[usable].tolist(),
            negative[usable].tolist(),
            currency.tolist(),
            strict=True,
        )
    ]
    places = np.flatnonzero(short)[usable_at]
    out[places] = _as_objects(found)
    return out


def _as_objects(items: Sequence[object]) -> Values:
    """A list of tuples as a 1-D object array (numpy would make it 2-D)."""
    array = np.empty(len(items), dtype=object)
    array[:] = items
    return array


# -- text -------------------------------------------------------------------------------------


def texts(values: pd.Series, limit: int) -> Values:
    """Each distinct text cell with its runs of spaces as one space (`Series.str`): plain
    text no longer than `limit`, none of it an NA spelling. Other cells, and text with a
    control or format character, are left to the cell's converter, which says which."""
    out = _left(len(values))
    if infer_dtype(values, skipna=False) == "string":  # the usual column: all text
        strings = np.ones(len(values), dtype=bool)
        text = values
    else:
        strings = np.fromiter((v.__class__ is str for v in values), bool, len(values))
        if not strings.any():
            return out
        text = values[strings]
    raw = text.tolist()
    if max(map(len, raw)) <= limit and NA_SPELLINGS.isdisjoint(raw):  # the usual column
        usable = np.ones(len(raw), dtype=bool)
    else:  # the too long are left before tidying: splitting 32,000 characters costs
        usable = (text.str.len() <= limit).to_numpy() & ~text.isin(NA_SPELLINGS).to_numpy()
        text = text[usable]
    found = text.str.split().str.join(" ").to_numpy(dtype=object, copy=True)
    printable = np.ones(len(found), dtype=bool)
    if not "".join(found).isprintable():  # one check for the usual column
        printable = np.fromiter(map(str.isprintable, found), bool, len(found))
    found[found == ""] = None
    out[np.flatnonzero(strings)[np.flatnonzero(usable)[printable]]] = found[printable]
    return out
