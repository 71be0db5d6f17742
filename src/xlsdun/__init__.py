"""xlsdun: collect overdue invoices straight from your Excel workbook.

The library is usable without the CLI::

    from xlsdun import config, run_once, plan
    cfg = config.load("xlsdun.toml")
    report = run_once(cfg, today)
"""

from importlib.metadata import PackageNotFoundError, version

from . import config
from .engine import make_plan, run_once
from .policy import plan

try:
    __version__ = version("xlsdun")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+source"

__all__ = ["__version__", "config", "make_plan", "plan", "run_once"]
