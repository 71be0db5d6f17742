"""What a reply hints at, in Hebrew and English: a date it names (a suggested promise date)
and whether it says it paid. Hints, never actions: the digest shows them, the owner decides;
xlsdun never changes an amount or marks anything paid by itself.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

_MONTHS_EN = {
    m: i
    for i, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for m in names
}
_MONTHS_HE = {
    name: i
    for i, name in enumerate(
        (
            "ינואר",
            "פברואר",
            "מרץ",
            "אפריל",
            "מאי",
            "יוני",
            "יולי",
            "אוגוסט",
            "ספטמבר",
            "אוקטובר",
            "נובמבר",
            "דצמבר",
        ),
        start=1,
    )
}
_MONTH_EN = "|".join(sorted(_MONTHS_EN, key=len, reverse=True))
_MONTH_HE = "|".join(_MONTHS_HE) + "|מרס"
_NUMERIC = re.compile(r"(?<![\d/.-])(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?(?![\d/.-]*\d)")
_DAY_MONTH_EN = re.compile(
    rf"(?i)\b(\d{{1,2}})(?:st|nd|rd|th)?(?:\s+of)?\s+({_MONTH_EN})\.?(?:,?\s+(\d{{4}}))?\b"
)
_MONTH_DAY_EN = re.compile(
    rf"(?i)\b({_MONTH_EN})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?"
)
_DAY_MONTH_HE = re.compile(rf"(\d{{1,2}})\s*(?:ב|ל)?[־-]?\s*({_MONTH_HE})(?:\s+(\d{{4}}))?")
_TOMORROW = re.compile(r"(?i)\btomorrow\b|(?<![א-ת])מחר(?![א-ת])")
_PAID = re.compile(
    r"(?i)\b(?:paid|transferred|wired|sent (?:the|a|you the) (?:payment|transfer|money))\b"
    r"|(?<![א-ת])(?:ו?שילמתי|ו?שילמנו|ו?העברתי|ו?העברנו|שולם|שולמה|הועבר|הועברה|"
    r"ו?הפקדתי|ו?הפקדנו)(?![א-ת])"
)
_NOT_PAID = re.compile(r"(?i)\b(?:not|n't|never|yet to)\s+(?:\w+\s+)?(?:paid|transferred)\b")


def says_paid(text: str) -> bool:
    """ "paid", "transferred", "שילמתי", "העברתי" and the like, not "not paid yet"."""
    return bool(_PAID.search(text)) and not _NOT_PAID.search(text)


def promised_date(text: str, day: date) -> date | None:
    """The first date in `text` on or after `day` (the reply's date), read day-first as in
    Israel and Britain; a date without a year is its next occurrence."""
    found: list[tuple[int, date]] = []
    for m in _NUMERIC.finditer(text):
        _add(found, m.start(), day, int(m[1]), int(m[2]), m[3])
    for m in _DAY_MONTH_EN.finditer(text):
        _add(found, m.start(), day, int(m[1]), _MONTHS_EN[m[2].lower()], m[3])
    for m in _MONTH_DAY_EN.finditer(text):
        _add(found, m.start(), day, int(m[2]), _MONTHS_EN[m[1].lower()], m[3])
    for m in _DAY_MONTH_HE.finditer(text):
        month = _MONTHS_HE.get(m[2], 3)  # מרס: March's other spelling
        _add(found, m.start(), day, int(m[1]), month, m[3])
    for m in _TOMORROW.finditer(text):
        found.append((m.start(), day + timedelta(days=1)))
    return min(found)[1] if found else None


def _add(
    found: list[tuple[int, date]], at: int, day: date, d: int, month: int, year: str | None
) -> None:
    """A day and month (and maybe a year) as a date on or after `day`, if it is one: within
    half a year without a year (20/11 written on 28 Nov is the past, not next November),
    within a year with one."""
    horizon = 183 if year is None else 366
    if year is None:
        candidates = [day.year, day.year + 1]
    else:
        candidates = [int(year) + (2000 if len(year) == 2 else 0)]
    for y in candidates:
        try:
            when = date(y, month, d)
        except ValueError:
            return
        if day <= when <= day + timedelta(days=horizon):
            found.append((at, when))
            return
