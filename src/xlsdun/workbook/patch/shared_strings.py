"""The workbook's shared string table, read only as far as a header or a log key needs."""

from __future__ import annotations

import re
from array import array

from lxml import etree

from ..parts import XML_PARSER
from .package import Element, Package

# the first start tag of a part (its root element), with any prefix
ROOT_TAG = re.compile(rb"<([A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?)(?=[\s/>])[^>]*>")
_ESCAPED_CHAR = re.compile(r"_x([0-9A-Fa-f]{4})_")


class SharedStrings:
    """The shared string table, read only as far as a header or log key needs.

    One scan of the `<si>` tags finds where each string is; only the strings asked for are
    parsed. (Writers put headers anywhere in the table: XlsxWriter puts a Table's headers
    after all the data, so reading it in order up to a header parsed every string.)
    """

    _SI = re.compile(rb"<((?:[A-Za-z_][\w.\-]*:)?)si(?=[\s/>])[^>]*>")

    def __init__(self, package: Package, part: str | None) -> None:
        self._data = b""
        self._found: dict[int, str | None] = {}
        self._spans: array[int] | None = None  # where each <si> starts, then the table's end
        self._package, self._part = package, part
        self._root_open = b""
        self._root_close = b""

    def _scan(self) -> array[int]:
        if self._spans is None:
            self._spans = array("q")
            if self._part is not None and self._package.has(self._part):
                data = self._package.read(self._part, cache=False)
                self._data = data
                root = ROOT_TAG.search(data)
                if root is not None:
                    self._root_open = root.group(0)
                    self._root_close = b"</" + root.group(1) + b">"
                starts = array("q", (match.start() for match in self._SI.finditer(data)))
                if starts:
                    starts.append(data.rfind(b"</", starts[-1]))
                self._spans = starts
        return self._spans

    def get(self, index: int) -> str | None:
        if index in self._found:
            return self._found[index]
        spans = self._scan()
        text = None
        if 0 <= index < len(spans) - 1:
            start, end = spans[index], spans[index + 1]
            try:
                root = etree.fromstring(
                    self._root_open + self._data[start:end] + self._root_close, XML_PARSER
                )
                si = root[0]
                text = rich_text(si, etree.QName(si).namespace)
            except (etree.XMLSyntaxError, IndexError):
                text = None
        self._found[index] = text
        return text


def rich_text(element: Element, ns: str | None) -> str:
    """Text of an ``<si>``/``<is>``: plain or rich runs, without phonetic guides."""
    parts = []
    for child in element:
        tag = etree.QName(child).localname
        if tag == "t":
            parts.append(child.text or "")
        elif tag == "r":
            parts.extend(t.text or "" for t in child.iterchildren(f"{{{ns}}}t"))
    return _ESCAPED_CHAR.sub(lambda m: chr(int(m.group(1), 16)), "".join(parts))
