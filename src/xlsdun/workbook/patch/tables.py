"""Excel Tables: one the new owned columns continue grows to take them in."""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from ..refs import format_range, parse_range
from .package import Element, Package, parse_part, serialize_part
from .sheet import Area, SheetEditor


def extend_tables(
    package: Package,
    edit: SheetEditor,
    header_row: int,
    new_columns: list[tuple[int, str]],
    rows: Iterable[int],
) -> None:
    """Grow a table whose right edge the new columns continue, so Excel needs no repair.

    Only a table with its header in ``header_row`` and every updated row inside its data
    grows; the first that does is the only one.
    """
    rows = list(rows)
    for rel in package.rels(edit.part):
        if rel.kind != "table" or rel.external or not package.has(rel.target):
            continue
        original = package.read(rel.target)
        table = parse_part(original, rel.target, package.path)
        if _grow(table, edit, header_row, new_columns, rows):
            package.replace(rel.target, serialize_part(table, original))
            return


def _grow(
    table: Element,
    edit: SheetEditor,
    header_row: int,
    new_columns: list[tuple[int, str]],
    rows: list[int],
) -> bool:
    """Add the new columns that continue the table to it; False if none does."""
    ns = etree.QName(table).namespace
    area = _area_holding(table, header_row, rows)
    if area is None:
        return False
    c1, r1, c2, r2 = area
    grow = _continuing(new_columns, c2)
    table_columns = table.find(f"{{{ns}}}tableColumns")
    if not grow or table_columns is None:
        return False
    _add_columns(table_columns, grow, edit, header_row, c2)
    c2 += len(grow)
    table.set("ref", format_range(c1, r1, c2, r2))
    auto_filter = table.find(f"{{{ns}}}autoFilter")
    if auto_filter is not None:
        filter_area = parse_range(auto_filter.get("ref", ""))
        if filter_area is not None:
            auto_filter.set("ref", format_range(filter_area[0], filter_area[1], c2, filter_area[3]))
    return True


def _area_holding(table: Element, header_row: int, rows: list[int]) -> Area | None:
    """The table's range, if its header is ``header_row`` and its data holds every row."""
    area = parse_range(table.get("ref", ""))
    if area is None or table.get("headerRowCount", "1") == "0":
        return None
    _, r1, _, r2 = area
    totals = int(table.get("totalsRowCount", "0") or 0)
    if r1 != header_row or not all(r1 < r <= r2 - totals for r in rows):
        return None
    return area


def _continuing(new_columns: list[tuple[int, str]], last: int) -> list[str]:
    """The headers of the new columns that follow the table's last column without a gap."""
    grow: list[str] = []
    for column, header in new_columns:
        if column != last + len(grow) + 1:
            break
        grow.append(header)
    return grow


def _add_columns(
    table_columns: Element, grow: list[str], edit: SheetEditor, header_row: int, last: int
) -> None:
    """One `tableColumn` per header; a name the table has already gets a number, and the
    header cell says so too (Excel repairs a table whose names repeat)."""
    tag = f"{{{etree.QName(table_columns).namespace}}}tableColumn"
    existing = list(table_columns.iterchildren(tag))
    names = {(c.get("name") or "").casefold() for c in existing}
    next_id = max([0, *(int(c.get("id", "0")) for c in existing if c.get("id", "").isdigit())]) + 1
    for header in grow:
        name = _unique(header, names)
        if name != header:
            edit.set_value(header_row, last + 1, name)
        names.add(name.casefold())
        etree.SubElement(table_columns, tag, id=str(next_id), name=name)
        next_id += 1
        last += 1
    table_columns.set("count", str(len(existing) + len(grow)))


def _unique(header: str, names: set[str]) -> str:
    name = header
    n = 2
    while name.casefold() in names:
        name = f"{header} {n}"
        n += 1
    return name
