"""xlsdun: collect overdue invoices straight from your Excel workbook.

The library is usable without the CLI::

    from xlsdun import config, run_once, plan
    cfg = config.load("xlsdun.toml")
    report = run_once(cfg, today)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import config
    from .engine import make_plan, run_once
    from .policy import plan
    from .readframe import read_frame

# The one place the version is written (pyproject.toml reads it from here): asking
# importlib.metadata for it cost 30 ms of every run's start-up (make bench).
__version__ = "0.1.0"

__all__ = ["__version__", "config", "make_plan", "plan", "read_frame", "run_once"]

# The API, loaded when first used (PEP 562): `import xlsdun.errors` (or any submodule) runs
# this file first, and the engine behind `run_once` loads the workbook reader, the renderer
# and their libraries, which a module that only needs the errors or the policy never uses.
_LAZY = {
    "config": ("xlsdun.config", None),
    "make_plan": ("xlsdun.engine", "make_plan"),
    "run_once": ("xlsdun.engine", "run_once"),
    "plan": ("xlsdun.policy", "plan"),
    "read_frame": ("xlsdun.readframe", "read_frame"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'xlsdun' has no attribute {name!r}")
    module, attribute = _LAZY[name]
    found = importlib.import_module(module)
    value = found if attribute is None else getattr(found, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
