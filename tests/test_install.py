"""install-schedule: the generated systemd, cron, Task Scheduler and launchd files."""

from __future__ import annotations

import plistlib
import shlex
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from support.sample_setup import copy_sample
from xlsdun import install as install_mod
from xlsdun.cli import main
from xlsdun.ledger import Ledger

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


def test_cron_line(cfg: Path, tmp_path: Path, machine_zone: Callable[[str], None]) -> None:
    machine_zone("Asia/Jerusalem")  # the config's zone: its time as written
    printed = install("cron", cfg, tmp_path)
    text = (tmp_path / "xlsdun-shop.cron").read_text(encoding="utf-8")
    entry = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    assert len(entry) == 1
    assert entry[0].startswith(f"30 7 * * * cd {cfg.parent} && ")
    assert f"run --quiet --config {cfg} >> " in entry[0]
    assert entry[0].endswith("cron.log 2>&1")
    assert "crontab -" in printed


def test_windows_task_starts_when_available(
    cfg: Path, tmp_path: Path, machine_zone: Callable[[str], None]
) -> None:
    machine_zone("Asia/Jerusalem")
    printed = install("windows", cfg, tmp_path, "--today", "2027-01-05")
    raw = (tmp_path / "xlsdun-shop.xml").read_bytes()
    assert raw[:2] in (b"\xff\xfe", b"\xfe\xff")  # UTF-16 with a BOM, as schtasks expects
    root = ET.fromstring(raw.decode("utf-16").replace('encoding="UTF-16"', ""))
    assert root.findtext("t:Settings/t:StartWhenAvailable", namespaces=TASK_NS) == "true"
    assert root.findtext("t:Settings/t:MultipleInstancesPolicy", namespaces=TASK_NS) == "IgnoreNew"
    trigger = root.find("t:Triggers/t:CalendarTrigger", TASK_NS)
    assert trigger is not None
    assert trigger.findtext("t:StartBoundary", namespaces=TASK_NS) == "2027-01-05T07:30:00"
    assert trigger.findtext("t:ScheduleByDay/t:DaysInterval", namespaces=TASK_NS) == "1"
    exe = root.find("t:Actions/t:Exec", TASK_NS)
    assert exe is not None and exe.findtext("t:Arguments", namespaces=TASK_NS).startswith(
        "run --quiet --config "
    )
    assert exe.findtext("t:WorkingDirectory", namespaces=TASK_NS) == str(cfg.parent)
    assert "schtasks /Create" in printed


def test_launchd_plist(cfg: Path, tmp_path: Path, machine_zone: Callable[[str], None]) -> None:
    machine_zone("Asia/Jerusalem")
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


# -- names and times that must not break the files (issue 12) -----------------------------------

HARD_NAME = 'חנות של רינה 100% "best" $HOME it\'s; done'  # Hebrew, spaces, %, $, quotes, ;


def systemd_words(line: str) -> list[str]:
    """ExecStart= split as systemd does: quoted words with C escapes, then `%%` and `$$`."""
    words, i = [], 0
    while i < len(line):
        if line[i].isspace():
            i += 1
            continue
        word = ""
        while i < len(line) and not line[i].isspace():
            if line[i] in "\"'":
                quote, i = line[i], i + 1
                while line[i] != quote:
                    if line[i] == "\\":
                        i += 1
                    word += line[i]
                    i += 1
                i += 1
            else:
                word += line[i]
                i += 1
        escaped = word.replace("%%", "").replace("$$", "")
        assert "%" not in escaped and "$" not in escaped, f"systemd would expand {word!r}"
        words.append(word.replace("%%", "%").replace("$$", "$"))
    return words


def settings(text: str) -> list[tuple[str, str]]:
    """Every Key=value line of a unit file (comments, blanks and [Sections] left out)."""
    found = []
    for line in text.splitlines():
        if line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            found.append((key, value))
    return found


def test_systemd_quotes_every_argument_of_a_hard_folder_name(
    tmp_path: Path,
) -> None:
    toml = copy_sample(tmp_path / HARD_NAME)
    out = tmp_path / "units"
    install("systemd", toml, out)
    service = (out / "xlsdun-100-best-home-it-s-done.service").read_text(encoding="utf-8")
    found = dict(settings(service))
    assert [k for k, _ in settings(service)] == [
        "Description",
        "Type",
        "WorkingDirectory",
        "EnvironmentFile",
        "ExecStart",
        "Nice",
    ]
    assert found["WorkingDirectory"].replace("%%", "%") == str(toml.parent)
    argv = systemd_words(found["ExecStart"])
    assert argv == [*install_mod.xlsdun_executable(), "run", "--quiet", "--config", str(toml)]
    assert "network-online" not in service  # a user manager has no such target
    if shutil.which("systemd-analyze"):
        check = subprocess.run(
            [
                "systemd-analyze",
                "verify",
                str(out / "xlsdun-100-best-home-it-s-done.service"),
            ],
            capture_output=True,
            text=True,
        )
        assert check.returncode == 0, check.stderr


def test_the_cron_line_of_a_hard_folder_name_runs_as_written(
    tmp_path: Path, machine_zone: Callable[[str], None]
) -> None:
    machine_zone("Asia/Jerusalem")
    toml = copy_sample(tmp_path / HARD_NAME)
    install("cron", toml, tmp_path)
    (entry,) = [
        ln
        for ln in (tmp_path / "xlsdun-100-best-home-it-s-done.cron").read_text().splitlines()
        if ln and not ln.startswith("#")
    ]
    command = entry.split(" ", 5)[5]
    # What cron hands to sh: a bare % would end the command; \% is a plain %.
    assert "%" not in command.replace("\\%", "")
    shell = command.replace("\\%", "%")
    assert shlex.split(shell)[:2] == ["cd", str(toml.parent)]
    proc = subprocess.run(["/bin/sh", "-c", shell], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (toml.parent / ".xlsdun" / "logs" / "cron.log").exists()
    with Ledger(toml.parent / ".xlsdun" / "ledger.sqlite3") as ledger:
        assert ledger.last_finished_run() is not None  # the real run happened, in that folder


def test_windows_and_launchd_keep_a_hard_folder_name_whole(tmp_path: Path) -> None:
    toml = copy_sample(tmp_path / HARD_NAME)
    install("windows", toml, tmp_path)
    install("launchd", toml, tmp_path)
    raw = (tmp_path / "xlsdun-100-best-home-it-s-done.xml").read_bytes().decode("utf-16")
    root = ET.fromstring(raw.replace('encoding="UTF-16"', ""))
    exe = root.find("t:Actions/t:Exec", TASK_NS)
    assert exe is not None
    assert exe.findtext("t:WorkingDirectory", namespaces=TASK_NS) == str(toml.parent)
    assert exe.findtext("t:Arguments", namespaces=TASK_NS) == subprocess.list2cmdline(
        ["run", "--quiet", "--config", str(toml)]
    )
    plist = plistlib.loads(
        (tmp_path / "com.xlsdun.xlsdun-100-best-home-it-s-done.plist").read_bytes()
    )
    assert plist["ProgramArguments"][-1] == str(toml)


@pytest.mark.parametrize(
    ("kind", "attack"),
    [
        ("systemd", "shop\nExecStartPre=/bin/touch {pwned}"),
        ("systemd", "shop\r\nExecStartPre=/bin/touch {pwned}"),
        ("cron", "shop\n* * * * * touch {pwned}"),
        ("windows", "shop\x1b[2J"),
        ("launchd", "shop\u2028x"),
    ],
)
def test_a_folder_name_with_a_line_break_is_refused_before_anything_is_written(
    tmp_path: Path, kind: str, attack: str
) -> None:
    toml = copy_sample(tmp_path / attack.format(pwned=tmp_path / "pwned"))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["install-schedule", f"--{kind}", "--out", str(out), "--config", str(toml)]
    )
    assert result.exit_code == 2
    assert "line break or another control character" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert not out.exists() or list(out.iterdir()) == []


def test_a_name_that_is_not_a_plain_word_is_refused(cfg: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "install-schedule",
            "--systemd",
            "--out",
            str(tmp_path),
            "--config",
            str(cfg),
            "--name",
            "x\nExecStartPre=/bin/true",
        ],
    )
    assert result.exit_code == 2 and "cannot name a scheduled task" in result.stderr
    assert list(tmp_path.glob("*.service")) == []


def test_cron_runs_at_the_machine_time_that_is_the_configs_time(
    cfg: Path, tmp_path: Path, machine_zone: Callable[[str], None]
) -> None:
    machine_zone("UTC")
    printed = install("cron", cfg, tmp_path)
    there = datetime.combine(date.today(), datetime.min.time().replace(hour=7, minute=30))
    utc = there.replace(tzinfo=ZoneInfo("Asia/Jerusalem")).astimezone(ZoneInfo("UTC"))
    text = (tmp_path / "xlsdun-shop.cron").read_text(encoding="utf-8")
    assert f"\n{utc.minute} {utc.hour} * * * cd " in text
    assert f"{utc.hour:02d}:{utc.minute:02d} machine time" in " ".join(printed.split())
    assert "07:30 in Asia/Jerusalem" in " ".join(printed.split())


def test_machine_time_names_the_next_daylight_saving_change() -> None:
    trigger = install_mod.Trigger(
        "xlsdun-shop", ["xlsdun"], Path("/x"), 7, 30, "Asia/Jerusalem", Path("/x/logs")
    )
    in_utc = lambda m: m.astimezone(ZoneInfo("UTC"))  # noqa: E731
    assert install_mod.machine_time(trigger, date(2026, 11, 26), in_utc) == (
        5,
        30,
        date(2027, 3, 26),  # Israel's summer time starts: 04:30 UTC from then on
    )
    same = lambda m: m.astimezone(ZoneInfo("Asia/Jerusalem"))  # noqa: E731
    assert install_mod.machine_time(trigger, date(2026, 11, 26), same) == (7, 30, None)


def test_two_clients_never_share_a_schedule(tmp_path: Path) -> None:
    """Two clients in Hebrew-named folders were both "xlsdun-default": the second install
    silently replaced the first client's timer, and client א never ran again."""
    out = tmp_path / "units"
    first = copy_sample(tmp_path / "לקוח א")
    second = copy_sample(tmp_path / "לקוח ב")
    install("systemd", first, out)
    install("systemd", second, out)
    services = sorted(out.glob("*.service"))
    assert len(services) == 2
    texts = [s.read_text(encoding="utf-8") for s in services]
    assert any(str(first) in t for t in texts) and any(str(second) in t for t in texts)
    install("systemd", first, out)  # installing again (a new time, say) replaces its own
    assert sorted(out.glob("*.service")) == services
    for kind in ("cron", "windows", "launchd"):  # the same for every kind
        install(kind, first, out)
        install(kind, second, out)
    assert len(list(out.glob("*.cron"))) == 2 and len(list(out.glob("*.xml"))) == 2
    assert len(list(out.glob("*.plist"))) == 2
    clash = CliRunner().invoke(
        main,
        ["install-schedule", "--systemd", "--out", str(out), "--config", str(second)]
        + ["--name", services[0].stem if str(first) in texts[0] else services[1].stem],
    )
    assert clash.exit_code == 2 and "runs xlsdun for other config files" in clash.stderr


def test_a_schedule_file_of_an_older_xlsdun_is_not_overwritten(cfg: Path, tmp_path: Path) -> None:
    out = tmp_path / "units"
    out.mkdir()
    (out / "xlsdun-shop.service").write_text("[Service]\nExecStart=/old/xlsdun run\n", "utf-8")
    install("systemd", cfg, out)
    assert (out / "xlsdun-shop.service").read_text("utf-8").startswith("[Service]")
    assert len(list(out.glob("xlsdun-shop-*.service"))) == 1
