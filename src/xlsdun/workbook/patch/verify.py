"""The written copy re-opened the way the next run will read it, before it replaces anything."""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from xml.parsers import expat

import python_calamine

from ..guard import WorkbookError
from ..parts import part_key
from .package import Package

_CALAMINE_CHECK_BYTES = 16 << 20  # see `verify`


def verify(tmp: Path, package: Package, sheets: Mapping[str, str], path: Path) -> None:
    """Re-open the written temp file the way the next run will, before it replaces anything.
    `sheets`: the sheets the write opened (the sheet, the log sheet), by name, with their part.

    Complete: the zip directory lists every entry, and each entry copied unchanged has the
    original's size and CRC-32 (computed over the bytes written). Readable: every changed
    or added part decompresses with a matching CRC and parses as XML (streamed), and calamine
    opens the workbook and reads the written sheets; a sheet over 16 MB of XML (about
    20,000 rows) is left to the XML check, as reading it into calamine costs more memory
    than the whole write.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:  # calamine runs without the GIL
        readable = pool.submit(_calamine_reads, tmp, sheets)
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


def _check_entries(tmp: Path, package: Package) -> None:
    """Complete and well-formed (see `verify`); raises on the first problem."""
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


def _calamine_reads(tmp: Path, sheets: Mapping[str, str]) -> None:
    with zipfile.ZipFile(tmp) as written:
        sizes = {part_key(info.filename): info.file_size for info in written.infolist()}
    workbook = python_calamine.CalamineWorkbook.from_path(str(tmp))
    try:
        for name, part in sheets.items():
            if sizes.get(part_key(part), 0) <= _CALAMINE_CHECK_BYTES:
                workbook.get_sheet_by_name(name)
    finally:
        workbook.close()
