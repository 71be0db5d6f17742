"""The daily run against a real SMTP server on 127.0.0.1, one server behaviour per test.

Each test asserts what the server received, the ledger's states and the workbook's
`Reminder status` cells, as read back from the file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from support.sample_setup import EXPECTED_SENDS, SAMPLE
from support.smtp_server import (
    PASSWORD,
    SERVER_WARNINGS,
    USER,
    Script,
    SmtpServer,
    ledger_rows,
    ledger_states,
    sheet_statuses,
    smtp_sample,
)
from xlsdun import config as config_mod
from xlsdun.cli import main
from xlsdun.deliver.base import Timing
from xlsdun.engine import RunOptions, run_once
from xlsdun.models import RunReport

pytestmark = [pytest.mark.filterwarnings(w) for w in SERVER_WARNINGS]

TODAY = date(2026, 11, 26)
SENDER = "accounts@example.co.il"
Start = Callable[..., SmtpServer]


class FakeTiming(Timing):
    """A clock that only moves when slept on, and remembers every sleep."""

    def __init__(self) -> None:
        self.clock = 0.0
        self.sleeps: list[float] = []
        super().__init__(sleep=self._sleep, now=lambda: self.clock)

    def _sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.clock += seconds


def run(toml: Path, timing: Timing | None = None) -> RunReport:
    return run_once(config_mod.load(toml), TODAY, RunOptions(timing=timing or FakeTiming()))


def order(report: RunReport) -> list[tuple[str, str]]:
    """(customer, email) of today's sends, in the order they go out."""
    return [(a.customer, a.email or "") for a in report.plan.sends]


def reminders_to(server: SmtpServer) -> dict[str, int]:
    """Address -> how many messages the server took for it."""
    counts: dict[str, int] = {}
    for r in server.received:
        for rcpt in r.rcpt_tos:
            counts[rcpt] = counts.get(rcpt, 0) + 1
    return counts


def open_statuses(folder: Path) -> dict[str, str]:
    """Customer -> the status of their unpaid invoice rows (paid rows say 'Paid'; an invoice
    not yet due that a reminder only listed says 'Mentioned in the … (not yet due)')."""
    found = {}
    for customer, texts in sheet_statuses(folder).items():
        rest = {t for t in texts - {"Paid"} if not t.startswith("Mentioned in the ")}
        assert len(rest) <= 1, (customer, texts)
        found[customer] = rest.pop() if rest else "Paid"
    return found


def assert_all_sent_once(server: SmtpServer, folder: Path, report: RunReport) -> None:
    emails = {c: r["email"] for c, r in ledger_rows(folder).items()}
    assert reminders_to(server) == {emails[c]: 1 for c in EXPECTED_SENDS}
    assert report.exit_code == 0, report.notes
    assert ledger_states(folder) == {c: "sent" for c in EXPECTED_SENDS}
    statuses = open_statuses(folder)
    for customer, tier in EXPECTED_SENDS.items():
        assert statuses[customer].startswith(f"Sent: {tier}"), (customer, statuses[customer])


# -- connection security and login -----------------------------------------------------------


@pytest.mark.parametrize(
    ("security", "login"), [("none", False), ("starttls", True), ("ssl", True)]
)
def test_sends_each_reminder_once_over_one_connection(
    smtp_server: Start, smtp_env: Callable, tmp_path: Path, security: str, login: bool
) -> None:
    server = smtp_server(security=security, login=(USER, PASSWORD) if login else None)
    smtp_env(server)
    folder = tmp_path / "demo"
    report = run(smtp_sample(folder, server))

    assert report.exit_code == 0, report.notes
    assert_all_sent_once(server, folder, report)
    assert server.handler.connections == 1
    assert {r.login for r in server.received} == {USER if login else None}
    rows = ledger_rows(folder)
    by_id = {r.message_id: r for r in server.received}
    for customer, email in order(report):
        row = rows[customer]
        received = by_id[row["message_id"]]
        assert received.mail_from == SENDER and received.rcpt_tos == [email]
        assert json.loads(row["envelope"]) == {"from": SENDER, "to": [email]}
        assert row["detail"].startswith("250 2.0.0 Ok: queued as Q")
        assert received.message["To"].addresses[0].addr_spec == email
        assert row["subject"] == str(received.message["Subject"])  # a follow-up repeats it

    again = run(folder / "xlsdun.toml")
    assert again.exit_code == 0
    assert len(server.received) == len(EXPECTED_SENDS)
    assert server.handler.connections == 1  # nothing to send: no connection at all


def test_wrong_password_stops_at_once_and_leaves_everything_for_the_next_run(
    smtp_server: Start, smtp_env: Callable, tmp_path: Path
) -> None:
    server = smtp_server(security="starttls", login=(USER, PASSWORD))
    smtp_env(server, "not-the-password")
    folder = tmp_path / "demo"
    toml = smtp_sample(folder, server)
    report = run(toml)

    assert report.exit_code == 2
    assert server.received == [] and server.handler.mails == 0
    assert server.handler.connections == 1  # one login attempt, not one per debtor
    assert ledger_states(folder) == {c: "deferred" for c in EXPECTED_SENDS}
    assert any("refused the login" in n and "535" in n for n in report.notes)
    # exit 2: nothing written either; the sheet is exactly as it was
    assert (folder / "receivables.xlsx").read_bytes() == (SAMPLE / "receivables.xlsx").read_bytes()

    smtp_env(server, PASSWORD)
    assert_all_sent_once(server, folder, run(toml))


# -- replies that mean "later" ----------------------------------------------------------------


def test_421_then_accepts_reconnects_after_a_backoff(
    smtp_server: Start, smtp_env: Callable, tmp_path: Path
) -> None:
    server = smtp_server(script=Script(mail_replies={1: "421 4.7.0 Try again later, closing"}))
    smtp_env(server)
    folder = tmp_path / "demo"
    timing = FakeTiming()
    report = run(smtp_sample(folder, server), timing)

    assert report.exit_code == 0
    assert_all_sent_once(server, folder, report)
    assert timing.sleeps == [0.01]
    assert server.handler.connections == 2


def test_451_on_the_third_message_is_retried(
    smtp_server: Start, smtp_env: Callable, tmp_path: Path
) -> None:
    server = smtp_server(script=Script(data_replies={3: "451 4.3.0 Mail server busy"}))
    smtp_env(server)
    folder = tmp_path / "demo"
    timing = FakeTiming()
    report = run(smtp_sample(folder, server), timing)

    assert report.exit_code == 0
    assert_all_sent_once(server, folder, report)
    assert timing.sleeps == [0.01]
    assert server.handler.datas == len(EXPECTED_SENDS) + 1
    assert server.handler.connections == 1


def test_451_past_the_retry_budget_defers_that_debtor_to_the_next_run(
    smtp_server: Start, smtp_env: Callable, tmp_path: Path
) -> None:
    busy = "451 4.3.0 Mail server busy"
    server = smtp_server(script=Script(data_replies={3: busy, 4: busy, 5: busy}))
    smtp_env(server)
    folder = tmp_path / "demo"
    timing = FakeTiming()
    toml = smtp_sample(folder, server, delivery="retry_budget_seconds = 0.05")
    report = run(toml, timing)
    third, third_email = order(report)[2]

    assert report.exit_code == 0
    assert timing.sleeps == [0.01, 0.02]  # the next wait (0.04) would pass the budget
    assert third_email not in reminders_to(server)
    assert len(server.received) == len(EXPECTED_SENDS) - 1
    assert ledger_states(folder) == {
        c: "deferred" if c == third else "sent" for c in EXPECTED_SENDS
    }
    assert open_statuses(folder)[third] == (
        "Deferred: waits for the next run: temporary failure (451 4.3.0 Mail server busy)"
    )

    report = run(toml)
    assert_all_sent_once(server, folder, report)


# -- replies that mean "never" or "not today" ---------------------------------------------------


def test_550_5_1_1_fails_that_debtor_only(
    smtp_server: Start, smtp_env: Callable, tmp_path: Path
) -> None:
    folder = tmp_path / "demo"
    bounce = "550 5.1.1 <bc@example.com>: Recipient address rejected: User unknown"
    server = smtp_server(script=Script())
    smtp_env(server)
    toml = smtp_sample(folder, server)
    email = dict(order(run_plan_only(toml)))["Blue Cedar Catering"]
    server.handler.script.rcpt_replies[email] = bounce
    report = run(toml)

    assert report.exit_code == 1
    assert email not in reminders_to(server)
    assert len(server.received) == len(EXPECTED_SENDS) - 1
    states = ledger_states(folder)
    assert states == {c: "failed" if c == "Blue Cedar Catering" else "sent" for c in EXPECTED_SENDS}
    assert ledger_rows(folder)["Blue Cedar Catering"]["detail"] == f"address rejected: {bounce}"
    assert open_statuses(folder)["Blue Cedar Catering"] == f"Failed: address rejected: {bounce}"
    failed = [d for d in report.deliveries if d.outcome == "failed"]
    assert [d.action.customer for d in failed] == ["Blue Cedar Catering"]

    again = run(toml)  # a refused address is not offered again the same day
    assert len(server.received) == len(EXPECTED_SENDS) - 1
    assert server.handler.connections == 1
    assert again.exit_code == 1


def test_quota_reply_stops_sending_and_defers_the_rest(
    smtp_server: Start, smtp_env: Callable, tmp_path: Path
) -> None:
    server = smtp_server(script=Script(quota_after=5))
    smtp_env(server)
    folder = tmp_path / "demo"
    toml = smtp_sample(folder, server)
    report = run(toml)
    first_five = {c for c, _ in order(report)[:5]}

    assert report.exit_code == 0  # a quota is not a failure: tomorrow sends the rest
    assert len(server.received) == 5
    assert server.handler.datas == 6  # nothing offered after the quota reply
    assert ledger_states(folder) == {
        c: "sent" if c in first_five else "deferred" for c in EXPECTED_SENDS
    }
    statuses = open_statuses(folder)
    for customer in set(EXPECTED_SENDS) - first_five:
        assert statuses[customer].startswith(
            "Deferred: not sent, waits for the next run: the "
            "mail account hit a sending limit (550 5.4.5"
        )
    assert "failed" not in {d.outcome for d in report.deliveries}

    server.handler.script.quota_after = None
    assert_all_sent_once(server, folder, run(toml))


# -- connections that break ---------------------------------------------------------------------


def test_drop_after_data_is_ambiguous_never_resent_until_resolved(
    smtp_server: Start, smtp_env: Callable, tmp_path: Path
) -> None:
    server = smtp_server(script=Script(drop_after_data={4}))
    smtp_env(server)
    folder = tmp_path / "demo"
    toml = smtp_sample(folder, server)
    report = run(toml)
    fourth, fourth_email = order(report)[3]

    assert report.exit_code == 1
    assert reminders_to(server) == {e: 1 for _, e in order(report)}  # it did arrive
    assert server.handler.connections == 2  # reconnected once for the rest
    assert ledger_states(folder) == {
        c: "ambiguous" if c == fourth else "sent" for c in EXPECTED_SENDS
    }
    assert open_statuses(folder)[fourth].startswith("Check: the ")

    again = run(toml)
    assert len(server.received) == len(EXPECTED_SENDS)
    assert any(fourth in n and "xlsdun resolve" in n for n in again.notes)

    result = CliRunner().invoke(main, ["resolve", fourth_email, "--sent", "--config", str(toml)])
    assert result.exit_code == 0, result.output
    assert "recorded as sent" in result.output
    run(toml)
    assert len(server.received) == len(EXPECTED_SENDS)
    assert ledger_states(folder)[fourth] == "sent"
    assert open_statuses(folder)[fourth].startswith(f"Sent: {EXPECTED_SENDS[fourth]}")


def test_stall_past_the_timeout_is_ambiguous_and_not_resent(
    smtp_server: Start, smtp_env: Callable, tmp_path: Path
) -> None:
    server = smtp_server(script=Script(stall_on_data={2}, stall_seconds=2.0))
    smtp_env(server)
    folder = tmp_path / "demo"
    toml = smtp_sample(folder, server)
    toml.write_text(toml.read_text().replace("timeout = 2\n", "timeout = 0.5\n"))
    report = run(toml)
    second, second_email = order(report)[1]

    assert report.exit_code == 1
    assert second_email not in reminders_to(server)
    assert len(server.received) == len(EXPECTED_SENDS) - 1
    assert server.handler.connections == 2
    assert ledger_states(folder) == {
        c: "ambiguous" if c == second else "sent" for c in EXPECTED_SENDS
    }
    assert open_statuses(folder)[second].startswith("Check: the ")
    run(toml)
    assert len(server.received) == len(EXPECTED_SENDS) - 1


def test_resend_sends_an_ambiguous_reminder_once_more(
    smtp_server: Start, smtp_env: Callable, tmp_path: Path
) -> None:
    server = smtp_server()
    smtp_env(server)
    folder = tmp_path / "demo"
    toml = smtp_sample(folder, server)
    run(toml)
    later = date(2026, 12, 3)
    server.handler.script.drop_after_data = {len(server.received) + 1}
    report = run_once(config_mod.load(toml), later, RunOptions(timing=FakeTiming()))
    first, email = order(report)[0]
    assert ledger_rows(folder, later)[first]["state"] == "ambiguous"
    before = reminders_to(server)[email]

    result = CliRunner().invoke(main, ["resolve", first, "--resend", "--config", str(toml)])
    assert result.exit_code == 0, result.output
    assert "will be sent again by the next run" in result.output
    again = run_once(config_mod.load(toml), later, RunOptions(timing=FakeTiming()))
    assert reminders_to(server)[email] == before + 1
    assert ledger_rows(folder, later)[first]["state"] == "sent"
    assert again.exit_code == 0


def test_resend_of_a_first_contact_is_sent_the_same_day(
    smtp_server: Start, smtp_env: Callable, tmp_path: Path
) -> None:
    server = smtp_server(script=Script(drop_after_data={2}))
    smtp_env(server)
    folder = tmp_path / "demo"
    toml = smtp_sample(folder, server)
    report = run(toml)
    second, email = order(report)[1]
    assert ledger_states(folder)[second] == "ambiguous"

    result = CliRunner().invoke(main, ["resolve", second, "--resend", "--config", str(toml)])
    assert result.exit_code == 0, result.output
    assert ledger_states(folder)[second] == "deferred"
    run(toml)
    assert reminders_to(server)[email] == 2
    assert ledger_states(folder)[second] == "sent"


def test_drop_before_data_resends_on_a_new_connection_once(
    smtp_server: Start, smtp_env: Callable, tmp_path: Path
) -> None:
    server = smtp_server(script=Script(drop_on_mail={3}))
    smtp_env(server)
    folder = tmp_path / "demo"
    report = run(smtp_sample(folder, server))

    assert report.exit_code == 0
    assert_all_sent_once(server, folder, report)
    assert server.handler.connections == 2


def test_second_drop_stops_the_run_and_defers_the_rest(
    smtp_server: Start, smtp_env: Callable, tmp_path: Path
) -> None:
    server = smtp_server(script=Script(drop_on_mail={3, 5}))
    smtp_env(server)
    folder = tmp_path / "demo"
    toml = smtp_sample(folder, server)
    report = run(toml)
    first_three = {c for c, _ in order(report)[:3]}

    assert report.exit_code == 1
    assert len(server.received) == 3
    assert ledger_states(folder) == {
        c: "sent" if c in first_three else "deferred" for c in EXPECTED_SENDS
    }
    assert "failed" not in {d.outcome for d in report.deliveries}
    server.handler.script.drop_on_mail.clear()
    assert_all_sent_once(server, folder, run(toml))


def test_server_down_defers_everything(tmp_path: Path) -> None:
    server = SmtpServer(tmp_path)  # configured, never started: the port refuses
    folder = tmp_path / "demo"
    report = run(smtp_sample(folder, server))

    assert report.exit_code == 1
    assert ledger_states(folder) == {c: "deferred" for c in EXPECTED_SENDS}
    assert any("cannot connect to the mail server" in n for n in report.notes)


# -- limits ---------------------------------------------------------------------------------------


def test_per_minute_rate_waits_between_batches(
    smtp_server: Start, smtp_env: Callable, tmp_path: Path
) -> None:
    server = smtp_server()
    smtp_env(server)
    folder = tmp_path / "demo"
    timing = FakeTiming()
    report = run(smtp_sample(folder, server, delivery="per_minute = 5"), timing)

    assert_all_sent_once(server, folder, report)
    assert timing.sleeps == [60.0, 60.0]  # before the 6th and the 11th of 14


def test_max_per_run_and_max_per_day_hold_the_rest_for_later(
    smtp_server: Start, smtp_env: Callable, tmp_path: Path
) -> None:
    server = smtp_server()
    smtp_env(server)
    folder = tmp_path / "demo"
    toml = smtp_sample(folder, server, delivery="max_per_run = 4\nmax_per_day = 6")

    first = run(toml)
    assert len(server.received) == 4
    assert sum(s == "sent" for s in ledger_states(folder).values()) == 4
    held = [c for c, s in ledger_states(folder).items() if s == "deferred"]
    assert len(held) == len(EXPECTED_SENDS) - 4
    assert open_statuses(folder)[held[0]] == (
        "Deferred: sending limit per run reached (max_per_run = 4): waits for the next run"
    )
    assert first.exit_code == 0

    run(toml)
    assert len(server.received) == 6
    third = run(toml)
    assert len(server.received) == 6
    assert any("max_per_day = 6" in n for n in third.notes)
    assert list(ledger_states(folder).values()).count("sent") == 6
    assert len(set(reminders_to(server).values())) == 1  # nobody twice


def run_plan_only(toml: Path) -> RunReport:
    """Today's plan, without sending: who gets what, at which address."""
    from xlsdun.engine import make_plan

    _, plan = make_plan(config_mod.load(toml), TODAY)
    return RunReport(today=TODAY, run_id="plan", plan=plan)
