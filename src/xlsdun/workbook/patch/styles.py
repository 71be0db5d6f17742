"""Date cell formats: found among the workbook's cell formats, or added to styles.xml."""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml import etree

from ..guard import WorkbookError
from .package import Element, Package, parse_part, serialize_part

_BUILTIN_DATE_FORMATS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])
_DATE_FORMAT_ID = "14"
_DATETIME_FORMAT_ID = "22"


class Styles:
    """Finds or adds a date cell format; styles.xml is only rewritten if one is added."""

    def __init__(self, package: Package, part: str | None) -> None:
        self._package = package
        self._part = part
        self._root: Element | None = None
        self._original = b""
        self._cache: dict[tuple[str | None, bool], str] = {}
        self.dirty = False

    def _load(self) -> Element:
        if self._root is None:
            if self._part is None or not self._package.has(self._part):
                raise WorkbookError(
                    f"{self._package.path.name} has no styles part, so xlsdun cannot format "
                    "dates in it. Open it in Excel and save it once, then run again."
                )
            self._original = self._package.read(self._part)
            self._root = parse_part(self._original, self._part, self._package.path)
        return self._root

    def _q(self, tag: str) -> str:
        return f"{{{etree.QName(self._load()).namespace}}}{tag}"

    def date_style(self, current: str | None, with_time: bool) -> str:
        """The ``s`` for a date cell that currently has style ``current``."""
        key = (current, with_time)
        if key not in self._cache:
            self._cache[key] = self._find_date_style(current, with_time)
        return self._cache[key]

    def _find_date_style(self, current: str | None, with_time: bool) -> str:
        """The cell's own format if it shows a date already; else one that looks the same
        with a date format; else such a format, added."""
        cell_xfs = self._cell_xfs()
        xfs = list(cell_xfs.iterchildren(self._q("xf")))
        date_ids = self._date_format_ids()
        index = _xf_index(current, len(xfs))
        if xfs and xfs[index].get("numFmtId", "0") in date_ids and (index or current):
            return str(index)
        wanted_fmt = self._format_id(with_time)
        base = xfs[index] if xfs else None
        found = _first_like(xfs, base, lambda xf: xf.get("numFmtId") == wanted_fmt)
        if found is None and index == 0:  # an unformatted cell: any date format will do
            found = _first_like(xfs, base, lambda xf: xf.get("numFmtId", "0") in date_ids)
        if found is not None:
            return str(found)
        self._add_xf(cell_xfs, len(xfs), base, wanted_fmt)
        return str(len(xfs))

    def _cell_xfs(self) -> Element:
        root = self._load()
        cell_xfs = root.find(self._q("cellXfs"))
        if cell_xfs is None:
            cell_xfs = etree.SubElement(root, self._q("cellXfs"))
        return cell_xfs

    def _add_xf(self, cell_xfs: Element, count: int, base: Element | None, fmt: str) -> None:
        """A copy of `base` (the cell's format) with the number format `fmt`."""
        new_xf = etree.SubElement(cell_xfs, self._q("xf"))
        if base is not None:
            for name, value in base.attrib.items():
                new_xf.set(name, value)
            for child in base:
                new_xf.append(etree.fromstring(etree.tostring(child)))
        new_xf.set("numFmtId", fmt)
        new_xf.set("applyNumberFormat", "1")
        for name in ("fontId", "fillId", "borderId"):
            new_xf.set(name, new_xf.get(name, "0"))
        if "xfId" not in new_xf.attrib and base is None:
            new_xf.set("xfId", "0")
        if cell_xfs.get("count") is not None:
            cell_xfs.set("count", str(count + 1))
        self.dirty = True

    def _date_format_ids(self) -> set[str]:
        ids = {str(i) for i in _BUILTIN_DATE_FORMATS}
        num_fmts = self._load().find(self._q("numFmts"))
        if num_fmts is not None:
            for fmt in num_fmts:
                if is_date_format_code(fmt.get("formatCode", "")):
                    ids.add(fmt.get("numFmtId", ""))
                else:
                    ids.discard(fmt.get("numFmtId", ""))
        return ids

    def _format_id(self, with_time: bool) -> str:
        """A builtin date format, unless the file redefined that id as something else."""
        wanted = _DATETIME_FORMAT_ID if with_time else _DATE_FORMAT_ID
        num_fmts = self._load().find(self._q("numFmts"))
        if num_fmts is None or all(f.get("numFmtId") != wanted for f in num_fmts):
            return wanted
        code = "yyyy-mm-dd hh:mm" if with_time else "yyyy-mm-dd"
        for fmt in num_fmts:
            if fmt.get("formatCode") == code:
                return fmt.get("numFmtId", wanted)
        new_id = max([163, *(int(f.get("numFmtId", "0")) for f in num_fmts)]) + 1
        etree.SubElement(num_fmts, self._q("numFmt"), numFmtId=str(new_id), formatCode=code)
        if num_fmts.get("count") is not None:
            num_fmts.set("count", str(len(num_fmts)))
        return str(new_id)

    def save(self) -> None:
        if self.dirty and self._root is not None and self._part is not None:
            self._package.replace(self._part, serialize_part(self._root, self._original))


def is_date_format_code(code: str) -> bool:
    code = re.sub(r'"[^"]*"|\\.|_.|\*.', "", code)
    code = re.sub(r"\[(?!h\]|m\]|s\]|hh\]|mm\]|ss\])[^\]]*\]", "", code, flags=re.IGNORECASE)
    code = code.split(";")[0]
    return bool(re.search(r"[dmyhs]", code, re.IGNORECASE))


def _xf_index(current: str | None, count: int) -> int:
    """The cell's format index, or 0 (the default format) if it names none that exists."""
    return int(current) if current and current.isdigit() and int(current) < count else 0


def _first_like(
    xfs: list[Element], base: Element | None, fits: Callable[[Element], bool]
) -> int | None:
    """The first format that `fits` and looks like `base`."""
    return next((i for i, xf in enumerate(xfs) if fits(xf) and _same_look(xf, base)), None)


def _same_look(xf: Element, base: Element | None) -> bool:
    """Same font, fill, border and alignment: only the number format may differ."""
    keys = ("fontId", "fillId", "borderId", "xfId")
    if base is None:
        return all(xf.get(k, "0") == "0" for k in keys) and len(xf) == 0
    if any(xf.get(k, "0") != base.get(k, "0") for k in keys):
        return False
    return [etree.tostring(c) for c in xf] == [etree.tostring(c) for c in base]
