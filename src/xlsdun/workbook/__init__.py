"""Reading and lossless writing of the user's receivables workbook."""

from .guard import (
    Fingerprint,
    WorkbookChanged,
    WorkbookError,
    WorkbookLocked,
    fingerprint,
    is_encrypted,
    open_elsewhere,
)
from .patch import LogLines, WriteOptions, WriteResult, write_back

__all__ = [
    "Fingerprint",
    "LogLines",
    "WorkbookChanged",
    "WorkbookError",
    "WorkbookLocked",
    "WriteOptions",
    "WriteResult",
    "fingerprint",
    "is_encrypted",
    "open_elsewhere",
    "write_back",
]
