"""One worksheet being edited: the one sheet editor, and the strategy it reads and writes rows with.

`SheetEditor` owns what every sheet shares: the rules for a cell's new value (text, number,
boolean, date and its format), finding and placing cells in a row, formulas that must not be
overwritten, the rows' ``spans`` and the sheet's ``<dimension>``. How the sheet's XML is held
is a `RowStore` it composes: `TreeRows` parses the whole sheet with lxml; `StreamRows` (the
daily path) scans the XML text, parses only the rows it must and copies every other row as
bytes. The editor sees rows as lxml elements either way.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol, TypeAlias

from lxml import etree

from ..guard import WorkbookError
from ..parts import sheet_protection_on
from ..refs import cell_column, column_letters, format_range, parse_range
from .model import WriteResult
from .package import Element, Package
from .shared_strings import SharedStrings, rich_text
from .styles import Styles
from .values import clean_text, has_time, number_text, serial

Area: TypeAlias = tuple[int, int, int, int]  # first column, first row, last column, last row
Items: TypeAlias = list[tuple[int, object]]  # (column, value) pairs, sorted by column

_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


@dataclass(frozen=True)
class SheetContext:
    """What a sheet's cells need from the rest of the workbook."""

    package: Package
    path: Path
    strings: SharedStrings
    styles: Styles
    date1904: bool


class RowStore(Protocol):
    """How a sheet's rows are held, found, and written back: the editor's strategy."""

    root: Element  # the sheet's XML (without its rows, when streamed)
    sheet_data: Element

    def get(self, number: int) -> Element | None:
        """The row with this number, if the sheet has it."""

    def create(self, number: int) -> Element:
        """A new empty row with this number, in its place."""

    def touch(self, number: int) -> None:
        """The row's element is about to change."""

    def defers(self, number: int) -> bool:
        """Whether new values for this row can be kept until the sheet is written."""

    def keep(self, number: int, values: Any, columns: dict[str, int] | None) -> None:
        """Keep a row's new values until the sheet is written (see `SheetEditor.defer`)."""

    @property
    def pending(self) -> bool:
        """Values kept for the write."""

    def iter_rows(self) -> Iterator[tuple[int, Element]]:
        """Every row with its number, in sheet order."""

    def rows_past(self, column: int) -> Iterator[tuple[int, Element]]:
        """The rows that may hold a cell right of ``column``."""

    def array_areas(self) -> list[Area]:
        """The areas of the sheet's multi-cell array formulas."""

    def write(self, editor: SheetEditor) -> int:
        """Put the edited sheet into the package; the cells kept values changed."""


def sheet_data_of(root: Element, part: str, path: Path) -> Element:
    """The sheet's cell data area, which a worksheet cannot lack."""
    sheet_data = root.find(f"{{{etree.QName(root).namespace or ''}}}sheetData")
    if sheet_data is None:
        raise WorkbookError(f"{path.name}: the sheet part {part} has no cell data area.")
    return sheet_data


class SheetEditor:
    """One worksheet's cells, edited in place; its rows held by a `RowStore`."""

    def __init__(self, name: str, part: str, ctx: SheetContext, rows: RowStore) -> None:
        self.name = name
        self.part = part
        self.ctx = ctx
        self.rows = rows
        self.root = rows.root
        self.ns = etree.QName(self.root).namespace or ""
        self.sheet_data = rows.sheet_data
        self.removed_formulas: list[str] = []
        self.extent: Area | None = None
        self.changed = False
        self.count_into: WriteResult | None = None  # where cells kept for the write count
        self._array_areas: list[Area] | None = None
        self._span_growth: dict[Element, tuple[int, int]] = {}
        self._c, self._v, self._is, self._t = (self.q(t) for t in ("c", "v", "is", "t"))

    def q(self, tag: str) -> str:
        return f"{{{self.ns}}}{tag}"

    @property
    def protected(self) -> bool:
        protection = self.root.find(self.q("sheetProtection"))
        return protection is not None and sheet_protection_on(protection.get("sheet"))

    # -- reading

    def row(self, number: int, create: bool) -> Element | None:
        row = self.rows.get(number)
        if row is not None or not create:
            return row
        return self.rows.create(number)

    def iter_rows(self) -> Iterator[tuple[int, Element]]:
        """Every row with its number, in sheet order."""
        return self.rows.iter_rows()

    def cells(self, row: Element, number: int) -> list[tuple[int, Element]]:
        """All cells of a row with their column numbers (making implicit refs explicit)."""
        found = []
        column = 0
        for cell in row.iterchildren(self._c):
            ref = cell.get("r")
            if ref is None:
                column += 1
                cell.set("r", f"{column_letters(column)}{number}")
            else:
                column = cell_column(ref)
            found.append((column, cell))
        return found

    def find_cell(self, row: Element, number: int, column: int, create: bool) -> Element | None:
        """The cell at ``column``, searching from the row's end, where owned cells live."""
        after: Element | None = None
        first: Element | None = None
        for cell in row.iterchildren(self._c, reversed=True):
            ref = cell.get("r")
            if ref is None:
                self.cells(row, number)
                return self.find_cell(row, number, column, create)
            existing = cell_column(ref)
            if existing == column:
                return cell
            if existing < column:
                after = cell
                break
            first = cell
        if not create:
            return None
        cell = row.makeelement(self._c, {"r": f"{column_letters(column)}{number}"})
        if after is not None:
            after.addnext(cell)
        elif first is not None:
            first.addprevious(cell)
        else:
            row.insert(0, cell)
        if row.get("spans") is not None:
            self._grow_spans(row, column, column)
        return cell

    def cell_text(self, cell: Element) -> str | None:
        kind = cell.get("t")
        if kind == "inlineStr":
            inline = cell.find(self.q("is"))
            return None if inline is None else rich_text(inline, self.ns)
        v = cell.find(self.q("v"))
        if v is None or v.text is None:
            return None
        if kind == "s":
            return self.ctx.strings.get(int(v.text)) if v.text.strip().isdigit() else None
        return v.text

    def has_content(self, cell: Element) -> bool:
        return any(etree.QName(child).localname in ("v", "f", "is") for child in cell)

    def occupied_columns_after(self, column: int) -> set[int]:
        """Columns right of ``column`` that hold anything, in any row."""
        occupied: set[int] = set()
        for number, row in self.rows.rows_past(column):
            for col, cell in self.cells(row, number):
                if col > column and self.has_content(cell):
                    occupied.add(col)
        return occupied

    def blocking_formula(self, cell: Element, number: int, column: int) -> str | None:
        """Why writing this cell would break a formula that spans other cells, if it would."""
        here = f"{column_letters(column)}{number}"
        own = cell.find(self.q("f"))
        if own is not None and own.get("t") == "shared":
            area = parse_range(own.get("ref") or "")
            if area is not None and area[:2] != area[2:]:
                return f"{here} holds a formula that the cells {own.get('ref')} share"
        if self._array_areas is None:
            self._array_areas = self.rows.array_areas()
        for c1, r1, c2, r2 in self._array_areas:
            if c1 <= column <= c2 and r1 <= number <= r2:
                return f"{here} is part of the array formula in {format_range(c1, r1, c2, r2)}"
        return None

    # -- writing

    def set_value(
        self, number: int, column: int, value: object, *, style: str | None = None
    ) -> bool:
        """Write one cell; True if its content changed. Style kept unless a date needs one."""
        self.rows.touch(number)
        create = value is not None or style is not None
        row = self.row(number, create=create)
        cell = None if row is None else self.find_cell(row, number, column, create=create)
        if cell is None:
            return False
        before = etree.tostring(cell) if len(cell) or cell.get("t") else None
        if before is not None:
            self._refuse_blocking(cell, number, column)
        self._assign(cell, value, style, fresh=before is None)
        self._grow_extent(column, number)
        changed = value is not None if before is None else before != etree.tostring(cell)
        self.changed = self.changed or changed or style is not None
        return changed

    def _refuse_blocking(self, cell: Element, number: int, column: int) -> None:
        blocked = self.blocking_formula(cell, number, column)
        if blocked:
            raise WorkbookError(
                f"{self.ctx.path.name}, sheet '{self.name}': {blocked}; "
                "xlsdun will not overwrite it. Rename that column's header or move the "
                "formula, then run again."
            )

    def defer(self, number: int, values: Any, columns: dict[str, int] | None) -> bool:
        """Keep a row's new values as the caller holds them ({header: value} with `columns`,
        or a list from column A) until `save`: building (column, value) pairs for 200,000
        rows up front held them all in memory at once. False: the strategy cannot keep them
        (the row is already an element, or the whole sheet is a tree): set them now."""
        if not self.rows.defers(number):
            return False
        numbers: Sequence[int]
        if columns is None:
            numbers = range(1, len(values) + 1)
            present = any(v is not None for v in values)
        else:
            numbers = [columns[header] for header in values]
            present = any(v is not None for v in values.values())
        if not numbers:
            return True
        self.rows.keep(number, values, columns)
        if present:
            self._grow_extent(min(numbers), number)
            self._grow_extent(max(numbers), number)
        return True

    def set_row(self, number: int, items: Items) -> int:
        """Write several cells of one row (sorted by column) now; how many changed."""
        self.rows.touch(number)
        return self.set_cells(number, items)

    def set_cells(self, number: int, items: Items) -> int:
        """Write several cells of one row element (sorted by column); how many changed.

        The usual daily case, owned cells right of everything else in the row, is
        appended directly; anything else goes through ``set_value``'s search.
        """
        row = self.rows.get(number)
        last = None if row is None else next(row.iterchildren(reversed=True), None)
        if last is not None and not self._ends_before(last, items[0][0]):
            return sum(self.set_value(number, column, value) for column, value in items)
        changed = 0
        for column, value in items:
            if value is None:
                continue
            if row is None:
                row = self.rows.create(number)
            cell = etree.SubElement(row, self._c, r=f"{column_letters(column)}{number}")
            self._assign(cell, value, None, fresh=True)
            changed += 1
        if changed:
            self.changed = True
            self._grow_extent(items[0][0], number)
            self._grow_extent(items[-1][0], number)
            if row is not None and row.get("spans") is not None:
                self._grow_spans(row, items[0][0], items[-1][0])
        return changed

    def _ends_before(self, last: Element, column: int) -> bool:
        """Whether a row's last child is a cell with a reference left of ``column``."""
        return (
            last.tag == self._c
            and last.get("r") is not None
            and cell_column(last.get("r", "A")) < column
        )

    def _assign(self, cell: Element, value: object, style: str | None, fresh: bool) -> None:
        if not fresh:
            self._clear(cell)
        if style is not None:
            cell.set("s", style)
        if value is not None:
            self._put(cell, value)

    def _clear(self, cell: Element) -> None:
        """Drop a cell's value, formula and type (its style stays)."""
        for child in list(cell):
            name = etree.QName(child).localname
            if name in ("f", "v", "is"):
                if name == "f":
                    self.removed_formulas.append(cell.get("r", ""))
                cell.remove(child)
        for attribute in ("t", "vm", "cm"):
            cell.attrib.pop(attribute, None)

    def _put(self, cell: Element, value: object) -> None:
        """A value into an empty cell: text inline, a day number with a date format."""
        if isinstance(value, str):
            self._text_child(cell, value)
        elif isinstance(value, bool):
            cell.set("t", "b")
            self._value_child(cell, "1" if value else "0")
        elif isinstance(value, int | float | Decimal):
            self._value_child(cell, number_text(value))
        elif isinstance(value, date) and (day := serial(value, self.ctx.date1904)) > 0:
            cell.set("s", self.ctx.styles.date_style(cell.get("s"), has_time(value)))
            self._value_child(cell, number_text(day))
        else:  # a date before Excel's first day is written as its ISO text
            self._text_child(cell, value.isoformat() if isinstance(value, date) else str(value))

    def _text_child(self, cell: Element, value: str) -> None:
        text = clean_text(value)
        cell.set("t", "inlineStr")
        if len(cell):
            inline = cell.makeelement(self._is, {})
            cell.insert(0, inline)
        else:
            inline = etree.SubElement(cell, self._is)
        t = etree.SubElement(inline, self._t)
        t.text = text
        if text[:1].isspace() or text[-1:].isspace():
            t.set(_XML_SPACE, "preserve")

    def _value_child(self, cell: Element, text: str) -> None:
        if len(cell):
            v = cell.makeelement(self._v, {})
            cell.insert(0, v)
        else:
            v = etree.SubElement(cell, self._v)
        v.text = text

    # -- extents

    def _grow_spans(self, row: Element, low: int, high: int) -> None:
        """Remember that a row with a ``spans`` hint now holds cells in columns low..high."""
        was_low, was_high = self._span_growth.get(row, (low, high))
        self._span_growth[row] = (min(was_low, low), max(was_high, high))

    def widen_spans(self) -> None:
        """Rows' optional ``spans`` hint must cover the cells they now hold."""
        for row, (low, high) in self._span_growth.items():
            ranges = []
            for item in (row.get("spans") or "").split():
                lo, _, hi = item.partition(":")
                if lo.isdigit() and hi.isdigit():
                    ranges.append((int(lo), int(hi)))
            if not ranges:
                continue
            first = min(lo for lo, _ in ranges)
            last = max(hi for _, hi in ranges)
            if low < first or high > last:
                row.set("spans", f"{min(low, first)}:{max(high, last)}")
        self._span_growth.clear()

    def _grow_extent(self, column: int, number: int) -> None:
        if self.extent is None:
            self.extent = (column, number, column, number)
        else:
            c1, r1, c2, r2 = self.extent
            self.extent = (min(c1, column), min(r1, number), max(c2, column), max(r2, number))

    def _grow_dimension(self) -> None:
        """Widen `<dimension ref>` to cover every cell written."""
        dimension = self.root.find(self.q("dimension"))
        if dimension is not None and self.extent is not None:
            old = parse_range(dimension.get("ref", ""))
            c1, r1, c2, r2 = self.extent
            if old is not None:
                c1, r1 = min(c1, old[0]), min(r1, old[1])
                c2, r2 = max(c2, old[2]), max(r2, old[3])
            dimension.set("ref", format_range(c1, r1, c2, r2))

    def save(self) -> None:
        """Put the sheet into the package, if anything in it changed or is kept to change."""
        if not (self.changed or self.rows.pending):
            return
        self.widen_spans()
        self._grow_dimension()
        written = self.rows.write(self)
        if self.count_into is not None:
            self.count_into.cells_changed += written
