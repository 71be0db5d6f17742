"""Helpers shared by the write-back tests: real workbooks built with XlsxWriter, and
ways to compare two workbooks part by part and cell by cell."""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import python_calamine
import xlsxwriter

SHEET = "Receivables"
HEADERS = ["Customer", "Email", "Invoice", "Due date", "Amount", "Currency", "Balance"]


def build_receivables(path: Path, rows: int = 20, *, rich: bool = True) -> Path:
    """A receivables sheet carrying the parts a writer is most likely to lose."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(SHEET)
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    money = wb.add_format({"num_format": "#,##0.00", "bg_color": "#FFF2CC"})
    for i in range(rows):
        r = i + 1
        amount = 100 + i * 7.5
        ws.write_string(r, 0, f"Customer {i}")
        ws.write_string(r, 1, f"c{i}@example.com")
        ws.write_string(r, 2, f"INV-{1000 + i}")
        ws.write_datetime(r, 3, date(2024, 1, 1) + timedelta(days=i), date_fmt)
        ws.write_number(r, 4, amount, money)
        ws.write_string(r, 5, "ILS")
        ws.write_formula(r, 6, f"=E{r + 1}*1", money, value=amount)
    last = rows
    ws.add_table(0, 0, last, len(HEADERS) - 1, {"columns": [{"header": h} for h in HEADERS]})
    if rich:
        ws.conditional_format(1, 4, last, 4, {"type": "data_bar"})
        ws.data_validation(1, 5, last, 5, {"validate": "list", "source": ["ILS", "USD", "EUR"]})
        ws.add_sparkline(1, 13, {"range": f"{SHEET}!E2:E{last + 1}"})
        ws.write_dynamic_array_formula(
            f"P2:P{last + 1}", f"=_xlfn._xlws.SORT(E2:E{last + 1})", None, 100
        )
        ws.write_comment(1, 0, "Pays late but always pays")
        ws.freeze_panes(1, 0)
        chart = wb.add_chart({"type": "column"})
        chart.add_series({"values": f"={SHEET}!$E$2:$E${last + 1}"})
        ws.insert_chart("R2", chart)
        other = wb.add_worksheet("Notes")
        other.write_string(0, 0, "Untouched sheet")
    wb.close()
    return path


@dataclass(frozen=True)
class Formula:
    """A formula cell for `write_rows`, with the value Excel shows for it ("#DIV/0!")."""

    text: str
    value: object


def write_rows(path: Path, rows: list[list[object]], sheet: str = SHEET) -> Path:
    """A one-sheet workbook holding `rows` from A1 (XlsxWriter: dates as dates, and control
    characters in text kept, escaped as Excel escapes them)."""
    return write_sheets(path, {sheet: rows})


def write_sheets(
    path: Path,
    sheets: Mapping[str, list[list[object]]],
    *,
    hidden: Iterable[str] = (),
    very_hidden: Iterable[str] = (),
) -> Path:
    """A workbook of several sheets as `write_rows` writes one, some hidden (right-click a
    tab > Hide) or very hidden (only VBA shows them again); the first visible one is the
    active sheet. A `Formula` cell is written with its value: an error value ("#N/A") is
    written as Excel writes one (`t="e"`)."""
    wb = xlsxwriter.Workbook(str(path))
    dates = wb.add_format({"num_format": "dd/mm/yyyy"})
    hidden, very_hidden = set(hidden), set(very_hidden)
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, Formula):
                    ws.write_formula(r, c, value.text, None, value.value)
                elif isinstance(value, date):
                    ws.write_datetime(r, c, value, dates)
                elif isinstance(value, str):
                    ws.write_string(r, c, value)
                elif value is not None:
                    ws.write(r, c, value)
    shown = [ws for ws in wb.worksheets() if ws.name not in hidden | very_hidden]
    shown[0].activate()  # Excel will not hide the active sheet
    for ws in wb.worksheets():
        if ws.name in hidden:
            ws.hide()
        elif ws.name in very_hidden:
            ws.very_hidden()
    wb.close()
    return path


def entries(path: Path) -> dict[str, tuple[int, bytes]]:
    """Every zip entry: name -> (compression type, decompressed bytes)."""
    with zipfile.ZipFile(path) as z:
        return {i.filename: (i.compress_type, z.read(i)) for i in z.infolist()}


def entry_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        return z.namelist()


def changed_entries(before: Path, after: Path) -> set[str]:
    """Names whose content differs, asserting order and compression are kept."""
    old, new = entries(before), entries(after)
    old_names, new_names = entry_names(before), entry_names(after)
    assert new_names[: len(old_names)] == old_names, "zip entry order changed"
    changed = set()
    for name, (kind, data) in old.items():
        assert new[name][0] == kind, f"compression of {name} changed"
        if new[name][1] != data:
            changed.add(name)
    return changed


def grid(path: Path, sheet: str | int = 0) -> dict[tuple[int, int], object]:
    """Non-empty cells by absolute 1-based (row, column), as calamine reads them."""
    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        sh = wb.get_sheet_by_index(sheet) if isinstance(sheet, int) else wb.get_sheet_by_name(sheet)
        data = sh.to_python(skip_empty_area=False)
    finally:
        wb.close()
    return {
        (r + 1, c + 1): value
        for r, line in enumerate(data)
        for c, value in enumerate(line)
        if value != ""
    }


def header_columns(cells: dict[tuple[int, int], object], header_row: int) -> dict[str, int]:
    return {str(v): c for (r, c), v in cells.items() if r == header_row}


# -- hostile packages: parts changed, doubled, damaged or made into zip bombs -----------------


@dataclass(frozen=True)
class Deflated:
    """A zip entry's data as a raw deflate stream, with the size and CRC-32 it unpacks to."""

    data: bytes
    size: int
    crc: int

    @classmethod
    def of(cls, content: bytes) -> Deflated:
        packer = zlib.compressobj(6, zlib.DEFLATED, -15)
        return cls(packer.compress(content) + packer.flush(), len(content), zlib.crc32(content))


def bomb_stream(head: bytes, filler: bytes, size: int, tail: bytes) -> Deflated:
    """`head`, then `filler` repeated to about `size` bytes, then `tail`, as one deflate
    stream built in a moment: the filler is compressed once as a block of its own (a full
    flush ends it on a byte boundary with nothing carried over) and that block repeated."""
    chunk = (filler * (-(-(1 << 20) // len(filler))))[: 1 << 20]
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)
    block = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    last = packer.compress(tail) + packer.flush(zlib.Z_FINISH)
    count = max(size // len(chunk), 1)
    crc = zlib.crc32(head)
    for _ in range(count):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    return Deflated(first + block * count + last, len(head) + count * len(chunk) + len(tail), crc)


def write_zip(out: Path, entries: Iterable[tuple[str, Deflated]]) -> Path:
    """A zip written by hand (the central directory says what each entry says it unpacks
    to), so that an entry can be a prebuilt stream or share its name with another."""
    local, central = bytearray(), bytearray()
    count = 0
    for name, entry in entries:
        raw = name.encode()
        fields = (8, 0, 0x21, entry.crc, len(entry.data), entry.size, len(raw))
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, *fields, 0, 0, 0, 0, 0, len(local)
        )
        central += raw
        local += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, *fields, 0) + raw + entry.data
        count += 1
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(central), len(local), 0)
    out.write_bytes(bytes(local + central + end))
    return out


def repack(
    source: Path,
    out: Path,
    change: Mapping[str, Callable[[bytes], bytes | Deflated]] | None = None,
    extra: Iterable[tuple[str, bytes]] = (),
) -> Path:
    """A copy of the workbook `source` with some parts' content changed (a function of the
    old content, which may return a prebuilt stream) and `extra` entries added after them,
    even under a name already used."""
    change = change or {}
    with zipfile.ZipFile(source) as z:
        parts = [(i.filename, z.read(i)) for i in z.infolist()]
    entries = []
    for name, content in [*parts, *extra]:
        new = change[name](content) if name in change else content
        entries.append((name, new if isinstance(new, Deflated) else Deflated.of(new)))
    return write_zip(out, entries)


def with_bomb(source: Path, out: Path, part: str, size: int) -> Path:
    """`source` with `part` made a zip bomb: an XML comment of `size` bytes before its root
    element, so that whatever reads the part whole holds all of it."""

    def inflate(content: bytes) -> Deflated:
        start = content.index(b"?>") + 2 if content.startswith(b"<?xml") else 0
        return bomb_stream(content[:start] + b"<!--", b"A", size, b"-->" + content[start:])

    return repack(source, out, {part: inflate})


def encrypted_xls(path: Path) -> Path:
    """A minimal Excel 97-2003 workbook (BIFF8 in an OLE2 compound file) that is password-
    protected: its Workbook stream holds a FILEPASS record (RC4) right after BOF, which is
    how Excel marks an encrypted .xls."""
    bof = struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 6)
    filepass = struct.pack("<HHH", 1, 1, 1) + bytes(range(48))  # RC4: salt, verifier, hash
    stream = b"".join(
        struct.pack("<HH", kind, len(body)) + body
        for kind, body in ((0x0809, bof), (0x002F, filepass), (0x000A, b""))
    ).ljust(4096, b"\0")  # 4 KB or more: a regular stream, not a mini stream
    end, free = 0xFFFFFFFE, 0xFFFFFFFF
    fat = [0xFFFFFFFD, end, *range(3, 2 + len(stream) // 512), end]
    fat_sector = struct.pack(f"<{len(fat)}I", *fat).ljust(512, b"\xff")

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        return (
            raw.ljust(64, b"\0")
            + struct.pack("<HBB3I", len(raw), kind, 1, free, free, child)
            + bytes(36)
            + struct.pack("<IQ", start, size)
        )

    directory = entry("Root Entry", 5, 1, end, 0) + entry("Workbook", 2, free, 2, len(stream))
    directory = directory.ljust(512, b"\0")
    header = (
        bytes.fromhex("D0CF11E0A1B11AE1")
        + bytes(16)
        + struct.pack(
            "<HHHHH6xIIIIIIIII", 0x3E, 3, 0xFFFE, 9, 6, 0, 1, 1, 0, 0x1000, end, 0, end, 0
        )
        + struct.pack("<I", 0)
        + b"\xff" * (108 * 4)
    )
    path.write_bytes(header + fat_sector + directory + stream)
    return path
