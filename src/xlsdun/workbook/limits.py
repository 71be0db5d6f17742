"""Bounds on a workbook package, and the writer's refusals, checked before anything is sent.

A workbook is a zip of parts. A hostile or damaged one can say that a 3 MB file unpacks
to 3 GB (a "zip bomb"), hold two parts of the same name, or carry a part whose bytes do not
unpack to what its directory says. Reading such a file costs unbounded memory, and the
write-back refuses it, after the day's reminders have gone out. So the zip's directory is
checked before calamine or lxml inflate anything (`directory_problem`, shared with the
writer), and the rest of what the writer would refuse is checked while the sheet is read
(`damaged_part`, `next_free_column`). The functions return a problem in words (or None);
the reader and the writer each say it their way, with what to do.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Container, Sequence
from pathlib import Path

from lxml import etree

from .bounds import MAX_COLS
from .parts import XML_PARSER, Rel, parse_rels, part_key, rels_part, workbook_part

MAX_ENTRIES = 10_000  # parts in one package; a big real workbook has a few hundred
MAX_PART_BYTES = 1 << 30  # one part unpacked; a full 1,048,576-row sheet is about half that
MAX_TOTAL_BYTES = 2 << 30  # all parts unpacked
MAX_RATIO = 100  # unpacked / packed; real sheets are 5-30 times smaller packed
RATIO_FROM_BYTES = 8 << 20  # ... checked on parts (and packages) bigger than this unpacked

_CHUNK = 1 << 20
_ENCRYPTED_FLAG = 0x1
_UNREADABLE = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError)


def _mb(size: int) -> str:
    return f"{size / (1 << 20):,.0f} MB" if size >= 1 << 20 else f"{size:,} bytes"


def directory_problem(infos: Sequence[zipfile.ZipInfo], archive_size: int) -> str | None:
    """What is wrong with a package's zip directory, from the sizes it declares (nothing is
    unpacked: calamine and zipfile both stop at a part's declared size, so the declared
    sizes bound what reading costs). None for every real workbook."""
    if len(infos) > MAX_ENTRIES:
        return f"it contains {len(infos):,} parts (xlsdun reads at most {MAX_ENTRIES:,})"
    seen: set[str] = set()
    for info in infos:
        key = part_key(info.filename)
        if key in seen:
            return (
                f"it contains two parts named '{info.filename}', so it is unclear which one "
                f"Excel would read (no spreadsheet program saves a file like that)"
            )
        seen.add(key)
        if info.flag_bits & _ENCRYPTED_FLAG:
            return f"the part '{info.filename}' inside it is encrypted as a zip entry"
        problem = _size_problem(info.filename, info.file_size, info.compress_size, MAX_PART_BYTES)
        if problem:
            return problem
    packed = sum(info.compress_size for info in infos)
    if packed > archive_size:
        return "its parts overlap one another inside the zip, which no spreadsheet program does"
    unpacked = sum(info.file_size for info in infos)
    return _size_problem("", unpacked, archive_size, MAX_TOTAL_BYTES)


def _size_problem(part: str, unpacked: int, packed: int, limit: int) -> str | None:
    what = f"the part '{part}' inside it" if part else "the parts inside it"
    if unpacked > limit:
        size, most = _mb(unpacked), _mb(limit)
        if size == most:  # just over: in bytes, or it reads "1,024 MB (at most 1,024 MB)"
            size, most = f"{unpacked:,} bytes", f"{limit:,}"
        return f"{what} would unpack to {size} (xlsdun reads at most {most})"
    if unpacked > RATIO_FROM_BYTES and unpacked > MAX_RATIO * max(packed, 1):
        return (
            f"{what} would unpack to {_mb(unpacked)} from {_mb(packed)}, "
            f"{unpacked // max(packed, 1):,} times its size (real workbooks stay under "
            f"{MAX_RATIO} times)"
        )
    return None


def damaged_part(path: Path, checked: Container[str] = frozenset()) -> str | None:
    """The first part the writer could not copy or parse: its bytes do not unpack to what
    the directory says (CRC, size, a cut stream), or an XML part it parses whole is not
    well-formed. Streamed a megabyte at a time; the sizes were bounded first. `checked`:
    parts already read whole with a good CRC (the worksheets, measured first)."""
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if info.filename in checked:
                continue
            try:
                with zf.open(info) as fh:
                    while fh.read(_CHUNK):
                        pass
            except _UNREADABLE as exc:
                return f"the part '{info.filename}' inside it is damaged ({exc})"
        return _Parts(zf).problem()


class _Damaged(Exception):
    """A part that does not parse; the message is the problem in words."""


class _Parts:
    """The XML parts the writer parses whole, found as it finds them (parts.py): content
    types, the package's and the workbook's relationships, the workbook, its styles and
    calc chain, and each worksheet's relationships and Tables."""

    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        self.names = {part_key(n): n for n in zf.namelist()}

    def has(self, name: str) -> bool:
        return part_key(name) in self.names

    def parse(self, name: str) -> etree._Element:
        actual = self.names[part_key(name)]
        try:
            return etree.fromstring(self.zf.read(actual), XML_PARSER)
        except etree.XMLSyntaxError as exc:
            raise _Damaged(f"the part '{actual}' inside it is damaged ({exc})") from None

    def rels(self, part: str) -> list[Rel]:
        name = rels_part(part)
        if not self.has(name):
            return []
        found = parse_rels(self.parse(name), part, self.has)
        return [r for r in found if not r.external and self.has(r.target)]

    def problem(self) -> str | None:
        try:
            if self.has("[Content_Types].xml"):
                self.parse("[Content_Types].xml")
            book = workbook_part(self.rels(""), self.has)
            if book is None:
                return None  # not a workbook: calamine says so
            self.parse(book)
            for rel in self.rels(book):
                if rel.kind in ("styles", "calcChain"):
                    self.parse(rel.target)
                elif rel.kind == "worksheet":
                    for below in self.rels(rel.target):
                        if below.kind == "table":
                            self.parse(below.target)
        except _Damaged as exc:
            return str(exc)
        return None


def next_free_column(column: int, occupied: Container[int]) -> int | None:
    """The first column from `column` on (1-based) that holds nothing, or None past XFD:
    where the writer puts a column it adds (right of the header row's last header)."""
    while column in occupied:
        column += 1
    return column if column <= MAX_COLS else None
