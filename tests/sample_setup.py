"""The sample workbook and config, copied where a test runs xlsdun on them, and the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from xlsdun.cli import main

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
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
