"""The exit codes and the one error root: every error xlsdun expects is an `XlsdunError`
that carries the exit code a run meeting it ends with (DESIGN.md, Exit codes)."""

from __future__ import annotations

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_LOCKED = 0, 1, 2, 3

# Said instead of "unexpected MemoryError" (exit 2: the input is the problem, not xlsdun).
OUT_OF_MEMORY = (
    "this computer ran out of memory: the workbook is too big to read here, or something in "
    "it is far larger than it looks (a huge cell, a damaged file). Nothing more was sent; "
    "anything sent before this is recorded in the ledger. Open the workbook in Excel, delete "
    "what should not be there and save it again, or point 'workbook.path' to a smaller copy."
)


class XlsdunError(Exception):
    """Every error xlsdun expects; the message is for the owner as is, `exit_code` says how a
    run that meets it ends. Subclasses set their usual code; one raise may override it."""

    exit_code: int = EXIT_INPUT

    def __init__(self, message: str = "", exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class RunError(XlsdunError):
    """A run that must stop (a second run, a past --today, a protected sheet, a bad option)."""


def known_exit(exc: BaseException) -> tuple[str, int] | None:
    """(message for the owner, exit code) for every error xlsdun expects, or None for a bug:
    the one mapping the CLI and a bookkeeper's several runs (multi.py) share."""
    if isinstance(exc, XlsdunError):
        return str(exc), exc.exit_code
    if isinstance(exc, MemoryError):
        return OUT_OF_MEMORY, EXIT_INPUT
    return None
