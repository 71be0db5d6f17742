"""The log file: local times with their offset, private files (rotated ones too), and a log
that cannot be written (a full disk) never costs the run or prints a traceback."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from support.sample_setup import TODAY, run_cli, run_json
from xlsdun import logs


def first_word(line: str) -> datetime:
    return datetime.fromisoformat(line.split(" ", 1)[0])


def test_lines_carry_the_configs_local_time_and_offset(
    demo: Path, machine_zone: Callable[[str], None]
) -> None:
    machine_zone("America/New_York")  # not the config's zone: it must not be used
    run_json(demo)  # the sample's zone is Asia/Jerusalem: +02:00 in November
    lines = logs.log_file(demo / ".xlsdun").read_text(encoding="utf-8").splitlines()
    stamp = lines[0].split(" ", 1)[0]
    assert len(stamp) == len("2026-11-27T09:00:03+02:00") and stamp[10] == "T"
    moment = datetime.fromisoformat(stamp)
    now = datetime.now(ZoneInfo("Asia/Jerusalem"))
    assert moment.utcoffset() == now.utcoffset()
    assert abs(moment - now) < timedelta(minutes=5)


def test_without_a_zone_the_machines_own_offset(
    tmp_path: Path, machine_zone: Callable[[str], None]
) -> None:
    machine_zone("America/New_York")  # neither UTC nor the sample's zone
    logs.attach(tmp_path / ".xlsdun")
    logs.log.info("hello")
    line = logs.log_file(tmp_path / ".xlsdun").read_text(encoding="utf-8")
    offset = first_word(line).utcoffset()
    assert offset == datetime.now(ZoneInfo("America/New_York")).utcoffset() != timedelta(0)


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
    code, _, err = run_cli(
        "run", "--config", str(demo / "xlsdun.toml"), "--today", TODAY, "--quiet"
    )
    assert code == 0, err
    assert "Traceback" not in err and "Logging error" not in err
    assert err.count("xlsdun: note: the log") == 1, err
    assert "No space left on device" in err
    assert len(list((demo / "outbox" / TODAY).glob("*.eml"))) == 14  # the run went on
