"""`xlsdun install-schedule`: let the operating system start `xlsdun run` every day.

An OS trigger survives reboots and catches up on a missed day by itself (systemd's
`Persistent=true`, Task Scheduler's `StartWhenAvailable`), and `xlsdun run` is safe to
repeat, so this is the recommended way to run unattended. Only the files are written;
enabling them is one command the user runs, printed with the files.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import plistlib
import re
import shlex
import shutil
import subprocess
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from . import config as config_mod
from .errors import XlsdunError
from .private import private_dir

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
    id: str = ""  # which configs it runs (a hash of their paths): written into every file
    configs: tuple[str, ...] = ()  # the --config patterns, absolute: written into the mark


@dataclass(slots=True)
class Installed:
    kind: str
    trigger: Trigger  # as written (its name may have been made unique)
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
    """A folder name as a task name; empty for a name in another script (then the configs'
    hash names it: two Hebrew-named clients were both "xlsdun-default", one replacing the
    other's schedule)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-").lower()


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
    ident = hashlib.sha256("\0".join(absolute).encode()).hexdigest()[:12]
    return Trigger(
        name=name or f"xlsdun-{slug(base) or ident[:8]}",
        command=command,
        workdir=workdir,
        at_hour=cfg.schedule_time.hour,
        at_minute=cfg.schedule_time.minute,
        timezone=cfg.locale.timezone,
        log_dir=cfg.state_dir / "logs",
        id=ident,
        configs=tuple(absolute),
    )


class UnsafeTrigger(XlsdunError):
    """A name or path that cannot be written safely into a trigger file (exit 2)."""


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


def check_trigger(t: Trigger, kind: str) -> None:
    """Refuse what no quoting makes safe: a line break (or another control character) in a
    path would start a line of its own in a crontab or a unit file, a command of its own.
    Hebrew letters, spaces, quotes, `%` and `$` are fine: each format quotes them."""
    if not _NAME.fullmatch(t.name):
        raise UnsafeTrigger(
            f"--name {t.name!r} cannot name a scheduled task: use only letters, digits, '-', '_' "
            f"and '.' (for example xlsdun-shop)"
        )
    for what, value in _paths(t):
        bad = next((c for c in value if unicodedata.category(c) in ("Cc", "Zl", "Zp")), None)
        if bad is not None:
            raise UnsafeTrigger(
                f"the {what} {value!r} contains a line break or another control character "
                f"({bad!r}), which would break the {kind} file and could add commands to it. "
                f"Rename the folder (or file) to remove it, then run install-schedule again."
            )
        if kind == "systemd" and what == "folder" and ("\\" in value or value != value.strip()):
            raise UnsafeTrigger(
                f"the {what} {value!r} contains a backslash or ends with a space, which a systemd "
                f"unit cannot accept in WorkingDirectory=; rename it, or use --cron"
            )


def _paths(t: Trigger) -> list[tuple[str, str]]:
    found = [("folder", str(t.workdir)), ("log folder", str(t.log_dir))]
    found.append(("program", t.command[0]))
    found += [("config", arg) for arg in t.command[1:]]
    return found


def machine_time(
    t: Trigger, day: date, to_machine: Callable[[datetime], datetime] | None = None
) -> tuple[int, int, date | None]:
    """The config's daily time on this machine's clock, which cron, launchd and Task
    Scheduler follow: (hour, minute, the first later day it differs, or None within a
    year). They differ when the two zones do, and again after a daylight saving change."""
    convert = to_machine or _on_machine_clock
    zone = ZoneInfo(t.timezone)

    def there(d: date) -> tuple[int, int]:
        moment = convert(datetime.combine(d, time(t.at_hour, t.at_minute), tzinfo=zone))
        return moment.hour, moment.minute

    hour, minute = there(day)
    change = next(
        (
            day + timedelta(days=n)
            for n in range(1, 367)
            if there(day + timedelta(days=n)) != (hour, minute)
        ),
        None,
    )
    return hour, minute, change


def _on_machine_clock(moment: datetime) -> datetime:
    """The wall-clock time this machine shows at `moment` (its own zone and DST rules)."""
    return datetime.fromtimestamp(moment.timestamp())


def _clock_note(t: Trigger, kind: str, hour: int, minute: int, change: date | None) -> str:
    """What time a machine-clock trigger really runs, said plainly ("" if it is the same)."""
    wanted = f"{t.at_hour:02d}:{t.at_minute:02d}"
    if (hour, minute) == (t.at_hour, t.at_minute) and change is None:
        return ""
    note = (
        f"{kind} follows this machine's clock, not the config's time zone: it runs at "
        f"{hour:02d}:{minute:02d} machine time, which is {wanted} in {t.timezone}"
    )
    if change is not None:
        note += (
            f" until {change.isoformat()}, when daylight saving time changes; run "
            f"install-schedule again on that day"
        )
    return note + " (a systemd timer or 'xlsdun schedule' follows the config's zone)."


# -- the mark ------------------------------------------------------------------------------

MARK = "xlsdun-id: "
# The id, then (since 0.2) the config patterns as base64 of a JSON list: no quoting of any
# of the four formats touches it, and base64 has no "--", which an XML comment cannot hold.
_MARKED = re.compile(r"xlsdun-id: ([0-9a-f]{12})(?: ([A-Za-z0-9+/]+=*))?")


def mark(t: Trigger) -> str:
    """The comment written into every file: which configs this trigger runs."""
    configs = base64.b64encode(json.dumps(list(t.configs)).encode()).decode()
    return f"{MARK}{t.id} {configs}" if t.configs else f"{MARK}{t.id}"


def marks(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """(id, config patterns) of every mark in a file or crontab; no patterns for a mark
    written before they were, or one that does not decode."""
    found = []
    for match in _MARKED.finditer(text):
        try:
            configs = json.loads(base64.b64decode(match.group(2) or "", validate=True) or "[]")
        except ValueError:
            configs = []
        ok = isinstance(configs, list) and all(isinstance(c, str) for c in configs)
        found.append((match.group(1), tuple(configs) if ok else ()))
    return found


def runs_config(text: str, config: Path) -> bool | None:
    """Whether a trigger file (or crontab) runs `config`, as its marks say; None when no mark
    names its configs (a file of an older xlsdun, or none of xlsdun's)."""
    from .multi import expand

    named = [configs for _, configs in marks(text) if configs]
    if not named:
        return None
    wanted = config.resolve()
    return any(Path(found).resolve() == wanted for configs in named for found in expand(configs))


# -- systemd ---------------------------------------------------------------------------------


def _systemd_quote(arg: str) -> str:
    """One word of ExecStart=: `%` (specifiers) and `$` (variables) doubled, then in double
    quotes with C escapes when it has a space, a quote, a backslash or a `;`."""
    arg = arg.replace("%", "%%").replace("$", "$$")
    if arg and not re.search(r"[\s\"'\\;]", arg):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def systemd_units(t: Trigger) -> dict[str, str]:
    """A user service and its timer. No network-online.target: a user manager has none (it
    belongs to the system manager), so asking for it only adds a warning."""
    exec_start = " ".join(_systemd_quote(a) for a in t.command)
    workdir = str(t.workdir).replace("%", "%%")
    service = f"""\
# {mark(t)}
[Unit]
Description=xlsdun: send today's payment reminders ({t.name})

[Service]
Type=oneshot
WorkingDirectory={workdir}
# The SMTP password, if any: put XLSDUN_SMTP_PASSWORD=... in this file (chmod 600).
EnvironmentFile=-%h/.config/xlsdun/{t.name}.env
ExecStart={exec_start}
Nice=10
"""
    timer = f"""\
# {mark(t)}
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


def cron_line(t: Trigger, at: tuple[int, int] | None = None) -> str:
    """The crontab entry: each word quoted for sh, then every `%` escaped (cron turns a bare
    one into a line break). `at` is the time on the machine's clock (`machine_time`)."""
    hour, minute = at or (t.at_hour, t.at_minute)
    run = " ".join(shlex.quote(a) for a in t.command)
    log = shlex.quote(str(t.log_dir / "cron.log"))
    line = f"cd {shlex.quote(str(t.workdir))} && {run} >> {log} 2>&1"
    return (
        f"# xlsdun ({t.name}): daily at {hour:02d}:{minute:02d} machine time "
        f"({t.at_hour:02d}:{t.at_minute:02d} in {t.timezone}). {mark(t)}\n"
        f"{minute} {hour} * * * {line.replace('%', chr(92) + '%')}\n"
    )


# -- Windows Task Scheduler ------------------------------------------------------------------


def windows_task_xml(
    t: Trigger, start: date | None = None, at: tuple[int, int] | None = None
) -> str:
    start = start or date.today()
    hour, minute = at or (t.at_hour, t.at_minute)
    args = subprocess.list2cmdline(t.command[1:])
    boundary = f"{start.isoformat()}T{hour:02d}:{minute:02d}:00"
    return f"""<?xml version="1.0" encoding="UTF-16"?>
<!-- {mark(t)} -->
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


def launchd_plist(t: Trigger, at: tuple[int, int] | None = None) -> bytes:
    hour, minute = at or (t.at_hour, t.at_minute)
    plist = plistlib.dumps(
        {
            "Label": f"com.xlsdun.{t.name}",
            "ProgramArguments": t.command,
            "WorkingDirectory": str(t.workdir),
            "StartCalendarInterval": {"Hour": hour, "Minute": minute},
            "StandardOutPath": str(t.log_dir / "launchd.out.log"),
            "StandardErrorPath": str(t.log_dir / "launchd.err.log"),
            "ProcessType": "Background",
            "RunAtLoad": False,
        }
    )
    return plist.replace(b"<plist ", f"<!-- {mark(t)} -->\n<plist ".encode(), 1)


# -- writing -----------------------------------------------------------------------------------


def default_dir(kind: str, t: Trigger) -> Path:
    if kind == "systemd":
        return Path.home() / ".config" / "systemd" / "user"
    if kind == "launchd":
        return Path.home() / "Library" / "LaunchAgents"
    return t.workdir


def enable_command(kind: str, path: Path, *, user: bool = True) -> str:
    """The command that switches on the trigger written at `path` (a systemd unit: its
    timer): install-schedule prints it, and doctor does for a file that is not on."""
    if kind == "systemd":
        scope = ["--user"] if user else []
        return " ".join(["systemctl", *scope, "enable", "--now", path.with_suffix(".timer").name])
    if kind == "cron":
        return f"(crontab -l 2>/dev/null; cat {shlex.quote(str(path))}) | crontab -"
    if kind == "launchd":
        return f"launchctl bootstrap gui/$(id -u) {shlex.quote(str(path))}"
    return f'schtasks /Create /TN "xlsdun\\{path.stem}" /XML "{path}"'


@dataclass(frozen=True, slots=True)
class _OneFile:
    """A trigger of one file that follows the machine's clock (cron, Task Scheduler,
    launchd): its file name, its content, how to check it, what to know about it."""

    clock: str  # as the note on the machine's clock names it
    file: Callable[[str], str]
    content: Callable[[Trigger, tuple[int, int], date], bytes]
    check: Callable[[Trigger], str]
    warning: str


_ONE_FILE = {
    "cron": _OneFile(
        "cron",
        lambda name: f"{name}.cron",
        lambda t, at, day: cron_line(t, at).encode(),
        lambda t: "crontab -l    # check it is there",
        "cron does not catch up a day the machine was off; a systemd timer does "
        "(install-schedule --systemd).",
    ),
    "windows": _OneFile(
        "Task Scheduler",
        lambda name: f"{name}.xml",
        lambda t, at, day: windows_task_xml(t, day, at).encode("utf-16"),
        lambda t: f'schtasks /Run /TN "xlsdun\\{t.name}"    # try it once now',
        "The task runs while you are logged on; to run it logged out, open it in Task "
        "Scheduler and choose 'Run whether user is logged on or not'.",
    ),
    "launchd": _OneFile(
        "launchd",
        lambda name: f"com.xlsdun.{name}.plist",
        lambda t, at, day: launchd_plist(t, at),
        lambda t: f"launchctl print gui/$(id -u)/com.xlsdun.{t.name}    # check it",
        "launchd runs a missed time after the Mac wakes from sleep, but not a day it was "
        "switched off; the next day's run catches up.",
    ),
}


def _files(kind: str, name: str) -> list[str]:
    if kind == "systemd":
        return [f"{name}.service", f"{name}.timer"]
    return [_ONE_FILE[kind].file(name)]


def _own_name(kind: str, t: Trigger, folder: Path, named: bool) -> Trigger:
    """`t`, renamed if its files would replace another schedule's: a file of that name that
    runs other configs (its id differs, or it has none: an older xlsdun's) is never
    overwritten. A name given with --name is refused instead of changed."""
    for file in _files(kind, t.name):
        path = folder / file
        if not path.is_file():
            continue
        raw = path.read_bytes()
        text = raw.decode("utf-16" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8", "replace")
        if any(ident == t.id for ident, _ in marks(text)):
            return t
        if named:
            raise UnsafeTrigger(
                f"{path} already exists and runs xlsdun for other config files, so it was left "
                f"as it is; choose another --name, or remove that schedule first"
            )
        return replace(t, name=f"{t.name}-{t.id[:6]}")
    return t


def install(
    kind: str,
    t: Trigger,
    out: Path | None = None,
    today: date | None = None,
    *,
    named: bool = False,
) -> Installed:
    """Write the files for `kind` into `out` (default: where that OS looks for them).
    `today`: the day the machine's clock is compared from (`machine_time`); `named`: the
    name came from --name (never changed, refused if taken)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
    check_trigger(t, kind)
    folder = out or default_dir(kind, t)
    folder.mkdir(parents=True, exist_ok=True)
    t = _own_name(kind, t, folder, named)
    private_dir(t.log_dir)
    done = Installed(kind, t)
    if kind == "systemd":
        _install_systemd(t, folder, done)
    else:
        _install_one_file(_ONE_FILE[kind], t, folder, done, today or date.today())
    return done


def _install_one_file(fmt: _OneFile, t: Trigger, folder: Path, done: Installed, day: date) -> None:
    hour, minute, change = machine_time(t, day)
    path = folder / fmt.file(t.name)
    path.write_bytes(fmt.content(t, (hour, minute), day))
    done.files.append(path)
    kind = done.kind
    done.steps = [enable_command(kind, path), fmt.check(t)]
    note = _clock_note(t, fmt.clock, hour, minute, change)
    done.warnings += [w for w in (note, fmt.warning) if w]


def _install_systemd(t: Trigger, folder: Path, done: Installed) -> None:
    for name, text in systemd_units(t).items():
        (folder / name).write_text(text, encoding="utf-8")
        done.files.append(folder / name)
    link = ""
    if folder != default_dir("systemd", t):
        units = (shlex.quote(str(folder / f"{t.name}.{ext}")) for ext in ("service", "timer"))
        link = "systemctl --user link " + " ".join(units)
    done.steps = [
        s
        for s in (
            link,
            "systemctl --user daemon-reload",
            enable_command("systemd", folder / f"{t.name}.service"),
            "loginctl enable-linger $USER    # keep it running while you are logged out",
            f"systemctl --user list-timers {t.name}.timer    # check the next run",
        )
        if s
    ]
