"""The log file: local times with their offset, private files (rotated ones too), and a log
that cannot be written (a full disk) never costs the run or prints a traceback."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sample_setup import TODAY, run_json
from xlsdun import logs


def first_word(line: str) -> datetime:
    return datetime.fromisoformat(line.split(" ", 1)[0])


def test_lines_carry_the_configs_local_time_and_offset(demo: Path) -> None:
    run_json(demo)  # the sample's zone is Asia/Jerusalem: +02:00 in November
    lines = logs.log_file(demo / ".xlsdun").read_text(encoding="utf-8").splitlines()
    stamp = lines[0].split(" ", 1)[0]
    assert len(stamp) == len("2026-11-27T09:00:03+02:00") and stamp[10] == "T"
    moment = datetime.fromisoformat(stamp)
    now = datetime.now(ZoneInfo("Asia/Jerusalem"))
    assert moment.utcoffset() == now.utcoffset()
    assert abs(moment - now) < timedelta(minutes=5)


def test_without_a_zone_the_machines_own_offset(tmp_path: Path) -> None:
    logs.attach(tmp_path / ".xlsdun")
    logs.log.info("hello")
    line = logs.log_file(tmp_path / ".xlsdun").read_text(encoding="utf-8")
    assert first_word(line).utcoffset() == datetime.now().astimezone().utcoffset()


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.mark.skipif(os.name == "nt", reason="POSIX modes")
def test_rotated_logs_stay_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, umask_022: None
) -> None:
    monkeypatch.setattr(logs, "MAX_BYTES", 400)
    state = tmp_path / ".xlsdun"
    logs.attach(state)
    for n in range(30):
        logs.log.info("line %d of a log that rotates", n)
    folder = logs.log_file(state).parent
    files = sorted(folder.iterdir())
    assert {"xlsdun.log", "xlsdun.log.1", "xlsdun.log.2"} <= {f.name for f in files}
    assert {oct(stat.S_IMODE(f.stat().st_mode)) for f in files} == {"0o600"}
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_a_log_on_a_full_disk_costs_nothing_and_shows_no_traceback(demo: Path) -> None:
    log = logs.log_file(demo / ".xlsdun")
    log.parent.mkdir(parents=True)
    log.symlink_to("/dev/full")  # every write: "No space left on device"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "xlsdun.cli",
            "run",
            "--config",
            str(demo / "xlsdun.toml"),
            "--today",
            TODAY,
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "Logging error" not in proc.stderr
    assert proc.stderr.count("xlsdun: note: the log") == 1, proc.stderr
    assert "No space left on device" in proc.stderr
    assert len(list((demo / "outbox" / TODAY).glob("*.eml"))) == 14  # the run went on
