"""The outbox backend: each message as an .eml file any mail client opens, plus an index.

The default backend, and the one `make demo` uses: nothing leaves the machine, so a new
user can read exactly what would be sent before connecting a real mail account.

`send` makes one message durable on its own. A daily run writes thousands, and an fsync per
file costs more than building the message, so the engine uses `write` for a batch and then
one `flush`, which makes every file of the batch durable at once before the ledger records
any of them as written (docs/architecture.md, "Batched outbox writes").
"""

from __future__ import annotations

import csv
import ctypes
import os
import re
import sys
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path

from .. import speedups
from ..mime import known_headers
from ..private import FILE_MODE, opener, private_dir
from ..text import starts_formula
from .base import SendResult

INDEX_FIELDS = ("file", "message_id", "to", "cc", "subject", "date")
_HEAD_BYTES = 8192
_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)


def slug(text: str, limit: int = 40) -> str:
    """A file-name-safe rendering of a customer name (Hebrew letters kept)."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"[^\w\-]+", "-", text, flags=re.UNICODE).strip("-_")
    return (text or "customer")[:limit]


def inert(value: str) -> str:
    """A CSV field a spreadsheet shows as text: one starting like a formula (`text.starts_formula`: a customer named
    "=cmd|' /C calc'!A0") gets a leading apostrophe, as OWASP advises for CSV exports."""
    return "'" + value if starts_formula(value) else value


def _load_syncfs() -> Callable[[int], int] | None:
    """Linux's syncfs(2): one call makes every file written on the file system durable."""
    if not sys.platform.startswith("linux") or not speedups.enabled("syncfs"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int]
    fn.restype = ctypes.c_int
    return fn


_SYNCFS = _load_syncfs()  # benchmarks/speedups.py: 7-10% of `run --quiet` at 20,000


def _fsync_path(path: str | Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    if os.name == "nt":
        return
    _fsync_path(folder)


def make_durable(paths: list[Path], folder: Path) -> None:
    """Every file in `paths` (all in `folder`) and their names on disk, with few syncs.

    syncfs where the OS has it; elsewhere the fsyncs run in parallel, which the file system
    folds into a few journal commits instead of one per file.
    """
    if not paths:
        return
    if _SYNCFS is not None:
        fd = os.open(folder, os.O_RDONLY)
        try:
            if _SYNCFS(fd) == 0:
                return
        finally:
            os.close(fd)
    with ThreadPoolExecutor(max_workers=min(16, len(paths))) as pool:
        list(pool.map(_fsync_path, paths))
    _fsync_dir(folder)


_INDEX_HEADERS = {
    "message_id": "Message-ID",
    "to": "To",
    "cc": "Cc",
    "subject": "Subject",
    "date": "Date",
}


def _summary(message: EmailMessage) -> tuple[dict[str, str], tuple[str, str]]:
    """The index fields as text and To's (name, address). A message xlsdun assembled carries
    them ready-made, which spares parsing five headers per message."""
    known = known_headers(message)
    if known is not None:
        ready, recipient = known
        return {key: ready.get(name, "") for key, name in _INDEX_HEADERS.items()}, recipient
    info = {key: str(message[name] or "") for key, name in _INDEX_HEADERS.items()}
    return info, parseaddr(info["to"])


def _is_message(name: str) -> bool:
    """A finished .eml (not a temp file left by a write that a crash cut short)."""
    return name.endswith(".eml") and not name.startswith(".")


class OutboxBackend:
    name = "outbox"

    def __init__(self, directory: str | Path, today_folder: str) -> None:
        self.root = Path(directory)
        self.folder = self.root / today_folder
        self.index = self.root / "index.csv"
        self._next: int | None = None
        self._unsynced: list[Path] = []
        self._index_rows: list[list[str]] = []
        self._by_id: dict[str, str] | None = None

    def open(self) -> None:
        if self._next is None:  # first use in this run: nothing of ours is being written yet
            private_dir(self.folder)  # the messages name debtors and amounts: 0700, files 0600
            for stale in self.folder.glob(".tmp-*"):  # a write cut short by a crash
                stale.unlink(missing_ok=True)
            self._next = sum(1 for p in os.scandir(self.folder) if _is_message(p.name)) + 1

    def close(self) -> None:
        self.flush()

    def send(self, message: EmailMessage) -> SendResult:
        """Write one message and make it durable before returning."""
        result = self.write(message)
        self.flush()
        return result

    def write(self, message: EmailMessage) -> SendResult:
        """Write one message atomically (temp file + rename); durable only after `flush`."""
        self.open()
        assert self._next is not None  # counted by open()
        info, (to_name, to_addr) = _summary(message)
        data = message.as_bytes()
        stem = slug(to_name or to_addr)
        while True:
            target = self.folder / f"{self._next:04d}-{stem}.eml"
            self._next += 1
            if not target.exists():
                break
        tmp = self.folder / f".tmp-{os.getpid()}-{target.name}"
        try:
            fd = os.open(
                tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), FILE_MODE
            )
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self._unsynced.append(target)
        relative = str(target.relative_to(self.root))
        self._index_rows.append([relative, *(inert(info[k]) for k in INDEX_FIELDS[1:])])
        if self._by_id is not None:
            self._by_id[info["message_id"]] = str(target)
        return SendResult(
            "written_to_outbox", detail=str(target), path=str(target), envelope=to_addr
        )

    def flush(self) -> None:
        """Make every message written since the last flush durable, then index them."""
        if self._unsynced:
            make_durable(self._unsynced, self.folder)
            self._unsynced = []
        if self._index_rows:
            new = not self.index.exists()
            with open(self.index, "a", newline="", encoding="utf-8", opener=opener) as fh:
                writer = csv.writer(fh)
                if new:
                    writer.writerow(INDEX_FIELDS)
                writer.writerows(self._index_rows)
            self._index_rows = []

    def find(self, message_id: str | None) -> str | None:
        """The .eml already written for a Message-ID (crash recovery), or None.

        The first call reads the head of every .eml once; later calls are dictionary lookups.
        """
        if not message_id or not self.root.exists():
            return None
        if self._by_id is None:
            self._by_id = {}
            for path in self.root.rglob("*.eml"):
                if not _is_message(path.name):
                    continue
                with path.open("rb") as fh:
                    head = fh.read(_HEAD_BYTES)
                match = _MESSAGE_ID.search(head.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0])
                if match:
                    self._by_id.setdefault(match.group(1).decode("ascii", "replace"), str(path))
        return self._by_id.get(message_id.strip())
