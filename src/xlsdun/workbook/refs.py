"""A1-style cell references: column letters and numbers, cells and ranges (1-based)."""

from __future__ import annotations

import re

CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")

_COLUMN_CACHE: dict[str, int] = {}


def column_number(letters: str) -> int:
    number = _COLUMN_CACHE.get(letters)
    if number is None:
        number = 0
        for ch in letters.upper():
            number = number * 26 + ord(ch) - 64
        _COLUMN_CACHE[letters] = number
    return number


_LETTERS_CACHE: dict[int, str] = {}


def column_letters(number: int) -> str:
    letters = _LETTERS_CACHE.get(number)
    if letters is None:
        letters, rest = "", number
        while rest:
            rest, digit = divmod(rest - 1, 26)
            letters = chr(65 + digit) + letters
        _LETTERS_CACHE[number] = letters
    return letters


def cell_column(ref: str) -> int:
    return column_number(ref.rstrip("0123456789$").lstrip("$"))


def parse_range(ref: str) -> tuple[int, int, int, int] | None:
    """``A1:C5`` -> (first col, first row, last col, last row)."""
    parts = ref.split(":")
    corners = [CELL_REF.match(p.strip()) for p in parts if p.strip()]
    if not corners or None in corners or len(corners) > 2:
        return None
    cols = [column_number(m.group(1)) for m in corners if m]
    rows = [int(m.group(2)) for m in corners if m]
    return min(cols), min(rows), max(cols), max(rows)


def format_range(c1: int, r1: int, c2: int, r2: int) -> str:
    start = f"{column_letters(c1)}{r1}"
    end = f"{column_letters(c2)}{r2}"
    return start if start == end else f"{start}:{end}"
