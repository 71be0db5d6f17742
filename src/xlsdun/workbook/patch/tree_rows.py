"""The tree strategy: the whole worksheet parsed as one lxml tree, its rows indexed by number.

For the sheets the row scan of `stream_rows` refuses (comments, CDATA or processing
instructions among the rows, rows out of order); they are small in practice.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lxml import etree

from ..refs import cell_column, parse_range
from .package import Element, parse_part, serialize_part
from .sheet import Area, SheetEditor, sheet_data_of


class TreeRows:
    """A `RowStore` over one parsed tree; every change is made in the tree."""

    def __init__(self, content: bytes, part: str, path: Path) -> None:
        self.part = part
        self.original = content
        self.root = parse_part(content, part, path)
        self.sheet_data = sheet_data_of(self.root, part, path)
        self._ns = f"{{{etree.QName(self.root).namespace or ''}}}"  # as the editor's tags
        self.rows: dict[int, Element] = {}
        self.numbers: list[int] = []
        self._index_rows()

    def _index_rows(self) -> None:
        number = 0
        for row in self.sheet_data.iterchildren(f"{self._ns}row"):
            r = row.get("r")
            if r is None:
                number += 1
                row.set("r", str(number))
            else:
                number = int(r)
            self.rows[number] = row
        self.numbers = sorted(self.rows)

    def get(self, number: int) -> Element | None:
        return self.rows.get(number)

    def create(self, number: int) -> Element:
        row = self.sheet_data.makeelement(f"{self._ns}row", {"r": str(number)})
        at = bisect.bisect_left(self.numbers, number)
        if at == len(self.numbers):
            self.sheet_data.append(row)
        else:
            self.rows[self.numbers[at]].addprevious(row)
        self.numbers.insert(at, number)
        self.rows[number] = row
        return row

    def touch(self, number: int) -> None:
        """Nothing to remember: the tree is written whole."""

    def defers(self, number: int) -> bool:
        return False  # values go into the tree at once

    def keep(self, number: int, values: Any, columns: dict[str, int] | None) -> None:
        raise AssertionError("the tree keeps no values for later")

    @property
    def pending(self) -> bool:
        return False

    def iter_rows(self) -> Iterator[tuple[int, Element]]:
        for number in list(self.numbers):
            yield number, self.rows[number]

    def rows_past(self, column: int) -> Iterator[tuple[int, Element]]:
        cell_tag = f"{self._ns}c"
        for number in self.numbers:
            row = self.rows[number]
            last = next(row.iterchildren(cell_tag, reversed=True), None)
            if last is None or (last.get("r") and cell_column(last.get("r", "A")) <= column):
                continue
            yield number, row

    def array_areas(self) -> list[Area]:
        areas = []
        for f in self.sheet_data.iter(f"{self._ns}f"):
            area = parse_range(f.get("ref") or "")
            if f.get("t") == "array" and area is not None and area[:2] != area[2:]:
                areas.append(area)
        return areas

    def write(self, editor: SheetEditor) -> int:
        editor.ctx.package.replace(self.part, serialize_part(self.root, self.original))
        return 0
