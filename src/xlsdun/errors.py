"""The exit codes and the error that stops a run, shared by the engine and the run lock."""

from __future__ import annotations

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_LOCKED = 0, 1, 2, 3

# Said instead of "unexpected MemoryError" (exit 2: the input is the problem, not xlsdun).
OUT_OF_MEMORY = (
    "this computer ran out of memory: the workbook is too big to read here, or something in "
    "it is far larger than it looks (a huge cell, a damaged file). Nothing more was sent; "
    "anything sent before this is recorded in the ledger. Open the workbook in Excel, delete "
    "what should not be there and save it again, or point 'workbook.path' to a smaller copy."
)


class RunError(Exception):
    """A run that must stop; `exit_code` says how (DESIGN.md, Exit codes)."""

    def __init__(self, message: str, exit_code: int = EXIT_INPUT) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def known_exit(exc: BaseException) -> tuple[str, int] | None:
    """(message for the owner, exit code) for every error xlsdun expects, or None for a bug:
    the one mapping the CLI and a bookkeeper's several runs (multi.py) share."""
    from .config import ConfigError  # local: those modules import this one
    from .workbook.guard import WorkbookError, WorkbookLocked
    from .workbook.read import WorkbookReadError

    if isinstance(exc, RunError):
        return str(exc), exc.exit_code
    if isinstance(exc, WorkbookLocked):  # before WorkbookError, of which it is one
        return str(exc), EXIT_LOCKED
    if isinstance(exc, (ConfigError, WorkbookReadError, WorkbookError)):
        return str(exc), EXIT_INPUT
    if isinstance(exc, MemoryError):
        return OUT_OF_MEMORY, EXIT_INPUT
    return None
