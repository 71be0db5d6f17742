"""Invoice files named in the workbook's Attachment column, read under one rule.

A bookkeeper runs workbooks that clients send, so the cell is not trusted: it names a file
inside the attachments folder (`[workbook] attachments_dir`, the workbook's folder by
default), and only an ordinary file of at most `max_attachment_mb` that is not xlsdun's own.
The real path (symlinks followed) must lie inside the real folder; hidden files and folders,
office lock files (`~$NAME.xlsx`), `*.toml` files and xlsdun's own paths (state folder, config, workbook, outbox) are refused
even there; `~` is a name, not the home folder. The file is opened without blocking and
checked on the open descriptor (a pipe or device never blocks or floods the run, and a file
swapped after the check is still caught), and at most the limit plus one byte is read.

Anything else raises `AttachmentProblem` with a `Refusal` saying why; the renderer turns it
into that debtor's failed delivery and the rest of the batch goes on.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import Config

DEFAULT_MAX_MB = 10
MB = 1024 * 1024
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO opens at once instead of waiting for a writer
    | getattr(os, "O_NOFOLLOW", 0)  # the real path has no symlink left; one swapped in fails
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


class Refusal(Enum):
    """Why an Attachment cell gives no file; the value is the owner-facing reason."""

    NOT_FOUND = "attachment file not found"
    OUTSIDE = "attachment refused: outside the attachments folder"
    PRIVATE = "attachment refused: a hidden file, an Office lock file or one of xlsdun's own files"
    NOT_REGULAR = "attachment refused: not an ordinary file"
    TOO_LARGE = "attachment refused: larger than {limit} (max_attachment_mb)"
    UNREADABLE = "attachment file cannot be read"
    SHADOWED = (
        "attachment refused: the attachments folder lies inside xlsdun's own state or outbox "
        "folder; set [workbook] attachments_dir to a folder of its own"
    )


class AttachmentProblem(Exception):
    """An Attachment cell that gives no file: `refusal` says why, `name` is the cell."""

    def __init__(self, refusal: Refusal, name: str, limit: int = 0) -> None:
        self.refusal, self.name = refusal, name  # `limit`: the size TOO_LARGE names
        super().__init__(refusal.value.format(limit=megabytes(limit)))


def megabytes(size: int) -> str:
    """A limit as the owner wrote it: 10485760 -> "10 MB", 1572864 -> "1.5 MB"."""
    return f"{size / MB:g} MB"


@dataclass(frozen=True, slots=True)
class Rules:
    """Where attachments may come from, how big they may be, and what is never sent."""

    folder: Path
    max_bytes: int = DEFAULT_MAX_MB * MB
    private: tuple[Path, ...] = ()  # xlsdun's own paths, refused even inside `folder`
    _real: list[tuple[str, tuple[str, ...], bool]] = field(
        default_factory=list, init=False, repr=False, compare=False
    )

    @classmethod
    def from_config(cls, config: Config) -> Rules:
        """The rule for a configured run: its folder, its limit, and xlsdun's own paths (the
        state folder, the config, the workbook and its sidecar, the outbox, Gmail's OAuth2
        credentials)."""
        from .workbook.sidecar import sidecar_path  # local: only a configured run needs it

        wb = config.workbook
        private = [config.state_dir, config.source, wb.path, sidecar_path(wb.path)]
        private.append(config.delivery.outbox_dir)
        if config.delivery.smtp.oauth2_file is not None:
            private.append(config.delivery.smtp.oauth2_file)
        return cls(wb.attachments_folder, wb.max_attachment_bytes, tuple(private))

    def real(self) -> tuple[str, tuple[str, ...], bool]:
        """(real folder, real private paths, whether a private folder holds the attachments
        folder: then every file there is xlsdun's, and none can be sent), once per run."""
        if not self._real:
            folder = _realpath(self.folder)
            private = tuple(map(_realpath, self.private))
            self._real.append((folder, private, any(_inside(folder, p) for p in private)))
        return self._real[0]


def read(cell: str, rules: Rules) -> tuple[str, bytes]:
    """(file name for the message, content) of the file a cell names, or AttachmentProblem."""
    name = cell.strip()
    real = _resolve(name, rules)
    try:
        before = os.stat(real)
    except FileNotFoundError:
        raise AttachmentProblem(Refusal.NOT_FOUND, name) from None
    except (OSError, ValueError):
        raise AttachmentProblem(Refusal.UNREADABLE, name) from None
    _check_stat(before, name, rules)  # a device or pipe is not even opened
    try:
        fd = os.open(real, _OPEN_FLAGS)
    except OSError:
        raise AttachmentProblem(Refusal.UNREADABLE, name) from None
    with open(fd, "rb", closefd=True) as file:
        _check_stat(os.fstat(file.fileno()), name, rules)
        data = file.read(rules.max_bytes + 1)
    if len(data) > rules.max_bytes:  # it grew since fstat
        raise AttachmentProblem(Refusal.TOO_LARGE, name, rules.max_bytes)
    return Path(name).name or os.path.basename(real), data


def _resolve(name: str, rules: Rules) -> str:
    """The real path a cell names, if it lies inside the folder and is not private."""
    folder, private, shadowed = rules.real()
    if shadowed:
        raise AttachmentProblem(Refusal.SHADOWED, name)
    if not name or "\x00" in name:
        raise AttachmentProblem(Refusal.NOT_FOUND, name)
    real = _realpath(os.path.join(folder, name))  # an absolute `name` replaces `folder`
    if not _inside(real, folder) or real == folder:
        raise AttachmentProblem(Refusal.OUTSIDE, name)
    hidden = any(p.startswith(_HIDDEN) for p in os.path.relpath(real, folder).split(os.sep))
    if (
        hidden
        or real.lower().endswith(".toml")
        or name.lower().endswith(".toml")
        or any(_inside(real, p) for p in private)
    ):
        raise AttachmentProblem(Refusal.PRIVATE, name)
    return real


# Hidden files and folders; and Excel's lock file "~$NAME.xlsx", kept beside a workbook
# while it is open, which holds the name of whoever opened it (LibreOffice's lock file,
# ".~lock.NAME.xlsx#", starts with a dot).
_HIDDEN = (".", "~$")


def _check_stat(st: os.stat_result, name: str, rules: Rules) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise AttachmentProblem(Refusal.NOT_REGULAR, name)
    if st.st_size > rules.max_bytes:
        raise AttachmentProblem(Refusal.TOO_LARGE, name, rules.max_bytes)


def _realpath(path: str | os.PathLike[str]) -> str:
    return os.path.normcase(os.path.realpath(path))


def _inside(path: str, folder: str) -> bool:
    try:
        return os.path.commonpath([path, folder]) == folder
    except ValueError:  # another drive (Windows)
        return False


__all__ = ["AttachmentProblem", "Refusal", "Rules", "megabytes", "read"]
