"""One run at a time per state folder, with a lock that dies with its run.

The lock is the operating system's, on `STATE/run.lock`: a POSIX record lock
(`fcntl.lockf`) on Unix, `msvcrt.locking` on Windows. A record lock belongs to the process
that took it: a process the run forks (the render helper in outbox_batch.py) does not
inherit it, and the kernel drops it the moment the run ends, however it ends (SIGKILL
included). So a run that died never blocks the next one; the next run takes the lock over.
(An `flock` lock, used before, belongs to the open file, which a forked child shares: a
helper orphaned by a killed run kept every later run out.)

Two rules of record locks shape the code: locks of one process never conflict with each
other, and closing *any* descriptor of the file drops the process's lock. So runs inside
one process are kept apart by a registry here, and nothing else in xlsdun opens the file while
this process holds it (`probe` asks the registry first).

The file's text ("pid 123 on host since ...") is a note for people: written when the lock
is taken, cleared when the run ends. A note found when taking the lock names a run that
ended without finishing (killed, or the machine went down); that is logged.
"""

from __future__ import annotations

import os
import re
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import IO

from . import logs, private
from .errors import EXIT_LOCKED, RunError

LOCK_NAME = "run.lock"
_NOTE = re.compile(r"pid (\d+) on (\S+)")

_held: dict[str, str] = {}  # lock file (real path) -> its note, for runs in this process
_held_guard = threading.Lock()


@contextmanager
def run_lock(state_dir: Path) -> Iterator[None]:
    """One run at a time per workbook. A second run gets exit 3 naming the running process."""
    private.state_dir(state_dir)
    path = state_dir / LOCK_NAME
    key = os.path.realpath(path)
    note = _note()
    with _held_guard:
        if key in _held:
            raise _busy(path, _held[key])
        _held[key] = note
    try:
        with _locked(path, note):
            yield
    finally:
        with _held_guard:
            _held.pop(key, None)


def probe(state_dir: Path) -> tuple[RunError | None, str]:
    """(the error a run would get now, or None; the note in the lock file), without taking
    the lock over: `doctor` asks, and a note left by a run that did not finish stays for the
    next run to log."""
    path = state_dir / LOCK_NAME
    with _held_guard:
        note = _held.get(os.path.realpath(path))
    if note is not None:  # a run of this process: opening the file would drop its lock
        return _busy(path, note), note
    try:
        fd = private.opener(path, os.O_RDWR)
    except FileNotFoundError:
        return None, ""
    with os.fdopen(fd, "r+", encoding="utf-8") as fh:
        note = _read(fh)
        try:
            _lock_file(fh)
        except OSError:
            return _busy(path, note), note
        return None, note  # closing the file releases the lock


@contextmanager
def _locked(path: Path, note: str) -> Iterator[None]:
    fd = private.opener(path, os.O_RDWR | os.O_CREAT)
    fh: IO[str] = os.fdopen(fd, "r+", encoding="utf-8")
    try:
        try:
            _lock_file(fh)
        except OSError:
            raise _busy(path, _read(fh)) from None
        previous = _read(fh)
        if previous:
            logs.log.warning(
                "the run lock was taken over from a run that ended without finishing (%s)",
                previous,
            )
        _write(fh, note)
        try:
            yield
        finally:
            _write(fh, "")  # a clean end: nothing left to take over
    finally:
        fh.close()  # releases the lock


def _lock_file(fh: IO[str]) -> None:
    """Take the lock without waiting; OSError if another process holds it."""
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.lockf(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def _note() -> str:
    return (
        f"pid {os.getpid()} on {socket.gethostname()} since "
        f"{datetime.now().astimezone().isoformat(timespec='seconds')}"
    )


def _read(fh: IO[str]) -> str:
    with suppress(OSError, ValueError):  # Windows: the holder's locked byte cannot be read
        fh.seek(0)
        return fh.read().strip()
    return ""


def _write(fh: IO[str], text: str) -> None:
    with suppress(OSError):
        fh.seek(0)
        fh.truncate()
        fh.write(text)
        fh.flush()


def _busy(path: Path, note: str) -> RunError:
    """Exit 3, naming who holds the lock as far as the note tells."""
    who = note if note and _alive_here(note) else "a run that is just starting"
    return RunError(
        f"another xlsdun run is using this workbook ({who}); wait for it to finish. "
        f"Lock file: {path}",
        EXIT_LOCKED,
    )


def _alive_here(note: str) -> bool:
    """False only when the note names a process of this machine that no longer exists (the
    lock is then held by a run that has just taken it and not yet written its note)."""
    match = _NOTE.match(note)
    if os.name == "nt" or not match or match.group(2) != socket.gethostname():
        return True  # (Windows' os.kill would end the process, not probe it)
    try:
        os.kill(int(match.group(1)), 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, another user's
        return True
    return True
