"""Where a worksheet holds Excel error values (#DIV/0!, #N/A, #REF!, ...), read from its XML.

calamine (python-calamine 0.9) reads an error cell as an empty one, so a balance whose
formula fails would be "no balance" at best and, beside an amount, silently replaced by it.
The error cells are written `<c r="B7" t="e"><f>…</f><v>#DIV/0!</v></c>`: the package
check's pass over the sheet (spread.py) notes whether their mark is there at all, and only a
sheet that has it is read here (in the package check's thread, while calamine loads the
sheet): streamed a megabyte at a time, with one regular expression, or with lxml if its cells are written another
way, placed as calamine places them. Only the zipped XML formats (.xlsx, .xlsm) say where
their errors are; the others read as before.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path
from typing import IO

from lxml import etree

from .refs import column_number
from .spread import ERROR_MARKS as _MARKS
from .spread import placed_cells

_CHUNK = 1 << 20
_TAIL = 256  # longer than any cell's start tag
_LONGEST_CARRY = 8 * _CHUNK
_CELL = re.compile(
    rb"""<c r="([A-Z]{1,3})([0-9]{1,7})"[^>/]*?\st=["']e["'][^>/]*>(.*?)</c>""", re.DOTALL
)
_VALUE = re.compile(rb"<v>([^<]*)</v>")

# {1-based row: {0-based column: the error's text}}
ErrorCells = dict[int, dict[int, str]]


def error_cells(path: str | Path, part: str) -> ErrorCells:
    """The error values of the worksheet `part` by row and column; none for a part that
    cannot be read (the damage check reports it)."""
    with zipfile.ZipFile(path) as zf:
        try:
            with zf.open(part) as fh:
                found, complete = _scan(fh)
            if complete:
                return found
            with zf.open(part) as fh:
                return _walk(fh)
        except (zipfile.BadZipFile, zlib.error, etree.LxmlError, EOFError, OSError, ValueError):
            return {}  # a damaged part: the damage check names it


def _scan(fh: IO[bytes]) -> tuple[ErrorCells, bool]:
    """(the error cells written `<c r="…" … t="e">`, whether that was every one). A chunk
    with no `t="e"` keeps only its tail for the next (a start tag cut in two); one with
    some is read up to its last cell start, and the cell there waits for the next chunk."""
    found: ErrorCells = {}
    carry = b""
    while block := fh.read(_CHUNK):
        data = carry + block
        if not any(mark in data for mark in _MARKS):
            carry = data[-_TAIL:]
            continue
        cut = max(data.rfind(b"<c "), data.rfind(b"<c>"), 0)
        whole, carry = data[:cut], data[cut:]
        if len(carry) > _LONGEST_CARRY or not _collect(whole, found):
            return found, False  # odd XML: the tree walk decides
    return found, _collect(carry, found)


def _collect(data: bytes, found: ErrorCells) -> bool:
    """Add the error cells in `data` (whole cells) to `found`; False if some `t="e"` there
    is not such a cell (written another way, or text that reads `t="e"`)."""
    marks = sum(data.count(mark) for mark in _MARKS)
    if not marks:
        return True
    cells = _CELL.findall(data)
    for letters, row, inner in cells:
        value = _VALUE.search(inner)
        code = value.group(1).decode("utf-8", "replace").strip() if value else ""
        found.setdefault(int(row), {})[column_number(letters.decode()) - 1] = code or "#VALUE!"
    return len(cells) == marks


def _walk(fh: IO[bytes]) -> ErrorCells:
    """The error cells of a sheet written another way (no reference, a namespace prefix),
    placed as calamine places them (spread.placed_cells)."""
    found: ErrorCells = {}
    for row, col, cell in placed_cells(fh):
        if cell.get("t") == "e":
            value = cell.find("{*}v")
            code = (value.text or "").strip() if value is not None else ""
            found.setdefault(row, {})[col - 1] = code or "#VALUE!"
    return found
