"""How far a sheet's cells spread, measured before calamine reads it.

calamine holds a sheet as one rectangle from its first valued cell to its last: a value in
A1 and one in XFD1048576 make it ask for 17 billion cells (550 GB) and abort the process,
with no message and nothing in the log; a stray value in XFD3000 costs 1.6 GB. The zip
limits (limits.py) cannot see it: such a file is a few kilobytes. So each worksheet's XML
is streamed, a megabyte at a time, and the rectangle is measured first (in the package
check's thread, whose CRC check of the part this one read also serves: opening.py).

One pass, three searches a megabyte: every spreadsheet program writes each cell as
`<c r="A1"...`, and when every cell is written so and none lies past column Z or row
299,999, the rectangle is at most 7.8 million cells and nothing more is needed. When some
lie further, their references are read with one regular expression in a second pass. Cells
written any other way (no reference, a namespace prefix, the reference not first) are walked
with lxml as calamine places them. A cell with no value (`<c r="XFD9" s="1"/>`, formatting
only) does not count: calamine leaves it out too. The same pass notes the mark of Excel
error values (cellerrors.py) and the sheet's protection (the pre-send check), and a part that
does not read to its end with its CRC is a problem too: calamine checks no CRC and would read
what could not be measured.
"""

from __future__ import annotations

import re
import zipfile
import zlib
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
# A cell past column Z or row 299,999 (26 x 299,999 cells stay under MAX_CELLS, so the
# 200,000-invoice sheet needs no second pass: 2.8 s of its read); a cell not written `<c r="…"`
# (no reference first, or a namespace prefix). Three searches, each led by a literal the regex
# engine skips to: one pattern with alternatives was four times slower (measured at 20,000).
_FAR = re.compile(rb'<c r="[A-Z](?:[A-Z]|[3-9][0-9]{5}|[0-9]{7})')
_ODD = re.compile(rb'<c(?:>|/>|\s(?!r="))')
_PREFIXED = re.compile(rb":c[\s/>]")
_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"[^>]*?(/?)>')
_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")
_PROTECTION = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?sheetProtection(?=[\s/>])([^>]*)>")
_PROTECTION_START = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?sheetProtection(?=[\s/>])")
_SHEET_ATTR = re.compile(rb"""\ssheet\s*=\s*["']([^"']*)["']""")
ERROR_MARKS = (b't="e"', b"t='e'")  # an Excel error value's type (cellerrors.py reads them)
DAMAGED = (
    "the part '{part}' inside it is damaged (its data does not match its checksum, or it is "
    "not well-formed XML)"
)


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
        self.fresh = 0  # how many bytes at the end of the current chunk are new

    def chunks(self) -> Iterator[tuple[bytes, int]]:
        """(bytes, end of the part this chunk answers for). Each chunk begins with the
        previous one's last `_OVERLAP` bytes and answers for the cells that start before its
        own last `_OVERLAP` bytes (the last chunk: all), so every cell start is seen whole.
        A part whose bytes do not match its CRC ends early, and is not `clean`."""
        tail = b""
        with self.zf.open(self.part) as fh:
            block = self._read(fh)
            while block:
                following = self._read(fh)
                chunk = tail + block
                self.fresh = len(block)
                yield chunk, len(chunk) - _OVERLAP if following else len(chunk)
                tail, block = block[-_OVERLAP:], following

    def _read(self, fh: IO[bytes]) -> bytes:
        try:
            block = fh.read(_CHUNK)
        except zipfile.BadZipFile:  # zipfile says so with the last block, which is lost
            return b""
        self.clean = self.clean or not block
        return block


def _starts_before(pattern: re.Pattern[bytes], chunk: bytes, end: int) -> bool:
    """A match that starts before `end` (one starting later is the next chunk's)."""
    m = pattern.search(chunk)
    return m is not None and m.start() < end


@dataclass(slots=True)
class _Survey:
    """What the one pass over a worksheet saw (`_survey`)."""

    far: bool = False  # a cell past column Z or row 299,999
    odd: bool = False  # a cell not written `<c r="…"`
    errors: bool = False  # the mark of an Excel error value (cellerrors.py looks closer)
    protected: bool | None = None  # <sheetProtection sheet="1">; None: no such element yet
    pending: bytes = b""  # a <sheetProtection …> cut by a chunk boundary, so far

    def protection(self, chunk: bytes, fresh: int) -> None:
        """Find <sheetProtection …>, which follows the rows, also when a chunk boundary cuts
        it: its start is carried on until its `>` arrives."""
        if self.protected is not None:
            return
        text = self.pending + chunk[-fresh:] if self.pending else chunk
        if not self.pending and b"sheetProtection" not in text:
            return
        start = _PROTECTION_START.search(text)
        if start is None:
            return
        element = _PROTECTION.match(text, start.start())
        if element is None:
            self.pending = text[start.start() :][:65536]  # a real one is under 1 KB
            return
        sheet = _SHEET_ATTR.search(element.group(1))
        self.protected = sheet_protection_on(
            sheet.group(1).decode("ascii", "replace") if sheet else None
        )
        self.pending = b""


def _survey(stream: _Stream) -> _Survey:
    """The one pass over a part (see the module docstring)."""
    seen = _Survey()
    for chunk, end in stream.chunks():
        seen.far = seen.far or _starts_before(_FAR, chunk, end)
        seen.odd = seen.odd or any(_starts_before(p, chunk, end) for p in (_ODD, _PREFIXED))
        seen.errors = seen.errors or any(mark in chunk for mark in ERROR_MARKS)
        seen.protection(chunk, stream.fresh)
    return seen


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
    problem: str | None  # why calamine must not load it: damaged, or its cells spread too far
    clean: bool  # read whole with a good CRC: the damage check need not read it again
    errors: bool  # it may hold Excel error values: cellerrors.py must look closer
    protected: bool = False  # <sheetProtection sheet="1">: the writer refuses it


def measure(zf: zipfile.ZipFile, part: str) -> Measured:
    """How far a worksheet part's cells spread, and what else the pass over it saw."""
    stream = _Stream(zf, part)
    try:
        seen = _survey(stream)
        if not stream.clean:
            return Measured(part, DAMAGED.format(part=part), False, False)
        spread = None
        if seen.far or seen.odd:
            spread = _measure_tree(zf, part) if seen.odd else _measure_refs(zf, part)
    except (zipfile.BadZipFile, zlib.error, EOFError, etree.XMLSyntaxError):
        return Measured(part, DAMAGED.format(part=part), False, False)
    problem = None
    if spread is not None and spread.cells > MAX_CELLS:
        rows = spread.last_row - spread.first_row + 1
        cols = spread.last_col - spread.first_col + 1
        problem = (
            f"its cells spread over {rows:,} rows by {cols:,} columns (to row "
            f"{spread.last_row:,}, column {column_letters(spread.last_col)}): "
            f"{spread.cells:,} cells in all, and xlsdun reads at most {MAX_CELLS:,}"
        )
    return Measured(part, problem, True, seen.errors, bool(seen.protected))
