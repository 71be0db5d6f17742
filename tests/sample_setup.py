"""The sample workbook and config, copied where a test runs xlsdun on them, and the CLI."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from click.testing import CliRunner

from xlsdun.cli import main

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
TODAY = "2026-11-26"  # the sample's own run date (a Thursday, no holiday)


def copy_sample(folder: Path) -> Path:
    """Copy receivables.xlsx and xlsdun.toml into `folder` (made if missing); the config."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("receivables.xlsx", "xlsdun.toml"):
        shutil.copy(SAMPLE / name, folder / name)
    return folder / "xlsdun.toml"


def invoke(*args: str) -> tuple[int, str, str]:
    """The CLI as a user runs it: (exit code, stdout, stderr)."""
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def run_json(folder: Path, *extra: str) -> dict:
    """`xlsdun run --json` on the config in `folder` as of TODAY; it must exit 0."""
    code, out, err = invoke(
        "run", "--config", str(folder / "xlsdun.toml"), "--today", TODAY, "--json", *extra
    )
    assert code == 0, err
    return json.loads(out)


def bench_sample(folder: Path, invoices: int) -> Path:
    """A folder with the benchmark's workbook of `invoices` rows (about one message per five
    invoices, outbox backend) and its config; the config."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from benchmarks import gen, run

    folder.mkdir(parents=True, exist_ok=True)
    gen.generate(invoices, folder / "receivables.xlsx")
    toml = folder / "xlsdun.toml"
    toml.write_text(run.CONFIG.format(sheet=gen.SHEET), encoding="utf-8")
    return toml


def child_pids(pid: int) -> list[int]:
    """The live processes whose parent is `pid` (Linux /proc); zombies are dead."""
    found = []
    for entry in os.listdir("/proc"):
        state = proc_state(int(entry)) if entry.isdigit() else None
        if state is not None and state[0] != "Z" and state[1] == pid:
            found.append(int(entry))
    return found


def proc_alive(pid: int) -> bool:
    """Whether `pid` exists and is not a zombie (a dead process nobody has reaped yet)."""
    state = proc_state(pid)
    return state is not None and state[0] != "Z"


def proc_state(pid: int) -> tuple[str, int] | None:
    """(state letter, parent pid) from /proc/PID/stat, or None once the process is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[0], int(fields[1])
