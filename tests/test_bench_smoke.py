"""The benchmark code runs (on 200 invoices), so `make bench` cannot rot. No timing is checked."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import gen, run  # noqa: E402


def test_generator_is_deterministic(tmp_path: Path) -> None:
    first = gen.generate(200, tmp_path / "a.xlsx").read_bytes()
    assert gen.generate(200, tmp_path / "b.xlsx").read_bytes() == first


def test_the_csv_export_holds_the_workbooks_invoices(tmp_path: Path) -> None:
    """The CSV path is measured on the same invoices as the workbook: read both, compare."""
    from xlsdun.workbook.read import read_receivables

    book = read_receivables(gen.generate(200, tmp_path / "a.xlsx"), sheet=gen.SHEET)
    export = read_receivables(gen.generate_csv(200, tmp_path / "a.csv"))
    assert export.findings == book.findings == ()

    def key(i: object) -> tuple[object, ...]:
        return tuple(getattr(i, f) for f in ("invoice", "customer", "due_date", "balance", "notes"))

    assert [key(i) for i in export.invoices] == [key(i) for i in book.invoices]
    assert len(export.invoices) == 200


def test_benchmark_runs_on_200_invoices(tmp_path: Path) -> None:
    results = run.run_benchmark(
        (200,), {200: 1}, smtp=None, results_dir=tmp_path, log=lambda _: None
    )
    entry = results["sizes"]["200"]
    assert entry["messages"] == gen.debtors_for(200)
    for key in (
        "end_to_end",
        *run.STAGES,
        "openpyxl_load_save",
        "pandas_openpyxl",
        "pandas_calamine",
        "end_to_end_csv",
        "read_csv",
        "pandas_read_csv",
    ):
        assert entry["median_s"][key] > 0, key
    assert entry["peak_rss_mb"]["run"] > 0 and entry["peak_rss_mb"]["openpyxl_load"] > 0
    assert entry["peak_rss_mb"]["run_csv"] > 0
    assert any(r["ratio"].startswith("read CSV / pandas read_csv") for r in results["ratios"])
    names = {r["ratio"] for r in results["ratios"]}
    assert any(n.startswith("end to end / openpyxl") for n in names)
    assert json.loads((tmp_path / "latest.json").read_text())["sizes"]["200"]["reps"] == 1
    assert "holds" in run.table(results)
    # at 200 invoices no target's own size was measured: ratios shown, not judged
    assert results["ratios"] and all(r["holds"] is None for r in results["ratios"])
    assert "n/a" in run.table(results) and " NO " not in run.table(results)
    assert not (tmp_path / "work").exists()


def test_a_childs_peak_memory_is_its_own() -> None:
    """The run is measured in a spawned child: its peak must not include the parent's size
    (Linux keeps `ru_maxrss` across exec, which once reported 0.70 instead of 0.43)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("ru_maxrss is only carried across exec on Linux")
    ballast = b"y" * (400 << 20)  # the parent at its largest, as after generating a workbook
    assert run._peak_rss_mb() > 400
    assert run._in_child(run._peak_rss_mb) < 200
    del ballast


def test_the_speedups_benchmark_runs_a_pair(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """benchmarks/speedups.py (in `make bench`) on 200 invoices, one speed-up, one pair: it
    builds on run.py's helpers, so a change there that breaks it shows here."""
    from benchmarks import speedups

    monkeypatch.setattr(speedups, "RESULTS", tmp_path)
    monkeypatch.setattr(speedups, "NAMES", ("gc",))
    (row,) = speedups.measure(200, 1)
    assert row["invoices"] == 200 and row["portable"] == "gc"
    for key in ("seconds_with", "seconds_without", "peak_rss_mb_with", "peak_rss_mb_without"):
        assert row[key] > 0, key
    assert not (tmp_path / "work-speedups" / "200").exists()  # the copies are cleared
