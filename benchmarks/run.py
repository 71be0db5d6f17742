"""xlsdun's performance, measured side by side with the baselines it must beat (issue 8).

For workbooks of 2,000, 20,000 and 200,000 invoices (benchmarks/gen.py) this measures, in
one invocation:

- xlsdun end to end: the command the installed schedule runs, `xlsdun run --quiet`, as its
  own process (start to exit), with the outbox backend and the real write-back, on a fresh
  copy of the workbook and an empty state folder each repetition;
- each stage alone, on the same kind of fresh copy: read, plan, render, deliver (ledger
  commits, .eml files, syncs; messages rendered beforehand), write-back;
- the baselines on the same file: `openpyxl.load_workbook` + `save`,
  `pandas.read_excel(engine="openpyxl")` and `pandas.read_excel(engine="calamine")`;
- peak RSS of xlsdun's run and of openpyxl loading the workbook;
- the CSV path: the same invoices as a CSV export (`gen.generate_csv`), xlsdun's read of it
  and `xlsdun run --quiet` on it end to end (outcomes to the sidecar workbook), beside a bare
  `pandas.read_csv` of the file (shown, no target);
- SMTP throughput against raw smtplib, when benchmarks/smtp_bench.py is there.

Every measurement runs in its own fresh Python process, so none warms another's caches or
raises its peak memory, and nothing is deleted until all are done (see `run_benchmark`).
Times are medians over the repetitions: 5 at 2,000 invoices, 3 at 20,000, 1 at 200,000,
where one openpyxl load+save alone takes about a minute. The table and each ratio against
its target are printed; everything goes to benchmarks/results/latest.json.

Usage:  python benchmarks/run.py [--sizes 2000,20000,200000] [--reps 5,3,1] [--no-smtp]
                                [--only read,csv]
`--only` measures some of the jobs (run, stages, openpyxl, pandas, csv; "read" is stages +
pandas): a quick look at one ratio while working, on a quiet machine.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _path in (str(ROOT), str(ROOT / "src")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from benchmarks import gen  # noqa: E402

RESULTS = HERE / "results"
SIZES = (2_000, 20_000, 200_000)
REPS = {2_000: 5, 20_000: 3, 200_000: 1}
STAGES = ("read", "plan", "render", "deliver", "write_back")
SMTP_MESSAGES = 1000
CONFIG = """\
state_dir = ".xlsdun"
[workbook]
path = "receivables.xlsx"
sheet = "{sheet}"
[sender]
name = "Rina Dahan"
email = "accounts@example.co.il"
business = "Bench Co Ltd"
phone = "03-5551234"
bank_details = "Bank Hapoalim, branch 123, account 456789"
pay_link = "https://pay.example.co.il/bench"
[locale]
language = "he"
currency = "ILS"
country = "IL"
timezone = "Asia/Jerusalem"
[delivery]
backend = "outbox"
outbox_dir = "outbox"
max_per_day = 10000000
"""

# (name, numerator, denominator, size, target, stretch); a "@size" picks another size
TARGETS: tuple[tuple[str, str, str, int, float, float | None], ...] = (
    ("end to end / openpyxl load+save", "end_to_end", "openpyxl_load_save", 20_000, 0.75, 0.5),
    ("write-back / openpyxl load+save", "write_back", "openpyxl_load_save", 20_000, 0.25, None),
    ("read / pandas calamine", "read", "pandas_calamine", 20_000, 1.3, None),
    ("end to end 200k / 20k", "end_to_end@200000", "end_to_end@20000", 0, 12.0, None),
    ("peak RSS run / openpyxl load", "rss_run", "rss_openpyxl_load", 200_000, 0.5, None),
)
# Shown beside the targets, not judged (no target is set for them): the CSV path
INFO: tuple[tuple[str, str, str, int], ...] = (
    ("read CSV / pandas read_csv", "read_csv", "pandas_read_csv", 20_000),
    ("read CSV / read xlsx", "read_csv", "read", 20_000),
    ("end to end CSV / xlsx", "end_to_end_csv", "end_to_end", 20_000),
)
JOBS = ("run", "stages", "openpyxl", "pandas", "csv")


# -- workbooks ---------------------------------------------------------------------------------


def _generated(n: int, folder: Path, suffix: str, make: Callable[[int, Path], None]) -> Path:
    """The benchmark's invoices as `make` writes them, made once per version of gen.py."""
    version = hashlib.sha256(Path(gen.__file__).read_bytes()).hexdigest()[:10]
    path = folder / f"receivables-{n}-{version}{suffix}"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp" + suffix)
        _in_child(make, n, tmp)  # its memory stays out of the measured processes
        os.replace(tmp, path)
    return path


def workbook(n: int, folder: Path) -> Path:
    """The benchmark workbook with n invoices."""
    return _generated(n, folder, ".xlsx", gen.generate)


def csv_export(n: int, folder: Path) -> Path:
    """The same invoices as `workbook(n)`'s, as a CSV export."""
    return _generated(n, folder, ".csv", gen.generate_csv)


def _fresh_copy(source: Path, work: Path) -> Path:
    """A folder with a copy of the workbook and a config: what a user's first run sees."""
    work.mkdir(parents=True)
    config = CONFIG.format(sheet=gen.SHEET)
    if source.suffix == ".csv":  # a CSV export: one "sheet", the file
        config = config.replace("receivables.xlsx", "receivables.csv")
        config = config.replace(f'sheet = "{gen.SHEET}"\n', "")
    shutil.copyfile(source, work / f"receivables{source.suffix}")
    (work / "xlsdun.toml").write_text(config, encoding="utf-8")
    return work / "xlsdun.toml"


def _peak_rss_mb() -> float:
    """This process's peak resident memory. On Linux, VmHWM: `ru_maxrss` survives exec, so a
    spawned child would report the parent's size at fork time if that was larger."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


# -- the measurements, each in a fresh process -------------------------------------------------


SCHEDULED_COMMAND = ("run", "--quiet")  # what install-schedule's files run, every day


def job_xlsdun_run(source: str, reps: int, work: str, key: str = "end_to_end") -> dict[str, Any]:
    """The command the installed schedule runs, `xlsdun run --quiet`, as its own process:
    wall time from start to exit (interpreter, imports, config, run, digest, report) and that
    process's peak memory. Copying the workbook is outside the timed part."""
    times, sent, peak = [], 0, 0.0
    for rep in range(reps):
        config = _fresh_copy(Path(source), Path(work) / f"run{rep}")
        command = [sys.executable, "-m", "xlsdun", *SCHEDULED_COMMAND, "--config", str(config)]
        command += ["--today", gen.TODAY.isoformat()]
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = proc.communicate()
        times.append(time.perf_counter() - start)
        if proc.returncode or out:
            raise RuntimeError(
                f"the benchmark run did not complete (exit {proc.returncode}, quiet printed "
                f"{len(out)} bytes): {err.decode(errors='replace')[-2000:]}"
            )
        sent = len(list((config.parent / "outbox" / gen.TODAY.isoformat()).glob("*.eml")))
        peak = max(peak, _children_peak_rss_mb())
    return {"times": {key: times}, "messages": sent, "peak_rss_mb": peak}


def _children_peak_rss_mb() -> float:
    """The largest peak RSS among this process's finished children (the measured command;
    this job process is a fresh, small one, so `ru_maxrss` is the command's own)."""
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def job_xlsdun_stages(source: str, reps: int, work: str) -> dict[str, Any]:
    """Each stage alone, in pipeline order, on a fresh copy per repetition."""
    # deliver gets the messages rendered beforehand: no helper process renders them (set
    # before xlsdun reads the switches, once, in this fresh process)
    os.environ["XLSDUN_PORTABLE"] = os.environ.get("XLSDUN_PORTABLE", "") + ",fork"
    times: dict[str, list[float]] = {k: [] for k in STAGES}
    for rep in range(reps):
        for stage, seconds in _stages_once(Path(source), Path(work) / f"stages{rep}").items():
            times[stage].append(seconds)
        gc.collect()
    return {"times": times}


def _stages_once(source: Path, folder: Path) -> dict[str, float]:
    """render: every planned message, in this process only; deliver: the outbox path with
    those messages; write_back: owned cells and log lines from the ledger into the file."""
    from xlsdun import config as config_mod
    from xlsdun import outbox_batch, sending, wiring, writeback
    from xlsdun import policy as policy_mod
    from xlsdun.history import full_history
    from xlsdun.ledger import Ledger
    from xlsdun.workbook.guard import fingerprint

    cfg = config_mod.load(_fresh_copy(source, folder))
    before = fingerprint(cfg.workbook.path)
    now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    seconds: dict[str, float] = {}
    clock = time.perf_counter

    start = clock()
    receivables = wiring.load_receivables(cfg)
    seconds["read"] = clock() - start
    with Ledger(wiring.ledger_path(cfg)) as ledger:
        start = clock()
        history = full_history(receivables, ledger, cfg)
        plan = policy_mod.plan(receivables, history, gen.TODAY, cfg.policy)
        seconds["plan"] = clock() - start

        renderer = wiring.make_renderer(cfg)
        renderer.check()  # compiles the templates, as the run does before sending
        with outbox_batch._gc_frozen():
            start = clock()
            messages = {id(a): renderer.render(a, today=gen.TODAY, now=now) for a in plan.sends}
            seconds["render"] = clock() - start

        sender = sending.Sender(
            ledger=ledger,
            backend=wiring.make_backend(cfg, gen.TODAY),
            renderer=_Prerendered(messages),
            run_id="bench",
            today=gen.TODAY,
            now=now,
        )
        ledger.start_run("bench", gen.TODAY)
        start = clock()
        for _ in outbox_batch.deliver_to_outbox(sender, plan.sends):  # type: ignore[arg-type]
            pass
        seconds["deliver"] = clock() - start
        del messages, sender

        start = clock()
        updates = writeback.sheet_updates(cfg, receivables, plan, ledger, gen.TODAY)
        writeback.write_back(cfg, receivables, updates, ledger, before)
        seconds["write_back"] = clock() - start
    return seconds


class _Prerendered:
    """Hands the deliver stage the messages rendered beforehand."""

    def __init__(self, messages: dict[int, Any]) -> None:
        self.messages = messages

    def render(self, action: Any, **_: Any) -> Any:
        return self.messages[id(action)]


def job_xlsdun_read(source: str, reps: int, work: str, key: str) -> dict[str, Any]:
    """The read stage alone (`wiring.load_receivables`), on a fresh copy per repetition."""
    from xlsdun import config as config_mod
    from xlsdun import wiring

    times = []
    for rep in range(reps):
        cfg = config_mod.load(_fresh_copy(Path(source), Path(work) / f"read{rep}"))
        start = time.perf_counter()
        wiring.load_receivables(cfg)
        times.append(time.perf_counter() - start)
        gc.collect()
    return {"times": {key: times}}


def job_pandas_csv(source: str, reps: int) -> dict[str, Any]:
    """A bare `pandas.read_csv` of the export (its title rows skipped)."""
    import pandas as pd

    times = []
    for _ in range(reps):
        start = time.perf_counter()
        pd.read_csv(source, skiprows=2)
        times.append(time.perf_counter() - start)
    return {"times": {"pandas_read_csv": times}}


def job_openpyxl(source: str, reps: int, work: str) -> dict[str, Any]:
    """openpyxl load_workbook + save; its peak RSS taken right after the first load."""
    import openpyxl

    times, load_rss = [], 0.0
    for rep in range(reps):
        start = time.perf_counter()
        wb = openpyxl.load_workbook(source)
        load_rss = load_rss or _peak_rss_mb()
        wb.save(Path(work) / f"saved{rep}.xlsx")
        times.append(time.perf_counter() - start)
        del wb
    return {"times": {"openpyxl_load_save": times}, "load_peak_rss_mb": load_rss}


def job_pandas(source: str, reps: int, engine: str) -> dict[str, Any]:
    import pandas as pd

    times = []
    for _ in range(reps):
        start = time.perf_counter()
        pd.read_excel(source, sheet_name=gen.SHEET, engine=engine)
        times.append(time.perf_counter() - start)
    return {"times": {f"pandas_{engine}": times}}


def _in_child(func: Callable[..., Any], *args: Any) -> Any:
    """One measurement in a fresh process, after earlier jobs' writes are flushed to disk."""
    if hasattr(os, "sync"):
        os.sync()
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(func, *args).result()


def measure_size(
    n: int,
    reps: int,
    results_dir: Path,
    log: Callable[[str], None] = print,
    jobs: tuple[str, ...] = JOBS,
) -> dict[str, Any]:
    source = str(workbook(n, results_dir / "workbooks"))
    log(f"{n:,} invoices, {reps} repetition(s) ...")
    work = results_dir / "work" / str(n)
    folders = {name: work / name for name in ("run", "stages", "openpyxl", "csv")}
    for folder in folders.values():
        folder.mkdir(parents=True)
    parts, peak, messages = [], {}, None
    if "run" in jobs:
        run = _in_child(job_xlsdun_run, source, reps, str(folders["run"]))
        parts.append(run)
        peak["run"], messages = run["peak_rss_mb"], run["messages"]
    if "openpyxl" in jobs:
        openpyxl = _in_child(job_openpyxl, source, reps, str(folders["openpyxl"]))
        parts.append(openpyxl)
        peak["openpyxl_load"] = openpyxl["load_peak_rss_mb"]
    if "stages" in jobs:
        parts.append(_in_child(job_xlsdun_stages, source, reps, str(folders["stages"])))
    if "pandas" in jobs:
        if "openpyxl" in jobs:
            parts.append(_in_child(job_pandas, source, reps, "openpyxl"))
        parts.append(_in_child(job_pandas, source, reps, "calamine"))
    if "csv" in jobs:
        parts += _csv_parts(n, reps, results_dir, folders["csv"], peak)
    times: dict[str, list[float]] = {}
    for part in parts:
        times.update(part["times"])
    median = {k: statistics.median(v) for k, v in times.items()}
    if "end_to_end" in median and all(k in median for k in STAGES):
        median["other"] = median["end_to_end"] - sum(median[k] for k in STAGES)
    return {
        "workbook": source,
        "reps": reps,
        "messages": messages,
        "times_s": times,
        "median_s": median,
        "peak_rss_mb": peak,
    }


def _csv_parts(
    n: int, reps: int, results_dir: Path, folder: Path, peak: dict[str, float]
) -> list[dict[str, Any]]:
    """The CSV path: xlsdun's read and run of the export, and a bare pandas.read_csv."""
    source = str(csv_export(n, results_dir / "workbooks"))
    run = _in_child(job_xlsdun_run, source, reps, str(folder / "run"), "end_to_end_csv")
    peak["run_csv"] = run["peak_rss_mb"]
    return [
        run,
        _in_child(job_xlsdun_read, source, reps, str(folder / "read"), "read_csv"),
        _in_child(job_pandas_csv, source, reps),
    ]


def smtp_row(n: int = SMTP_MESSAGES) -> dict[str, Any]:
    """benchmarks/smtp_bench.py's numbers, or why the row is skipped."""
    try:
        from benchmarks import smtp_bench
    except ImportError as exc:
        return {"skipped": f"benchmarks/smtp_bench.py not available ({exc})"}
    try:
        return smtp_bench.run_smtp_bench(n=n)
    except Exception as exc:  # noqa: BLE001 - a failing extra row must not lose the others
        return {"skipped": f"smtp_bench failed: {type(exc).__name__}: {exc}"}


# -- the report --------------------------------------------------------------------------------


def _size_for(results: dict[str, Any], preferred: int) -> int:
    """The size a ratio is taken at: its own, else (a quick run) the largest measured."""
    measured = [int(s) for s in results["sizes"]]
    return preferred if preferred in measured or not measured else max(measured)


def _value(results: dict[str, Any], key: str, size: int) -> float | None:
    if "@" in key:
        key, at = key.split("@")
        size = int(at)
    entry = results["sizes"].get(str(size))
    if entry is None:
        return None
    if key.startswith("rss_"):
        return entry["peak_rss_mb"].get(key[4:])
    return entry["median_s"].get(key)


def ratios(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target's ratio, where the sizes it needs were measured."""
    rows = []
    for name, num, den, preferred, target, stretch in TARGETS:
        size = _size_for(results, preferred) if preferred else 0
        a, b = _value(results, num, size), _value(results, den, size)
        if a is None or not b:
            continue
        value = a / b
        where = f" ({size:,})" if size else ""
        judged = not preferred or size == preferred  # a quick run: shown, not judged
        rows.append(
            {
                "ratio": name + where,
                "value": round(value, 3),
                "target": f"<= {target}",
                "holds": value <= target if judged else None,
                "stretch": None if stretch is None else f"<= {stretch}",
                "stretch_holds": None if stretch is None or not judged else value <= stretch,
                "note": None if judged else f"the target is for {preferred:,} invoices",
            }
        )
    for name, num, den, preferred in INFO:
        size = _size_for(results, preferred)
        a, b = _value(results, num, size), _value(results, den, size)
        if a is not None and b:
            rows.append(
                {
                    "ratio": f"{name} ({size:,})",
                    "value": round(a / b, 3),
                    "target": "-",
                    "holds": None,
                    "stretch": None,
                    "stretch_holds": None,
                    "note": "shown, no target",
                }
            )
    smtp = results.get("smtp") or {}
    if "ratio_vs_raw_smtplib" in smtp:
        value, target = smtp["ratio_vs_raw_smtplib"], smtp.get("target_vs_raw_smtplib", 0.8)
        rows.append(
            {
                "ratio": f"SMTP backend / raw smtplib (msgs/s, {smtp.get('messages')})",
                "value": value,
                "target": f">= {target}",
                "holds": value >= target,
                "stretch": None,
                "stretch_holds": None,
            }
        )
    return rows


def table(results: dict[str, Any]) -> str:
    sizes = list(results["sizes"])
    label = 24
    head = f"{'median seconds':<{label}}" + "".join(f"{int(s):>12,}" for s in sizes)
    lines = [head]
    for key in (
        "end_to_end",
        *STAGES,
        "other",
        "openpyxl_load_save",
        "pandas_openpyxl",
        "pandas_calamine",
        "end_to_end_csv",
        "read_csv",
        "pandas_read_csv",
    ):
        cells = [results["sizes"][s]["median_s"].get(key) for s in sizes]
        lines.append(
            f"{key:<{label}}"
            + "".join(f"{c:>12.3f}" if c is not None else f"{'-':>12}" for c in cells)
        )
    for key, text in (
        ("run", "peak RSS run (MB)"),
        ("openpyxl_load", "peak RSS openpyxl (MB)"),
        ("run_csv", "peak RSS run CSV (MB)"),
    ):
        cells = [results["sizes"][s]["peak_rss_mb"].get(key) for s in sizes]
        lines.append(
            f"{text:<{label}}"
            + "".join(f"{c:>12.0f}" if c is not None else f"{'-':>12}" for c in cells)
        )
    for key, text in (("messages", "messages written"), ("reps", "repetitions")):
        cells = [results["sizes"][s][key] for s in sizes]
        lines.append(
            f"{text:<{label}}"
            + "".join(f"{c:>12,}" if c is not None else f"{'-':>12}" for c in cells)
        )
    lines += ["", f"{'ratio':<48}{'value':>8}  {'target':<8}  holds  stretch"]
    for r in results["ratios"]:
        stretch = (
            ""
            if r["stretch"] is None
            else f"{r['stretch']} {({True: 'yes', False: 'no'}).get(r['stretch_holds'], 'n/a')}"
        )
        holds = "n/a" if r["holds"] is None else "yes" if r["holds"] else "NO"
        note = f"  ({r['note']})" if r.get("note") else ""
        lines.append(
            f"{r['ratio']:<48}{r['value']:>8.3f}  {r['target']:<8}  {holds:<5}  {stretch}{note}"
        )
    smtp = results.get("smtp")
    if smtp is None:
        lines.append("SMTP row skipped: --no-smtp")
    elif "skipped" in smtp:
        lines.append(f"SMTP row skipped: {smtp['skipped']}")
    return "\n".join(lines)


def run_benchmark(
    sizes: tuple[int, ...] = SIZES,
    reps: dict[int, int] | None = None,
    *,
    smtp: int | None = SMTP_MESSAGES,
    results_dir: Path = RESULTS,
    log: Callable[[str], None] = print,
    jobs: tuple[str, ...] = JOBS,
) -> dict[str, Any]:
    """Measure every size, compute the ratios, write results_dir/latest.json; return all."""
    started = time.perf_counter()
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "sizes": {},
    }
    # Nothing is deleted while measuring: on this kind of disk (ext4 mounted with discard),
    # creating files right after deleting thousands is several times slower, which would
    # bill one measurement for the previous one's clean-up.
    work = results_dir / "work"
    shutil.rmtree(work, ignore_errors=True)
    try:
        for n in sizes:
            results["sizes"][str(n)] = measure_size(
                n, (reps or REPS).get(n, 1), results_dir, log, jobs
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if smtp:
        log(f"SMTP, {smtp} messages ...")
        results["smtp"] = smtp_row(smtp)
    results["ratios"] = ratios(results)
    results["seconds"] = round(time.perf_counter() - started, 1)
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "latest.json").write_text(
        json.dumps(results, indent=2, default=str), encoding="utf-8"
    )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--sizes", default=",".join(map(str, SIZES)), help="invoice counts, comma-separated"
    )
    parser.add_argument("--reps", help="repetitions per size, e.g. 5,3,1")
    parser.add_argument("--no-smtp", action="store_true", help="skip the SMTP row")
    parser.add_argument(
        "--only",
        help=f"some of the jobs, comma-separated: {', '.join(JOBS)}; read = stages,pandas",
    )
    args = parser.parse_args(argv)
    jobs = JOBS
    if args.only:
        wanted = set(args.only.replace("read", "stages,pandas").split(","))
        if not wanted <= set(JOBS):
            parser.error(f"--only takes {', '.join(JOBS)} or read")
        jobs = tuple(j for j in JOBS if j in wanted)
    sizes = tuple(int(s) for s in args.sizes.split(","))
    reps = (
        dict(zip(sizes, (int(r) for r in args.reps.split(",")), strict=True)) if args.reps else None
    )
    smtp = None if args.no_smtp or args.only else SMTP_MESSAGES
    results = run_benchmark(sizes, reps, smtp=smtp, jobs=jobs)
    print()
    print(table(results))
    print(f"\n{results['seconds']} s; all numbers in {RESULTS / 'latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
