"""Files and folders only the user can open: everything xlsdun creates holds customer data.

The state folder (ledger, backups, logs, reports, previews), the outbox and the digest all
name debtors and amounts, so xlsdun creates its folders 0700 and its files 0600 whatever
the umask (with the common 022 they would be readable by every account on the machine).
Folders that already exist keep their permissions (the user may share one on purpose),
except the state folder itself, which is made private on every use. The user's workbook is
not xlsdun's file: its mode is kept as it was (workbook/guard.py).

On Windows these modes mean little (a user's profile folder is already private); the calls
are the same and harmless there.
"""

from __future__ import annotations

import os
import stat
from contextlib import suppress
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
_BINARY = getattr(os, "O_BINARY", 0)


def private_dir(path: Path) -> Path:
    """`path` as a folder, creating it and any missing parents as 0700 (the umask ignored)."""
    missing: list[Path] = []
    current = path
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:  # made meanwhile by someone else: theirs, left as it is
            continue
        with suppress(OSError):
            os.chmod(folder, DIR_MODE)  # mkdir's mode passes through the umask
    if not path.is_dir():
        path.mkdir()  # raises the OS's own error (a file in the way), naming the path
    return path


def state_dir(path: Path) -> Path:
    """The state folder, created private, and made private again if it was not."""
    private_dir(path)
    with suppress(OSError):
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            os.chmod(path, DIR_MODE)
    return path


def opener(path: str | os.PathLike[str], flags: int) -> int:
    """An `open(..., opener=opener)` that creates the file 0600 (an append-only log, an
    index). A regular file that exists already is made 0600 too; anything else (a device, a
    pipe) is left alone."""
    fd = os.open(path, flags | _BINARY, FILE_MODE)
    _tighten(fd)
    return fd


def write_private(path: Path, data: bytes | str, encoding: str = "utf-8") -> Path:
    """Write a whole file (created or replaced in place) readable by the user only."""
    raw = data.encode(encoding) if isinstance(data, str) else data
    fd = opener(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    with os.fdopen(fd, "wb") as fh:
        fh.write(raw)
    return path


def _tighten(fd: int) -> None:
    if not hasattr(os, "fchmod"):  # pragma: no cover - Windows
        return
    with suppress(OSError):
        info = os.fstat(fd)
        if stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) & 0o077:
            os.fchmod(fd, FILE_MODE)
