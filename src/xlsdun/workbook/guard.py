"""The safety around writing a user's workbook.

The workbook belongs to the user, who may have it open in Excel, may save it while
xlsdun runs, and must never find it half-written. Everything here exists so that a
write either lands completely or leaves the original untouched: lock detection,
content fingerprints, crash-safe replacement and private backups.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from .. import private
from ..errors import EXIT_LOCKED, XlsdunError

__all__ = [
    "Fingerprint",
    "WorkbookChanged",
    "WorkbookError",
    "WorkbookLocked",
    "atomic_replace",
    "cleanup_stale_temp_files",
    "file_problem",
    "fingerprint",
    "is_encrypted",
    "latest_backup",
    "open_elsewhere",
    "read_with_fingerprint",
    "rotate_backups",
    "temp_path_for",
]

OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
"""Excel stores password-protected .xlsx files as OLE2 compound files, not zips."""

_ZIP_SUFFIXES = {".xlsx", ".xlsm", ".xltx", ".xltm", ".xlsb"}
_TEMP_MARK = ".xlsdun-tmp-"


class WorkbookError(XlsdunError):
    """A problem the user can act on; the message names the file and what to do."""


class WorkbookLocked(WorkbookError):
    """The workbook is open elsewhere; outcomes stay in the ledger for the next run."""

    exit_code = EXIT_LOCKED


class WorkbookChanged(WorkbookError):
    """Someone saved the workbook after xlsdun read it; writing now would lose their edit."""


@dataclass(frozen=True)
class Fingerprint:
    """What the workbook looked like when read, to detect a save made in between."""

    size: int
    mtime_ns: int
    sha256: str


def file_problem(path: str | Path) -> str | None:
    """Why `path` is not a workbook file xlsdun can open, in words, or None.

    Checked before the file is opened: opening a named pipe waits for a writer forever,
    and a folder or a device is no workbook.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return _icloud_placeholder(path) or "workbook not found"
    except OSError as exc:
        return f"cannot be opened ({exc.strerror})"
    placeholder = _online_only(st)
    if placeholder:
        return placeholder
    if stat.S_ISDIR(st.st_mode):
        return "this is a folder, not a workbook file"
    if not stat.S_ISREG(st.st_mode):
        return "this is not an ordinary file (it is a pipe or a device), so xlsdun does not open it"
    if not os.access(path, os.R_OK):
        return (
            "xlsdun is not allowed to read this file (permission denied); give your user "
            "account read access"
        )
    return None


# Windows marks a cloud file that is not on this computer (OneDrive "Files On-Demand",
# Dropbox "online-only", Google Drive streaming) with these attributes; opening it downloads
# it, or fails when offline or when the sync client is not running.
_CLOUD_ATTRIBUTES = 0x1000 | 0x40000 | 0x400000  # OFFLINE, RECALL_ON_OPEN, RECALL_ON_DATA_ACCESS


def _icloud_placeholder(path: str | Path) -> str | None:
    """Why a missing workbook is in fact in iCloud Drive, not downloaded: macOS keeps only
    ".NAME.icloud" beside where the file would be. None when there is no such stand-in."""
    p = Path(path)
    if p.with_name(f".{p.name}.icloud").exists():
        return (
            "the workbook is in iCloud Drive but not downloaded to this Mac (only "
            f".{p.name}.icloud is here). In Finder, right-click it and choose Download Now "
            "(or Keep Downloaded, so the daily run always finds it)"
        )
    return None


def _online_only(st: os.stat_result) -> str | None:
    """Why the file is only a cloud placeholder on Windows, from its attributes, or None."""
    attributes = getattr(st, "st_file_attributes", 0)
    if attributes & _CLOUD_ATTRIBUTES:
        return (
            "the workbook is an online-only placeholder of a cloud folder (OneDrive, Dropbox "
            "or Google Drive): it is not downloaded to this computer. Right-click it and choose "
            '"Always keep on this device" (OneDrive) or "Make available offline" (Dropbox), '
            "so the daily run can read it"
        )
    return None


def fingerprint(path: str | Path) -> Fingerprint:
    """Fingerprint the file as it is on disk now, a megabyte at a time (the run keeps only
    the fingerprint; the writer reads the bytes with `read_with_fingerprint`)."""
    p = Path(path)
    before = _regular_stat(p)
    digest = hashlib.sha256()
    size = 0
    with open(p, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return _unchanged(p, before, size, digest.hexdigest())


def read_with_fingerprint(path: str | Path) -> tuple[bytes, Fingerprint]:
    """Read the whole file and fingerprint exactly those bytes.

    Stat before and after the read so that a save racing with the read is noticed
    instead of producing a fingerprint of a file that never existed.
    """
    p = Path(path)
    before = _regular_stat(p)
    data = p.read_bytes()
    return data, _unchanged(p, before, len(data), hashlib.sha256(data).hexdigest())


def _regular_stat(path: Path) -> os.stat_result:
    problem = file_problem(path)
    if problem:
        raise WorkbookError(
            f"{path}: {problem}. Set 'workbook.path' in the config to your receivables workbook."
        )
    return os.stat(path)


def _unchanged(path: Path, before: os.stat_result, size: int, sha256: str) -> Fingerprint:
    """The fingerprint of what was read, if the file did not change while it was read."""
    after = os.stat(path)
    if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or (
        size != after.st_size
    ):
        raise WorkbookChanged(
            f"{path.name} was being saved while xlsdun read it. Nothing was written; "
            "the outcomes are kept and will be written on the next run."
        )
    return Fingerprint(size, after.st_mtime_ns, sha256)


def open_elsewhere(path: str | Path) -> str | None:
    """Say why the workbook looks open in another program, or None if it does not.

    Excel leaves ``~$NAME`` beside an open workbook and LibreOffice ``.~lock.NAME#``;
    on Windows an open workbook also refuses a write-mode open. Replacing a file
    that Excel holds would make Excel's next save silently undo xlsdun's write.
    """
    p = Path(path)
    excel_owner = p.with_name(f"~${p.name}")
    if excel_owner.exists():
        return (
            f"{p.name} is open in Microsoft Excel ({excel_owner.name} is beside it). "
            "Close the workbook in Excel; the outcomes are kept and will be written on the "
            f"next run. If Excel is not running, delete {excel_owner.name}."
        )
    libre_lock = p.with_name(f".~lock.{p.name}#")
    if libre_lock.exists():
        return (
            f"{p.name} is open in LibreOffice ({libre_lock.name} is beside it). "
            "Close the workbook in LibreOffice; the outcomes are kept and will be written "
            f"on the next run. If LibreOffice is not running, delete {libre_lock.name}."
        )
    if os.name == "nt" and p.exists():
        try:
            fd = os.open(p, os.O_RDWR | getattr(os, "O_BINARY", 0))
        except PermissionError:
            return (
                f"{p.name} is open in another program. Close it there; the outcomes are "
                "kept and will be written on the next run."
            )
        os.close(fd)
    return None


def is_encrypted(path: str | Path) -> bool:
    """Tell whether an .xlsx/.xlsm/.xlsb is password-protected (an OLE2 file, not a zip).

    An encrypted .xls is an OLE2 file like any .xls: calamine's PasswordError says so
    (read.py)."""
    p = Path(path)
    if p.suffix.lower() not in _ZIP_SUFFIXES or file_problem(p):
        return False
    with open(p, "rb") as f:
        return f.read(len(OLE2_MAGIC)) == OLE2_MAGIC


def temp_path_for(path: str | Path) -> Path:
    """A temp name beside the workbook that no one can mistake for it.

    Same folder, so that ``os.replace`` is an atomic rename on the same file system;
    hidden, marked, and without the workbook's extension; it carries the pid so a
    later run can tell a crashed writer's leftover from a live one.
    """
    p = Path(path)
    return p.with_name(f".{p.name}{_TEMP_MARK}{os.getpid()}-{os.urandom(4).hex()}")


def cleanup_stale_temp_files(path: str | Path, older_than: float) -> list[Path]:
    """Remove temp files left beside the workbook by an earlier, crashed write.

    A file counts as stale when it was last modified before ``older_than`` (a
    ``time.time()`` value) and, where that can be checked, its writer is gone.
    """
    p = Path(path)
    pattern = re.compile(rf"^\.{re.escape(p.name)}{re.escape(_TEMP_MARK)}(\d+)-[0-9a-f]+$")
    removed: list[Path] = []
    try:
        candidates = list(p.parent.iterdir())
    except OSError:
        return removed
    for candidate in candidates:
        match = pattern.match(candidate.name)
        if not match:
            continue
        try:
            if candidate.stat().st_mtime >= older_than:
                continue
            pid = int(match.group(1))
            if pid != os.getpid() and _process_alive(pid):
                continue
            candidate.unlink()
        except OSError:
            continue
        removed.append(candidate)
    return removed


def _process_alive(pid: int) -> bool:
    if os.name == "nt":
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def atomic_replace(
    path: str | Path,
    data_writer: Callable[[BinaryIO], None],
    *,
    verify: Callable[[Path], None] | None = None,
    before_replace: Callable[[], None] | None = None,
) -> None:
    """Replace ``path`` with what ``data_writer`` writes, all or nothing.

    The new content goes to a temp file in the same folder, is flushed to disk and
    verified, and only then renamed over the original; the folder is synced so the
    rename itself survives a power cut. On any failure the temp file is removed and
    the original is untouched. A symlinked workbook stays a symlink: its target is
    replaced.
    """
    target = Path(os.path.realpath(path))
    tmp = temp_path_for(target)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            data_writer(f)
            f.flush()
            os.fsync(f.fileno())
        with suppress(OSError):
            os.chmod(tmp, os.stat(target).st_mode & 0o7777)
        if verify is not None:
            verify(tmp)
        if before_replace is not None:
            before_replace()
        replace_retrying(tmp, target)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(target.parent)


# On Windows a file another process holds open (Excel, OneDrive or Dropbox syncing it, an
# antivirus scanning the new copy) cannot be renamed over: PermissionError, usually for well
# under a second. Retry over about 2 s before calling the workbook locked.
REPLACE_RETRY_DELAYS: tuple[float, ...] = (0.1, 0.2, 0.4, 0.6, 0.8)


def _rename(tmp: Path, target: Path) -> None:
    """The rename alone (tests/test_replace_held.py makes it refuse, as a held file does)."""
    os.replace(tmp, target)


def replace_retrying(tmp: Path, target: Path) -> None:
    """Rename `tmp` over `target`, retrying a refused rename; still refused: WorkbookLocked
    (exit 3), the outcomes kept in the ledger for the next run."""
    for wait in (*REPLACE_RETRY_DELAYS, None):
        try:
            _rename(tmp, target)
            return
        except PermissionError as exc:
            if wait is None:
                raise WorkbookLocked(
                    f"{target.name} could not be replaced ({exc.strerror or exc}); it is "
                    "probably open in another program (Excel, a sync client such as OneDrive "
                    "or Dropbox, an antivirus). Close it; the outcomes are kept and will be "
                    "written on the next run."
                ) from exc
            time.sleep(wait)


def _fsync_dir(folder: Path) -> None:
    if os.name == "nt":
        return
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def rotate_backups(path: str | Path, state_dir: str | Path, keep: int) -> Path:
    """Copy the workbook into ``state_dir/backups`` and keep only the newest ``keep``.

    Backups hold the user's customer data, so the folder is private (0o700) and each
    copy readable by the user only (0o600). Names sort by time and keep the
    extension, so a backup opens in Excel as it is.
    """
    p = Path(path)
    folder = private.state_dir(Path(state_dir) / "backups")
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S%f")
    dest = folder / f"{p.stem}.{stamp}{p.suffix}"
    while dest.exists():
        time.sleep(0.000_001)
        stamp = datetime.now().strftime("%Y%m%dT%H%M%S%f")
        dest = folder / f"{p.stem}.{stamp}{p.suffix}"
    fd = private.opener(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    with os.fdopen(fd, "wb") as f, open(p, "rb") as source:
        # a megabyte at a time: the writer holds the workbook's bytes already, and a second
        # copy here was at the run's peak (run peak -15 MB at 200,000 invoices)
        shutil.copyfileobj(source, f, 1 << 20)
        f.flush()
        os.fsync(f.fileno())
    ours = _backups(p, folder)
    for old in ours[: max(len(ours) - max(keep, 1), 0)]:
        with suppress(OSError):
            old.unlink()
    return dest


def _backups(path: Path, folder: Path) -> list[Path]:
    """The backups of `path` in `folder`, oldest first (their names sort by time)."""
    pattern = re.compile(rf"^{re.escape(path.stem)}\.\d{{8}}T\d{{12}}{re.escape(path.suffix)}$")
    try:
        return sorted(b for b in folder.iterdir() if pattern.match(b.name))
    except OSError:
        return []


def latest_backup(path: str | Path, folder: str | Path) -> Path | None:
    """The newest backup of the workbook `path` that `rotate_backups` left in `folder`."""
    found = _backups(Path(path), Path(folder))
    return found[-1] if found else None
