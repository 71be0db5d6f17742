"""The outbox backend: each message as an .eml file any mail client opens, plus an index.

The default backend, and the one `make demo` uses: nothing leaves the machine, so a new
user can read exactly what would be sent before connecting a real mail account.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
import unicodedata
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path

from .base import SendResult

INDEX_FIELDS = ("file", "message_id", "to", "cc", "subject", "date")


def slug(text: str, limit: int = 40) -> str:
    """A file-name-safe rendering of a customer name (Hebrew letters kept)."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"[^\w\-]+", "-", text, flags=re.UNICODE).strip("-_")
    return (text or "customer")[:limit]


class OutboxBackend:
    name = "outbox"

    def __init__(self, directory: str | Path, today_folder: str) -> None:
        self.root = Path(directory)
        self.folder = self.root / today_folder
        self.index = self.root / "index.csv"

    def open(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)

    def close(self) -> None:
        pass

    def send(self, message: EmailMessage) -> SendResult:
        to_name, to_addr = parseaddr(str(message["To"]))
        number = len(list(self.folder.glob("*.eml"))) + 1
        name = f"{number:04d}-{slug(to_name or to_addr)}.eml"
        target = self.folder / name
        data = message.as_bytes()
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".eml", dir=self.folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._append_index(target, message)
        return SendResult(
            "written_to_outbox", detail=str(target), path=str(target), envelope=to_addr
        )

    def _append_index(self, target: Path, message: EmailMessage) -> None:
        new = not self.index.exists()
        with self.index.open("a", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            if new:
                writer.writerow(INDEX_FIELDS)
            writer.writerow(
                [
                    str(target.relative_to(self.root)),
                    message["Message-ID"],
                    message["To"],
                    message["Cc"] or "",
                    message["Subject"],
                    message["Date"],
                ]
            )

    def find(self, message_id: str | None) -> str | None:
        """The .eml already written for a Message-ID (crash recovery), or None."""
        if not message_id or not self.root.exists():
            return None
        needle = f"Message-ID: {message_id}".encode()
        for path in self.root.rglob("*.eml"):
            with path.open("rb") as fh:
                head = fh.read(8192)
            if needle.lower() in head.lower():
                return str(path)
        return None
