"""Lossless write-back: patch the cells xlsdun owns in the sheet's XML, copy the rest.

openpyxl rewrites a whole workbook from its own model and drops what it does not
model (drawings, in-cell pictures, cached formula values, ...). Here the workbook stays
a zip of parts that xlsdun does not understand and does not need to: only the target
sheet's XML (and, when needed, styles, the sheet's tables and the parts that register a
new log sheet) is parsed with lxml, edited in place and written back; every other
entry keeps its exact content, order and compression type.
"""

from __future__ import annotations

import bisect
import io
import math
import posixpath
import re
import time
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote
from xml.parsers import expat

import python_calamine
from lxml import etree

from .guard import (
    Fingerprint,
    WorkbookChanged,
    WorkbookError,
    WorkbookLocked,
    atomic_replace,
    cleanup_stale_temp_files,
    fingerprint,
    is_encrypted,
    open_elsewhere,
    read_with_fingerprint,
    rotate_backups,
)

__all__ = ["WriteResult", "write_back"]

Element = etree._Element

_MAIN_NAMESPACES = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",
)
_DOC_REL_NAMESPACES = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CONTENT_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_WORKSHEET_CONTENT_TYPE = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
)

_MAX_ROWS = 1_048_576
_MAX_COLS = 16_384
_MAX_TEXT = 32_767
_ILLEGAL_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_ESCAPE_LOOKALIKE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_ESCAPED_CHAR = re.compile(r"_x([0-9A-Fa-f]{4})_")
_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")
_DECLARATION = re.compile(rb"\s*(<\?xml[^>]*\?>)(\s*)")
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

_BUILTIN_DATE_FORMATS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])
_DATE_FORMAT_ID = "14"
_DATETIME_FORMAT_ID = "22"

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


@dataclass
class WriteResult:
    """What a write-back changed, for the run report."""

    path: Path
    cells_changed: int = 0
    columns_added: list[str] = field(default_factory=list)
    log_rows_added: int = 0
    backup: Path | None = None


def write_back(
    path: str | Path,
    *,
    sheet: str,
    header_row: int,
    updates: dict[int, dict[str, object]],
    log_sheet: str | None = None,
    log_header: list[str] | None = None,
    log_rows: list[list[object]] | None = None,
    state_dir: str | Path | None = None,
    backups: int = 14,
    expected: Fingerprint | None = None,
    allow_protected: bool = False,
) -> WriteResult:
    """Write owned cells and log lines into the workbook, guarded and all-or-nothing.

    ``updates`` maps 1-based Excel row numbers to ``{header: value}``; headers are
    matched case- and space-insensitively in ``header_row`` and missing ones are added
    as new columns. Log rows are appended to ``log_sheet`` unless their first value
    (a unique key) is already in its column A, so a retried write adds nothing twice.
    ``cells_changed`` counts the update cells whose content changed (not headers, not
    log lines). When nothing would change, the file is not rewritten.

    Raises WorkbookError (or its WorkbookLocked / WorkbookChanged) with a message
    naming the file and what to do; the original file is then untouched.
    """
    path = Path(path)
    run_started = time.time()
    _check_arguments(header_row, updates, log_sheet, log_header, log_rows)
    if not path.is_file():
        raise WorkbookError(f"Workbook {path} was not found. Check [workbook] path in the config.")
    cleanup_stale_temp_files(path, run_started)
    if is_encrypted(path):
        raise WorkbookError(
            f"{path.name} is password-protected (encrypted), so xlsdun cannot write to it. "
            "Remove the password in Excel (File > Info > Protect Workbook > Encrypt with "
            "Password, clear it) or point xlsdun at an unprotected copy."
        )
    reason = open_elsewhere(path)
    if reason:
        raise WorkbookLocked(reason)
    original, original_fp = read_with_fingerprint(path)
    if expected is not None and original_fp != expected:
        raise WorkbookChanged(_changed_message(path))

    package = _Package.load(path, original)
    editor = _WorkbookEdit(package, path)
    result = WriteResult(path=path)
    editor.apply_updates(sheet, header_row, updates, allow_protected, result)
    if log_sheet is not None and (log_rows or log_header):
        editor.append_log(log_sheet, log_header or [], log_rows or [], allow_protected, result)
    editor.finish()
    if not package.dirty:
        return result

    def before_replace() -> None:
        if state_dir is not None and backups > 0:
            result.backup = rotate_backups(path, state_dir, backups)
        again = open_elsewhere(path)
        if again:
            raise WorkbookLocked(again)
        if fingerprint(path) != original_fp:
            raise WorkbookChanged(_changed_message(path))

    sheets_to_read = [sheet] if log_sheet is None else [sheet, editor.log_sheet_name or log_sheet]
    atomic_replace(
        path,
        package.write,
        verify=lambda tmp: _verify(tmp, package, sheets_to_read, path),
        before_replace=before_replace,
    )
    return result


def _changed_message(path: Path) -> str:
    return (
        f"{path.name} was changed by someone else after xlsdun read it. Nothing was written; "
        "the outcomes are kept and will be written on the next run."
    )


def _check_arguments(
    header_row: int,
    updates: dict[int, dict[str, object]],
    log_sheet: str | None,
    log_header: list[str] | None,
    log_rows: list[list[object]] | None,
) -> None:
    """Reject programmer errors before the workbook is even opened."""
    if not 1 <= header_row < _MAX_ROWS:
        raise ValueError(f"header_row must be between 1 and {_MAX_ROWS - 1}, got {header_row}")
    for row, cells in updates.items():
        if not header_row < row <= _MAX_ROWS:
            raise ValueError(f"row {row} is not a data row below header row {header_row}")
        for header, value in cells.items():
            if not str(header).strip():
                raise ValueError(f"empty header in the update for row {row}")
            _check_value(value)
    for line in log_rows or []:
        if not line:
            raise ValueError("a log row must start with its unique key")
        for value in line:
            _check_value(value)
    if log_sheet is not None and (
        not log_sheet.strip() or len(log_sheet) > 31 or _SHEET_NAME_FORBIDDEN.search(log_sheet)
    ):
        raise ValueError(f"{log_sheet!r} is not a valid Excel sheet name")
    for value in log_header or []:
        _check_value(value)


def _check_value(value: object) -> None:
    if value is None or isinstance(value, str | bool | int | date):
        return
    if isinstance(value, float | Decimal):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} cannot be stored in a cell")
        return
    raise TypeError(f"cannot write a {type(value).__name__} into a cell: {value!r}")


# --- the zip package -------------------------------------------------------------------


class _Package:
    """The workbook's zip entries, read once; edits are kept until ``write``."""

    def __init__(
        self, path: Path, infos: list[zipfile.ZipInfo], data: dict[str, bytes], comment: bytes
    ) -> None:
        self.path = path
        self.infos = infos
        self.data = data
        self.comment = comment
        self.by_part = {_part_key(info.filename): info.filename for info in infos}
        self.changed: dict[str, bytes] = {}
        self.added: dict[str, bytes] = {}

    @classmethod
    def load(cls, path: Path, raw: bytes) -> _Package:
        """Read every entry, so a damaged file is refused before anything is built."""
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as zin:
                infos = zin.infolist()
                data = {info.filename: zin.read(info) for info in infos}
                comment = zin.comment
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            raise WorkbookError(
                f"{path.name} is damaged or not an .xlsx/.xlsm workbook ({exc}), so xlsdun will "
                "not write to it. Open it in Excel and save it again (Excel repairs it), then "
                "run again."
            ) from exc
        if len(data) != len(infos):
            raise WorkbookError(
                f"{path.name} holds two zip entries with the same name, so it is ambiguous what "
                "Excel would read; xlsdun will not write to it. Open it in Excel and save it "
                "again, then run again."
            )
        return cls(path, infos, data, comment)

    @property
    def dirty(self) -> bool:
        return bool(self.changed or self.added)

    def has(self, part: str) -> bool:
        return _part_key(part) in self.by_part

    def read(self, part: str) -> bytes:
        name = self.by_part.get(_part_key(part))
        if name is None:
            raise KeyError(part)
        if name in self.added:
            return self.added[name]
        return self.changed.get(name, self.data[name])

    def replace(self, part: str, content: bytes) -> None:
        name = self.by_part[_part_key(part)]
        if name in self.added:
            self.added[name] = content
        elif content != self.data[name]:
            self.changed[name] = content
        else:
            self.changed.pop(name, None)

    def add(self, part: str, content: bytes) -> None:
        self.added[part] = content
        self.by_part[_part_key(part)] = part

    def write(self, out: BinaryIO) -> None:
        """Write the new zip: every entry in its original order and compression."""
        with zipfile.ZipFile(out, "w", allowZip64=True) as zout:
            for info in self.infos:
                content = self.changed.get(info.filename, self.data[info.filename])
                zout.writestr(_copy_info(info), content)
            for name, content in self.added.items():
                entry = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.external_attr = 0o644 << 16
                zout.writestr(entry, content)
            zout.comment = self.comment

    def rels(self, part: str) -> list[_Rel]:
        """The relationships of a part, targets resolved to part names."""
        rels_part = posixpath.join(
            posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels"
        )
        if not self.has(rels_part):
            return []
        root = _parse(self.read(rels_part), rels_part, self.path)
        found = []
        for rel in root.iter(f"{{{_PKG_REL_NS}}}Relationship"):
            target = rel.get("Target", "")
            external = rel.get("TargetMode") == "External"
            found.append(
                _Rel(
                    rel.get("Id", ""),
                    rel.get("Type", ""),
                    target if external else self._resolve(part, target),
                    external,
                )
            )
        return found

    def _resolve(self, source: str, target: str) -> str:
        target = target.replace("\\", "/")
        if target.startswith("/"):
            resolved = target.lstrip("/")
        else:
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(source), target))
        if not self.has(resolved) and self.has(unquote(resolved)):
            return unquote(resolved)
        return resolved


@dataclass(frozen=True)
class _Rel:
    id: str
    type: str
    target: str
    external: bool

    @property
    def kind(self) -> str:
        return self.type.rsplit("/", 1)[-1]


def _part_key(name: str) -> str:
    """OPC part names are case-insensitive; some producers write backslashes."""
    return name.replace("\\", "/").lstrip("/").casefold()


def _copy_info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    entry.compress_type = info.compress_type
    entry.external_attr = info.external_attr
    entry.create_system = info.create_system
    entry.comment = info.comment
    return entry


def _parse(content: bytes, part: str, path: Path) -> Element:
    try:
        return etree.fromstring(content, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise WorkbookError(
            f"{path.name} has a damaged part {part} ({exc}); xlsdun will not write to it. "
            "Open it in Excel and save it again, then run again."
        ) from exc


def _serialize(root: Element, original: bytes) -> bytes:
    """Serialize with the XML declaration the part had (Excel writes double quotes)."""
    body = etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=False)
    match = _DECLARATION.match(original.lstrip(b"\xef\xbb\xbf"))
    if match is None:
        return body
    declaration = match.group(1)
    encoding = re.search(rb"encoding\s*=\s*[\"']([^\"']+)", declaration)
    if encoding is not None and encoding.group(1).lower() not in (b"utf-8", b"utf8"):
        declaration = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    return declaration + match.group(2) + body


# --- cell references -------------------------------------------------------------------

_COLUMN_CACHE: dict[str, int] = {}


def _column_number(letters: str) -> int:
    number = _COLUMN_CACHE.get(letters)
    if number is None:
        number = 0
        for ch in letters.upper():
            number = number * 26 + ord(ch) - 64
        _COLUMN_CACHE[letters] = number
    return number


_LETTERS_CACHE: dict[int, str] = {}


def _column_letters(number: int) -> str:
    letters = _LETTERS_CACHE.get(number)
    if letters is None:
        letters, rest = "", number
        while rest:
            rest, digit = divmod(rest - 1, 26)
            letters = chr(65 + digit) + letters
        _LETTERS_CACHE[number] = letters
    return letters


def _cell_column(ref: str) -> int:
    return _column_number(ref.rstrip("0123456789$").lstrip("$"))


def _parse_range(ref: str) -> tuple[int, int, int, int] | None:
    """``A1:C5`` -> (first col, first row, last col, last row)."""
    parts = ref.split(":")
    corners = [_CELL_REF.match(p.strip()) for p in parts if p.strip()]
    if not corners or None in corners or len(corners) > 2:
        return None
    cols = [_column_number(m.group(1)) for m in corners if m]
    rows = [int(m.group(2)) for m in corners if m]
    return min(cols), min(rows), max(cols), max(rows)


def _format_range(c1: int, r1: int, c2: int, r2: int) -> str:
    start = f"{_column_letters(c1)}{r1}"
    end = f"{_column_letters(c2)}{r2}"
    return start if start == end else f"{start}:{end}"


def _normalize_header(text: object) -> str:
    return " ".join(str(text).split()).casefold()


# --- shared strings and styles ---------------------------------------------------------


class _SharedStrings:
    """The shared string table, read only as far as a header or log key needs.

    Headers usually sit among the first strings, so a large table is streamed and
    parsing stops at the highest index asked for.
    """

    def __init__(self, package: _Package, part: str | None) -> None:
        self._strings: list[str] = []
        self._items: Iterator[tuple[str, Element]] | None = None
        if part is not None and package.has(part):
            tags = tuple(f"{{{ns}}}si" for ns in _MAIN_NAMESPACES)
            self._items = etree.iterparse(
                io.BytesIO(package.read(part)),
                events=("end",),
                tag=tags,
                huge_tree=True,
                resolve_entities=False,
                no_network=True,
            )

    def get(self, index: int) -> str | None:
        while self._items is not None and len(self._strings) <= index:
            try:
                _, si = next(self._items)
            except (StopIteration, etree.XMLSyntaxError):
                self._items = None
                break
            self._strings.append(_rich_text(si, etree.QName(si).namespace))
            si.clear(keep_tail=True)
        return self._strings[index] if 0 <= index < len(self._strings) else None


def _rich_text(element: Element, ns: str | None) -> str:
    """Text of an ``<si>``/``<is>``: plain or rich runs, without phonetic guides."""
    parts = []
    for child in element:
        tag = etree.QName(child).localname
        if tag == "t":
            parts.append(child.text or "")
        elif tag == "r":
            parts.extend(t.text or "" for t in child.iterchildren(f"{{{ns}}}t"))
    return _ESCAPED_CHAR.sub(lambda m: chr(int(m.group(1), 16)), "".join(parts))


def _is_date_format_code(code: str) -> bool:
    code = re.sub(r'"[^"]*"|\\.|_.|\*.', "", code)
    code = re.sub(r"\[(?!h\]|m\]|s\]|hh\]|mm\]|ss\])[^\]]*\]", "", code, flags=re.IGNORECASE)
    code = code.split(";")[0]
    return bool(re.search(r"[dmyhs]", code, re.IGNORECASE))


class _Styles:
    """Finds or adds a date cell format; styles.xml is only rewritten if one is added."""

    def __init__(self, package: _Package, part: str | None) -> None:
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
            self._root = _parse(self._original, self._part, self._package.path)
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
        root = self._load()
        cell_xfs = root.find(self._q("cellXfs"))
        if cell_xfs is None:
            cell_xfs = etree.SubElement(root, self._q("cellXfs"))
        xfs = list(cell_xfs.iterchildren(self._q("xf")))
        date_ids = self._date_format_ids()
        index = int(current) if current and current.isdigit() and int(current) < len(xfs) else 0
        if xfs and xfs[index].get("numFmtId", "0") in date_ids and (index or current):
            return str(index)
        wanted_fmt = self._format_id(with_time)
        base = xfs[index] if xfs else None
        for i, xf in enumerate(xfs):
            if xf.get("numFmtId") == wanted_fmt and _same_look(xf, base):
                return str(i)
        if index == 0:
            for i, xf in enumerate(xfs):
                if xf.get("numFmtId", "0") in date_ids and _same_look(xf, base):
                    return str(i)
        new_xf = etree.SubElement(cell_xfs, self._q("xf"))
        if base is not None:
            for name, value in base.attrib.items():
                new_xf.set(name, value)
            for child in base:
                new_xf.append(etree.fromstring(etree.tostring(child)))
        new_xf.set("numFmtId", wanted_fmt)
        new_xf.set("applyNumberFormat", "1")
        for name in ("fontId", "fillId", "borderId"):
            new_xf.set(name, new_xf.get(name, "0"))
        if "xfId" not in new_xf.attrib and base is None:
            new_xf.set("xfId", "0")
        if cell_xfs.get("count") is not None:
            cell_xfs.set("count", str(len(xfs) + 1))
        self.dirty = True
        return str(len(xfs))

    def _date_format_ids(self) -> set[str]:
        ids = {str(i) for i in _BUILTIN_DATE_FORMATS}
        num_fmts = self._load().find(self._q("numFmts"))
        if num_fmts is not None:
            for fmt in num_fmts:
                if _is_date_format_code(fmt.get("formatCode", "")):
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
            self._package.replace(self._part, _serialize(self._root, self._original))


def _same_look(xf: Element, base: Element | None) -> bool:
    """Same font, fill, border and alignment: only the number format may differ."""
    keys = ("fontId", "fillId", "borderId", "xfId")
    if base is None:
        return all(xf.get(k, "0") == "0" for k in keys) and len(xf) == 0
    if any(xf.get(k, "0") != base.get(k, "0") for k in keys):
        return False
    return [etree.tostring(c) for c in xf] == [etree.tostring(c) for c in base]


# --- values ----------------------------------------------------------------------------


def _clean_text(text: str) -> str:
    """Drop characters XML cannot carry and protect literal ``_xHHHH_`` sequences."""
    text = _ILLEGAL_XML_CHARS.sub("", text)[:_MAX_TEXT]
    return _ESCAPE_LOOKALIKE.sub(r"_x005F_\1", text) if "_x" in text else text


def _serial(value: date, date1904: bool) -> float | int:
    """Excel's day number, including its 1900 leap-year quirk."""
    if date1904:
        epoch = datetime(1904, 1, 1)
    elif date(value.year, value.month, value.day) < date(1900, 3, 1):
        epoch = datetime(1899, 12, 31)
    else:
        epoch = datetime(1899, 12, 30)
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=None)
        delta: timedelta = moment - epoch
        serial = delta.days + delta.seconds / 86_400 + delta.microseconds / 86_400_000_000
        return int(serial) if serial == int(serial) else serial
    return (datetime(value.year, value.month, value.day) - epoch).days


def _number_text(value: int | float | Decimal) -> str:
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


# --- one worksheet ---------------------------------------------------------------------


class _SheetEdit:
    """One worksheet's XML, parsed once, with its rows indexed by number."""

    def __init__(self, content: bytes, part: str, ctx: _WorkbookEdit) -> None:
        self.part = part
        self.ctx = ctx
        self.original = content
        self.root = _parse(content, part, ctx.path)
        self.ns = etree.QName(self.root).namespace or ""
        sheet_data = self.root.find(self.q("sheetData"))
        if sheet_data is None:
            raise WorkbookError(f"{ctx.path.name}: the sheet part {part} has no cell data area.")
        self.sheet_data = sheet_data
        self.rows: dict[int, Element] = {}
        self.row_numbers: list[int] = []
        self.removed_formulas: list[str] = []
        self.extent: tuple[int, int, int, int] | None = None
        self.changed = False
        self._array_areas: list[tuple[int, int, int, int]] | None = None
        self._span_growth: dict[Element, tuple[int, int]] = {}
        self._c, self._v, self._is, self._t = (self.q(t) for t in ("c", "v", "is", "t"))
        self._index_rows()

    def q(self, tag: str) -> str:
        return f"{{{self.ns}}}{tag}"

    def _index_rows(self) -> None:
        number = 0
        row_tag = self.q("row")
        for row in self.sheet_data.iterchildren(row_tag):
            r = row.get("r")
            if r is None:
                number += 1
                row.set("r", str(number))
            else:
                number = int(r)
            self.rows[number] = row
        self.row_numbers = sorted(self.rows)

    @property
    def protected(self) -> bool:
        protection = self.root.find(self.q("sheetProtection"))
        return protection is not None and protection.get("sheet", "0") in ("1", "true")

    def row(self, number: int, create: bool) -> Element | None:
        row = self.rows.get(number)
        if row is not None or not create:
            return row
        row = self.sheet_data.makeelement(self.q("row"), {"r": str(number)})
        at = bisect.bisect_left(self.row_numbers, number)
        if at == len(self.row_numbers):
            self.sheet_data.append(row)
        else:
            self.rows[self.row_numbers[at]].addprevious(row)
        self.row_numbers.insert(at, number)
        self.rows[number] = row
        return row

    def cells(self, row: Element, number: int) -> list[tuple[int, Element]]:
        """All cells of a row with their column numbers (making implicit refs explicit)."""
        found = []
        column = 0
        for cell in row.iterchildren(self._c):
            ref = cell.get("r")
            if ref is None:
                column += 1
                cell.set("r", f"{_column_letters(column)}{number}")
            else:
                column = _cell_column(ref)
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
            existing = _cell_column(ref)
            if existing == column:
                return cell
            if existing < column:
                after = cell
                break
            first = cell
        if not create:
            return None
        cell = row.makeelement(self._c, {"r": f"{_column_letters(column)}{number}"})
        if after is not None:
            after.addnext(cell)
        elif first is not None:
            first.addprevious(cell)
        else:
            row.insert(0, cell)
        if row.get("spans") is not None:
            low, high = self._span_growth.get(row, (column, column))
            self._span_growth[row] = (min(low, column), max(high, column))
        return cell

    def _widen_spans(self) -> None:
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

    def cell_text(self, cell: Element) -> str | None:
        kind = cell.get("t")
        if kind == "inlineStr":
            inline = cell.find(self.q("is"))
            return None if inline is None else _rich_text(inline, self.ns)
        v = cell.find(self.q("v"))
        if v is None or v.text is None:
            return None
        if kind == "s":
            return self.ctx.strings.get(int(v.text)) if v.text.strip().isdigit() else None
        return v.text

    def has_content(self, cell: Element) -> bool:
        return any(etree.QName(child).localname in ("v", "f", "is") for child in cell)

    def last_used_column(self, number: int) -> int:
        row = self.rows.get(number)
        if row is None:
            return 0
        used = [col for col, cell in self.cells(row, number) if self.has_content(cell)]
        return max(used, default=0)

    def occupied_columns_after(self, column: int) -> set[int]:
        """Columns right of ``column`` that hold anything, in any row."""
        occupied: set[int] = set()
        for number in self.row_numbers:
            row = self.rows[number]
            last = next(row.iterchildren(self._c, reversed=True), None)
            if last is None or (last.get("r") and _cell_column(last.get("r", "A")) <= column):
                continue
            for col, cell in self.cells(row, number):
                if col > column and self.has_content(cell):
                    occupied.add(col)
        return occupied

    def blocking_formula(self, cell: Element, number: int, column: int) -> str | None:
        """Why writing this cell would break a formula that spans other cells, if it would."""
        here = f"{_column_letters(column)}{number}"
        own = cell.find(self.q("f"))
        if own is not None and own.get("t") == "shared":
            area = _parse_range(own.get("ref") or "")
            if area is not None and area[:2] != area[2:]:
                return f"{here} holds a formula that the cells {own.get('ref')} share"
        if self._array_areas is None:
            self._array_areas = []
            for f in self.sheet_data.iter(self.q("f")):
                area = _parse_range(f.get("ref") or "")
                if f.get("t") == "array" and area is not None and area[:2] != area[2:]:
                    self._array_areas.append(area)
        for c1, r1, c2, r2 in self._array_areas:
            if c1 <= column <= c2 and r1 <= number <= r2:
                return f"{here} is part of the array formula in {_format_range(c1, r1, c2, r2)}"
        return None

    def set_value(
        self, number: int, column: int, value: object, *, style: str | None = None
    ) -> bool:
        """Write one cell; True if its content changed. Style kept unless a date needs one."""
        row = self.row(number, create=value is not None or style is not None)
        if row is None:
            return False
        cell = self.find_cell(row, number, column, create=value is not None or style is not None)
        if cell is None:
            return False
        before = etree.tostring(cell) if len(cell) or cell.get("t") else None
        if before is not None:
            blocked = self.blocking_formula(cell, number, column)
            if blocked:
                raise WorkbookError(
                    f"{self.ctx.path.name}, sheet '{self.ctx.sheet_label(self)}': {blocked}; "
                    "xlsdun will not overwrite it. Rename that column's header or move the "
                    "formula, then run again."
                )
        self._assign(cell, value, style, fresh=before is None)
        self._grow_extent(column, number)
        changed = value is not None if before is None else before != etree.tostring(cell)
        self.changed = self.changed or changed or style is not None
        return changed

    def set_row(self, number: int, items: list[tuple[int, object]]) -> int:
        """Write several cells of one row (sorted by column); how many changed.

        The usual daily case, owned cells right of everything else in the row, is
        appended directly; anything else goes through ``set_value``'s search.
        """
        row = self.rows.get(number)
        last = None if row is None else next(row.iterchildren(reversed=True), None)
        if last is not None and (last.tag != self._c or last.get("r") is None):
            return sum(self.set_value(number, column, value) for column, value in items)
        if last is not None and _cell_column(last.get("r", "A")) >= items[0][0]:
            return sum(self.set_value(number, column, value) for column, value in items)
        changed = 0
        for column, value in items:
            if value is None:
                continue
            if row is None:
                row = self.row(number, create=True)
            cell = etree.SubElement(row, self._c, r=f"{_column_letters(column)}{number}")
            self._assign(cell, value, None, fresh=True)
            changed += 1
        if changed:
            self.changed = True
            self._grow_extent(items[0][0], number)
            self._grow_extent(items[-1][0], number)
            if row is not None and row.get("spans") is not None:
                low, high = self._span_growth.get(row, (items[0][0], items[-1][0]))
                self._span_growth[row] = (min(low, items[0][0]), max(high, items[-1][0]))
        return changed

    def _assign(self, cell: Element, value: object, style: str | None, fresh: bool) -> None:
        if not fresh:
            for child in list(cell):
                name = etree.QName(child).localname
                if name in ("f", "v", "is"):
                    if name == "f":
                        self.removed_formulas.append(cell.get("r", ""))
                    cell.remove(child)
            for attribute in ("t", "vm", "cm"):
                cell.attrib.pop(attribute, None)
        if style is not None:
            cell.set("s", style)
        if value is None:
            return
        if isinstance(value, str):
            self._text_child(cell, value)
        elif isinstance(value, bool):
            cell.set("t", "b")
            self._value_child(cell, "1" if value else "0")
        elif isinstance(value, int | float | Decimal):
            self._value_child(cell, _number_text(value))
        elif isinstance(value, date) and (serial := _serial(value, self.ctx.date1904)) > 0:
            with_time = isinstance(value, datetime) and value.time() != datetime.min.time()
            cell.set("s", self.ctx.styles.date_style(cell.get("s"), with_time))
            self._value_child(cell, _number_text(serial))
        else:
            self._text_child(cell, value.isoformat() if isinstance(value, date) else str(value))

    def _text_child(self, cell: Element, value: str) -> None:
        text = _clean_text(value)
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

    def _grow_extent(self, column: int, number: int) -> None:
        if self.extent is None:
            self.extent = (column, number, column, number)
        else:
            c1, r1, c2, r2 = self.extent
            self.extent = (min(c1, column), min(r1, number), max(c2, column), max(r2, number))

    def save(self) -> None:
        if not self.changed:
            return
        self._widen_spans()
        dimension = self.root.find(self.q("dimension"))
        if dimension is not None and self.extent is not None:
            old = _parse_range(dimension.get("ref", ""))
            c1, r1, c2, r2 = self.extent
            if old is not None:
                c1, r1 = min(c1, old[0]), min(r1, old[1])
                c2, r2 = max(c2, old[2]), max(r2, old[3])
            dimension.set("ref", _format_range(c1, r1, c2, r2))
        self.ctx.package.replace(self.part, _serialize(self.root, self.original))


# --- the workbook ----------------------------------------------------------------------


@dataclass
class _SheetEntry:
    name: str
    element: Element
    rel: _Rel


class _WorkbookEdit:
    """The workbook part and everything a write-back needs to find from it."""

    def __init__(self, package: _Package, path: Path) -> None:
        self.package = package
        self.path = path
        self.workbook_part = self._find_workbook_part()
        self.workbook_xml = package.read(self.workbook_part)
        self.workbook = _parse(self.workbook_xml, self.workbook_part, path)
        self.ns = etree.QName(self.workbook).namespace or _MAIN_NAMESPACES[0]
        self.workbook_rels = package.rels(self.workbook_part)
        self.rels_by_id = {rel.id: rel for rel in self.workbook_rels}
        pr = self.workbook.find(self._q("workbookPr"))
        self.date1904 = pr is not None and pr.get("date1904", "0").lower() in ("1", "true")
        self.strings = _SharedStrings(package, self._rel_target("sharedStrings"))
        self.styles = _Styles(package, self._rel_target("styles"))
        self.sheets: dict[str, _SheetEdit] = {}
        self.log_sheet_name: str | None = None
        self._workbook_dirty = False
        self._sheet_ids: dict[str, str] = {}

    def _q(self, tag: str) -> str:
        return f"{{{self.ns}}}{tag}"

    def _find_workbook_part(self) -> str:
        for rel in self.package.rels(""):
            if rel.kind == "officeDocument" and not rel.external and self.package.has(rel.target):
                return rel.target
        for candidate in ("xl/workbook.xml", "workbook.xml"):
            if self.package.has(candidate):
                return candidate
        raise WorkbookError(
            f"{self.path.name} has no workbook part; it is not an Excel workbook xlsdun can "
            "write. Open it in Excel and save it as .xlsx."
        )

    def _rel_target(self, kind: str) -> str | None:
        for rel in self.workbook_rels:
            if rel.kind == kind and not rel.external:
                return rel.target
        return None

    def sheet_entries(self) -> list[_SheetEntry]:
        sheets = self.workbook.find(self._q("sheets"))
        entries = []
        for element in sheets.iterchildren(self._q("sheet")) if sheets is not None else []:
            rel_id = next(
                (
                    v
                    for k, v in element.attrib.items()
                    if etree.QName(k).namespace in _DOC_REL_NAMESPACES
                    and etree.QName(k).localname == "id"
                ),
                None,
            )
            rel = self.rels_by_id.get(rel_id or "")
            if rel is not None:
                entries.append(_SheetEntry(element.get("name", ""), element, rel))
        return entries

    def find_sheet(self, name: str) -> _SheetEntry | None:
        entries = self.sheet_entries()
        for entry in entries:
            if entry.name == name:
                return entry
        wanted = _normalize_header(name)
        return next((e for e in entries if _normalize_header(e.name) == wanted), None)

    def sheet_label(self, edit: _SheetEdit) -> str:
        return next((n for n, e in self.sheets.items() if e is edit), edit.part)

    def open_sheet(self, entry: _SheetEntry) -> _SheetEdit:
        if entry.name not in self.sheets:
            if entry.rel.kind != "worksheet" or not self.package.has(entry.rel.target):
                raise WorkbookError(
                    f"{self.path.name}: '{entry.name}' is not a worksheet with cells (it may be a "
                    "chart sheet). Set [workbook] sheet to the sheet that holds the receivables."
                )
            content = self.package.read(entry.rel.target)
            self.sheets[entry.name] = _SheetEdit(content, entry.rel.target, self)
            self._sheet_ids[entry.name] = entry.element.get("sheetId", "")
        return self.sheets[entry.name]

    def _refuse_protected(self, edit: _SheetEdit, name: str, allow: bool) -> None:
        if edit.protected and not allow:
            raise WorkbookError(
                f"Sheet '{name}' in {self.path.name} is protected, so xlsdun will not write to "
                "it. Unprotect it in Excel (Review > Unprotect Sheet), or allow writing to "
                "protected sheets in the config; the outcomes are kept and will be written on "
                "the next run."
            )

    # -- owned cells --

    def apply_updates(
        self,
        sheet: str,
        header_row: int,
        updates: dict[int, dict[str, object]],
        allow_protected: bool,
        result: WriteResult,
    ) -> None:
        entry = self.find_sheet(sheet)
        if entry is None:
            names = ", ".join(f"'{e.name}'" for e in self.sheet_entries())
            raise WorkbookError(
                f"{self.path.name} has no sheet '{sheet}' (it has {names}). Set [workbook] "
                "sheet to one of these."
            )
        edit = self.open_sheet(entry)
        self._refuse_protected(edit, entry.name, allow_protected)
        if not updates:
            return
        columns, added = self._columns_for(edit, header_row, updates)
        result.columns_added.extend(text for _, text in added)
        if added:
            self._extend_tables(edit, header_row, added, updates)
        for number in sorted(updates):
            by_column = {columns[header]: value for header, value in updates[number].items()}
            items = sorted(by_column.items(), key=lambda item: item[0])
            if items:
                result.cells_changed += edit.set_row(number, items)

    def _columns_for(
        self,
        edit: _SheetEdit,
        header_row: int,
        updates: dict[int, dict[str, object]],
    ) -> tuple[dict[str, int], list[tuple[int, str]]]:
        """Map each wanted header (as given) to its column, adding missing ones at the right."""
        found: dict[str, int] = {}
        row = edit.rows.get(header_row)
        last_header = 0
        if row is not None:
            for column, cell in edit.cells(row, header_row):
                text = edit.cell_text(cell)
                if text is not None and text.strip():
                    found.setdefault(_normalize_header(text), column)
                    last_header = max(last_header, column)
        occupied: set[int] | None = None
        next_column = last_header + 1
        left_style: str | None = None
        if row is not None and last_header:
            left = edit.find_cell(row, header_row, last_header, create=False)
            left_style = left.get("s") if left is not None else None
        columns: dict[str, int] = {}
        added: list[tuple[int, str]] = []
        wanted = dict.fromkeys(header for cells in updates.values() for header in cells)
        for header in wanted:
            key = _normalize_header(header)
            if key in found:
                columns[header] = found[key]
                continue
            if occupied is None:
                occupied = edit.occupied_columns_after(last_header)
            while next_column in occupied:
                next_column += 1
            if next_column > _MAX_COLS:
                raise WorkbookError(f"{self.path.name}: no free column left for '{header}'.")
            text = " ".join(str(header).split())
            style = self._header_style(edit, header_row, next_column, left_style)
            edit.set_value(header_row, next_column, text, style=style)
            columns[header] = found[key] = next_column
            added.append((next_column, text))
            next_column += 1
        return columns, added

    @staticmethod
    def _header_style(
        edit: _SheetEdit, header_row: int, column: int, fallback: str | None
    ) -> str | None:
        """Keep a pre-formatted header cell's style, else take its left neighbour's."""
        row = edit.rows.get(header_row)
        if row is None:
            return fallback
        for candidate in (column, column - 1):
            cell = edit.find_cell(row, header_row, candidate, create=False) if candidate else None
            if cell is not None and cell.get("s") is not None:
                return cell.get("s")
        return fallback

    def _extend_tables(
        self,
        edit: _SheetEdit,
        header_row: int,
        new_columns: list[tuple[int, str]],
        updates: dict[int, dict[str, object]],
    ) -> None:
        """Grow a table whose right edge the new columns continue, so Excel needs no repair."""
        rows = list(updates)
        for rel in self.package.rels(edit.part):
            if rel.kind != "table" or rel.external or not self.package.has(rel.target):
                continue
            original = self.package.read(rel.target)
            table = _parse(original, rel.target, self.path)
            ns = etree.QName(table).namespace
            area = _parse_range(table.get("ref", ""))
            if area is None or table.get("headerRowCount", "1") == "0":
                continue
            c1, r1, c2, r2 = area
            totals = int(table.get("totalsRowCount", "0") or 0)
            if r1 != header_row or not all(r1 < r <= r2 - totals for r in rows):
                continue
            grow = []
            for column, header in new_columns:
                if column != c2 + len(grow) + 1:
                    break
                grow.append(header)
            if not grow:
                continue
            table_columns = table.find(f"{{{ns}}}tableColumns")
            if table_columns is None:
                continue
            existing = list(table_columns.iterchildren(f"{{{ns}}}tableColumn"))
            names = {(c.get("name") or "").casefold() for c in existing}
            next_id = (
                max([0, *(int(c.get("id", "0")) for c in existing if c.get("id", "").isdigit())])
                + 1
            )
            for header in grow:
                name = header
                n = 2
                while name.casefold() in names:
                    name = f"{header} {n}"
                    n += 1
                if name != header:
                    edit.set_value(header_row, c2 + 1, name)
                names.add(name.casefold())
                etree.SubElement(table_columns, f"{{{ns}}}tableColumn", id=str(next_id), name=name)
                next_id += 1
                c2 += 1
            table_columns.set("count", str(len(existing) + len(grow)))
            table.set("ref", _format_range(c1, r1, c2, r2))
            auto_filter = table.find(f"{{{ns}}}autoFilter")
            if auto_filter is not None:
                filter_area = _parse_range(auto_filter.get("ref", ""))
                if filter_area is not None:
                    auto_filter.set(
                        "ref", _format_range(filter_area[0], filter_area[1], c2, filter_area[3])
                    )
            self.package.replace(rel.target, _serialize(table, original))
            return

    # -- the log sheet --

    def append_log(
        self,
        name: str,
        header: list[str],
        rows: list[list[object]],
        allow_protected: bool,
        result: WriteResult,
    ) -> None:
        entry = self.find_sheet(name)
        if entry is None:
            entry = self._add_sheet(name)
        self.log_sheet_name = entry.name
        edit = self.open_sheet(entry)
        self._refuse_protected(edit, entry.name, allow_protected)
        keys: set[str] = set()
        last = 0
        for number in edit.row_numbers:
            cells = edit.cells(edit.rows[number], number)
            if any(edit.has_content(cell) for _, cell in cells):
                last = number
            first = next((cell for column, cell in cells if column == 1), None)
            if first is not None:
                text = edit.cell_text(first)
                if text is not None:
                    keys.add(_key_text(text))
        if last == 0 and header:
            for column, value in enumerate(header, start=1):
                edit.set_value(1, column, value)
            last = 1
        for line in rows:
            key = _key_text(line[0])
            if key in keys:
                continue
            keys.add(key)
            last += 1
            for column, value in enumerate(line, start=1):
                edit.set_value(last, column, value)
            result.log_rows_added += 1

    def _add_sheet(self, name: str) -> _SheetEntry:
        """Register a new, empty worksheet part (workbook, its rels, content types)."""
        protection = self.workbook.find(self._q("workbookProtection"))
        if protection is not None and protection.get("lockStructure", "0") in ("1", "true"):
            raise WorkbookError(
                f"{self.path.name} has a protected structure, so xlsdun cannot add the sheet "
                f"'{name}'. Unprotect the workbook in Excel (Review > Protect Workbook) or add "
                "an empty sheet with that name yourself, then run again."
            )
        folder = posixpath.dirname(self.workbook_part)
        number = 1
        while self.package.has(posixpath.join(folder, f"worksheets/sheet{number}.xml")):
            number += 1
        part = posixpath.join(folder, f"worksheets/sheet{number}.xml")
        sheet_rel = next((r for r in self.workbook_rels if r.kind == "worksheet"), None)
        rel_type = (
            sheet_rel.type
            if sheet_rel
            else ("http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet")
        )
        doc_rel_ns = (
            _DOC_REL_NAMESPACES[1] if self.ns == _MAIN_NAMESPACES[1] else _DOC_REL_NAMESPACES[0]
        )
        content = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{self.ns}" xmlns:r="{doc_rel_ns}"><dimension ref="A1"/>'
            '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/><sheetData/>'
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
            "</worksheet>"
        ).encode()
        self.package.add(part, content)

        rels_part = posixpath.join(
            folder, "_rels", posixpath.basename(self.workbook_part) + ".rels"
        )
        rels_xml = self.package.read(rels_part)
        rels_root = _parse(rels_xml, rels_part, self.path)
        ids = {rel.get("Id") for rel in rels_root}
        n = len(ids) + 1
        while f"rId{n}" in ids:
            n += 1
        rel_id = f"rId{n}"
        etree.SubElement(
            rels_root,
            f"{{{_PKG_REL_NS}}}Relationship",
            Id=rel_id,
            Type=rel_type,
            Target=posixpath.relpath(part, folder or "."),
        )
        self.package.replace(rels_part, _serialize(rels_root, rels_xml))

        sheets = self.workbook.find(self._q("sheets"))
        if sheets is None:
            raise WorkbookError(f"{self.path.name}: the workbook part lists no sheets.")
        sheet_ids = [int(s.get("sheetId", "0")) for s in sheets if s.get("sheetId", "").isdigit()]
        prefix = next(
            (p for p, uri in (sheets.nsmap or {}).items() if uri == doc_rel_ns and p), None
        )
        element = etree.SubElement(
            sheets,
            self._q("sheet"),
            nsmap=None if prefix else {"r": doc_rel_ns},
        )
        element.set("name", name)
        element.set("sheetId", str(max(sheet_ids, default=0) + 1))
        element.set(f"{{{doc_rel_ns}}}id", rel_id)
        self._workbook_dirty = True

        types_part = next((p for p in ("[Content_Types].xml",) if self.package.has(p)), None)
        if types_part is not None:
            types_xml = self.package.read(types_part)
            types = _parse(types_xml, types_part, self.path)
            etree.SubElement(
                types,
                f"{{{_CONTENT_TYPES_NS}}}Override",
                PartName="/" + part,
                ContentType=_WORKSHEET_CONTENT_TYPE,
            )
            self.package.replace(types_part, _serialize(types, types_xml))

        rel = _Rel(rel_id, rel_type, part, False)
        self.rels_by_id[rel_id] = rel
        self.workbook_rels.append(rel)
        return _SheetEntry(name, element, rel)

    # -- finishing --

    def finish(self) -> None:
        """Serialize what changed; drop calc-chain entries of overwritten formulas."""
        removed: dict[str, set[str]] = {}
        for name, edit in self.sheets.items():
            edit.save()
            if edit.removed_formulas:
                removed[self._sheet_ids.get(name, "")] = set(edit.removed_formulas)
        self.styles.save()
        if removed:
            self._prune_calc_chain(removed)
        if self._workbook_dirty:
            self.package.replace(self.workbook_part, _serialize(self.workbook, self.workbook_xml))

    def _prune_calc_chain(self, removed: dict[str, set[str]]) -> None:
        """Excel reports a damaged file if its calc chain names a cell without a formula."""
        part = self._rel_target("calcChain")
        if part is None or not self.package.has(part):
            return
        original = self.package.read(part)
        root = _parse(original, part, self.path)
        sheet_id = ""
        entries = list(root)
        for index, entry in enumerate(entries):
            explicit = entry.get("i")
            sheet_id = explicit or sheet_id
            if entry.get("r", "") in removed.get(sheet_id, ()):
                following = entries[index + 1] if index + 1 < len(entries) else None
                if explicit and following is not None and following.get("i") is None:
                    following.set("i", explicit)
                root.remove(entry)
        if len(root) == 0:
            raise WorkbookError(
                f"{self.path.name}: overwriting the only formulas would leave an empty calc "
                "chain. Remove those formulas in Excel, then run again."
            )
        self.package.replace(part, _serialize(root, original))


def _key_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() and "e" not in text.lower() else text


# --- verification ----------------------------------------------------------------------


def _verify(tmp: Path, package: _Package, sheets: list[str], path: Path) -> None:
    """Re-open the written temp file the way the next run will, before it replaces anything."""
    try:
        with zipfile.ZipFile(tmp) as zcheck:
            bad = zcheck.testzip()
            if bad is not None:
                raise ValueError(f"entry {bad} fails its checksum")
            for name in [*package.changed, *package.added]:
                expat.ParserCreate().Parse(zcheck.read(name), True)
        workbook = python_calamine.CalamineWorkbook.from_path(str(tmp))
        try:
            for name in sheets:
                workbook.get_sheet_by_name(_calamine_name(workbook, name)).to_python()
        finally:
            workbook.close()
    except WorkbookError:
        raise
    except Exception as exc:
        raise WorkbookError(
            f"xlsdun could not verify the updated copy of {path.name} ({exc}); the workbook was "
            "not changed. The outcomes are kept; please report this with a copy of the workbook."
        ) from exc


def _calamine_name(workbook: python_calamine.CalamineWorkbook, name: str) -> str:
    if name in workbook.sheet_names:
        return name
    wanted = _normalize_header(name)
    return next((n for n in workbook.sheet_names if _normalize_header(n) == wanted), name)
