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

from . import config as config_mod
from . import logs, private
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
    add("config", OK, f"{cfg.source} reads fine")
    _workbook(cfg, add)
    _state(cfg, add)
    _templates(cfg, add)
    _delivery(cfg, add, smtp_login)
    _owner(cfg, add)
    _zone(cfg, add, now)
    _scheduler(cfg, add, now)
    return out


def _workbook(cfg: Config, add) -> None:  # type: ignore[no-untyped-def]
    from .engine import load_receivables
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
            f"{book}: {exc}",
            "Fix the sheet or the [columns] mapping; "
            "'xlsdun check' shows which headers were found.",
        )
        return
    sheet = receivables.sheet
    add(
        "workbook",
        OK,
        f"{book.name}: sheet '{sheet.sheet if sheet else '?'}', "
        f"{len(receivables.invoices)} invoice row(s), {len(receivables.findings)} skipped",
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


def _state(cfg: Config, add) -> None:  # type: ignore[no-untyped-def]
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
    lock = state / "run.lock"
    if lock.exists():
        from .engine import RunError, run_lock

        try:
            with run_lock(state):
                pass
        except RunError as exc:
            add(
                "run lock",
                WARN,
                str(exc),
                "Wait for that run to end; if no xlsdun is "
                "running, the lock is released by itself.",
            )
            return
    add("run lock", OK, "no run in progress")


def _templates(cfg: Config, add) -> None:  # type: ignore[no-untyped-def]
    from .engine import make_renderer

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


def _delivery(cfg: Config, add, smtp_login: bool) -> None:  # type: ignore[no-untyped-def]
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
    logs.add_secret(password)
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
    from .engine import make_backend

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


def _owner(cfg: Config, add) -> None:  # type: ignore[no-untyped-def]
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


def _zone(cfg: Config, add, now: datetime | None) -> None:  # type: ignore[no-untyped-def]
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
            "cron, launchd and Task Scheduler use the machine's clock: "
            "set their time in machine time, or use 'xlsdun schedule' / a systemd timer, "
            "which follow the config's time zone.",
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


def _os_triggers(cfg: Config) -> list[str]:
    """Where an OS trigger that runs this config was found."""
    needle = str(cfg.source.absolute())
    folder = str(cfg.source.parent.absolute())
    found = []
    places = [
        Path.home() / ".config" / "systemd" / "user",
        Path("/etc/systemd/system"),
        Path.home() / "Library" / "LaunchAgents",
    ]
    for place in places:
        if place.is_dir():
            for f in list(place.glob("*xlsdun*.service")) + list(place.glob("*xlsdun*.plist")):
                text = f.read_text(encoding="utf-8", errors="replace")
                if needle in text or folder in text:
                    found.append(str(f))
    if shutil.which("crontab"):
        try:
            tab = subprocess.run(["crontab", "-l"], capture_output=True, text=True, timeout=10)
            if "xlsdun" in tab.stdout and (needle in tab.stdout or folder in tab.stdout):
                found.append("crontab")
        except (OSError, subprocess.SubprocessError):
            pass
    if os.name == "nt":  # pragma: no cover - Windows only
        try:
            q = subprocess.run(
                ["schtasks", "/Query", "/FO", "LIST", "/V"],
                capture_output=True,
                text=True,
                timeout=30,
            )
            if re.search(re.escape(needle), q.stdout, re.IGNORECASE):
                found.append("Task Scheduler")
        except (OSError, subprocess.SubprocessError):
            pass
    return found


def _scheduler(cfg: Config, add, now: datetime | None) -> None:  # type: ignore[no-untyped-def]
    from .engine import ledger_path
    from .ledger import Ledger

    now = now or datetime.now(UTC)
    triggers = _os_triggers(cfg)
    beat = _last_heartbeat(cfg)
    alive = beat is not None and now - beat < timedelta(minutes=2 * cfg.heartbeat_minutes + 5)
    if triggers:
        add("scheduler", OK, "started by " + ", ".join(triggers))
    elif alive:
        add("scheduler", OK, f"'xlsdun schedule' is running (heartbeat {beat:%H:%M})")
    else:
        add(
            "scheduler",
            WARN,
            "no daily trigger found for this config",
            "Run 'xlsdun install-schedule' (systemd, cron, Task Scheduler or launchd), or keep "
            "'xlsdun schedule' running; see the README, 'Running it every day'.",
        )
    last = None
    if ledger_path(cfg).exists():
        with Ledger(ledger_path(cfg)) as ledger:
            last = ledger.last_finished_run()
    if last is None:
        add(
            "last run",
            WARN,
            "xlsdun has not run on this workbook yet",
            "Run 'xlsdun run' once by hand to see it work.",
        )
        return
    finished = datetime.fromisoformat(last["finished_at"])
    age = now - finished
    text = (
        f"{last['today']} (exit {last['exit_code']}), finished "
        f"{finished.astimezone(cfg.zone):%Y-%m-%d %H:%M}"
    )
    if age > timedelta(days=4):
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
