"""`xlsdun doctor`: check everything an unattended run depends on, and say what to fix.

Users set xlsdun up once and then trust it; when something is off they need one command
that looks at the config, the workbook, locks, templates, the mail login (without sending),
the time zone and the scheduler, and answers in plain words with the fix.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Protocol

from . import config as config_mod
from . import install, logs, private, runlock
from .config import Config

OK, WARN, FAIL = "ok", "warn", "fail"


@dataclass(frozen=True, slots=True)
class Check:
    config: str
    name: str
    status: str  # ok | warn | fail
    message: str
    fix: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


class _Add(Protocol):
    """Records one check's result (`check_config`'s `add`)."""

    def __call__(self, name: str, status: str, message: str, fix: str = "") -> None: ...


def check_all(
    paths: list[str], *, smtp_login: bool = True, now: datetime | None = None
) -> list[Check]:
    checks: list[Check] = []
    for path in paths:
        checks.extend(check_config(path, smtp_login=smtp_login, now=now))
    return checks


def check_config(path: str, *, smtp_login: bool = True, now: datetime | None = None) -> list[Check]:
    out: list[Check] = []

    def add(name: str, status: str, message: str, fix: str = "") -> None:
        out.append(Check(path, name, status, message, fix))

    try:
        cfg = config_mod.load(path)
    except config_mod.ConfigError as exc:
        add(
            "config",
            FAIL,
            str(exc),
            "Fix the key named above; 'xlsdun init' writes a complete example.",
        )
        return out
    unset = config_mod.placeholders(cfg)
    if unset:
        add(
            "config",
            WARN,
            f"{cfg.source} still has example values: {'; '.join(unset)}",
            "Replace them with your own name, business and email addresses in the config before "
            "sending real mail.",
        )
    else:
        add("config", OK, f"{cfg.source} reads fine")
    _workbook(cfg, add)
    _state(cfg, add)
    _templates(cfg, add)
    _delivery(cfg, add, smtp_login)
    _inbox(cfg, add, smtp_login)
    _owner(cfg, add)
    _zone(cfg, add, now)
    _scheduler(cfg, add, now)
    return out


def _workbook(cfg: Config, add: _Add) -> None:
    from .wiring import load_receivables
    from .workbook.guard import is_encrypted, open_elsewhere

    book = cfg.workbook.path
    if not book.exists():
        add(
            "workbook",
            FAIL,
            f"{book} not found",
            "Set [workbook] path to your receivables workbook (relative to the config file).",
        )
        return
    if is_encrypted(book):
        add(
            "workbook",
            FAIL,
            f"{book} is password-protected",
            "Save a copy without a password to open (File > Info > Protect workbook).",
        )
        return
    try:
        receivables = load_receivables(cfg)
    except Exception as exc:  # noqa: BLE001 - any read problem is the finding itself
        add(
            "workbook",
            FAIL,
            str(exc) if str(book) in str(exc) else f"{book}: {exc}",
            "Fix the sheet or the [columns] mapping; "
            "'xlsdun check' shows which headers were found.",
        )
        return
    sheet = receivables.sheet
    skipped = len({f.row for f in receivables.findings})  # a row's problems skip it once
    add(
        "workbook",
        OK,
        f"{book.name}: sheet '{sheet.sheet if sheet else '?'}', "
        f"{len(receivables.invoices)} invoice row(s), {skipped} skipped",
    )
    if not os.access(book, os.W_OK) or not os.access(book.parent, os.W_OK):
        add(
            "workbook write access",
            FAIL,
            f"cannot write {book} or its folder",
            "Give your user write permission on the workbook and its folder.",
        )
    held = open_elsewhere(book)
    if held:
        add(
            "lock files",
            WARN,
            held,
            "Close the workbook before the daily run time; "
            "reminders still go out, only the write-back waits.",
        )
    else:
        add("lock files", OK, "the workbook is not open in Excel or LibreOffice")


def _state(cfg: Config, add: _Add) -> None:
    state = cfg.state_dir
    try:
        private.state_dir(state)
    except OSError as exc:
        add(
            "state folder",
            FAIL,
            f"cannot create {state}: {exc}",
            "Set state_dir to a folder you can write.",
        )
        return
    if not os.access(state, os.W_OK):
        add("state folder", FAIL, f"{state} is not writable", "Fix its permissions.")
        return
    add("state folder", OK, f"{state} (ledger, backups, logs, reports)")
    busy, note = runlock.probe(state)
    if busy is not None:
        add(
            "run lock",
            WARN,
            str(busy),
            "Wait for that run to end; if no xlsdun is running, the lock is released by itself.",
        )
        return
    if note:
        add(
            "run lock",
            WARN,
            f"no run in progress; the last one ended without finishing ({note})",
            "Nothing to do: the next run picks up what that one left unfinished. If it "
            "happens again, look at the log in the state folder.",
        )
        return
    add("run lock", OK, "no run in progress")


def _templates(cfg: Config, add: _Add) -> None:
    from .wiring import make_renderer

    try:
        problems = make_renderer(cfg).check()
    except Exception as exc:  # noqa: BLE001
        problems = [str(exc)]
    if problems:
        add(
            "templates",
            FAIL,
            "; ".join(problems[:5]),
            "Fix the template at the file:line shown, or delete it to use the built-in one.",
        )
    else:
        add("templates", OK, "every tier renders in English and Hebrew")


def _delivery(cfg: Config, add: _Add, smtp_login: bool) -> None:
    d = cfg.delivery
    if d.backend == "outbox":
        add(
            "delivery",
            OK,
            f"outbox: reminders are written as .eml files to {d.outbox_dir} (nothing is emailed)",
            "",
        )
        return
    from .deliver.smtp import resolve_password

    password = resolve_password(d.smtp)
    if d.smtp.username and not password:
        add(
            "delivery",
            FAIL,
            f"no password for {d.smtp.username}",
            f"Set the environment variable {d.smtp.password_env} for the scheduled run "
            f"(or store it in the OS keyring, service 'xlsdun', user "
            f"'{d.smtp.username}@{d.smtp.host}').",
        )
        return
    if not smtp_login:
        add(
            "delivery",
            WARN,
            f"{d.backend} via {d.smtp.host}:{d.smtp.port}: login not tried (--no-login)",
        )
        return
    from .wiring import make_backend

    try:
        backend = make_backend(cfg, date.today())
        backend.open()
        backend.close()
    except Exception as exc:  # noqa: BLE001 - any failure is what the user must see
        add(
            "delivery",
            FAIL,
            logs.redact(f"{d.smtp.host}:{d.smtp.port}: {exc}"),
            "Check host, port, security and the username/password; for Gmail use an app password.",
        )
        return
    add(
        "delivery",
        OK,
        f"logged in to {d.smtp.host}:{d.smtp.port} as "
        f"{d.smtp.username or '(no login)'}; nothing was sent",
    )


def _inbox(cfg: Config, add: _Add, login: bool) -> None:
    """[inbox]: log in and out again; no folder is selected, no message read or marked."""
    ib = cfg.inbox
    if ib is None:
        return
    where = f"{ib.host}:{ib.port} as {ib.username}"
    if not login:
        add("inbox", WARN, f"inbox {where}: login not tried (--no-login)")
        return
    from .inbox.fetch import InboxError, Mailbox, find_password

    try:
        with Mailbox(ib, find_password(ib)):
            pass
    except InboxError as exc:
        add(
            "inbox",
            FAIL,
            logs.redact(f"inbox {where}: {exc}"),
            f"Check [inbox] host, port, security and username, and the password in "
            f"{ib.password_env} (for Gmail an app password, or oauth2_file). Until then runs "
            f"go on without reading replies and bounces.",
        )
        return
    add("inbox", OK, f"logged in to the inbox {where}; nothing was read")


def _owner(cfg: Config, add: _Add) -> None:
    if cfg.owner_digest == "off":
        add(
            "owner digest",
            WARN,
            'the daily digest is off ([owner] digest = "off")',
            'Set digest = "per_client" to hear what happened and whom to call.',
        )
    elif not cfg.owner_email:
        add(
            "owner digest",
            WARN,
            "no [owner] email: nobody gets the daily digest",
            "Set [owner] email so failures and the call list reach you.",
        )
    else:
        add("owner digest", OK, f"{cfg.owner_digest.replace('_', ' ')} digest to {cfg.owner_email}")


def _zone(cfg: Config, add: _Add, now: datetime | None) -> None:
    now = now or datetime.now(UTC)
    there = now.astimezone(cfg.zone)
    local = now.astimezone()
    msg = (
        f"{cfg.locale.timezone}: {there:%Y-%m-%d %H:%M}; this machine: "
        f"{local:%Y-%m-%d %H:%M} (UTC{local:%z})"
    )
    if there.utcoffset() != local.utcoffset():
        add(
            "time zone",
            WARN,
            msg,
            "cron, launchd and Task Scheduler follow the machine's clock: 'xlsdun "
            "install-schedule' converts the time for them (run it again after a daylight "
            "saving change), while a systemd timer and 'xlsdun schedule' follow the config's "
            "time zone.",
        )
    else:
        add("time zone", OK, msg)


def _last_heartbeat(cfg: Config) -> datetime | None:
    path = logs.log_file(cfg.state_dir)
    if not path.exists():
        return None
    with path.open("rb") as fh:
        fh.seek(max(0, path.stat().st_size - 65536))
        tail = fh.read().decode("utf-8", "replace").splitlines()
    for line in reversed(tail):
        if "heartbeat" in line or "scheduler started" in line:
            try:  # local time with its offset: "2026-11-27T09:00:03+02:00" (or "+0200")
                return datetime.fromisoformat(line.split(" ", 1)[0])
            except ValueError:
                return None
        if "scheduler stopped" in line:
            return None
    return None


@dataclass(frozen=True, slots=True)
class _Trigger:
    """An OS trigger found for this config: where, whether it is switched on (None: the
    file is written but the OS could not be asked), and the command that switches it on."""

    where: str
    enabled: bool | None
    enable: str = ""


_ON = ("enabled", "enabled-runtime")


def _ask(command: list[str]) -> subprocess.CompletedProcess[str] | None:
    """Ask an OS tool; None when it is missing or cannot answer (no user session)."""
    if not shutil.which(command[0]):
        return None
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None


def _systemd_enabled(unit: Path, user: bool) -> _Trigger:
    scope = ["--user"] if user else []
    answer = _ask(["systemctl", *scope, "is-enabled", unit.with_suffix(".timer").name])
    state = answer.stdout.strip() if answer is not None else ""
    enabled = True if state in _ON else (False if state else None)
    return _Trigger(str(unit), enabled, install.enable_command("systemd", unit, user=user))


def _launchd_loaded(plist: Path) -> _Trigger:
    answer = _ask(["launchctl", "print", f"gui/{os.getuid()}/{plist.stem}"])
    enabled = None if answer is None else answer.returncode == 0
    return _Trigger(str(plist), enabled, install.enable_command("launchd", plist))


def _runs_this(text: str, cfg: Config) -> bool:
    """Whether a trigger file (or the crontab) runs this config: as its xlsdun mark says, or,
    for one written before marks named their configs, by the config's path in its text (which
    quoting changes: a `%`, `$` or quote in the path hides it)."""
    said = install.runs_config(text, cfg.source)
    if said is not None:
        return said
    source = cfg.source.absolute()
    return "xlsdun" in text and (str(source) in text or str(source.parent) in text)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _unit_files(cfg: Config) -> list[_Trigger]:
    """systemd units and launchd agents, whatever their name (--name may not say xlsdun)."""
    places = [
        (Path.home() / ".config" / "systemd" / "user", "*.service", True),
        (Path("/etc/systemd/system"), "*.service", False),
        (Path.home() / "Library" / "LaunchAgents", "*.plist", True),
    ]
    found = []
    for place, pattern, user in places:
        for f in sorted(place.glob(pattern)) if place.is_dir() else []:
            if _runs_this(_read(f), cfg):
                found.append(
                    _systemd_enabled(f, user) if f.suffix == ".service" else _launchd_loaded(f)
                )
    return found


def _cron(cfg: Config) -> list[_Trigger]:
    """In the crontab; or a line install-schedule wrote beside the config, not installed."""
    answer = _ask(["crontab", "-l"])
    if answer is not None and _runs_this(answer.stdout, cfg):
        return [_Trigger("crontab", True)]
    lines = sorted(cfg.source.parent.absolute().glob("*.cron"))
    return [
        _Trigger(str(f), None if answer is None else False, install.enable_command("cron", f))
        for f in lines
        if _runs_this(_read(f), cfg)
    ]


def _os_triggers(cfg: Config) -> list[_Trigger]:
    """Every OS trigger found for this config, switched on or not."""
    found = _unit_files(cfg) + _cron(cfg)
    if os.name == "nt":  # pragma: no cover - Windows only
        q = _ask(["schtasks", "/Query", "/FO", "LIST", "/V"])
        if q is not None and re.search(re.escape(str(cfg.source.absolute())), q.stdout, re.I):
            found.append(_Trigger("Task Scheduler", True))
    return found


def _trigger_check(triggers: list[_Trigger]) -> tuple[str, str, str]:
    """(status, message, fix) for the triggers found."""
    on = [t.where for t in triggers if t.enabled]
    if on:
        return OK, "started by " + ", ".join(on), ""
    if not triggers:
        return (
            WARN,
            "no daily trigger found for this config",
            "Run 'xlsdun install-schedule' (systemd, cron, Task Scheduler or launchd), or "
            "keep 'xlsdun schedule' running; see the README, 'Running it every day'.",
        )
    said = [
        f"{t.where}: written, "
        + ("but not enabled" if t.enabled is False else "but xlsdun could not check it is enabled")
        for t in triggers
    ]
    return WARN, "; ".join(said), "Switch it on: " + "; ".join(t.enable for t in triggers)


def _scheduler(cfg: Config, add: _Add, now: datetime | None) -> None:
    now = now or datetime.now(UTC)
    beat = _last_heartbeat(cfg)
    alive = beat is not None and now - beat < timedelta(minutes=2 * cfg.heartbeat_minutes + 5)
    status, message, fix = _trigger_check(_os_triggers(cfg))
    if status != OK and alive:
        status, message, fix = OK, f"'xlsdun schedule' is running (heartbeat {beat:%H:%M})", ""
    add("scheduler", status, message, fix)
    _last_run(cfg, add, now)


def _last_run(cfg: Config, add: _Add, now: datetime) -> None:
    from .ledger import Ledger
    from .wiring import ledger_path

    last, latest = None, None
    if ledger_path(cfg).exists():
        with Ledger(ledger_path(cfg)) as ledger:
            last, latest = ledger.last_finished_run(), ledger.latest_run_day()
    if last is None:
        add(
            "last run",
            WARN,
            "xlsdun has not run on this workbook yet",
            "Run 'xlsdun run' once by hand to see it work.",
        )
        return
    today = now.astimezone(cfg.zone).date()
    finished = datetime.fromisoformat(last["finished_at"])
    age = now - finished
    text = (
        f"{last['today']} (exit {last['exit_code']}), finished "
        f"{finished.astimezone(cfg.zone):%Y-%m-%d %H:%M}"
    )
    if latest is not None and latest > today:
        add(
            "last run",
            WARN,
            f"{text}; a run is recorded as of {latest.isoformat()}, after today "
            f"({today.isoformat()})",
            "Check this computer's date and time. If someone ran 'xlsdun run --today' with a "
            "future date, every run before that date is refused until then (--force "
            "overrides it), and the reminders recorded on it hold the next ones back.",
        )
    elif age > timedelta(days=4):
        add(
            "last run",
            WARN,
            text + f": {age.days} days ago",
            "Is the scheduler running? Check the log in the state folder.",
        )
    elif last["exit_code"]:
        add("last run", WARN, text, "Look at the last digest or report for what went wrong.")
    else:
        add("last run", OK, text)
