"""`xlsdun install-schedule`: let the operating system start `xlsdun run` every day.

An OS trigger survives reboots and catches up on a missed day by itself (systemd's
`Persistent=true`, Task Scheduler's `StartWhenAvailable`), and `xlsdun run` is safe to
repeat, so this is the recommended way to run unattended. Only the files are written;
enabling them is one command the user runs, printed with the files.
"""

from __future__ import annotations

import os
import plistlib
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from . import config as config_mod

KINDS = ("systemd", "cron", "windows", "launchd")


@dataclass(slots=True)
class Trigger:
    """What to run and when: the inputs every kind of file is generated from."""

    name: str
    command: list[str]  # the full argv of `xlsdun run ...`
    workdir: Path
    at_hour: int
    at_minute: int
    timezone: str
    log_dir: Path


@dataclass(slots=True)
class Installed:
    kind: str
    files: list[Path] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def default_kind() -> str:
    if os.name == "nt":
        return "windows"
    if sys.platform == "darwin":
        return "launchd"
    if shutil.which("systemctl"):
        return "systemd"
    return "cron"


def xlsdun_executable() -> list[str]:
    """The `xlsdun` of the running installation (its venv), not whatever is on PATH."""
    here = Path(sys.executable).parent
    for name in ("xlsdun.exe", "xlsdun") if os.name == "nt" else ("xlsdun",):
        if (here / name).exists():
            return [str(here / name)]
    found = shutil.which("xlsdun")
    if found:
        return [str(Path(found).resolve())]
    return [sys.executable, "-m", "xlsdun"]


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-").lower() or "default"


def make_trigger(patterns: list[str], name: str | None = None) -> Trigger:
    """Build the trigger from the configs. Glob patterns are kept (made absolute), so a new
    client folder is picked up without reinstalling; the first matching config gives the time."""
    from .multi import expand

    absolute = [str(Path(os.path.expanduser(p)).absolute()) for p in patterns]
    configs = expand(absolute)
    cfg = config_mod.load(configs[0])
    workdir = cfg.source.parent.absolute()
    command = [*xlsdun_executable(), "run", "--quiet"]
    for p in absolute:
        command += ["--config", p]
    base = workdir.name if len(absolute) == 1 else Path(os.path.commonpath(absolute)).name
    return Trigger(
        name=name or f"xlsdun-{slug(base)}",
        command=command,
        workdir=workdir,
        at_hour=cfg.schedule_time.hour,
        at_minute=cfg.schedule_time.minute,
        timezone=cfg.locale.timezone,
        log_dir=cfg.state_dir / "logs",
    )


# -- systemd ---------------------------------------------------------------------------------


def _systemd_quote(arg: str) -> str:
    arg = arg.replace("%", "%%")
    if re.search(r"[\s\"'\\;$]", arg):
        return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return arg


def systemd_units(t: Trigger) -> dict[str, str]:
    exec_start = " ".join(_systemd_quote(a) for a in t.command)
    service = f"""\
[Unit]
Description=xlsdun: send today's payment reminders ({t.name})
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
WorkingDirectory={t.workdir}
# The SMTP password, if any: put XLSDUN_SMTP_PASSWORD=... in this file (chmod 600).
EnvironmentFile=-%h/.config/xlsdun/{t.name}.env
ExecStart={exec_start}
Nice=10
"""
    timer = f"""\
[Unit]
Description=Run xlsdun every day at {t.at_hour:02d}:{t.at_minute:02d} ({t.name})

[Timer]
OnCalendar=*-*-* {t.at_hour:02d}:{t.at_minute:02d}:00 {t.timezone}
# Run at boot if the machine was off at the set time: a missed day is caught up once.
Persistent=true
AccuracySec=1min
Unit={t.name}.service

[Install]
WantedBy=timers.target
"""
    return {f"{t.name}.service": service, f"{t.name}.timer": timer}


# -- cron ------------------------------------------------------------------------------------


def cron_line(t: Trigger) -> str:
    run = " ".join(shlex.quote(a) for a in t.command)
    log = shlex.quote(str(t.log_dir / "cron.log"))
    line = f"cd {shlex.quote(str(t.workdir))} && {run} >> {log} 2>&1"
    return (
        f"# xlsdun ({t.name}): daily at {t.at_hour:02d}:{t.at_minute:02d} in this machine's "
        f"time zone (the config's is {t.timezone}).\n"
        f"{t.at_minute} {t.at_hour} * * * {line.replace('%', chr(92) + '%')}\n"
    )


# -- Windows Task Scheduler ------------------------------------------------------------------


def windows_task_xml(t: Trigger, start: date | None = None) -> str:
    start = start or date.today()
    args = subprocess.list2cmdline(t.command[1:])
    boundary = f"{start.isoformat()}T{t.at_hour:02d}:{t.at_minute:02d}:00"
    return f"""<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Description>xlsdun: send today's payment reminders ({escape(t.name)})</Description>
    <URI>\\xlsdun\\{escape(t.name)}</URI>
  </RegistrationInfo>
  <Triggers>
    <CalendarTrigger>
      <StartBoundary>{boundary}</StartBoundary>
      <Enabled>true</Enabled>
      <ScheduleByDay>
        <DaysInterval>1</DaysInterval>
      </ScheduleByDay>
    </CalendarTrigger>
  </Triggers>
  <Principals>
    <Principal id="Author">
      <LogonType>InteractiveToken</LogonType>
      <RunLevel>LeastPrivilege</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <StartWhenAvailable>true</StartWhenAvailable>
    <RunOnlyIfNetworkAvailable>false</RunOnlyIfNetworkAvailable>
    <WakeToRun>false</WakeToRun>
    <ExecutionTimeLimit>PT2H</ExecutionTimeLimit>
    <Enabled>true</Enabled>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>{escape(t.command[0])}</Command>
      <Arguments>{escape(args)}</Arguments>
      <WorkingDirectory>{escape(str(t.workdir))}</WorkingDirectory>
    </Exec>
  </Actions>
</Task>
"""


# -- launchd ---------------------------------------------------------------------------------


def launchd_plist(t: Trigger) -> bytes:
    return plistlib.dumps(
        {
            "Label": f"com.xlsdun.{t.name}",
            "ProgramArguments": t.command,
            "WorkingDirectory": str(t.workdir),
            "StartCalendarInterval": {"Hour": t.at_hour, "Minute": t.at_minute},
            "StandardOutPath": str(t.log_dir / "launchd.out.log"),
            "StandardErrorPath": str(t.log_dir / "launchd.err.log"),
            "ProcessType": "Background",
            "RunAtLoad": False,
        }
    )


# -- writing -----------------------------------------------------------------------------------


def default_dir(kind: str, t: Trigger) -> Path:
    if kind == "systemd":
        return Path.home() / ".config" / "systemd" / "user"
    if kind == "launchd":
        return Path.home() / "Library" / "LaunchAgents"
    return t.workdir


def _zone_differs(timezone: str) -> bool:
    local = datetime.now().astimezone()
    from zoneinfo import ZoneInfo

    there = datetime.now(ZoneInfo(timezone))
    return local.utcoffset() != there.utcoffset()


def install(kind: str, t: Trigger, out: Path | None = None) -> Installed:
    """Write the files for `kind` into `out` (default: where that OS looks for them)."""
    folder = out or default_dir(kind, t)
    folder.mkdir(parents=True, exist_ok=True)
    t.log_dir.mkdir(parents=True, exist_ok=True)
    done = Installed(kind)
    if kind == "systemd":
        for name, text in systemd_units(t).items():
            (folder / name).write_text(text, encoding="utf-8")
            done.files.append(folder / name)
        link = (
            ""
            if folder == default_dir(kind, t)
            else (
                f"systemctl --user link {folder / (t.name + '.service')} "
                f"{folder / (t.name + '.timer')}"
            )
        )
        done.steps = [
            s
            for s in (
                link,
                "systemctl --user daemon-reload",
                f"systemctl --user enable --now {t.name}.timer",
                "loginctl enable-linger $USER    # keep it running while you are logged out",
                f"systemctl --user list-timers {t.name}.timer    # check the next run",
            )
            if s
        ]
    elif kind == "cron":
        path = folder / f"{t.name}.cron"
        path.write_text(cron_line(t), encoding="utf-8")
        done.files.append(path)
        done.steps = [
            f"(crontab -l 2>/dev/null; cat {shlex.quote(str(path))}) | crontab -",
            "crontab -l    # check it is there",
        ]
        done.warnings.append(
            "cron does not catch up a day the machine was off; a systemd "
            "timer does (install-schedule --systemd)."
        )
        if _zone_differs(t.timezone):
            done.warnings.append(
                f"this machine's time zone differs from the config's "
                f"({t.timezone}): cron runs at {t.at_hour:02d}:"
                f"{t.at_minute:02d} machine time; edit the line if needed."
            )
    elif kind == "windows":
        path = folder / f"{t.name}.xml"
        path.write_text(windows_task_xml(t), encoding="utf-16")
        done.files.append(path)
        done.steps = [
            f'schtasks /Create /TN "xlsdun\\{t.name}" /XML "{path}"',
            f'schtasks /Run /TN "xlsdun\\{t.name}"    # try it once now',
        ]
        done.warnings.append(
            "The task runs while you are logged on; to run it logged out, "
            "open it in Task Scheduler and choose 'Run whether user is "
            "logged on or not'."
        )
    elif kind == "launchd":
        path = folder / f"com.xlsdun.{t.name}.plist"
        path.write_bytes(launchd_plist(t))
        done.files.append(path)
        done.steps = [
            f"launchctl bootstrap gui/$(id -u) {shlex.quote(str(path))}",
            f"launchctl print gui/$(id -u)/com.xlsdun.{t.name}    # check it",
        ]
        done.warnings.append(
            "launchd runs a missed time after the Mac wakes from sleep, but "
            "not a day it was switched off; the next day's run catches up."
        )
    else:
        raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
    return done
