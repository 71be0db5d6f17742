"""The `xlsdun` command: a thin click layer over the Python API.

Each command parses its options, calls the library, and prints; `app` holds the group, the
options commands share and the mapping of errors to exit codes, and each other module
registers one group of commands on it:

- `setup`: init, check
- `daily`: plan, preview, run
- `decide`: approve, resolve
- `scheduling`: schedule, install-schedule
- `status`: report, doctor
"""

from __future__ import annotations

from . import daily, decide, scheduling, setup, status  # noqa: F401  (each registers its commands)
from .app import main

__all__ = ["main"]
