"""Opening the workbook safely: everything found here is found before a message is sent.

The configured path may name a folder, a pipe, a text file that replaced the workbook, an
encrypted file, a zip bomb, or a package that the write-back would refuse once the day's
reminders are out (two parts of one name, a damaged part, a row past Excel's last, no
free column left for xlsdun's own). Each stops the read with WorkbookReadError (exit 2)
naming the file and what to do; when the file cannot be read as a workbook at all, the
message also names the latest backup xlsdun keeps of it.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from python_calamine import CalamineWorkbook, PasswordError

from ..errors import XlsdunError
from .bounds import MAX_COLS, MAX_ROWS
from .cellerrors import ErrorCells, error_cells
from .columns import normalize
from .guard import file_problem, is_encrypted, latest_backup
from .layout import columns_used_after, sheet_spreads
from .limits import damaged_part, directory_problem, next_free_column
from .parts import WRITABLE_SUFFIXES
from .refs import column_letters
from .spread import Measured

TEXT_SUFFIXES = (".csv", ".txt", ".tsv")  # exports read with pandas (textfile.py)
READ_ONLY_SUFFIXES = (".xls", ".xlsb", ".ods", *TEXT_SUFFIXES)  # outcomes: a sidecar
_ZIPPED = (*WRITABLE_SUFFIXES, ".xlsb", ".ods")  # packages a zip bomb can hide in


class WorkbookReadError(XlsdunError):
    """The workbook as a whole cannot be used; nothing is sent. The message is for the user."""


def unreadable(path: Path, problem: str, backups: Path | None) -> WorkbookReadError:
    """The error for a file that is not (or no longer) a workbook xlsdun can read, naming the
    latest backup, if any: a workbook saved over by a text file or damaged by a crash is
    then one copy away from working again."""
    message = f"{path}: {problem}."
    backup = latest_backup(path, backups) if backups is not None else None
    if backup is not None:
        try:
            saved = datetime.fromtimestamp(backup.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        except OSError:
            saved = "earlier"
        message += (
            f" xlsdun's latest backup of it is {backup} (saved {saved}): if the workbook was "
            f"replaced or damaged by mistake, copy that file over {path.name} and run again."
        )
    return WorkbookReadError(message)


def check_file(path: Path, backups: Path | None) -> None:
    """The path names a workbook file of a kind xlsdun reads, not encrypted, and (for the
    zipped kinds) with a package whose declared sizes are bounded (`limits.py`)."""
    problem = file_problem(path)
    if problem:
        raise unreadable(
            path,
            f"{problem}. Set 'workbook.path' in the config to your receivables workbook "
            f"(the .xlsx file itself)",
            backups,
        )
    if path.suffix.lower() not in WRITABLE_SUFFIXES + READ_ONLY_SUFFIXES:
        raise WorkbookReadError(
            f"{path}: unsupported file type '{path.suffix}'. Use .xlsx or .xlsm (or .xls, .xlsb, "
            f".ods, or a .csv or .txt export, read-only)."
        )
    if is_encrypted(path):
        raise encrypted(path)
    if path.suffix.lower() in _ZIPPED:
        _check_package(path, backups)


def encrypted(path: Path) -> WorkbookReadError:
    return WorkbookReadError(
        f"{path}: the workbook is password-protected (encrypted). xlsdun cannot read it; save "
        f"a copy without a password to open (File > Info > Protect Workbook) and point "
        f"'workbook.path' to it."
    )


def _check_package(path: Path, backups: Path | None) -> None:
    """The zip's directory only (nothing unpacked): no part may unpack past the limits."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise unreadable(
            path,
            f"cannot be read as a workbook (a {path.suffix} file is a zip package, and this one "
            f"is not: {exc}). Check that it is an Excel or LibreOffice file, and open it there "
            f"to make sure it is not damaged",
            backups,
        ) from None
    problem = directory_problem(infos, os.stat(path).st_size)
    if problem:
        raise unreadable(
            path,
            f"{problem}. The file looks damaged, or built to exhaust the computer's memory, so "
            f"xlsdun did not read it and sent nothing. If it is your own workbook, open it in "
            f"Excel, save it as a new workbook and point 'workbook.path' to that copy; if it "
            f"came from someone else, do not open it",
            backups,
        )


def open_book(path: Path, backups: Path | None) -> CalamineWorkbook:
    """The workbook opened with calamine, the engine pandas' `read_excel` uses.

    Called directly: the reader converts row by row anyway, and building a DataFrame first
    took as long as reading the file.
    """
    try:
        return CalamineWorkbook.from_path(str(path))
    except PasswordError:  # an encrypted .xls: an OLE2 file like any .xls
        raise encrypted(path) from None
    except Exception as exc:  # calamine raises several types for a bad file
        raise unreadable(
            path,
            f"cannot be read as a workbook ({type(exc).__name__}: {exc}). Check that it is an "
            f"Excel or LibreOffice file, and open it there to make sure it is not damaged",
            backups,
        ) from None


class PackageCheck:
    """The package check running beside the reader (`parts_checked`): first one pass over
    each worksheet (spread.py), which the reader waits for before calamine loads a sheet (it
    would ask for the whole rectangle at once and abort the process, and it checks no CRC),
    then every other part; and, for a sheet that pass saw error values on, where they are
    (cellerrors.py), found while calamine loads that sheet. Read-only formats: nothing known.
    """

    def __init__(
        self,
        path: Path,
        backups: Path | None,
        sheets: Future[dict[str, Measured]] | None = None,
        pool: ThreadPoolExecutor | None = None,
    ) -> None:
        self._path, self._backups = path, backups
        self._sheets, self._pool = sheets, pool
        self._errors: dict[str, Future[ErrorCells]] = {}

    def _measured(self, sheet: str) -> Measured | None:
        return self._sheets.result().get(sheet) if self._sheets is not None else None

    def loadable(self, sheet: str) -> WorkbookReadError | None:
        """Why calamine must not load `sheet` (a damaged part, cells spread too far), as an
        error to raise, or None (waits for the measurement)."""
        measured = self._measured(sheet)
        if measured is None or measured.problem is None:
            return None
        if not measured.clean:
            return unreadable(self._path, f"{measured.problem}{_REPAIR}", self._backups)
        return too_spread(self._path, sheet, measured.problem)

    def protected(self, sheet: str) -> bool:
        """Whether `sheet`'s cells are protected, as the pass over it saw."""
        measured = self._measured(sheet)
        return measured is not None and measured.protected

    def look_for_errors(self, sheet: str) -> None:
        """Start looking for the error values on `sheet`, if the pass over it saw any."""
        measured = self._measured(sheet)
        if measured is None or not measured.errors or sheet in self._errors:
            return
        assert self._pool is not None  # a measurement comes with its pool
        self._errors[sheet] = self._pool.submit(error_cells, self._path, measured.part)

    def errors(self, sheet: str) -> ErrorCells:
        """The error values on `sheet` (waits for `look_for_errors`); none if not asked."""
        found = self._errors.get(sheet)
        return found.result() if found is not None else {}


_REPAIR = (
    ", so xlsdun would not be able to write the outcomes into it; nothing was sent. Open the "
    "workbook in Excel and save it again (Excel repairs it), then run again"
)


@contextmanager
def parts_checked(path: Path, backups: Path | None) -> Iterator[PackageCheck]:
    """While the caller reads the sheet, a thread makes one pass over each worksheet
    (`loadable` waits for it), then checks that every other part unpacks to what the
    zip says and that the XML parts the writer parses are well-formed (`damaged_part`); the
    read fails at the end if one is not. A second thread looks for error values where that
    pass saw some. Nothing to check for read-only formats: their outcomes go to a sidecar
    workbook."""
    if path.suffix.lower() not in WRITABLE_SUFFIXES:
        yield PackageCheck(path, backups)
        return
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="xlsdun-check") as pool:
        sheets = pool.submit(sheet_spreads, path)  # zlib and lxml let the reader run meanwhile

        def damage() -> str | None:
            return damaged_part(path, {m.part for m in sheets.result().values() if m.clean})

        checked = pool.submit(damage)
        yield PackageCheck(path, backups, sheets, pool)
        problem = checked.result()
    if problem:
        raise unreadable(path, f"{problem}{_REPAIR}", backups)


def too_spread(path: Path, sheet: str, problem: str) -> WorkbookReadError:
    """A sheet whose cells spread too far to read (spread.py): usually a stray value far
    below or to the right of the table."""
    return WorkbookReadError(
        f"{path}, sheet '{sheet}': {problem}. Nothing was sent. This is usually a stray value "
        f"far below or to the right of your table: in Excel, press Ctrl+End to see where the "
        f"sheet ends, delete the rows and columns past your data, save, and run again."
    )


def check_room(
    path: Path,
    sheet: str,
    extent: tuple[int, int],
    headers: Mapping[int, str],
    owned: Mapping[str, str],
) -> None:
    """What the write-back would refuse about the sheet's shape, found before sending: a
    row or column past Excel's last, or no free column right of the headers for the columns
    xlsdun adds (`limits.next_free_column`, the writer's rule). `extent` is the last row
    and column (1-based) that hold a value."""
    rows, columns = extent
    where = f"{path}, sheet '{sheet}'"
    if rows > MAX_ROWS or columns > MAX_COLS:
        what = f"row {rows:,}" if rows > MAX_ROWS else f"column {columns:,}"
        raise WorkbookReadError(
            f"{where}: it has cells in {what}, past Excel's last row {MAX_ROWS:,} or last column "
            f"{column_letters(MAX_COLS)}, so Excel must repair it and xlsdun cannot write to "
            f"it; nothing was sent. Open it in Excel, let Excel repair it and save it, then "
            f"run again."
        )
    have = {normalize(h) for h in headers.values()}
    adding = [h for h in dict.fromkeys(owned.values()) if normalize(h) not in have]
    if not adding or columns + len(adding) <= MAX_COLS:
        return  # the usual sheet: every column right of the last used one is free
    last_header = max(headers, default=-1) + 1
    used = columns_used_after(path, sheet, last_header)
    column = last_header + 1
    for _ in adding:
        free = next_free_column(column, used)
        if free is None:
            raise WorkbookReadError(
                f"{where}: xlsdun adds its columns ({', '.join(repr(h) for h in adding)}) "
                f"to the right of the last header, but the sheet has no free column left "
                f"there: it uses columns up to {column_letters(MAX_COLS)}, Excel's last. Nothing "
                f"was sent. Clear the cells to the right of your table, or add those headers "
                f"yourself in the header row, then run again."
            )
        column = free + 1


# U+FFFD, or a UTF-8 lead byte read as Windows-1252/Latin-1 ("Â".."ß"; Hebrew's 0xD7 is
# "×", and "׳" in Windows-1255) followed by a continuation byte read the same way (U+0080-
# U+00BF, or the punctuation and signs 1252/1255 put at 0x80-0xBF)
_GARBLED = re.compile(
    "\ufffd|[\u00c2-\u00df\u05f0-\u05f4]"
    "[\u0080-\u00bf\u00d7\u00f7\u0152-\u017e\u0192\u02c6\u02dc\u2013-\u2122]"
)


def looks_garbled(text: str) -> bool:
    """Whether text looks like UTF-8 read in the wrong encoding ("×ž×¡×¤×¨" for a Hebrew
    word, "Ã©" for é) or holds U+FFFD, the mark of bytes that could not be decoded: a CSV
    imported into Excel with the wrong encoding."""
    return bool(_GARBLED.search(text))


def garbled_at(text: str) -> int | None:
    """Where in `text` the first garbled characters (`looks_garbled`) are, if any."""
    found = _GARBLED.search(text)
    return found.start() if found else None
