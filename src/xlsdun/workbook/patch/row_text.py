"""New cells and rows written as XML text, byte for byte what the `SheetEditor` builds as
elements (`SheetEditor._put`) and lxml would serialize: the streamed write's fast path."""

from __future__ import annotations

import functools
import re
from datetime import date
from decimal import Decimal

from ..refs import column_letters
from .sheet import Items, SheetContext
from .values import clean_text, has_time, number_text, serial, xml_text

_SPANS_ATTR = re.compile(rb"""(\sspans\s*=\s*)(["'])([^"']*)["']""")


class RowText:
    """Cells as text, for a sheet whose elements carry ``prefix`` (``x:`` or none)."""

    def __init__(self, prefix: str, ctx: SheetContext) -> None:
        self.prefix = prefix
        self.ctx = ctx
        self.row_end = f"</{prefix}row>".encode()
        self._parts: dict[tuple[int, type, object], tuple[str, str]] = {}

    def tag(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def cells(self, number: int, items: Items) -> list[str]:
        """The cells of row ``number`` that hold a value."""
        cell = self.cell
        return [x for column, value in items if (x := cell(number, column, value))]

    def cell(self, number: int, column: int, value: object) -> str | None:
        """A new cell as the `SheetEditor` would build it, written as text.

        Everything after the row number depends only on the column and the value, which
        repeat down a column (statuses, dates, levels): that part is built once per pair.
        """
        if value is None:
            return None
        key = (column, value.__class__, value)
        try:
            start, rest = self._parts[key]
        except KeyError:
            start, rest = self._parts.setdefault(key, self._cell_parts(column, value))
        except TypeError:  # an unhashable value
            start, rest = self._cell_parts(column, value)
        return f"{start}{number}{rest}"

    def _cell_parts(self, column: int, value: object) -> tuple[str, str]:
        """The cell's text before and after its row number."""
        if len(self._parts) > 50_000:
            self._parts.clear()
        c, v = self.tag("c"), self.tag("v")
        start = f'<{c} r="{column_letters(column)}'
        end = f"</{v}></{c}>"
        if isinstance(value, bool):
            return start, f'" t="b"><{v}>{1 if value else 0}{end}'
        if isinstance(value, int | float | Decimal):
            return start, f'"><{v}>{number_text(value)}{end}'
        if isinstance(value, date) and not isinstance(value, str):
            day = serial(value, self.ctx.date1904)
            if day > 0:
                style = self.ctx.styles.date_style(None, has_time(value))
                return start, f'" s="{style}"><{v}>{number_text(day)}{end}'
            value = value.isoformat()
        return start, self._text_rest(value if isinstance(value, str) else str(value))

    def _text_rest(self, value: str) -> str:
        c, is_, t = self.tag("c"), self.tag("is"), self.tag("t")
        text = clean_text(value)
        space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
        return f'" t="inlineStr"><{is_}><{t}{space}>{xml_text(text)}</{t}></{is_}></{c}>'

    def new_row(self, number: int, items: Items) -> tuple[bytes, int]:
        """A row the sheet does not have, with its cells; nothing if none holds a value."""
        cells = self.cells(number, items)
        if not cells:
            return b"", 0
        tag = self.tag("row")
        return f'<{tag} r="{number}">{"".join(cells)}</{tag}>'.encode(), len(cells)

    def appended(self, chunk: bytes, number: int, items: Items) -> tuple[bytes, int]:
        """A row's XML (`chunk`) with new cells appended, all right of its last cell; its
        ``spans`` hint widened to cover them."""
        cells = self.cells(number, items)
        if not cells:
            return chunk, 0
        tag_end = chunk.index(b">") + 1
        start_tag = chunk[:tag_end]
        spans = _SPANS_ATTR.search(start_tag)
        if spans is not None:
            start_tag = (
                start_tag[: spans.start()]
                + _widened(*spans.group(0, 1, 2, 3), items[0][0], items[-1][0])
                + start_tag[spans.end() :]
            )
        text = "".join(cells).encode("utf-8")
        if chunk[tag_end - 2 : tag_end] == b"/>":
            start_tag = start_tag[:-2].rstrip() + b">"
            return start_tag + text + self.row_end, len(cells)
        return start_tag + chunk[tag_end : -len(self.row_end)] + text + self.row_end, len(cells)


@functools.lru_cache(maxsize=256)
def _widened(whole: bytes, name: bytes, quote: bytes, value: bytes, low: int, high: int) -> bytes:
    """A row's `spans` attribute (`whole`, split by `_SPANS_ATTR` into name, quote and value)
    grown to cover new cells in columns low..high, as `SheetEditor.widen_spans` does. Rows
    repeat the same spans, so this is cached."""
    ranges = []
    for item in value.split():
        lo, _, hi = item.partition(b":")
        if lo.isdigit() and hi.isdigit():
            ranges.append((int(lo), int(hi)))
    if not ranges:
        return whole
    first, last = min(lo for lo, _ in ranges), max(hi for _, hi in ranges)
    if low >= first and high <= last:
        return whole
    return name + quote + f"{min(low, first)}:{max(high, last)}".encode() + quote
