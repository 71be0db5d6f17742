"""Output never crashes on the terminal's encoding (issue 17): Windows redirects and Task
Scheduler logs are often cp1252 or cp437, where Hebrew, "₪" and "—" cannot be written. Every
daily command succeeds there with its own exit code, and `run` still sends and writes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.sample_setup import TODAY, copy_sample

COMMANDS = (
    ("plan", "--today", TODAY),
    ("preview", "--today", TODAY),
    ("run", "--today", TODAY),
    ("report",),
    ("doctor",),
)


def _xlsdun(folder: Path, encoding: str, *args: str) -> tuple[int, bytes, bytes]:
    proc = subprocess.run(
        [sys.executable, "-m", "xlsdun", *args, "--config", str(folder / "xlsdun.toml")],
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": encoding},
        timeout=120,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.parametrize("encoding", ["cp1252", "cp437", "ascii"])
def test_daily_commands_succeed_whatever_the_output_encoding(tmp_path: Path, encoding: str) -> None:
    copy_sample(tmp_path)
    for command in COMMANDS:
        code, out, err = _xlsdun(tmp_path, encoding, *command)
        assert code == 0, (command, err.decode(encoding, "replace"))
        assert b"Traceback" not in err and b"UnicodeEncodeError" not in err, command
        out.decode(encoding)  # written in the terminal's own encoding, nothing else
    sent = list((tmp_path / "outbox").rglob("*.eml"))
    assert sent, "run wrote no message"
    # the Hebrew debtors' names were in the plan: they print replaced, not dropped lines
    code, out, _ = _xlsdun(tmp_path, encoding, "plan", "--today", TODAY)
    assert code == 0 and b"?" in out
