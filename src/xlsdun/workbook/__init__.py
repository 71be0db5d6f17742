"""Reading and lossless writing of the user's receivables workbook.

The names below load on first use (PEP 562): the config and the policy import small modules
of this package (`limits`), and must not pay for lxml and the writer when they do.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_WHERE = {
    **dict.fromkeys(
        (
            "Fingerprint",
            "WorkbookChanged",
            "WorkbookError",
            "WorkbookLocked",
            "fingerprint",
            "is_encrypted",
            "open_elsewhere",
        ),
        ".guard",
    ),
    **dict.fromkeys(("LogLines", "WriteOptions", "WriteResult", "write_back"), ".patch"),
}

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


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_WHERE[name], __name__), name)
