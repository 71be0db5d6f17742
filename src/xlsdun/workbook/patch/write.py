"""`write_back`: the guards around one all-or-nothing write, and the order of the edits."""

from __future__ import annotations

import gc
import re
import time
from pathlib import Path

from ... import speedups
from ..bounds import MAX_ROWS
from ..guard import (
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
from .log_sheet import append_log
from .model import LogLines, Updates, WriteOptions, WriteResult
from .owned_cells import apply_updates
from .package import Package
from .values import check_value
from .verify import verify
from .workbook import WorkbookEdit

_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_DEFAULT_OPTIONS = WriteOptions()


def write_back(
    path: str | Path,
    *,
    sheet: str,
    header_row: int,
    updates: Updates,
    log: LogLines | None = None,
    options: WriteOptions | None = None,
) -> WriteResult:
    """Write owned cells and log lines into the workbook, guarded and all-or-nothing.

    ``updates`` maps 1-based Excel row numbers to ``{header: value}``; headers are
    matched case- and space-insensitively in ``header_row`` and missing ones are added
    as new columns. ``log`` lines are appended to their sheet unless their first value
    (a unique key) is already in its column A, so a retried write adds nothing twice.
    ``cells_changed`` counts the update cells whose content changed (not headers, not
    log lines). When nothing would change, the file is not rewritten. The previous version
    is kept in ``options.state_dir``/backups (default: ``.xlsdun`` beside the workbook);
    ``options.backups=0`` keeps none.

    Raises WorkbookError (or its WorkbookLocked / WorkbookChanged) with a message
    naming the file and what to do; the original file is then untouched.
    """
    path = Path(path)
    options = _DEFAULT_OPTIONS if options is None else options
    run_started = time.time()
    _check_arguments(header_row, updates, log)
    _refuse_unwritable(path, run_started)
    original, original_fp = read_with_fingerprint(path)
    if options.expected is not None and original_fp != options.expected:
        raise WorkbookChanged(_changed_message(path))

    package = Package.load(path, original)
    package.scratch = Path(_state_dir(path, options))
    try:
        book = WorkbookEdit(package, path)
        result = WriteResult(path=path)
        _edit(book, sheet, header_row, updates, log, options.allow_protected, result)
        if package.dirty:
            sheets = {name: edit.part for name, edit in book.sheets.items()}  # the ones opened
            _replace(path, package, sheets, original_fp, options, result)
    finally:
        package.close()  # temporary files of big sheets
    return result


def _refuse_unwritable(path: Path, run_started: float) -> None:
    """A missing, encrypted or open-elsewhere workbook is refused before it is read."""
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


def _state_dir(path: Path, options: WriteOptions) -> str | Path:
    """Where backups and big sheets' temporary files go: the run's, or beside the workbook."""
    return options.state_dir if options.state_dir is not None else path.parent / ".xlsdun"


def _edit(
    book: WorkbookEdit,
    sheet: str,
    header_row: int,
    updates: Updates,
    log: LogLines | None,
    allow_protected: bool,
    result: WriteResult,
) -> None:
    """Every edit, into the package (nothing is written to disk yet)."""
    frozen = speedups.enabled("gc")
    if frozen:  # the caller's objects need no cyclic-GC scans while cells are generated
        gc.freeze()
    try:
        apply_updates(book, sheet, header_row, updates, allow_protected, result)
        if log is not None and (log.rows or log.header):
            append_log(book, log, allow_protected, result)
        book.finish()
    finally:
        if frozen:
            gc.unfreeze()


def _replace(
    path: Path,
    package: Package,
    sheets: dict[str, str],
    original_fp: Fingerprint,
    options: WriteOptions,
    result: WriteResult,
) -> None:
    """The new package replaces the file: verified, after a backup, if no one changed it."""

    def before_replace() -> None:
        if options.backups > 0:  # used on its own, the backups go where the daily run keeps them
            result.backup = rotate_backups(path, _state_dir(path, options), options.backups)
        again = open_elsewhere(path)
        if again:
            raise WorkbookLocked(again)
        if fingerprint(path) != original_fp:
            raise WorkbookChanged(_changed_message(path))

    atomic_replace(
        path,
        package.write,
        verify=lambda tmp: verify(tmp, package, sheets, path),
        before_replace=before_replace,
    )
    result.written = True


def _changed_message(path: Path) -> str:
    return (
        f"{path.name} was changed by someone else after xlsdun read it. Nothing was written; "
        "the outcomes are kept and will be written on the next run."
    )


def _check_arguments(header_row: int, updates: Updates, log: LogLines | None) -> None:
    """Reject programmer errors before the workbook is even opened."""
    if not 1 <= header_row < MAX_ROWS:
        raise ValueError(f"header_row must be between 1 and {MAX_ROWS - 1}, got {header_row}")
    for row, cells in updates.items():
        if not header_row < row <= MAX_ROWS:
            raise ValueError(f"row {row} is not a data row below header row {header_row}")
        for header, value in cells.items():
            if not str(header).strip():
                raise ValueError(f"empty header in the update for row {row}")
            check_value(value)
    if log is not None:
        _check_log(log)


def _check_log(log: LogLines) -> None:
    for line in log.rows:
        if not line:
            raise ValueError("a log row must start with its unique key")
        for value in line:
            check_value(value)
    name = log.sheet
    if not name.strip() or len(name) > 31 or _SHEET_NAME_FORBIDDEN.search(name):
        raise ValueError(f"{name!r} is not a valid Excel sheet name")
    for value in log.header:
        check_value(value)
