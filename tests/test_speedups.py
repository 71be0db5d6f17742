"""Each Linux speed-up has a portable path (the one Windows, macOS or musl take); with
`XLSDUN_PORTABLE=all` a run takes every one of them here and must do exactly the same work."""

from __future__ import annotations

import gc
import json
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest

from support.sample_setup import bench_sample, run_cli
from xlsdun import outbox_batch, speedups
from xlsdun.deliver import outbox

TODAY = "2026-11-26"


def _run(folder: Path, portable: str) -> tuple[dict, dict[str, pd.DataFrame]]:
    config = bench_sample(folder, 2_000)  # about 400 messages: two render batches, the helper
    code, out, err = run_cli(
        "run",
        "--config",
        str(config),
        "--today",
        TODAY,
        "--json",
        env={"XLSDUN_PORTABLE": portable},
    )
    assert code == 0, err
    report = json.loads(out)
    sheets = pd.read_excel(folder / "receivables.xlsx", sheet_name=None, engine="calamine")
    return report, sheets


def _outcomes(report: dict) -> list[tuple[str, str, str, str]]:
    return sorted(
        (d["customer"], d["action"], d["tier"] or "", d["outcome"] or "") for d in report["debtors"]
    )


def test_the_portable_paths_do_the_same_work(tmp_path: Path) -> None:
    fast, fast_sheets = _run(tmp_path / "fast", "")
    portable, portable_sheets = _run(tmp_path / "portable", "all")
    assert len(_outcomes(fast)) > 300
    assert _outcomes(portable) == _outcomes(fast)
    assert portable_sheets.keys() == fast_sheets.keys()
    for name, sheet in fast_sheets.items():
        other = portable_sheets[name]
        if name == "Reminder log":  # the run id and time differ from run to run
            assert len(other) == len(sheet)
            continue
        pd.testing.assert_frame_equal(other, sheet)
    for folder in ("fast", "portable"):
        emls = list((tmp_path / folder / "outbox" / TODAY).glob("*.eml"))
        assert len(emls) == sum(1 for d in fast["debtors"] if d["outcome"] == "written_to_outbox")


def test_the_switches_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for given, off in (("", set()), ("fork, mmap", {"fork", "mmap"}), ("all", set(speedups.NAMES))):
        monkeypatch.setenv("XLSDUN_PORTABLE", given)
        speedups._portable.cache_clear()
        assert {n for n in speedups.NAMES if not speedups.enabled(n)} == off
    speedups._portable.cache_clear()


def test_each_switch_reaches_its_speed_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """The differential run above would pass if a switch were ignored (both runs would take
    the fast path): here each switch of the outbox path turns its speed-up off."""
    sender: Any = SimpleNamespace(renderer=None, today=date(2026, 11, 26), now=datetime.now(UTC))

    def taken(portable: str) -> tuple[bool, bool, bool]:
        """(a render helper, the GC frozen, syncfs) with XLSDUN_PORTABLE=portable."""
        monkeypatch.setenv("XLSDUN_PORTABLE", portable)
        speedups._portable.cache_clear()
        with outbox_batch._helper(sender, batches=2) as helper:
            forked = helper is not None
        with outbox_batch._gc_frozen():
            frozen = gc.get_freeze_count() > 0
        return forked, frozen, outbox._load_syncfs() is not None

    try:
        assert taken("fork,gc,syncfs") == (False, False, False)
        assert taken("all") == (False, False, False)
        if sys.platform.startswith("linux") and (os.cpu_count() or 1) > 1:
            assert taken("") == (True, True, True)
            assert taken("gc") == (True, False, True)
    finally:
        speedups._portable.cache_clear()
