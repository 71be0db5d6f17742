"""install-schedule: the generated systemd, cron, Task Scheduler and launchd files."""

from __future__ import annotations

import plistlib
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from sample_setup import copy_sample
from xlsdun.cli import main

TASK_NS = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    toml = copy_sample(tmp_path / "shop")
    toml.write_text(
        toml.read_text(encoding="utf-8").replace('time = "09:00"', 'time = "07:30"'),
        encoding="utf-8",
    )
    return toml


def install(kind: str, config: Path, out: Path, *extra: str) -> str:
    result = CliRunner().invoke(
        main, ["install-schedule", f"--{kind}", "--out", str(out), "--config", str(config), *extra]
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def test_systemd_timer_is_persistent_and_runs_xlsdun_run(cfg: Path, tmp_path: Path) -> None:
    out = tmp_path / "units"
    printed = install("systemd", cfg, out)
    service = (out / "xlsdun-shop.service").read_text(encoding="utf-8")
    timer = (out / "xlsdun-shop.timer").read_text(encoding="utf-8")
    assert "Type=oneshot" in service
    assert f"WorkingDirectory={cfg.parent}" in service
    exec_start = next(ln for ln in service.splitlines() if ln.startswith("ExecStart="))
    assert exec_start.endswith(f"run --quiet --config {cfg}")
    assert Path(exec_start.split("=", 1)[1].split()[0]).exists()
    assert "OnCalendar=*-*-* 07:30:00 Asia/Jerusalem" in timer
    assert "Persistent=true" in timer and "WantedBy=timers.target" in timer
    assert "Unit=xlsdun-shop.service" in timer
    assert "systemctl --user enable --now xlsdun-shop.timer" in printed
    if shutil.which("systemd-analyze"):
        check = subprocess.run(
            [
                "systemd-analyze",
                "verify",
                str(out / "xlsdun-shop.service"),
                str(out / "xlsdun-shop.timer"),
            ],
            capture_output=True,
            text=True,
        )
        assert check.returncode == 0, check.stderr


def test_cron_line(cfg: Path, tmp_path: Path) -> None:
    printed = install("cron", cfg, tmp_path)
    text = (tmp_path / "xlsdun-shop.cron").read_text(encoding="utf-8")
    entry = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    assert len(entry) == 1
    assert entry[0].startswith(f"30 7 * * * cd {cfg.parent} && ")
    assert f"run --quiet --config {cfg} >> " in entry[0]
    assert entry[0].endswith("cron.log 2>&1")
    assert "crontab -" in printed


def test_windows_task_starts_when_available(cfg: Path, tmp_path: Path) -> None:
    printed = install("windows", cfg, tmp_path)
    raw = (tmp_path / "xlsdun-shop.xml").read_bytes()
    assert raw[:2] in (b"\xff\xfe", b"\xfe\xff")  # UTF-16 with a BOM, as schtasks expects
    root = ET.fromstring(raw.decode("utf-16").replace('encoding="UTF-16"', ""))
    assert root.findtext("t:Settings/t:StartWhenAvailable", namespaces=TASK_NS) == "true"
    assert root.findtext("t:Settings/t:MultipleInstancesPolicy", namespaces=TASK_NS) == "IgnoreNew"
    trigger = root.find("t:Triggers/t:CalendarTrigger", TASK_NS)
    assert trigger is not None
    assert trigger.findtext("t:StartBoundary", namespaces=TASK_NS).endswith("T07:30:00")
    assert trigger.findtext("t:ScheduleByDay/t:DaysInterval", namespaces=TASK_NS) == "1"
    exe = root.find("t:Actions/t:Exec", TASK_NS)
    assert exe is not None and exe.findtext("t:Arguments", namespaces=TASK_NS).startswith(
        "run --quiet --config "
    )
    assert exe.findtext("t:WorkingDirectory", namespaces=TASK_NS) == str(cfg.parent)
    assert "schtasks /Create" in printed


def test_launchd_plist(cfg: Path, tmp_path: Path) -> None:
    install("launchd", cfg, tmp_path)
    plist = plistlib.loads((tmp_path / "com.xlsdun.xlsdun-shop.plist").read_bytes())
    assert plist["Label"] == "com.xlsdun.xlsdun-shop"
    assert plist["StartCalendarInterval"] == {"Hour": 7, "Minute": 30}
    assert plist["ProgramArguments"][1:] == ["run", "--quiet", "--config", str(cfg)]
    assert plist["WorkingDirectory"] == str(cfg.parent)


def test_a_glob_of_clients_is_kept_so_new_clients_join_without_reinstalling(
    cfg: Path, tmp_path: Path
) -> None:
    pattern = str(tmp_path / "*" / "xlsdun.toml")
    install("systemd", Path(pattern), tmp_path / "units", "--name", "xlsdun-books")
    service = (tmp_path / "units" / "xlsdun-books.service").read_text(encoding="utf-8")
    assert f"--config {pattern}" in service
