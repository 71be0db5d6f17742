"""What each speed-up is worth (issue 13: a performance trick stays only where it pays).

For each switch in `xlsdun.speedups.NAMES`, times the scheduled command, `xlsdun run --quiet`,
with the speed-up and with its portable path (`XLSDUN_PORTABLE=name`), on fresh copies of the
benchmark workbook, and reports the median wall time and the command's peak memory for each.
Every variant runs in its own fresh measuring process (see run.py's `_in_child`).

Usage:  python benchmarks/speedups.py [--sizes 20000,200000] [--reps 3,1]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _path in (str(ROOT), str(ROOT / "src")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from benchmarks.run import RESULTS, _in_child, job_xlsdun_run, workbook  # noqa: E402
from xlsdun.speedups import NAMES  # noqa: E402


def job_variant(portable: str, source: str, reps: int, work: str) -> dict[str, Any]:
    """`xlsdun run --quiet` with `XLSDUN_PORTABLE=portable` (inherited by the command)."""
    os.environ["XLSDUN_PORTABLE"] = portable
    return job_xlsdun_run(source, reps, work)


def measure(n: int, reps: int) -> list[dict[str, Any]]:
    source = str(workbook(n, RESULTS / "workbooks"))
    work = RESULTS / "work-speedups" / str(n)
    shutil.rmtree(work, ignore_errors=True)
    rows = []
    try:
        for variant in ("", *NAMES):
            folder = work / (variant or "all-speedups")
            folder.mkdir(parents=True)
            result = _in_child(job_variant, variant, source, reps, str(folder))
            rows.append(
                {
                    "invoices": n,
                    "portable": variant or "(none)",
                    "seconds": statistics.median(result["times"]["end_to_end"]),
                    "peak_rss_mb": result["peak_rss_mb"],
                }
            )
            print(
                f"  {n:>7,}  {rows[-1]['portable']:<12} {rows[-1]['seconds']:7.2f} s  "
                f"{rows[-1]['peak_rss_mb']:7.0f} MB",
                flush=True,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="20000,200000")
    parser.add_argument("--reps", default="3,1")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    reps = [int(r) for r in args.reps.split(",")]
    print("invoices  portable path    time      peak RSS")
    rows = [row for n, r in zip(sizes, reps, strict=True) for row in measure(n, r)]
    print()
    for n in sizes:
        base = next(r for r in rows if r["invoices"] == n and r["portable"] == "(none)")
        for row in (r for r in rows if r["invoices"] == n and r["portable"] != "(none)"):
            print(
                f"{n:>7,}  without {row['portable']:<12} time x{row['seconds'] / base['seconds']:.2f}"
                f"  memory x{row['peak_rss_mb'] / base['peak_rss_mb']:.2f}"
            )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "speedups.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
