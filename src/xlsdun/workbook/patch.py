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
import functools
import gc
import io
import math
import mmap
import posixpath
import re
import shutil
import tempfile
import time
import zipfile
import zlib
from array import array
from collections.abc import Iterator, MutableSequence, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, BinaryIO, TypeAlias
from xml.parsers import expat

import python_calamine
from lxml import etree

from ..private import private_dir
from .columns import normalize
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
from .limits import MAX_CELL_TEXT, MAX_ROWS, directory_problem, next_free_column
from .parts import (
    DOC_REL_NAMESPACES,
    PKG_REL_NS,
    XML_PARSER,
    Rel,
    parse_rels,
    part_key,
    rels_part,
    sheet_protection_on,
    sheet_rel_id,
    workbook_part,
)
from .refs import (
    CELL_REF,
    cell_column,
    column_letters,
    format_range,
    parse_range,
)

__all__ = ["WriteResult", "write_back"]

Element: TypeAlias = etree._Element

_MAIN_NAMESPACES = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",
)
_CONTENT_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_WORKSHEET_CONTENT_TYPE = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
)

_ILLEGAL_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_ESCAPE_LOOKALIKE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_ESCAPED_CHAR = re.compile(r"_x([0-9A-Fa-f]{4})_")
_DECLARATION = re.compile(rb"\s*(<\?xml[^>]*\?>)(\s*)")
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

_BUILTIN_DATE_FORMATS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])
_DATE_FORMAT_ID = "14"
_DATETIME_FORMAT_ID = "22"

_COPY_CHUNK = 1 << 20


@dataclass
class WriteResult:
    """What a write-back changed, for the run report."""

    path: Path
    cells_changed: int = 0
    columns_added: list[str] = field(default_factory=list)
    log_rows_added: int = 0
    backup: Path | None = None
    written: bool = False  # the file was replaced (False: nothing in it would change)


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
    log lines). When nothing would change, the file is not rewritten. The previous version
    is kept in ``state_dir``/backups (default: ``.xlsdun`` beside the workbook); ``backups=0``
    keeps none.

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
    package.scratch = Path(state_dir) if state_dir is not None else path.parent / ".xlsdun"
    try:
        editor = _WorkbookEdit(package, path)
        result = WriteResult(path=path)
        gc.freeze()  # the caller's objects need no cyclic-GC scans while cells are generated
        try:
            editor.apply_updates(sheet, header_row, updates, allow_protected, result)
            if log_sheet is not None and (log_rows or log_header):
                editor.append_log(
                    log_sheet, log_header or [], log_rows or [], allow_protected, result
                )
            editor.finish()
        finally:
            gc.unfreeze()
        if not package.dirty:
            return result

        def before_replace() -> None:
            if backups > 0:  # used on its own, the backups go where the daily run keeps them
                folder = state_dir if state_dir is not None else path.parent / ".xlsdun"
                result.backup = rotate_backups(path, folder, backups)
            again = open_elsewhere(path)
            if again:
                raise WorkbookLocked(again)
            if fingerprint(path) != original_fp:
                raise WorkbookChanged(_changed_message(path))

        sheets_to_read = (
            [sheet] if log_sheet is None else [sheet, editor.log_sheet_name or log_sheet]
        )
        atomic_replace(
            path,
            package.write,
            verify=lambda tmp: _verify(tmp, package, sheets_to_read, path),
            before_replace=before_replace,
        )
        result.written = True
    finally:
        package.close()  # temporary files of big sheets
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
    if not 1 <= header_row < MAX_ROWS:
        raise ValueError(f"header_row must be between 1 and {MAX_ROWS - 1}, got {header_row}")
    for row, cells in updates.items():
        if not header_row < row <= MAX_ROWS:
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
    """The workbook's zip entries, decompressed only when read; edits are kept until ``write``.

    A rewritten worksheet can be a file object (``replace_stream``): at 200,000 rows its
    XML is about 130 MB, which is better spooled to disk than held in memory.
    """

    def __init__(
        self, path: Path, raw: bytes, infos: list[zipfile.ZipInfo], comment: bytes
    ) -> None:
        self.path = path
        self.raw = raw
        self.infos = infos
        self.comment = comment
        self.by_part = {part_key(info.filename): info.filename for info in infos}
        self.changed: dict[str, bytes | IO[bytes]] = {}
        self.added: dict[str, bytes | IO[bytes]] = {}
        self._zip = zipfile.ZipFile(io.BytesIO(raw))
        self._cache: dict[str, bytes] = {}
        self.sheet_parts: dict[str, str] = {}  # sheet name -> part key, for verification
        self.scratch: Path | None = None  # where big sheets are unpacked (`read_sheet`)
        self._mapped: list[tuple[BinaryIO, mmap.mmap]] = []

    @classmethod
    def load(cls, path: Path, raw: bytes) -> _Package:
        """Open the zip and check its directory; a damaged entry is refused when read."""
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as zin:
                infos = zin.infolist()
                comment = zin.comment
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            raise _damaged(path, exc) from exc
        problem = directory_problem(infos, len(raw))  # the rule `xlsdun check` applies too
        if problem:
            raise WorkbookError(
                f"{path.name}: {problem}; xlsdun will not write to it. Open it in Excel and "
                "save it again, then run again."
            )
        return cls(path, raw, infos, comment)

    @property
    def dirty(self) -> bool:
        return bool(self.changed or self.added)

    def has(self, part: str) -> bool:
        return part_key(part) in self.by_part

    def read(self, part: str, *, cache: bool = True) -> bytes:
        name = self.by_part.get(part_key(part))
        if name is None:
            raise KeyError(part)
        if name in self.added:
            added = self.added[name]
            if isinstance(added, bytes):
                return added
            added.seek(0)
            return added.read()
        changed = self.changed.get(name)
        if isinstance(changed, bytes):
            return changed
        if name in self._cache:
            return self._cache[name]
        try:
            content = self._zip.read(name)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            raise _damaged(self.path, exc) from exc
        if cache:
            self._cache[name] = content
        return content

    def read_sheet(self, part: str) -> bytes | mmap.mmap:
        """A worksheet's XML; one over `_MAP_BYTES` unpacked into a temporary file and mapped,
        so that a 200,000-row sheet (about 100 MB of XML) is never all in memory at once:
        `_Pages` lets the pages go again as the sheet is swept."""
        name = self.by_part.get(part_key(part))
        info = next((i for i in self.infos if i.filename == name), None)
        if (
            info is None
            or info.file_size <= _MAP_BYTES
            or name in self.added
            or name in self.changed
            or not hasattr(mmap.mmap, "madvise")  # Windows: the sheet stays in memory
            or not hasattr(mmap, "MADV_DONTNEED")
        ):
            return self.read(part, cache=False)
        if self.scratch is not None:
            private_dir(self.scratch)
        scratch = tempfile.TemporaryFile(dir=self.scratch)  # noqa: SIM115 - closed in `close`
        try:
            with self._zip.open(info) as source:
                shutil.copyfileobj(source, scratch, _COPY_CHUNK)
            scratch.flush()
            mapped = mmap.mmap(scratch.fileno(), 0, access=mmap.ACCESS_READ)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            scratch.close()
            raise _damaged(self.path, exc) from exc
        except BaseException:
            scratch.close()
            raise
        self._mapped.append((scratch, mapped))
        return mapped

    def close(self) -> None:
        """Drop the temporary files of mapped sheets (and any spooled rewrite)."""
        for scratch, mapped in self._mapped:
            with suppress(BufferError):
                mapped.close()
            scratch.close()
        self._mapped.clear()
        for content in [*self.changed.values(), *self.added.values()]:
            if not isinstance(content, bytes):
                content.close()

    def replace(self, part: str, content: bytes) -> None:
        name = self.by_part[part_key(part)]
        if name in self.added:
            self.added[name] = content
        elif content != self.read(name):
            self.changed[name] = content
        else:
            self.changed.pop(name, None)

    def replace_stream(self, part: str, content: IO[bytes]) -> None:
        """Replace a part with what `content` holds (read from its start when writing)."""
        name = self.by_part[part_key(part)]
        if name in self.added:
            self.added[name] = content
        else:
            self.changed[name] = content

    def add(self, part: str, content: bytes) -> None:
        self.added[part] = content
        self.by_part[part_key(part)] = part

    def write(self, out: BinaryIO) -> None:
        """Write the new zip: every entry in its original order and compression."""
        try:
            with zipfile.ZipFile(out, "w", allowZip64=True) as zout:
                for info in self.infos:
                    content = self.changed.get(info.filename)
                    if isinstance(content, bytes):
                        zout.writestr(_copy_info(info), content)
                        continue
                    entry = _copy_info(info)
                    if content is not None:
                        entry._compresslevel = _STREAM_LEVEL  # type: ignore[attr-defined]
                    with zout.open(entry, "w") as dest:
                        if content is None:
                            with self._zip.open(info) as source:
                                shutil.copyfileobj(source, dest, _COPY_CHUNK)
                        else:
                            content.seek(0)
                            shutil.copyfileobj(content, dest, _COPY_CHUNK)
                for name, data in self.added.items():
                    entry = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
                    entry.compress_type = zipfile.ZIP_DEFLATED
                    entry.external_attr = 0o644 << 16
                    if isinstance(data, bytes):
                        zout.writestr(entry, data)
                        continue
                    entry._compresslevel = _STREAM_LEVEL  # type: ignore[attr-defined]
                    with zout.open(entry, "w") as dest:
                        data.seek(0)
                        shutil.copyfileobj(data, dest, _COPY_CHUNK)
                zout.comment = self.comment
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            raise _damaged(self.path, exc) from exc

    def rels(self, part: str) -> list[Rel]:
        """The relationships of a part, targets resolved to part names."""
        name = rels_part(part)
        if not self.has(name):
            return []
        return parse_rels(_parse(self.read(name), name, self.path), part, self.has)


def _damaged(path: Path, exc: BaseException) -> WorkbookError:
    return WorkbookError(
        f"{path.name} is damaged or not an .xlsx/.xlsm workbook ({exc}), so xlsdun will "
        "not write to it. Open it in Excel and save it again (Excel repairs it), then "
        "run again."
    )


def _copy_info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    entry.compress_type = info.compress_type
    entry.external_attr = info.external_attr
    entry.create_system = info.create_system
    entry.comment = info.comment
    return entry


def _parse(content: bytes, part: str, path: Path) -> Element:
    try:
        return etree.fromstring(content, XML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise WorkbookError(
            f"{path.name} has a damaged part {part} ({exc}); xlsdun will not write to it. "
            "Open it in Excel and save it again, then run again."
        ) from exc


def _parent(element: Element) -> Element:
    """The element's parent, where the code has put it in one."""
    parent = element.getparent()
    assert parent is not None, element.tag
    return parent


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


# --- shared strings and styles ---------------------------------------------------------


class _SharedStrings:
    """The shared string table, read only as far as a header or log key needs.

    One scan of the `<si>` tags finds where each string is; only the strings asked for are
    parsed. (Writers put headers anywhere in the table: XlsxWriter puts a Table's headers
    after all the data, so reading it in order up to a header parsed every string.)
    """

    _SI = re.compile(rb"<((?:[A-Za-z_][\w.\-]*:)?)si(?=[\s/>])[^>]*>")

    def __init__(self, package: _Package, part: str | None) -> None:
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
                root = _ROOT_TAG.search(data)
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
                text = _rich_text(si, etree.QName(si).namespace)
            except (etree.XMLSyntaxError, IndexError):
                text = None
        self._found[index] = text
        return text


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
    text = _ILLEGAL_XML_CHARS.sub("", text)[:MAX_CELL_TEXT]
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
        self.row_numbers: MutableSequence[int] = []  # an array("q") in a streamed sheet
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
        return protection is not None and sheet_protection_on(protection.get("sheet"))

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

    def iter_rows(self) -> Iterator[tuple[int, Element]]:
        """Every row with its number, in sheet order."""
        for number in list(self.row_numbers):
            yield number, self.rows[number]

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

    def occupied_columns_after(self, column: int) -> set[int]:
        """Columns right of ``column`` that hold anything, in any row."""
        occupied: set[int] = set()
        for number in self.row_numbers:
            row = self.rows[number]
            last = next(row.iterchildren(self._c, reversed=True), None)
            if last is None or (last.get("r") and cell_column(last.get("r", "A")) <= column):
                continue
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
            self._array_areas = []
            for f in self.sheet_data.iter(self.q("f")):
                area = parse_range(f.get("ref") or "")
                if f.get("t") == "array" and area is not None and area[:2] != area[2:]:
                    self._array_areas.append(area)
        for c1, r1, c2, r2 in self._array_areas:
            if c1 <= column <= c2 and r1 <= number <= r2:
                return f"{here} is part of the array formula in {format_range(c1, r1, c2, r2)}"
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
        if last is not None and cell_column(last.get("r", "A")) >= items[0][0]:
            return sum(self.set_value(number, column, value) for column, value in items)
        changed = 0
        for column, value in items:
            if value is None:
                continue
            if row is None:
                row = self.row(number, create=True)
                assert row is not None  # created
            cell = etree.SubElement(row, self._c, r=f"{column_letters(column)}{number}")
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
        if not self.changed:
            return
        self._widen_spans()
        self._grow_dimension()
        self.ctx.package.replace(self.part, _serialize(self.root, self.original))


# --- one worksheet, streamed ------------------------------------------------------------

_SHEET_DATA = re.compile(rb"<((?:[A-Za-z_][\w.\-]*:)?)sheetData(?=[\s/>])[^>]*>")
_ROW_TAG = re.compile(rb"<((?:[A-Za-z_][\w.\-]*:)?)row(?=[\s/>])[^>]*>")
_ROOT_TAG = re.compile(rb"<([A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?)(?=[\s/>])[^>]*>")
_R_ATTR = re.compile(rb"""\sr\s*=\s*["']([^"']*)["']""")
_SPANS_ATTR = re.compile(rb"""(\sspans\s*=\s*)(["'])([^"']*)["']""")
_ROWS_MARK = "xlsdun-rows-placeholder-7c1d"
_UNKNOWN, _NO_REF = -2, -1  # a row's last cell column: not looked up yet; the cell has no ref
_SPOOL_BYTES = 4 << 20  # a rewritten sheet beyond this goes to a temporary file
_MAP_BYTES = 16 << 20  # a sheet beyond this is read from a temporary file, not held in memory
_CALAMINE_CHECK_BYTES = 16 << 20  # see `_verify`
_RELEASE_STEP = 8 << 20
_STREAM_LEVEL = 1  # the rewritten sheet only: 4x faster than level 6, a quarter larger


def _xml_text(text: str) -> str:
    """Text content escaped the way lxml writes it."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


class _Pages:
    """Gives a mapped sheet's pages back behind a forward sweep over it, so that reading a
    100 MB sheet costs a few MB of memory (`_Package.read_sheet`). Nothing to do for bytes."""

    def __init__(self, content: bytes | mmap.mmap) -> None:
        self.mapped = content if isinstance(content, mmap.mmap) else None
        self.done = 0

    def behind(self, position: int) -> None:
        """Called as a sweep moves on: every few MB, the pages before `position` go."""
        if self.mapped is not None and position - self.done >= _RELEASE_STEP:
            end = position - position % mmap.PAGESIZE
            self.mapped.madvise(mmap.MADV_DONTNEED, self.done, end - self.done)
            self.done = end

    def all(self) -> None:
        """At the end of a sweep: every page goes (they come back from the file on demand)."""
        if self.mapped is not None and len(self.mapped):
            self.mapped.madvise(mmap.MADV_DONTNEED, 0, len(self.mapped))
        self.done = 0


def _find(content: bytes | mmap.mmap, needle: bytes, start: int, end: int) -> int:
    """`content.find(needle, start, end)`, a window at a time for a mapped sheet."""
    if not isinstance(content, mmap.mmap):
        return content.find(needle, start, end)
    pages = _Pages(content)
    try:
        for at in range(start, end, _RELEASE_STEP):
            found = content.find(needle, at, min(at + _RELEASE_STEP + len(needle) - 1, end))
            if found >= 0:
                return found
            pages.behind(at)
        return -1
    finally:
        pages.all()


class _LazyRows(dict):
    """Rows parsed on first use; `get` and `[]` parse a row the sheet has but nobody read."""

    def __init__(self, sheet: _StreamSheet) -> None:
        super().__init__()
        self._sheet = sheet

    def get(self, number: int, default: Element | None = None) -> Element | None:  # type: ignore[override]
        row = super().get(number)
        if row is None:
            row = self._sheet.materialize(number)
        return default if row is None else row

    def __missing__(self, number: int) -> Element:
        row = self._sheet.materialize(number)
        if row is None:
            raise KeyError(number)
        return row


@functools.lru_cache(maxsize=256)
def _widened(whole: bytes, name: bytes, quote: bytes, value: bytes, low: int, high: int) -> bytes:
    """A row's `spans` attribute (`whole`, split by `_SPANS_ATTR` into name, quote and value)
    grown to cover new cells in columns low..high, as `_widen_spans` does. Rows repeat the
    same spans, so this is cached."""
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


class _StreamSheet(_SheetEdit):
    """A worksheet edited without parsing it whole: the daily write-back's path.

    The sheet's XML stays one bytes object. Rows are located with a scan of their tags; only
    the rows something must be read from or changed in a way text cannot express (the
    header row, an owned cell that already exists, a formula in the way) become lxml
    elements, each parsed on its own, and go through `_SheetEdit`'s logic. New owned cells
    right of a row's last cell, and new rows, are written as XML text. Every other row is
    copied byte for byte. The result is written to a spooled temporary file, so a 200,000-row
    sheet costs neither a tree of millions of elements nor a second copy in memory.

    `layout` refuses (None) the rare sheets this scan cannot read safely: comments, CDATA
    or processing instructions among the rows, or rows out of order; they take the tree path.
    """

    @staticmethod
    def layout(content: bytes | mmap.mmap) -> tuple[re.Match[bytes], int, int] | None:
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
            if _find(content, marker, opening.end(), closing) >= 0:
                return None
        if _find(content, _ROWS_MARK.encode(), 0, len(content)) >= 0:
            return None
        return opening, opening.end(), closing

    def __init__(
        self,
        content: bytes | mmap.mmap,
        part: str,
        ctx: _WorkbookEdit,
        layout: tuple[re.Match[bytes], int, int],
    ) -> None:
        opening, start, end = layout
        prefix = opening.group(1)
        self.part = part
        self.ctx = ctx
        self.original = content[: opening.start()]  # what `_serialize` looks at: the start
        self.content = content
        self.pages = _Pages(content)
        self.rows_start, self.rows_end = start, end
        self.prefix = prefix.decode("ascii")
        open_tag = opening.group(0)
        if open_tag.endswith(b"/>"):
            open_tag = open_tag[:-2].rstrip() + b">"
            after = content[opening.end() :]
        else:
            after = content[end + len(b"</" + prefix + b"sheetData>") :]
        self.open_tag = open_tag
        self.close_tag = b"</" + prefix + b"sheetData>"
        small = content[: opening.start()] + open_tag + _ROWS_MARK.encode() + self.close_tag + after
        self.root = _parse(small, part, ctx.path)
        self.ns = etree.QName(self.root).namespace or ""
        sheet_data = self.root.find(self.q("sheetData"))
        if sheet_data is None:
            raise WorkbookError(f"{ctx.path.name}: the sheet part {part} has no cell data area.")
        self.sheet_data = sheet_data
        root_tag = _ROOT_TAG.search(content, 0, opening.start())
        self._root_open = root_tag.group(0) if root_tag else b""
        self._root_close = b"</" + root_tag.group(1) + b">" if root_tag else b""
        self.removed_formulas = []
        self.extent = None
        self.changed = False
        self._span_growth = {}
        self._c, self._v, self._is, self._t = (self.q(t) for t in ("c", "v", "is", "t"))
        # rows changed when the sheet is written: the caller's values, by header or position
        self.pending: dict[int, tuple[Any, dict[str, int] | None]] = {}
        self.count_into: WriteResult | None = None
        self._dirty: set[int] = set()
        self._cell_tags = tuple(b"<" + prefix + b"c" + end for end in (b" ", b">", b"/"))
        self._cell_parts: dict[tuple[int, type, object], tuple[str, str]] = {}

        self._index()
        self.rows = _LazyRows(self)
        self._array_areas = self._find_array_areas()

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
                raise _NotStreamable
            if match.group(0).endswith(b"/>"):
                stop = match.end()
            else:
                close = b"</" + match.group(1) + b"row>"
                found = content.find(close, match.end(), self.rows_end)
                if found < 0:
                    raise _NotStreamable
                stop = found + len(close)
            numbers.append(number)
            starts.append(match.start())
            ends.append(stop)
        pages.all()
        self.row_numbers = numbers
        self._starts, self._ends = starts, ends
        self._last_columns = array("q", [_UNKNOWN]) * len(numbers)

    def _find_array_areas(self) -> list[tuple[int, int, int, int]]:
        areas: list[tuple[int, int, int, int]] = []
        if _find(self.content, b"array", self.rows_start, self.rows_end) < 0:
            return areas
        formula = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?f(?=[\s>])([^>]*)>")
        for match in formula.finditer(self.content, self.rows_start, self.rows_end):
            self.pages.behind(match.start())
            attrs = match.group(1)
            if re.search(rb"""\st\s*=\s*["']array["']""", attrs):
                ref = re.search(rb"""\sref\s*=\s*["']([^"']*)["']""", attrs)
                area = parse_range(ref.group(1).decode("ascii", "replace")) if ref else None
                if area is not None and area[:2] != area[2:]:
                    areas.append(area)
        self.pages.all()
        return areas

    # -- rows as elements, on demand

    def _position(self, number: int) -> int | None:
        at = bisect.bisect_left(self.row_numbers, number)
        if at < len(self.row_numbers) and self.row_numbers[at] == number:
            return at
        return None

    def _parse_row(self, chunk: bytes, number: int) -> Element:
        wrapped = self._root_open + self.open_tag + chunk + self.close_tag + self._root_close
        row = _parse(wrapped, self.part, self.ctx.path)[0][0]
        if row.get("r") is None:
            row.set("r", str(number))
        return row

    def _row_bytes(self, row: Element) -> bytes:
        """A row element as XML, without the namespace declarations its wrapper carries."""
        out = etree.tostring(_parent(_parent(row)), encoding="UTF-8", xml_declaration=False)
        start = out.index(b">", out.index(b">") + 1) + 1
        end = out.rindex(b"</", 0, out.rindex(b"</"))
        return out[start:end]

    def materialize(self, number: int) -> Element | None:
        row = dict.get(self.rows, number)
        if row is not None:
            return row
        at = self._position(number)
        if at is None:
            return None
        row = self._parse_row(self.content[self._starts[at] : self._ends[at]], number)
        dict.__setitem__(self.rows, number, row)
        return row

    def row(self, number: int, create: bool) -> Element | None:
        row = self.rows.get(number)
        if row is not None or not create:
            return row
        row = self._parse_row(f'<{self._tag("row")} r="{number}"/>'.encode(), number)
        dict.__setitem__(self.rows, number, row)
        self._dirty.add(number)
        return row

    def iter_rows(self) -> Iterator[tuple[int, Element]]:
        for at, number in enumerate(self.row_numbers):
            row = dict.get(self.rows, number)
            if row is None:
                row = self._parse_row(self.content[self._starts[at] : self._ends[at]], number)
            yield number, row
        for number in sorted(set(dict.keys(self.rows)) - set(self.row_numbers)):
            yield number, dict.__getitem__(self.rows, number)

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

    def occupied_columns_after(self, column: int) -> set[int]:
        occupied: set[int] = set()
        for at, number in enumerate(self.row_numbers):
            self.pages.behind(self._starts[at])
            last = self._last_column(at)
            if last is not None and last <= column:
                continue
            row = self.materialize(number)
            assert row is not None  # a number in row_numbers has its row
            for col, cell in self.cells(row, number):
                if col > column and self.has_content(cell):
                    occupied.add(col)
        self.pages.all()
        return occupied

    # -- writing

    def _tag(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def set_row(self, number: int, items: list[tuple[int, object]]) -> int:
        """Rows already parsed change now; the others when the sheet is written (`save`)."""
        if dict.get(self.rows, number) is not None:
            self._dirty.add(number)
            return super().set_row(number, items)
        self.pending[number] = (items, {})
        if any(value is not None for _, value in items):
            self._grow_extent(items[0][0], number)
            self._grow_extent(items[-1][0], number)
        return 0

    def defer(self, number: int, values: Any, columns: dict[str, int] | None) -> bool:
        """Keep a row's new values as the caller holds them ({header: value} with `columns`,
        or a list from column A) until `save`: building (column, value) pairs for 200,000
        rows up front held them all in memory at once. False: the row is parsed, set it now."""
        if dict.get(self.rows, number) is not None:
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
        self.pending[number] = (values, columns)
        if present:
            self._grow_extent(min(numbers), number)
            self._grow_extent(max(numbers), number)
        return True

    def _items(self, number: int) -> list[tuple[int, object]] | None:
        entry = self.pending.get(number)
        if entry is None:
            return None
        values, columns = entry
        if columns is None:
            return list(enumerate(values, start=1))
        if not columns:
            return values  # already (column, value) pairs, from set_row
        by_column = {columns[header]: value for header, value in values.items()}
        return sorted(by_column.items(), key=lambda item: item[0])

    def _cell_xml(self, number: int, column: int, value: object) -> str | None:
        """A new cell as `_assign` would build it, written as text.

        Everything after the row number depends only on the column and the value, which
        repeat down a column (statuses, dates, levels): that part is built once per pair.
        """
        if value is None:
            return None
        key = (column, value.__class__, value)
        try:
            start, rest = self._cell_parts[key]
        except KeyError:
            start, rest = self._cell_parts.setdefault(key, self._cell_xml_parts(column, value))
        except TypeError:  # an unhashable value
            start, rest = self._cell_xml_parts(column, value)
        return f"{start}{number}{rest}"

    def _cell_xml_parts(self, column: int, value: object) -> tuple[str, str]:
        if len(self._cell_parts) > 50_000:
            self._cell_parts.clear()
        c, v = self._tag("c"), self._tag("v")
        start = f'<{c} r="{column_letters(column)}'
        end = f"</{v}></{c}>"
        if isinstance(value, bool):
            return start, f'" t="b"><{v}>{1 if value else 0}{end}'
        if isinstance(value, int | float | Decimal):
            return start, f'"><{v}>{_number_text(value)}{end}'
        if isinstance(value, date) and not isinstance(value, str):
            serial = _serial(value, self.ctx.date1904)
            if serial > 0:
                with_time = isinstance(value, datetime) and value.time() != datetime.min.time()
                style = self.ctx.styles.date_style(None, with_time)
                return start, f'" s="{style}"><{v}>{_number_text(serial)}{end}'
            value = value.isoformat()
        text = _clean_text(value if isinstance(value, str) else str(value))
        is_, t = self._tag("is"), self._tag("t")
        space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
        return start, f'" t="inlineStr"><{is_}><{t}{space}>{_xml_text(text)}</{t}></{is_}></{c}>'

    def _appended(self, at: int, items: list[tuple[int, object]]) -> tuple[bytes, int] | None:
        """The row with new cells appended as text, if they all lie right of its last cell."""
        last = self._last_column(at)
        if last is None or last >= items[0][0]:
            return None
        number = self.row_numbers[at]
        cells = [x for column, value in items if (x := self._cell_xml(number, column, value))]
        chunk = self.content[self._starts[at] : self._ends[at]]
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
            body = start_tag + text + b"</" + self._tag("row").encode() + b">"
        else:
            body = start_tag + chunk[tag_end : -len(b"</" + self._tag("row").encode() + b">")]
            body += text + b"</" + self._tag("row").encode() + b">"
        return body, len(cells)

    def _element_row(
        self, number: int, row: Element, items: list[tuple[int, object]] | None
    ) -> tuple[bytes, int]:
        """A row through `_SheetEdit`'s logic (existing cells, formulas), as XML."""
        changed = 0
        if items is not None:
            dict.__setitem__(self.rows, number, row)
            changed = super().set_row(number, items)
            self._widen_spans()
            self._span_growth.clear()
            dict.pop(self.rows, number)
        return self._row_bytes(row), changed

    def _new_row(self, number: int) -> tuple[bytes, int]:
        row = dict.get(self.rows, number)
        if row is not None:
            return self._element_row(number, row, self._items(number))
        items = self._items(number) or []
        cells = [x for column, value in items if (x := self._cell_xml(number, column, value))]
        if not cells:
            return b"", 0
        tag = self._tag("row")
        return f'<{tag} r="{number}">{"".join(cells)}</{tag}>'.encode(), len(cells)

    def set_value(
        self, number: int, column: int, value: object, *, style: str | None = None
    ) -> bool:
        self._dirty.add(number)
        return super().set_value(number, column, value, style=style)

    def save(self) -> None:
        """Write the sheet: changed rows rewritten, every other row copied as it was."""
        if not self.pending and not self.changed:
            return
        self._widen_spans()
        self._span_growth.clear()
        self._grow_dimension()
        self.sheet_data.text = _ROWS_MARK
        head, _, tail = _serialize(self.root, self.original).partition(_ROWS_MARK.encode())

        existing = set(self.row_numbers)
        created = sorted(n for n in {*self.pending, *self._dirty} if n not in existing)
        out = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115 - kept by the package
        body = io.BufferedWriter(out, buffer_size=_COPY_CHUNK)
        body.write(head)
        content = memoryview(self.content)
        try:
            changed_cells = 0
            position = self.rows_start
            new_at = 0
            for at, number in enumerate(self.row_numbers):
                self.pages.behind(position)
                while new_at < len(created) and created[new_at] < number:
                    body.write(content[position : self._starts[at]])  # the rows before it first
                    position = self._starts[at]
                    text, n = self._new_row(created[new_at])
                    body.write(text)
                    changed_cells += n
                    new_at += 1
                items = self._items(number)
                if items is None and number not in self._dirty:
                    continue
                start, end = self._starts[at], self._ends[at]
                body.write(content[position:start])
                position = end
                row = dict.get(self.rows, number)
                appended = self._appended(at, items) if row is None and items is not None else None
                if appended is None:
                    if row is None:
                        row = self._parse_row(self.content[start:end], number)
                    appended = self._element_row(number, row, items)
                body.write(appended[0])
                changed_cells += appended[1]
            body.write(content[position : self.rows_end])
            for number in created[new_at:]:
                text, n = self._new_row(number)
                body.write(text)
                changed_cells += n
            body.write(tail)
            body.flush()
            body.detach()
        finally:
            content.release()  # else the mapped sheet cannot be closed
        self.pages.all()
        if self.count_into is not None:
            self.count_into.cells_changed += changed_cells
        if not (self.changed or changed_cells):
            out.close()
            return
        self.changed = True
        self.ctx.package.replace_stream(self.part, out)


class _NotStreamable(Exception):
    """A sheet the row scan cannot read safely; it takes the tree path."""


# --- the workbook ----------------------------------------------------------------------


@dataclass
class _SheetEntry:
    name: str
    element: Element
    rel: Rel


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
        found = workbook_part(self.package.rels(""), self.package.has)
        if found is None:
            raise WorkbookError(
                f"{self.path.name} has no workbook part; it is not an Excel workbook xlsdun can "
                "write. Open it in Excel and save it as .xlsx."
            )
        return found

    def _rel_target(self, kind: str) -> str | None:
        for rel in self.workbook_rels:
            if rel.kind == kind and not rel.external:
                return rel.target
        return None

    def sheet_entries(self) -> list[_SheetEntry]:
        sheets = self.workbook.find(self._q("sheets"))
        entries = []
        for element in sheets.iterchildren(self._q("sheet")) if sheets is not None else []:
            rel = self.rels_by_id.get(sheet_rel_id(element) or "")
            if rel is not None:
                entries.append(_SheetEntry(element.get("name", ""), element, rel))
        return entries

    def find_sheet(self, name: str) -> _SheetEntry | None:
        entries = self.sheet_entries()
        for entry in entries:
            if entry.name == name:
                return entry
        wanted = normalize(name)
        return next((e for e in entries if normalize(e.name) == wanted), None)

    def sheet_label(self, edit: _SheetEdit) -> str:
        return next((n for n, e in self.sheets.items() if e is edit), edit.part)

    def open_sheet(self, entry: _SheetEntry) -> _SheetEdit:
        if entry.name not in self.sheets:
            if entry.rel.kind != "worksheet" or not self.package.has(entry.rel.target):
                raise WorkbookError(
                    f"{self.path.name}: '{entry.name}' is not a worksheet with cells (it may be a "
                    "chart sheet). Set [workbook] sheet to the sheet that holds the receivables."
                )
            content = self.package.read_sheet(entry.rel.target)
            layout = _StreamSheet.layout(content)
            edit: _SheetEdit | None = None
            if layout is not None:
                try:
                    edit = _StreamSheet(content, entry.rel.target, self, layout)
                except _NotStreamable:
                    edit = None
            if edit is None:
                edit = _SheetEdit(content[:], entry.rel.target, self)  # the tree path: bytes
            self.sheets[entry.name] = edit
            self._sheet_ids[entry.name] = entry.element.get("sheetId", "")
            self.package.sheet_parts[entry.name] = part_key(entry.rel.target)
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
        if isinstance(edit, _StreamSheet):
            edit.count_into = result
        columns, added = self._columns_for(edit, header_row, updates)
        result.columns_added.extend(text for _, text in added)
        if added:
            self._extend_tables(edit, header_row, added, updates)
        for number in sorted(updates):
            if isinstance(edit, _StreamSheet) and edit.defer(number, updates[number], columns):
                continue
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
                    found.setdefault(normalize(text), column)
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
            key = normalize(header)
            if key in found:
                columns[header] = found[key]
                continue
            if occupied is None:
                occupied = edit.occupied_columns_after(last_header)
            free = next_free_column(next_column, occupied)  # the rule the reader checks
            if free is None:
                raise WorkbookError(f"{self.path.name}: no free column left for '{header}'.")
            next_column = free
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
            area = parse_range(table.get("ref", ""))
            if area is None or table.get("headerRowCount", "1") == "0":
                continue
            c1, r1, c2, r2 = area
            totals = int(table.get("totalsRowCount", "0") or 0)
            if r1 != header_row or not all(r1 < r <= r2 - totals for r in rows):
                continue
            grow: list[str] = []
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
            table.set("ref", format_range(c1, r1, c2, r2))
            auto_filter = table.find(f"{{{ns}}}autoFilter")
            if auto_filter is not None:
                filter_area = parse_range(auto_filter.get("ref", ""))
                if filter_area is not None:
                    auto_filter.set(
                        "ref", format_range(filter_area[0], filter_area[1], c2, filter_area[3])
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
        for number, row in edit.iter_rows():
            cells = edit.cells(row, number)
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
            if not (isinstance(edit, _StreamSheet) and edit.defer(last, line, None)):
                edit.set_row(last, list(enumerate(line, start=1)))
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
            DOC_REL_NAMESPACES[1] if self.ns == _MAIN_NAMESPACES[1] else DOC_REL_NAMESPACES[0]
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

        rels_name = rels_part(self.workbook_part)
        rels_xml = self.package.read(rels_name)
        rels_root = _parse(rels_xml, rels_name, self.path)
        ids = {rel.get("Id") for rel in rels_root}
        n = len(ids) + 1
        while f"rId{n}" in ids:
            n += 1
        rel_id = f"rId{n}"
        etree.SubElement(
            rels_root,
            f"{{{PKG_REL_NS}}}Relationship",
            Id=rel_id,
            Type=rel_type,
            Target=posixpath.relpath(part, folder or "."),
        )
        self.package.replace(rels_name, _serialize(rels_root, rels_xml))

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

        rel = Rel(rel_id, rel_type, part, False)
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
    """Re-open the written temp file the way the next run will, before it replaces anything.

    Complete: the zip directory lists every entry, and each entry copied unchanged has the
    original's size and CRC-32 (computed over the bytes written). Readable: every changed
    or added part decompresses with a matching CRC and parses as XML (streamed), and calamine
    opens the workbook and reads the written sheets; a sheet over 16 MB of XML (about
    20,000 rows) is left to the XML check, as reading it into calamine costs more memory
    than the whole write.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:  # calamine runs without the GIL
        readable = pool.submit(_calamine_reads, tmp, package, sheets)
        try:
            _check_entries(tmp, package)
            readable.result()
        except WorkbookError:
            raise
        except Exception as exc:
            raise WorkbookError(
                f"xlsdun could not verify the updated copy of {path.name} ({exc}); the workbook "
                "was not changed. The outcomes are kept; please report this with a copy of the "
                "workbook."
            ) from exc


def _check_entries(tmp: Path, package: _Package) -> None:
    """Complete and well-formed (see `_verify`); raises on the first problem."""
    with zipfile.ZipFile(tmp) as zcheck:
        written = {info.filename: info for info in zcheck.infolist()}
        for info in package.infos:
            copy = written.get(info.filename)
            if copy is None:
                raise ValueError(f"entry {info.filename} is missing")
            if info.filename not in package.changed and (
                copy.CRC != info.CRC or copy.file_size != info.file_size
            ):
                raise ValueError(f"entry {info.filename} differs from the original")
        for name in [*package.changed, *package.added]:
            if name not in written:
                raise ValueError(f"entry {name} is missing")
            with zcheck.open(name) as part:
                expat.ParserCreate().ParseFile(part)


def _calamine_reads(tmp: Path, package: _Package, sheets: list[str]) -> None:
    with zipfile.ZipFile(tmp) as written:
        sizes = {part_key(info.filename): info.file_size for info in written.infolist()}
    workbook = python_calamine.CalamineWorkbook.from_path(str(tmp))
    try:
        for name in sheets:
            if sizes.get(package.sheet_parts.get(name, ""), 0) > _CALAMINE_CHECK_BYTES:
                continue
            workbook.get_sheet_by_name(_calamine_name(workbook, name))
    finally:
        workbook.close()


def _calamine_name(workbook: python_calamine.CalamineWorkbook, name: str) -> str:
    if name in workbook.sheet_names:
        return name
    wanted = normalize(name)
    return next((n for n in workbook.sheet_names if normalize(n) == wanted), name)
