"""The streaming strategy: a worksheet edited without parsing it whole, the daily write-back's path.

The sheet's XML stays one bytes object (or a mapped file). Rows are located with a scan of
their tags; only the rows something must be read from or changed in a way text cannot
express (the header row, an owned cell that already exists, a formula in the way) become
lxml elements, each parsed on its own, and go through the `SheetEditor`'s rules. New owned
cells right of a row's last cell, and new rows, are written as XML text. Every other row is
copied byte for byte. The result is written to a spooled temporary file, so a 200,000-row
sheet costs neither a tree of millions of elements nor a second copy in memory.

`layout` refuses (None) the rare sheets this scan cannot read safely: comments, CDATA or
processing instructions among the rows; rows out of order raise `NotStreamable`. Both take
the tree path (`tree_rows`).
"""

from __future__ import annotations

import bisect
import io
import mmap
import re
import tempfile
from array import array
from collections import deque
from collections.abc import Iterator
from typing import IO, Any

from lxml import etree

from ..refs import CELL_REF, cell_column, parse_range
from .mapped import Pages, find
from .package import COPY_CHUNK, Element, parent, parse_part, serialize_part
from .row_text import RowText
from .shared_strings import ROOT_TAG
from .sheet import Area, Items, SheetContext, SheetEditor, sheet_data_of

Layout = tuple[re.Match[bytes], int, int]  # the sheetData start tag, start and end of the rows

_SHEET_DATA = re.compile(rb"<((?:[A-Za-z_][\w.\-]*:)?)sheetData(?=[\s/>])[^>]*>")
_ROW_TAG = re.compile(rb"<((?:[A-Za-z_][\w.\-]*:)?)row(?=[\s/>])[^>]*>")
_R_ATTR = re.compile(rb"""\sr\s*=\s*["']([^"']*)["']""")
_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?f(?=[\s>])([^>]*)>")
_ARRAY_KIND = re.compile(rb"""\st\s*=\s*["']array["']""")
_REF_ATTR = re.compile(rb"""\sref\s*=\s*["']([^"']*)["']""")
_ROWS_MARK = "xlsdun-rows-placeholder-7c1d"
_UNKNOWN, _NO_REF = -2, -1  # a row's last cell column: not looked up yet; the cell has no ref
_SPOOL_BYTES = 4 << 20  # a rewritten sheet beyond this goes to a temporary file


class NotStreamable(Exception):
    """A sheet the row scan cannot read safely; it takes the tree path."""


def layout(content: bytes | mmap.mmap) -> Layout | None:
    """(the sheetData start tag, start and end of the rows) or None if not streamable."""
    opening = _SHEET_DATA.search(content)
    if opening is None:
        return None
    if opening.group(0).endswith(b"/>"):
        return opening, opening.end(), opening.end()
    closing = content.rfind(b"</" + opening.group(1) + b"sheetData>")
    if closing < opening.end():
        return None
    for marker in (b"<!--", b"<![CDATA[", b"<?"):
        if find(content, marker, opening.end(), closing) >= 0:
            return None
    if find(content, _ROWS_MARK.encode(), 0, len(content)) >= 0:
        return None
    return opening, opening.end(), closing


class StreamRows:
    """A `RowStore` over the sheet's XML text: rows parsed on first use, values kept for the
    rows nobody parsed and written as text when the sheet is written (`write`)."""

    def __init__(
        self, content: bytes | mmap.mmap, part: str, ctx: SheetContext, found: Layout
    ) -> None:
        opening, start, end = found
        prefix = opening.group(1)
        self.part = part
        self.ctx = ctx
        self.original = content[: opening.start()]  # what `serialize_part` looks at: the start
        self.content = content
        self.pages = Pages(content)
        self.rows_start, self.rows_end = start, end
        self.close_tag = b"</" + prefix + b"sheetData>"
        self.open_tag, self.root = self._outline(opening)
        self.sheet_data = sheet_data_of(self.root, part, ctx.path)
        root_tag = ROOT_TAG.search(content, 0, opening.start())
        self._root_open = root_tag.group(0) if root_tag else b""
        self._root_close = b"</" + root_tag.group(1) + b">" if root_tag else b""
        # rows changed when the sheet is written: the caller's values, by header or position
        self._pending: dict[int, tuple[Any, dict[str, int] | None]] = {}
        self._dirty: set[int] = set()  # rows whose element changed
        self._parsed: dict[int, Element] = {}
        self._cell_tags = tuple(b"<" + prefix + b"c" + end for end in (b" ", b">", b"/"))
        self._text = RowText(prefix.decode("ascii"), ctx)  # new cells and rows, as text
        self._index()
        self._array_areas = self._find_array_areas()

    def _outline(self, opening: re.Match[bytes]) -> tuple[bytes, Element]:
        """The sheet's XML without its rows, parsed (a mark where the rows go)."""
        content, open_tag = self.content, opening.group(0)
        if open_tag.endswith(b"/>"):
            open_tag = open_tag[:-2].rstrip() + b">"
            after = content[opening.end() :]
        else:
            after = content[self.rows_end + len(self.close_tag) :]
        small = content[: opening.start()] + open_tag + _ROWS_MARK.encode() + self.close_tag + after
        return open_tag, parse_part(small, self.part, self.ctx.path)

    def _index(self) -> None:
        """Row numbers and their byte ranges, from one scan of the row tags."""
        numbers, starts, ends = array("q"), array("q"), array("q")
        number = 0
        content, pages = self.content, self.pages
        for match in _ROW_TAG.finditer(content, self.rows_start, self.rows_end):
            pages.behind(match.start())
            r = _R_ATTR.search(match.group(0))
            number = int(r.group(1)) if r and r.group(1).isdigit() else number + 1
            if numbers and number <= numbers[-1]:
                raise NotStreamable
            if match.group(0).endswith(b"/>"):
                stop = match.end()
            else:
                close = b"</" + match.group(1) + b"row>"
                found = content.find(close, match.end(), self.rows_end)
                if found < 0:
                    raise NotStreamable
                stop = found + len(close)
            numbers.append(number)
            starts.append(match.start())
            ends.append(stop)
        pages.all()
        self.numbers = numbers
        self._starts, self._ends = starts, ends
        self._last_columns = array("q", [_UNKNOWN]) * len(numbers)

    def _find_array_areas(self) -> list[Area]:
        areas: list[Area] = []
        if find(self.content, b"array", self.rows_start, self.rows_end) < 0:
            return areas
        for match in _FORMULA_TAG.finditer(self.content, self.rows_start, self.rows_end):
            self.pages.behind(match.start())
            attrs = match.group(1)
            if _ARRAY_KIND.search(attrs):
                ref = _REF_ATTR.search(attrs)
                area = parse_range(ref.group(1).decode("ascii", "replace")) if ref else None
                if area is not None and area[:2] != area[2:]:
                    areas.append(area)
        self.pages.all()
        return areas

    def array_areas(self) -> list[Area]:
        return self._array_areas

    # -- rows as elements, on demand

    def _position(self, number: int) -> int | None:
        at = bisect.bisect_left(self.numbers, number)
        if at < len(self.numbers) and self.numbers[at] == number:
            return at
        return None

    def _parse_row(self, chunk: bytes, number: int) -> Element:
        wrapped = self._root_open + self.open_tag + chunk + self.close_tag + self._root_close
        row = parse_part(wrapped, self.part, self.ctx.path)[0][0]
        if row.get("r") is None:
            row.set("r", str(number))
        return row

    def _row_bytes(self, row: Element) -> bytes:
        """A row element as XML, without the namespace declarations its wrapper carries."""
        out = etree.tostring(parent(parent(row)), encoding="UTF-8", xml_declaration=False)
        start = out.index(b">", out.index(b">") + 1) + 1
        end = out.rindex(b"</", 0, out.rindex(b"</"))
        return out[start:end]

    def _chunk(self, at: int) -> bytes:
        return self.content[self._starts[at] : self._ends[at]]

    def get(self, number: int) -> Element | None:
        """A row, parsed on first use (and kept parsed)."""
        row = self._parsed.get(number)
        if row is not None:
            return row
        at = self._position(number)
        if at is None:
            return None
        row = self._parse_row(self._chunk(at), number)
        self._parsed[number] = row
        return row

    def create(self, number: int) -> Element:
        row = self._parse_row(f'<{self._text.tag("row")} r="{number}"/>'.encode(), number)
        self._parsed[number] = row
        self._dirty.add(number)
        return row

    def touch(self, number: int) -> None:
        self._dirty.add(number)

    def iter_rows(self) -> Iterator[tuple[int, Element]]:
        for at, number in enumerate(self.numbers):
            row = self._parsed.get(number)
            if row is None:
                row = self._parse_row(self._chunk(at), number)
            yield number, row
        for number in sorted(set(self._parsed) - set(self.numbers)):
            yield number, self._parsed[number]

    def _last_column(self, at: int) -> int | None:
        """The column of a row's last cell (0: no cells), None if that cell has no ref."""
        known = self._last_columns[at]
        if known != _UNKNOWN:
            return None if known == _NO_REF else known
        content, start, end = self.content, self._starts[at], self._ends[at]
        found = max(content.rfind(tag, start, end) for tag in self._cell_tags)
        if found < 0:
            return 0
        r = _R_ATTR.search(content, found, content.find(b">", found, end) + 1)
        ref = r.group(1).decode("ascii", "replace") if r is not None else ""
        column = cell_column(ref) if CELL_REF.match(ref) else None
        self._last_columns[at] = _NO_REF if column is None else column
        return column

    def rows_past(self, column: int) -> Iterator[tuple[int, Element]]:
        for at, number in enumerate(self.numbers):
            self.pages.behind(self._starts[at])
            last = self._last_column(at)
            if last is not None and last <= column:
                continue
            row = self.get(number)
            assert row is not None  # a number in `numbers` has its row
            yield number, row
        self.pages.all()

    # -- values kept for the write

    def defers(self, number: int) -> bool:
        return number not in self._parsed  # a parsed row takes its values at once

    def keep(self, number: int, values: Any, columns: dict[str, int] | None) -> None:
        self._pending[number] = (values, columns)

    @property
    def pending(self) -> bool:
        return bool(self._pending)

    def _items(self, number: int) -> Items | None:
        entry = self._pending.get(number)
        if entry is None:
            return None
        values, columns = entry
        if columns is None:
            return list(enumerate(values, start=1))
        by_column = {columns[header]: value for header, value in values.items()}
        return sorted(by_column.items(), key=lambda item: item[0])

    def _appended(self, at: int, items: Items) -> tuple[bytes, int] | None:
        """The row with new cells appended as text, if they all lie right of its last cell."""
        last = self._last_column(at)
        if last is None or last >= items[0][0]:
            return None
        return self._text.appended(self._chunk(at), self.numbers[at], items)

    # -- writing the sheet

    def _element_row(
        self, editor: SheetEditor, number: int, row: Element, items: Items | None
    ) -> tuple[bytes, int]:
        """A row through the editor's rules (existing cells, formulas), as XML."""
        changed = 0
        if items is not None:
            self._parsed[number] = row
            changed = editor.set_cells(number, items)
            editor.widen_spans()
            self._parsed.pop(number)
        return self._row_bytes(row), changed

    def _changed_row(
        self, editor: SheetEditor, at: int, number: int, items: Items | None
    ) -> tuple[bytes, int]:
        """An existing row with its new values: appended as text where it can be."""
        row = self._parsed.get(number)
        appended = self._appended(at, items) if row is None and items is not None else None
        if appended is not None:
            return appended
        if row is None:
            row = self._parse_row(self._chunk(at), number)
        return self._element_row(editor, number, row, items)

    def _new_row(self, editor: SheetEditor, number: int) -> tuple[bytes, int]:
        row = self._parsed.get(number)
        if row is not None:
            return self._element_row(editor, number, row, self._items(number))
        return self._text.new_row(number, self._items(number) or [])

    def write(self, editor: SheetEditor) -> int:
        """Write the sheet: changed rows rewritten, every other row copied as it was."""
        self.sheet_data.text = _ROWS_MARK
        head, _, tail = serialize_part(self.root, self.original).partition(_ROWS_MARK.encode())
        out = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115 - kept by the package
        body = io.BufferedWriter(out, buffer_size=COPY_CHUNK)
        body.write(head)
        content = memoryview(self.content)
        try:
            changed_cells = self._write_rows(editor, body, content)
            body.write(tail)
            body.flush()
            body.detach()
        finally:
            content.release()  # else the mapped sheet cannot be closed
        self.pages.all()
        if not (editor.changed or changed_cells):
            out.close()
            return changed_cells
        editor.changed = True
        editor.ctx.package.replace_stream(self.part, out)
        return changed_cells

    def _write_rows(self, editor: SheetEditor, body: IO[bytes], content: memoryview) -> int:
        """The rows, in order: new ones where they belong, changed ones rewritten."""
        existing = set(self.numbers)
        created = deque(sorted(n for n in {*self._pending, *self._dirty} if n not in existing))
        changed_cells = 0
        position = self.rows_start
        for at, number in enumerate(self.numbers):
            self.pages.behind(position)
            if created and created[0] < number:
                body.write(content[position : self._starts[at]])  # the rows before it first
                position = self._starts[at]
                changed_cells += self._write_new_rows(editor, body, created, number)
            items = self._items(number)
            if items is None and number not in self._dirty:
                continue
            body.write(content[position : self._starts[at]])
            position = self._ends[at]
            text, n = self._changed_row(editor, at, number, items)
            body.write(text)
            changed_cells += n
        body.write(content[position : self.rows_end])
        return changed_cells + self._write_new_rows(editor, body, created, None)

    def _write_new_rows(
        self, editor: SheetEditor, body: IO[bytes], created: deque[int], before: int | None
    ) -> int:
        """The new rows numbered below `before` (all when None), taken from `created`."""
        changed_cells = 0
        while created and (before is None or created[0] < before):
            text, n = self._new_row(editor, created.popleft())
            body.write(text)
            changed_cells += n
        return changed_cells
