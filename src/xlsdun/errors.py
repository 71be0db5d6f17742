"""The exit codes and the error that stops a run, shared by the engine and the run lock."""

from __future__ import annotations

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_LOCKED = 0, 1, 2, 3


class RunError(Exception):
    """A run that must stop; `exit_code` says how (DESIGN.md, Exit codes)."""

    def __init__(self, message: str, exit_code: int = EXIT_INPUT) -> None:
        super().__init__(message)
        self.exit_code = exit_code
