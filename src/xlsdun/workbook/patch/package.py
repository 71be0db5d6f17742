"""The workbook's zip package: entries read on demand, edits kept until written, every other
entry copied in its original order and compression; and how one XML part is parsed and
serialized again."""

from __future__ import annotations

import io
import mmap
import re
import shutil
import tempfile
import time
import zipfile
import zlib
from contextlib import suppress
from pathlib import Path
from typing import IO, BinaryIO, TypeAlias

from lxml import etree

from ... import speedups
from ...private import private_dir
from ..guard import WorkbookError
from ..limits import directory_problem
from ..parts import XML_PARSER, Rel, parse_rels, part_key, rels_part

Element: TypeAlias = etree._Element

COPY_CHUNK = 1 << 20
_MAP_BYTES = 16 << 20  # a sheet beyond this is read from a temporary file, not held in memory
_STREAM_LEVEL = 1  # the rewritten sheet only: 4x faster than level 6, a quarter larger
_DECLARATION = re.compile(rb"\s*(<\?xml[^>]*\?>)(\s*)")
# what zipfile raises for a damaged entry (or one it cannot unpack)
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError)


class Package:
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
        self.scratch: Path | None = None  # where big sheets are unpacked (`read_sheet`)
        self._mapped: list[tuple[BinaryIO, mmap.mmap]] = []

    @classmethod
    def load(cls, path: Path, raw: bytes) -> Package:
        """Open the zip and check its directory; a damaged entry is refused when read."""
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as zin:
                infos = zin.infolist()
                comment = zin.comment
        except _ZIP_ERRORS as exc:
            raise damaged(path, exc) from exc
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
        edited = self._edited(name)
        if edited is not None:
            return edited
        if name in self._cache:
            return self._cache[name]
        try:
            content = self._zip.read(name)
        except _ZIP_ERRORS as exc:
            raise damaged(self.path, exc) from exc
        if cache:
            self._cache[name] = content
        return content

    def _edited(self, name: str) -> bytes | None:
        """The content of an added part, or of a changed one held in memory."""
        if name in self.added:
            added = self.added[name]
            if isinstance(added, bytes):
                return added
            added.seek(0)
            return added.read()
        changed = self.changed.get(name)
        return changed if isinstance(changed, bytes) else None

    def read_sheet(self, part: str) -> bytes | mmap.mmap:
        """A worksheet's XML; one over `_MAP_BYTES` unpacked into a temporary file and mapped,
        so that a 200,000-row sheet (about 100 MB of XML) is never all in memory at once:
        `mapped.Pages` lets the pages go again as the sheet is swept."""
        name = self.by_part.get(part_key(part))
        info = next((i for i in self.infos if i.filename == name), None)
        if (
            info is None
            or info.file_size <= _MAP_BYTES
            or name in self.added
            or name in self.changed
            or not hasattr(mmap.mmap, "madvise")  # Windows: the sheet stays in memory
            or not hasattr(mmap, "MADV_DONTNEED")
            or not speedups.enabled("mmap")  # mapped: 21% less peak memory at 200,000 rows
        ):
            return self.read(part, cache=False)
        return self._map(info)

    def _map(self, info: zipfile.ZipInfo) -> mmap.mmap:
        if self.scratch is not None:
            private_dir(self.scratch)
        scratch = tempfile.TemporaryFile(dir=self.scratch)  # noqa: SIM115 - closed in `close`
        try:
            with self._zip.open(info) as source:
                shutil.copyfileobj(source, scratch, COPY_CHUNK)
            scratch.flush()
            mapped = mmap.mmap(scratch.fileno(), 0, access=mmap.ACCESS_READ)
        except _ZIP_ERRORS as exc:
            scratch.close()
            raise damaged(self.path, exc) from exc
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
                    self._write_entry(zout, info)
                for name, data in self.added.items():
                    entry = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
                    entry.compress_type = zipfile.ZIP_DEFLATED
                    entry.external_attr = 0o644 << 16
                    _write_content(zout, entry, data)
                zout.comment = self.comment
        except _ZIP_ERRORS as exc:
            raise damaged(self.path, exc) from exc

    def _write_entry(self, zout: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        """An original entry: copied as it was, unless it was changed."""
        content = self.changed.get(info.filename)
        if content is not None:
            _write_content(zout, _copy_info(info), content)
            return
        with zout.open(_copy_info(info), "w") as dest, self._zip.open(info) as source:
            shutil.copyfileobj(source, dest, COPY_CHUNK)

    def rels(self, part: str) -> list[Rel]:
        """The relationships of a part, targets resolved to part names."""
        name = rels_part(part)
        if not self.has(name):
            return []
        return parse_rels(parse_part(self.read(name), name, self.path), part, self.has)


def _write_content(zout: zipfile.ZipFile, entry: zipfile.ZipInfo, data: bytes | IO[bytes]) -> None:
    """New content for an entry; a spooled rewrite (a big sheet) at the fast level."""
    if isinstance(data, bytes):
        zout.writestr(entry, data)
        return
    entry._compresslevel = _STREAM_LEVEL  # type: ignore[attr-defined]
    with zout.open(entry, "w") as dest:
        data.seek(0)
        shutil.copyfileobj(data, dest, COPY_CHUNK)


def damaged(path: Path, exc: BaseException) -> WorkbookError:
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


def parse_part(content: bytes, part: str, path: Path) -> Element:
    """An XML part as an lxml tree; a damaged one is the owner's problem to fix, said so."""
    try:
        return etree.fromstring(content, XML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise WorkbookError(
            f"{path.name} has a damaged part {part} ({exc}); xlsdun will not write to it. "
            "Open it in Excel and save it again, then run again."
        ) from exc


def parent(element: Element) -> Element:
    """The element's parent, where the code has put it in one."""
    found = element.getparent()
    assert found is not None, element.tag
    return found


def serialize_part(root: Element, original: bytes) -> bytes:
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
