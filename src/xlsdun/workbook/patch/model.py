"""What `write_back` takes besides the cells (the log lines, the options) and what it returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias

from ..guard import Fingerprint

Updates: TypeAlias = dict[int, dict[str, object]]  # Excel row number -> {header: value}


@dataclass(frozen=True)
class LogLines:
    """Lines to append to an append-only log sheet (created if missing).

    Each line starts with a unique key: a line whose key is already in the sheet's column A
    is not added again, so a retried write adds nothing twice. ``header`` goes in row 1 of
    a sheet that has nothing in it yet.
    """

    sheet: str
    header: Sequence[object] = ()
    rows: Sequence[Sequence[object]] = ()
    right_to_left: bool = False  # a sheet made for it reads right to left (a Hebrew owner's)


@dataclass(frozen=True)
class WriteOptions:
    """How `write_back` guards the file.

    ``state_dir``: where backups (and the unpacked copy of a big sheet) go; default ``.xlsdun``
    beside the workbook. ``backups``: how many earlier versions to keep there (0: none).
    ``expected``: the fingerprint the file had when it was read; a file changed since is not
    written. ``allow_protected``: write into a protected sheet all the same.
    """

    state_dir: str | Path | None = None
    backups: int = 14
    expected: Fingerprint | None = None
    allow_protected: bool = False


@dataclass
class WriteResult:
    """What a write-back changed, for the run report."""

    path: Path
    cells_changed: int = 0
    columns_added: list[str] = field(default_factory=list)
    log_rows_added: int = 0
    backup: Path | None = None
    written: bool = False  # the file was replaced (False: nothing in it would change)
