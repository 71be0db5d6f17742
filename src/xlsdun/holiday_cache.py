"""The public holidays a run needs, kept between runs.

The policy asks whether today is a send day. For Israel the `holidays` library answers from
its Hebrew calendar: importing it and computing one year costs about 75 ms, every run, for
a table that changes once a year. So the run passes the policy a table read from
`holidays-IL-2026-<library stamp>.json` in the user's cache folder (`~/.cache/xlsdun`,
`%LOCALAPPDATA%/xlsdun`, `~/Library/Caches/xlsdun`: public facts, shared by a bookkeeper's
clients; the state folder's `cache` if there is none), computing it (and importing the
library) only when the file is missing; a new version of the library makes a new stamp.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from .private import private_dir, write_private


def _stamp() -> str:
    """The installed library, by its file's modification time (found without importing it)."""
    spec = importlib.util.find_spec("holidays")
    origin = spec.origin if spec is not None else None
    return str(int(Path(origin).stat().st_mtime)) if origin else "none"


def cache_folder(state_dir: Path) -> Path:
    """Where the table is kept: the user's cache folder, else the state folder's."""
    if os.name == "nt":
        base = os.environ.get("LOCALAPPDATA")
    elif sys.platform == "darwin":
        base = str(Path.home() / "Library" / "Caches")
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "xlsdun" if base else state_dir / "cache"


def cached_holidays(
    state_dir: Path, country: str, years: Iterable[int]
) -> dict[int, dict[date, str]]:
    """{year: {date: holiday name}} for `years`, from the cache or computed and cached. A
    cache that cannot be read or written is simply computed again: it is only a cache."""
    from .policy import holidays_of

    folder = cache_folder(state_dir)
    stamp = _stamp()
    found: dict[int, dict[date, str]] = {}
    for year in years:
        path = folder / f"holidays-{country}-{year}-{stamp}.json"
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            found[year] = {date.fromisoformat(day): str(name) for day, name in raw.items()}
            continue
        except (OSError, ValueError, AttributeError):
            pass
        table = holidays_of(country, year)
        found[year] = table
        try:
            private_dir(folder)
            text = json.dumps({d.isoformat(): n for d, n in sorted(table.items())})
            write_private(path, text)
        except OSError:
            pass
    return found
