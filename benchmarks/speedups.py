"""What each speed-up is worth (issue 13: a performance trick stays only where it pays).

For each switch in `xlsdun.speedups.NAMES`, times the scheduled command, `xlsdun run --quiet`,
with the speed-up and with its portable path (`XLSDUN_PORTABLE=name`), in interleaved pairs on
fresh copies of the benchmark workbook, and prints the ratio of the median wall times and of
the command's peak memory. Every run is its own fresh measuring process (run.py's `_in_child`).

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
    """Each speed-up against the baseline in interleaved pairs (baseline, without it), each run
    in a fresh process: a disk still busy with an earlier benchmark's clean-up slows the
    first runs, and pairs share that drift where a baseline measured once would not."""
    source = str(workbook(n, RESULTS / "workbooks"))
    work = RESULTS / "work-speedups" / str(n)
    shutil.rmtree(work, ignore_errors=True)
    rows = []
    try:
        _in_child(job_variant, "", source, 1, str(work / "warm-up"))
        for name in NAMES:
            runs: dict[str, list[dict[str, Any]]] = {"": [], name: []}
            for rep in range(reps):
                for variant in ("", name):
                    folder = work / f"{name}-{rep}-{variant or 'baseline'}"
                    runs[variant].append(_in_child(job_variant, variant, source, 1, str(folder)))
            row = {"invoices": n, "portable": name}
            for key, variant in (("with", ""), ("without", name)):
                row[f"seconds_{key}"] = statistics.median(
                    r["times"]["end_to_end"][0] for r in runs[variant]
                )
                row[f"peak_rss_mb_{key}"] = max(r["peak_rss_mb"] for r in runs[variant])
            rows.append(row)
            print(
                f"{n:>7,}  without {name:<12} time x"
                f"{row['seconds_without'] / row['seconds_with']:.2f} "
                f"({row['seconds_with']:.2f} s -> {row['seconds_without']:.2f} s)  memory x"
                f"{row['peak_rss_mb_without'] / row['peak_rss_mb_with']:.2f} "
                f"({row['peak_rss_mb_with']:.0f} MB -> {row['peak_rss_mb_without']:.0f} MB)",
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
    rows = [row for n, r in zip(sizes, reps, strict=True) for row in measure(n, r)]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "speedups.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
