"""xlsdun doctor: each check, and what it tells the user to fix."""

from __future__ import annotations

import json
import re
import shlex
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from support.sample_setup import copy_sample, set_cells
from xlsdun import config as config_mod
from xlsdun import logs
from xlsdun.cli import main
from xlsdun.runlock import run_lock


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no real crontab/units are looked at
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    yield
    logs.detach_all()


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return copy_sample(tmp_path / "shop")


def doctor(config: Path, *extra: str) -> tuple[int, dict[str, dict]]:
    result = CliRunner().invoke(main, ["doctor", "--config", str(config), "--json", *extra])
    data = json.loads(result.stdout)
    return result.exit_code, {c["name"]: c for c in data["checks"]}


def test_the_workbook_check_counts_a_skipped_row_once(demo: Path) -> None:
    """A row with two problems (its due date and its amount) is one row skipped, as the
    plan's summary counts it; doctor counted its problems."""
    from xlsdun.wiring import load_receivables

    set_cells(demo.parent, {"Blue Cedar Catering": {"Due date": "x", "Balance": "y"}})
    findings = load_receivables(config_mod.load(demo)).findings
    rows = {f.row for f in findings}
    assert len(findings) == 2 * len(rows)
    _, checks = doctor(demo, "--no-login")
    assert checks["workbook"]["message"].endswith(f" invoice row(s), {len(rows)} skipped")


def test_a_healthy_setup(demo: Path) -> None:
    code, checks = doctor(demo)
    assert code == 0
    for name in (
        "config",
        "workbook",
        "lock files",
        "state folder",
        "run lock",
        "templates",
        "delivery",
        "owner digest",
        "time zone",
        "scheduler",
        "last run",
    ):
        assert name in checks, name
    assert all(c["status"] != "fail" for c in checks.values())
    assert checks["scheduler"]["status"] == "warn"
    assert "install-schedule" in checks["scheduler"]["fix"]


def test_finds_an_installed_timer_and_the_last_run(demo: Path) -> None:
    runner = CliRunner()
    assert (
        runner.invoke(main, ["install-schedule", "--systemd", "--config", str(demo)]).exit_code == 0
    )
    assert runner.invoke(main, ["run", "--config", str(demo), "--quiet"]).exit_code == 0
    _, checks = doctor(demo)
    # Written, never enabled: not a working scheduler (where systemctl cannot be asked,
    # "xlsdun could not check it is enabled").
    assert checks["scheduler"]["status"] == "warn"
    assert re.search(
        r"xlsdun-shop\.service: written, but (not enabled|xlsdun could not check it is enabled)",
        checks["scheduler"]["message"],
    )
    assert "systemctl --user enable --now xlsdun-shop.timer" in checks["scheduler"]["fix"]
    assert checks["last run"]["status"] == "ok"


def test_locked_workbook_and_held_run_lock_are_reported(demo: Path) -> None:
    (demo.parent / "~$receivables.xlsx").write_bytes(b"x")
    with run_lock(demo.parent / ".xlsdun"):
        code, checks = doctor(demo)
    assert code == 0  # warnings: the run still sends; the write-back waits
    assert checks["lock files"]["status"] == "warn"
    assert "~$receivables.xlsx" in checks["lock files"]["message"]
    assert checks["run lock"]["status"] == "warn"


def test_broken_config_and_missing_workbook_fail_with_a_fix(demo: Path) -> None:
    text = demo.read_text(encoding="utf-8")
    demo.write_text(text.replace('language = "he"', 'language = "fr"'), encoding="utf-8")
    code, checks = doctor(demo)
    assert code == 2 and checks["config"]["status"] == "fail"
    assert "locale.language" in checks["config"]["message"] and checks["config"]["fix"]

    demo.write_text(
        text.replace('path = "receivables.xlsx"', 'path = "gone.xlsx"'), encoding="utf-8"
    )
    code, checks = doctor(demo)
    assert code == 2 and checks["workbook"]["status"] == "fail"
    assert "gone.xlsx" in checks["workbook"]["message"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_login_is_tried_without_sending(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    received: list[object] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            received.append(envelope)
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"right-pass"
        return AuthResult(success=ok, handled=False)

    port = _free_port()
    controller = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=port,
        auth_required=True,
        auth_require_tls=False,
        authenticator=authenticator,
    )
    controller.start()
    try:
        text = demo.read_text(encoding="utf-8").replace('backend = "outbox"', 'backend = "smtp"')
        demo.write_text(
            text.replace(
                'outbox_dir = "outbox"\n',
                f'outbox_dir = "outbox"\n[delivery.smtp]\nhost = "127.0.0.1"\nport = {port}\n'
                f'security = "none"\nusername = "rina"\n',
            ),
            encoding="utf-8",
        )
        monkeypatch.setenv("XLSDUN_SMTP_PASSWORD", "right-pass")
        code, checks = doctor(demo)
        assert checks["delivery"]["status"] == "ok", checks["delivery"]
        assert "nothing was sent" in checks["delivery"]["message"]

        monkeypatch.setenv("XLSDUN_SMTP_PASSWORD", "wrong-pass")
        code, checks = doctor(demo)
        assert code == 2 and checks["delivery"]["status"] == "fail"
        assert "wrong-pass" not in json.dumps(checks)

        monkeypatch.delenv("XLSDUN_SMTP_PASSWORD")
        code, checks = doctor(demo)
        assert checks["delivery"]["status"] == "fail"
        assert "XLSDUN_SMTP_PASSWORD" in checks["delivery"]["fix"]
    finally:
        controller.stop()
    assert received == []


def fake_tool(folder: Path, name: str, argv: str, output: str, code: int = 0) -> None:
    """A stand-in for an OS tool (systemctl, crontab) that answers `argv` as a real session
    would, and anything else with nothing but an error; no user service manager runs where
    the tests do."""
    folder.mkdir(exist_ok=True)
    tool = folder / name
    tool.write_text(
        f'#!/bin/sh\n[ "$*" = {shlex.quote(argv)} ] || {{ echo "unexpected: $*" >&2; exit 99; }}\n'
        f"cat <<'EOF'\n{output}\nEOF\nexit {code}\n",
        encoding="utf-8",
    )
    tool.chmod(0o755)


@pytest.mark.parametrize(
    ("answer", "code", "status", "said"),
    [
        ("enabled", 0, "ok", "started by"),
        ("disabled", 1, "warn", "written, but not enabled"),
        ("linked", 1, "warn", "written, but not enabled"),
    ],
)
def test_a_timer_counts_only_once_it_is_enabled(
    demo: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
    code: int,
    status: str,
    said: str,
) -> None:
    CliRunner().invoke(main, ["install-schedule", "--systemd", "--config", str(demo)])
    fake_tool(tmp_path / "bin", "systemctl", "--user is-enabled xlsdun-shop.timer", answer, code)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    _, checks = doctor(demo, "--no-login")
    assert checks["scheduler"]["status"] == status
    assert said in checks["scheduler"]["message"]


def test_a_cron_line_written_but_not_in_the_crontab_is_a_warning(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    CliRunner().invoke(main, ["install-schedule", "--cron", "--config", str(demo)])
    line = (demo.parent / "xlsdun-shop.cron").read_text(encoding="utf-8")
    fake_tool(tmp_path / "bin", "crontab", "-l", "# nothing here")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    _, checks = doctor(demo, "--no-login")
    assert checks["scheduler"]["status"] == "warn"
    assert "xlsdun-shop.cron: written, but not enabled" in checks["scheduler"]["message"]
    assert "| crontab -" in checks["scheduler"]["fix"]

    fake_tool(tmp_path / "bin", "crontab", "-l", line)  # once it is in the crontab
    _, checks = doctor(demo, "--no-login")
    assert checks["scheduler"]["status"] == "ok"
    assert checks["scheduler"]["message"] == "started by crontab"


def test_a_last_run_dated_after_today_is_a_warning(demo: Path) -> None:
    from datetime import UTC, datetime

    from xlsdun.doctor import check_config

    result = CliRunner().invoke(
        main, ["run", "--config", str(demo), "--today", "2026-12-29", "--force", "--quiet"]
    )
    assert result.exit_code == 0, result.output
    now = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    checks = {c.name: c for c in check_config(str(demo), smtp_login=False, now=now)}
    last = checks["last run"]
    assert last.status == "warn"
    assert "as of 2026-12-29, after today (2026-11-27)" in last.message
    assert "date" in last.fix


@pytest.mark.parametrize("kind", ["systemd", "cron"])
def test_a_trigger_is_found_whatever_its_folder_and_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """Each format quotes a `%`, `$`, quote or `&` in a path its own way, and --name need not
    say xlsdun: the mark in the file says which configs it runs."""
    toml = copy_sample(tmp_path / "Shop 100% $HOME 'A' \"B\" & Co")
    unit = Path.home() / ".config" / "systemd" / "user"
    out = ["--out", str(unit)] if kind == "systemd" else []
    args = ["install-schedule", f"--{kind}", "--config", str(toml), "--name", "shop-reminders"]
    assert CliRunner().invoke(main, [*args, *out]).exit_code == 0
    if kind == "systemd":
        fake_tool(
            tmp_path / "bin", "systemctl", "--user is-enabled shop-reminders.timer", "enabled"
        )
        where = str(unit / "shop-reminders.service")
    else:
        line = (toml.parent / "shop-reminders.cron").read_text(encoding="utf-8")
        fake_tool(tmp_path / "bin", "crontab", "-l", f"# another job\n{line}")
        where = "crontab"
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    _, checks = doctor(toml, "--no-login")
    assert (checks["scheduler"]["status"], checks["scheduler"]["message"]) == (
        "ok",
        f"started by {where}",
    )
    other = copy_sample(tmp_path / "another shop")  # a trigger of another config is not its
    _, checks = doctor(other, "--no-login")
    assert checks["scheduler"]["message"] == "no daily trigger found for this config"


def test_a_unit_of_an_older_xlsdun_is_found_by_the_config_path_in_it(demo: Path) -> None:
    units = Path.home() / ".config" / "systemd" / "user"
    units.mkdir(parents=True)
    old = units / "xlsdun-shop.service"  # 0.1 wrote no mark
    old.write_text(f"[Service]\nExecStart=/opt/xlsdun run --config {demo}\n", encoding="utf-8")
    (units / "backup.service").write_text("[Service]\nExecStart=/usr/bin/true\n", "utf-8")
    _, checks = doctor(demo, "--no-login")
    assert checks["scheduler"]["message"].startswith(f"{old}: written, but ")
    assert checks["scheduler"]["message"].count("written") == 1
