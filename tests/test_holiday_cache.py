"""The public holidays a run needs, cached between runs (holiday_cache.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from support.sample_setup import TODAY, copy_sample
from xlsdun.holiday_cache import cache_folder, cached_holidays
from xlsdun.policy import holidays_of


def test_the_cache_gives_what_the_library_gives_and_survives_a_bad_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache-home"))
    first = cached_holidays(tmp_path, "IL", (2026, 2027))
    assert first == {2026: holidays_of("IL", 2026), 2027: holidays_of("IL", 2027)}
    assert date(2026, 9, 21) in first[2026]  # Yom Kippur 5787
    files = sorted(cache_folder(tmp_path).glob("holidays-IL-*.json"))
    assert len(files) == 2 and all(f.stat().st_mode & 0o077 == 0 for f in files)
    files[0].write_text("{not json", encoding="utf-8")
    assert cached_holidays(tmp_path, "IL", (2026, 2027)) == first


def test_a_run_with_the_table_cached_never_imports_the_library(tmp_path: Path) -> None:
    """Importing `holidays` and computing Israel's year cost 75 ms of every run."""
    config = copy_sample(tmp_path)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache-home")}

    def imports_holidays() -> bool:
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "xlsdun", "run", "--quiet"]
            + ["--config", str(config), "--today", TODAY],
            capture_output=True,
            text=True,
            env=env,
        )
        assert proc.returncode == 0, proc.stderr[-1000:]
        return any(line.rstrip().endswith("| holidays") for line in proc.stderr.splitlines())

    assert imports_holidays()  # the first run computes and caches the table
    assert not imports_holidays()
