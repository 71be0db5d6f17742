"""xlsdun: collect overdue invoices straight from your Excel workbook.

The library is usable without the CLI::

    from xlsdun import config, run_once, plan
    cfg = config.load("xlsdun.toml")
    report = run_once(cfg, today)
"""

from . import config
from .engine import make_plan, run_once
from .policy import plan

# The one place the version is written (pyproject.toml reads it from here): asking
# importlib.metadata for it cost 30 ms of every run's start-up (make bench).
__version__ = "0.1.0"

__all__ = ["__version__", "config", "make_plan", "plan", "run_once"]
