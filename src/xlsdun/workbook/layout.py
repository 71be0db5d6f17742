"""Facts about a sheet that the cell values alone don't give: its Excel Tables, its hidden rows.

calamine reads values; where the receivables sit inside an Excel Table (ListObject), the
table's range is the authoritative extent (no stray notes below it, no totals row), and a
user may ask to leave hidden rows out. Both come from the package's XML, read with lxml.
"""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from .parts import (
    WRITABLE_SUFFIXES,
    Rel,
    parse_rels,
    part_key,
    rels_part,
    sheet_rel_id,
    workbook_part,
)
from .refs import CELL_REF, cell_column, parse_range
from .spread import Measured, measure


@dataclass(frozen=True, slots=True)
class TableRange:
    name: str
    first_row: int  # 1-based, the header row
    last_row: int  # 1-based, the last data row (totals row excluded)
    first_col: int  # 0-based
    last_col: int  # 0-based


def _rels(zf: zipfile.ZipFile, names: dict[str, str], part: str) -> list[Rel]:
    """A part's relationships; none if its .rels is missing or does not parse (calamine,
    which read the values, is more lenient than lxml: the facts here are extras)."""
    actual = names.get(part_key(rels_part(part)))
    if actual is None:
        return []
    try:
        root = etree.fromstring(zf.read(actual))
    except (etree.XMLSyntaxError, zipfile.BadZipFile, zlib.error):
        return []
    return parse_rels(root, part, lambda n: part_key(n) in names)


def _sheet_parts(zf: zipfile.ZipFile, names: dict[str, str]) -> dict[str, str]:
    """Each worksheet's name and part, found as the writer finds them (parts.py)."""

    def has(name: str) -> bool:
        return part_key(name) in names

    workbook = workbook_part(_rels(zf, names, ""), has)
    if workbook is None:
        return {}
    try:
        root = etree.fromstring(zf.read(names[part_key(workbook)]))
    except (etree.XMLSyntaxError, zipfile.BadZipFile, zlib.error):
        return {}
    by_id = {r.id: r.target for r in _rels(zf, names, workbook) if r.id and not r.external}
    found: dict[str, str] = {}
    for element in root.iter("{*}sheet"):
        target = by_id.get(sheet_rel_id(element) or "")
        name = element.get("name")
        if target and name is not None:
            found.setdefault(name, target)
    return found


def _sheet_part(zf: zipfile.ZipFile, names: dict[str, str], sheet: str) -> str | None:
    """The part of the worksheet named `sheet`."""
    return _sheet_parts(zf, names).get(sheet)


def _open(path: Path) -> tuple[zipfile.ZipFile, dict[str, str]] | None:
    """The zip and its entries by `part_key`."""
    if path.suffix.lower() not in WRITABLE_SUFFIXES:
        return None
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return None
    return zf, {part_key(n): n for n in zf.namelist()}


def sheet_spreads(path: str | Path) -> dict[str, Measured]:
    """Each worksheet measured (spread.py): how far its cells spread, whether its part was
    read whole with a good CRC, whether it may hold Excel error values. Only the zipped XML
    formats can be measured."""
    opened = _open(Path(path))
    if opened is None:
        return {}
    zf, names = opened
    found: dict[str, Measured] = {}
    with zf:
        for sheet, part in _sheet_parts(zf, names).items():
            actual = names.get(part_key(part))
            if actual is not None:
                found[sheet] = measure(zf, actual)
    return found


def sheet_tables(path: str | Path, sheet: str) -> list[TableRange]:
    """The Excel Tables on `sheet`, with their data extent. Empty for other formats."""
    opened = _open(Path(path))
    if opened is None:
        return []
    zf, names = opened
    with zf:
        part = _sheet_part(zf, names, sheet)
        if part is None:
            return []
        tables = []
        for rel in _rels(zf, names, part):
            actual = names.get(part_key(rel.target))
            if actual is None or rel.external or rel.kind != "table":
                continue
            root = etree.fromstring(zf.read(actual))
            ref = root.get("ref")
            if not ref or ":" not in ref:
                continue
            area = parse_range(ref)
            if area is None:
                continue
            c1, r1, c2, r2 = area
            totals = int(root.get("totalsRowCount") or 0)
            headers = int(root.get("headerRowCount") or 1)
            if headers == 0:
                continue  # no header row: nothing to map columns by
            tables.append(
                TableRange(
                    root.get("displayName") or root.get("name") or "",
                    r1,
                    r2 - totals,
                    c1 - 1,
                    c2 - 1,
                )
            )
        return tables


def hidden_rows(path: str | Path, sheet: str) -> set[int]:
    """1-based numbers of the rows hidden on `sheet` (streamed: big sheets stay cheap)."""
    opened = _open(Path(path))
    if opened is None:
        return set()
    zf, names = opened
    with zf:
        part = _sheet_part(zf, names, sheet)
        actual = names.get(part_key(part or ""))
        if actual is None:
            return set()
        hidden: set[int] = set()
        with zf.open(actual) as fh:
            number = 0
            for _, element in etree.iterparse(fh, events=("end",), tag="{*}row"):
                number = int(element.get("r") or number + 1)
                if element.get("hidden") in ("1", "true"):
                    hidden.add(number)
                element.clear()
        return hidden


def columns_used_after(path: str | Path, sheet: str, column: int) -> set[int]:
    """The columns (1-based) right of `column` that hold a value or a formula in any row of
    `sheet`, as the writer sees them when it adds columns (streamed; called only when the
    sheet reaches so far right that the free columns must be counted one by one)."""
    opened = _open(Path(path))
    if opened is None:
        return set()
    zf, names = opened
    used: set[int] = set()
    with zf:
        actual = names.get(part_key(_sheet_part(zf, names, sheet) or ""))
        if actual is None:
            return used
        with zf.open(actual) as fh:
            for _, row in etree.iterparse(fh, events=("end",), tag="{*}row"):
                at = 0
                for cell in row.iterchildren("{*}c"):
                    ref = cell.get("r")
                    at = cell_column(ref) if ref and CELL_REF.match(ref) else at + 1
                    if at > column and any(
                        etree.QName(child).localname in ("v", "f", "is") for child in cell
                    ):
                        used.add(at)
                row.clear()
    return used
