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
