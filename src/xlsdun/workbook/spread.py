"""How far a sheet's cells spread, measured before calamine reads it.

calamine holds a sheet as one rectangle from its first valued cell to its last: a value in
A1 and one in XFD1048576 make it ask for 17 billion cells (550 GB) and abort the process,
with no message and nothing in the log; a stray value in XFD3000 costs 1.6 GB. The zip
limits (limits.py) cannot see it: such a file is a few kilobytes. So each worksheet's XML
is streamed, a megabyte at a time, and the rectangle is measured first (in the package
check's thread, whose CRC check of the part this one read also serves: opening.py).

Three ways, cheapest first. Every spreadsheet program writes each cell as `<c r="A1"...`:
when every cell is written so and none lies past column Z or row 99,999 (three searches a
megabyte), the rectangle is at most 2.6 million cells and nothing more is needed. When some
lie further, their references are read with one regular expression. Cells written any other
way (no reference, a namespace prefix, the reference not first) are walked with lxml as
calamine places them. A cell with no value (`<c r="XFD9" s="1"/>`, formatting only) does not
count: calamine leaves it out too.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from lxml import etree

from .parts import sheet_protection_on
from .refs import column_letters, column_number

# About 330 MB in calamine (33 bytes a cell); 200,000 invoices by 12 columns is 2.4 million.
MAX_CELLS = 10_000_000
_CHUNK = 1 << 20
_OVERLAP = 64  # a cell's `<c r="XFD1048576"` start cut by a chunk boundary is seen whole
# A cell past column Z or row 99,999; a cell not written `<c r="…"` (no reference first, or a
# namespace prefix). Three searches, each led by a literal the regex engine skips to: one
# pattern with alternatives tried every byte and was four times slower (measured at 20,000).
_FAR = re.compile(rb'<c r="[A-Z](?:[A-Z]|[0-9]{6})')
_ODD = re.compile(rb'<c(?:>|/>|\s(?!r="))')
_PREFIXED = re.compile(rb":c[\s/>]")
_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"[^>]*?(/?)>')
_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")


@dataclass(slots=True)
class Spread:
    """The rectangle the valued cells span (1-based, inclusive); all 0 when there are none."""

    first_row: int = 0
    last_row: int = 0
    first_col: int = 0
    last_col: int = 0

    @property
    def cells(self) -> int:
        if not self.last_row:
            return 0
        return (self.last_row - self.first_row + 1) * (self.last_col - self.first_col + 1)

    def add(self, col: int, row: int) -> None:
        if not self.last_row:
            self.first_row, self.last_row, self.first_col, self.last_col = row, row, col, col
            return
        self.first_row, self.last_row = min(self.first_row, row), max(self.last_row, row)
        self.first_col, self.last_col = min(self.first_col, col), max(self.last_col, col)


class _Stream:
    """A part's bytes a megabyte at a time; `clean` once they were read to the end with the
    CRC the zip promised (the damage check then need not read them again)."""

    def __init__(self, zf: zipfile.ZipFile, part: str) -> None:
        self.zf, self.part = zf, part
        self.clean = False

    def chunks(self) -> Iterator[tuple[bytes, int]]:
        """(bytes, end of the part this chunk answers for). Each chunk begins with the
        previous one's last `_OVERLAP` bytes and answers for the cells that start before its
        own last `_OVERLAP` bytes (the last chunk: all), so every cell start is seen whole."""
        tail = b""
        with self.zf.open(self.part) as fh:
            block = self._read(fh)
            while block:
                following = self._read(fh)
                chunk = tail + block
                yield chunk, len(chunk) - _OVERLAP if following else len(chunk)
                tail, block = block[-_OVERLAP:], following

    def _read(self, fh: IO[bytes]) -> bytes:
        """The next megabyte. A CRC mismatch (raised with the last one) is the damage
        check's to report: the bytes were all measured, and that check names the part."""
        try:
            block = fh.read(_CHUNK)
        except zipfile.BadZipFile as exc:
            if "CRC" not in str(exc):
                raise
            return b""
        self.clean = self.clean or not block
        return block


_PROTECTION = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?sheetProtection(?=[\s/>])([^>]*)>")
_SHEET_ATTR = re.compile(rb"""\ssheet\s*=\s*["']([^"']*)["']""")


def protection_in(data: bytes) -> bool:
    """Whether `data` holds a <sheetProtection> that protects the cells (parts.py's rule)."""
    found = _PROTECTION.search(data)
    if found is None:
        return False
    sheet = _SHEET_ATTR.search(found.group(1))
    return sheet_protection_on(sheet.group(1).decode("ascii", "replace") if sheet else None)


def _starts_before(pattern: re.Pattern[bytes], chunk: bytes, end: int) -> bool:
    """A match that starts before `end` (one starting later is the next chunk's)."""
    m = pattern.search(chunk)
    return m is not None and m.start() < end


_ERROR_MARKS = (b'"e"', b"'e'")  # an attribute `t="e"`: an Excel error value (cellerrors.py)


def _survey(stream: _Stream) -> tuple[bool, bool, bool]:
    """(every cell is written `<c r="…"` and none lies past column Z or row 99,999, so at
    most 26 x 99,999 cells and nothing to measure; the part may hold Excel error values; its
    cells are protected). One pass: the error values' mark and the sheet protection are
    looked for on the way, which saves cellerrors.py and the pre-send protection check a
    pass of their own (37 ms of the 20,000-invoice run)."""
    plain, errors, protected = True, False, False
    for chunk, end in stream.chunks():
        if plain and any(_starts_before(p, chunk, end) for p in (_FAR, _ODD, _PREFIXED)):
            plain = False
        errors = errors or any(mark in chunk for mark in _ERROR_MARKS)
        if b"sheetProtection" in chunk:
            protected = protected or protection_in(chunk)
    return plain, errors, protected


def _standard(zf: zipfile.ZipFile, part: str) -> bool:
    """Every cell is written `<c r="…"` (wherever it lies)."""
    for chunk, end in _Stream(zf, part).chunks():
        if _starts_before(_ODD, chunk, end) or _starts_before(_PREFIXED, chunk, end):
            return False
    return True


def _measure_refs(zf: zipfile.ZipFile, part: str) -> Spread:
    """The rectangle, from each `<c r="…">` that holds a value (a chunk overlap counts a
    cell twice, which changes no bound)."""
    spread = Spread()
    for chunk, _ in _Stream(zf, part).chunks():
        for letters, row, closed in _CELL.findall(chunk):
            if not closed:
                spread.add(column_number(letters.decode()), int(row))
    return spread


def placed_cells(fh: IO[bytes]) -> Iterator[tuple[int, int, etree._Element]]:
    """(1-based row, 1-based column, the <c> element) of each cell of a worksheet, placed as
    calamine places them: by their reference, else next to the previous cell (and rows
    likewise). Streamed; each row is freed once its cells were given out."""
    row_number = 0
    for _, row in etree.iterparse(fh, tag="{*}row", resolve_entities=False):
        row_number = int(row.get("r") or row_number + 1)
        col = 0
        for cell in row.iterfind("{*}c"):
            m = _REF.fullmatch(cell.get("r") or "")
            col = column_number(m.group(1)) if m else col + 1
            yield (int(m.group(2)) if m else row_number), col, cell
        row.clear()


def _measure_tree(zf: zipfile.ZipFile, part: str) -> Spread:
    """The rectangle of the cells that hold a value (a <v>, <f> or <is>), walked with lxml."""
    spread = Spread()
    with zf.open(part) as fh:
        for row, col, cell in placed_cells(fh):
            if len(cell):
                spread.add(col, row)
    return spread


@dataclass(frozen=True, slots=True)
class Measured:
    """What one pass over a worksheet part found."""

    part: str
    problem: str | None  # why calamine must not load it (its cells spread too far)
    clean: bool  # read whole with a good CRC: the damage check need not read it again
    errors: bool  # it may hold Excel error values: cellerrors.py must look closer
    protected: bool = False  # <sheetProtection sheet="1">: the writer refuses it


def measure(zf: zipfile.ZipFile, part: str) -> Measured:
    """How far a worksheet part's cells spread, and what else the pass over it saw."""
    stream = _Stream(zf, part)
    plain, errors, protected = _survey(stream)
    if plain:
        return Measured(part, None, stream.clean, errors, protected)
    spread = _measure_refs(zf, part) if _standard(zf, part) else _measure_tree(zf, part)
    if spread.cells <= MAX_CELLS:
        return Measured(part, None, stream.clean, errors, protected)
    rows = spread.last_row - spread.first_row + 1
    cols = spread.last_col - spread.first_col + 1
    problem = (
        f"its cells spread over {rows:,} rows by {cols:,} columns (to row {spread.last_row:,}, "
        f"column {column_letters(spread.last_col)}): {spread.cells:,} cells in all, and xlsdun "
        f"reads at most {MAX_CELLS:,}"
    )
    return Measured(part, problem, stream.clean, errors, protected)
