"""The SMTP and Gmail backends on their own edges: Cc refusals, reply classes, credentials,
secrets kept out of every output, and a private state dir."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import urllib.error
from collections.abc import Callable
from datetime import date
from email.message import EmailMessage, Message
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import pandas as pd
import pytest
import yagmail.oauth2

from support.sample_setup import EXPECTED_SENDS
from support.smtp_server import (
    PASSWORD,
    SERVER_WARNINGS,
    USER,
    Script,
    SmtpServer,
    ledger_rows,
    ledger_states,
    smtp_sample,
)
from xlsdun import config as config_mod
from xlsdun import logs
from xlsdun.config import ConfigError, SmtpConfig
from xlsdun.deliver.base import (
    AuthenticationFailed,
    Backoff,
    QuotaExceeded,
    RateLimit,
    RecipientRejected,
    ServerUnavailable,
    TemporaryFailure,
    Timing,
)
from xlsdun.deliver.smtp import (
    GmailBackend,
    SmtpBackend,
    _addresses,
    _mail_options,
    classify,
    resolve_password,
)
from xlsdun.engine import run_once
from xlsdun.models import FailureKind
from xlsdun.workbook import write_back

pytestmark = [pytest.mark.filterwarnings(w) for w in SERVER_WARNINGS]

TODAY = date(2026, 11, 26)
Start = Callable[..., SmtpServer]


def message(to: str, cc: str | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Rina <accounts@example.co.il>"
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = "Invoice INV-1"
    msg["Message-ID"] = "<test-1@example.co.il>"
    msg.set_content(".leading dot survives\nsecond line\n")
    return msg


def cfg(server: SmtpServer, **extra: object) -> SmtpConfig:
    return SmtpConfig(
        host=server.host, port=server.port, security=server.security, timeout=2.0, **extra
    )  # type: ignore[arg-type]


# -- recipients -------------------------------------------------------------------------------


def test_refused_cc_is_recorded_and_the_debtor_still_gets_it(smtp_server: Start) -> None:
    refusal = "550 5.1.1 <old@client.example>: no such user"
    server = smtp_server(script=Script(rcpt_replies={"old@client.example": refusal}))
    backend = SmtpBackend(cfg(server), None)
    result = backend.send(message("debtor@client.example", "old@client.example"))
    backend.close()

    assert result.outcome == "sent"
    assert result.detail == f"250 2.0.0 Ok: queued as Q1; refused: old@client.example ({refusal})"
    assert json.loads(result.envelope or "") == {
        "from": "accounts@example.co.il",
        "to": ["debtor@client.example"],
        "refused": {"old@client.example": refusal},
    }
    (got,) = server.received
    assert got.rcpt_tos == ["debtor@client.example"]
    assert got.message.get_content().replace("\r\n", "\n") == ".leading dot survives\nsecond line\n"


def test_refused_debtor_is_not_sent_to_the_cc_alone(smtp_server: Start) -> None:
    server = smtp_server(script=Script(rcpt_replies={"gone@client.example": "553 5.1.3 bad"}))
    backend = SmtpBackend(cfg(server), None)
    with pytest.raises(RecipientRejected, match="address rejected: 553 5.1.3 bad"):
        backend.send(message("gone@client.example", "boss@client.example"))
    result = backend.send(message("debtor@client.example"))  # the connection goes on
    backend.close()
    assert result.outcome == "sent"
    assert [r.rcpt_tos for r in server.received] == [["debtor@client.example"]]


def test_a_refused_debtor_keeps_the_envelope_as_offered(smtp_server: Start) -> None:
    server = smtp_server(script=Script(rcpt_replies={"gone@client.example": "553 5.1.3 bad"}))
    backend = SmtpBackend(cfg(server), None)
    with pytest.raises(RecipientRejected) as refused:
        backend.send(message("gone@client.example", "boss@client.example"))
    backend.close()
    assert refused.value.failure is FailureKind.REFUSED
    assert json.loads(refused.value.envelope or "") == {
        "from": "accounts@example.co.il",
        "to": ["gone@client.example", "boss@client.example"],
        "refused": {"gone@client.example": "553 5.1.3 bad"},
    }


class Extensions:
    """What `_mail_options` asks of a connection: ESMTP and its extensions."""

    def __init__(self, *names: str) -> None:
        self.does_esmtp, self.names = True, names

    def has_extn(self, name: str) -> bool:
        return name in self.names


def test_mail_options_and_addresses_come_from_the_message() -> None:
    msg = message("Debtor <debtor@client.example>", "boss@client.example, debtor@client.example")
    msg["Bcc"] = "archive@example.co.il"
    msg["Sender"] = "bounces@example.co.il"
    assert _addresses(msg) == (
        "bounces@example.co.il",
        ["debtor@client.example"],
        ["debtor@client.example", "boss@client.example", "archive@example.co.il"],
    )
    conn: Any = Extensions("size")
    assert _mail_options(conn, 1234, international=False) == ["size=1234"]
    utf8: Any = Extensions("smtputf8")
    assert _mail_options(utf8, 9, international=True) == ["SMTPUTF8", "BODY=8BITMIME"]
    with pytest.raises(RecipientRejected, match="non-ASCII characters"):
        _mail_options(conn, 9, international=True)


def test_cc_refusal_from_the_workbook_lands_in_the_ledger(
    smtp_server: Start, smtp_env: Callable, tmp_path: Path
) -> None:
    cc = "accounts.bluecedar@example.com"
    refusal = f"550 5.1.1 <{cc}>: Recipient address rejected"
    server = smtp_server(script=Script(rcpt_replies={cc: refusal}))
    smtp_env(server)
    folder = tmp_path / "demo"
    toml = smtp_sample(folder, server)
    sheet = pd.read_excel(
        folder / "receivables.xlsx", sheet_name="Receivables", header=3, engine="calamine"
    )
    rows = [i + 5 for i, c in enumerate(sheet["Customer"]) if c == "Blue Cedar Catering"]
    both = f"office.bluecedar@example.com; {cc}"  # the second address in the cell goes to Cc
    write_back(
        folder / "receivables.xlsx",
        sheet="Receivables",
        header_row=4,
        updates={r: {"Email": both} for r in rows},
    )

    report = run_once(config_mod.load(toml), TODAY)
    assert report.exit_code == 0
    row = ledger_rows(folder)["Blue Cedar Catering"]
    assert row["state"] == "sent"
    assert row["detail"].endswith(f"; refused: {cc} ({refusal})")
    assert json.loads(row["envelope"])["refused"] == {cc: refusal}
    assert len(server.received) == len(EXPECTED_SENDS)


# -- what a reply means -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "text", "stage", "kind"),
    [
        (421, "4.7.0 Try again later, closing connection", "rcpt", TemporaryFailure),
        (451, "4.3.0 Mail server temporarily rejected message", "data", TemporaryFailure),
        (
            450,
            "4.2.1 The user you are trying to contact is receiving mail too quickly",
            "rcpt",
            TemporaryFailure,
        ),
        (
            550,
            "5.1.1 The email account that you tried to reach does not exist",
            "rcpt",
            RecipientRejected,
        ),
        (553, "5.1.3 invalid address", "rcpt", RecipientRejected),
        (554, "5.7.1 Message rejected: spam", "data", RecipientRejected),
        (550, "5.4.5 Daily user sending limit exceeded", "data", QuotaExceeded),
        (550, "5.4.5 Daily user sending limit exceeded", "mail", QuotaExceeded),
        (452, "4.5.3 Your message has too many recipients", "rcpt", QuotaExceeded),
        (535, "5.7.8 Username and Password not accepted", "connect", AuthenticationFailed),
        (530, "5.7.0 Authentication Required", "mail", AuthenticationFailed),
        (553, "5.7.1 Sender address rejected: not owned by user", "mail", AuthenticationFailed),
        (554, "5.3.2 service unavailable", "connect", ServerUnavailable),
    ],
)
def test_classify(code: int, text: str, stage: str, kind: type) -> None:
    error = classify(code, text.encode(), stage=stage)
    assert type(error) is kind
    if code in (530, 535):  # a refused login: its codes only, servers echo credentials
        status = text.split()[0]
        assert f"({code} {status})" in str(error) and text not in str(error)
    else:
        assert f"{code} {text}" in str(error)


def test_backoff_doubles_within_the_budget() -> None:
    backoff = Backoff(budget=10.0, initial=1.0)
    assert [backoff.delay(i) for i in range(4)] == [1.0, 2.0, 4.0, None]
    # what is left of the budget (3 s) still serves later messages, then nothing does
    assert [backoff.delay(0) for _ in range(4)] == [1.0, 1.0, 1.0, None]


def test_rate_limit_counts_a_sliding_minute() -> None:
    clock, sleeps = [0.0], []

    def sleep(s: float) -> None:
        sleeps.append(s)
        clock[0] += s

    limit = RateLimit(2, Timing(sleep=sleep, now=lambda: clock[0]))
    for at in (0.0, 10.0, 20.0, 100.0):
        clock[0] = max(clock[0], at)
        limit.wait()
    assert sleeps == [40.0]


# -- credentials --------------------------------------------------------------------------------


class MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


def test_password_from_env_then_keyring_never_from_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    try:
        smtp = SmtpConfig(host="mail.example", username="rina", password_env="TEST_PW")
        monkeypatch.delenv("TEST_PW", raising=False)
        assert resolve_password(smtp) is None
        ring.set_password("xlsdun", "rina@mail.example", "from-keyring")
        assert resolve_password(smtp) == "from-keyring"
        monkeypatch.setenv("TEST_PW", "from-env")
        assert resolve_password(smtp) == "from-env"
    finally:
        keyring.set_keyring(previous)

    toml = tmp_path / "xlsdun.toml"
    base = '[workbook]\npath = "r.xlsx"\n[delivery]\nbackend = "smtp"\n[delivery.smtp]\n'
    toml.write_text(base + 'username = "rina"\npassword = "hunter2"\n')
    with pytest.raises(ConfigError, match="allow_plaintext_password") as err:
        config_mod.load(toml)
    assert "hunter2" not in str(err.value)
    toml.write_text(
        base + 'username = "rina"\npassword = "hunter2"\n'
        'allow_plaintext_password = true\npassword_env = "UNSET_PW"\n'
    )
    assert resolve_password(config_mod.load(toml).delivery.smtp) == "hunter2"
    toml.write_text(base + 'pasword = "typo"\n')
    with pytest.raises(ConfigError, match="unknown key 'delivery.smtp.pasword'"):
        config_mod.load(toml)


def test_delivery_config_keys(tmp_path: Path) -> None:
    toml = tmp_path / "xlsdun.toml"
    toml.write_text(
        '[workbook]\npath = "r.xlsx"\n[delivery]\nbackend = "gmail"\n'
        "retry_budget_seconds = 30\nretry_initial_seconds = 0.5\nper_minute = 20\n"
        'max_per_run = 50\n[delivery.smtp]\nusername = "me@gmail.com"\n'
        'oauth2_file = "oauth2.json"\n'
    )
    d = config_mod.load(toml).delivery
    assert (
        d.retry_budget_seconds,
        d.retry_initial_seconds,
        d.per_minute,
        d.max_per_run,
        d.max_per_day,
    ) == (30.0, 0.5, 20, 50, 400)
    assert (d.smtp.host, d.smtp.port, d.smtp.security) == ("smtp.gmail.com", 587, "starttls")
    assert d.smtp.oauth2_file == tmp_path / "oauth2.json"
    toml.write_text('[workbook]\npath = "r.xlsx"\n[delivery]\nretry_initial_seconds = 0\n')
    with pytest.raises(ConfigError, match="delivery.retry_initial_seconds"):
        config_mod.load(toml)


# -- Gmail: yagmail's connection and login, pointed at the local server ----------------------------


def test_gmail_app_password_through_yagmail(
    smtp_server: Start, smtp_env: Callable, tmp_path: Path
) -> None:
    server = smtp_server(security="starttls", login=(USER, PASSWORD))
    smtp_env(server)
    folder = tmp_path / "demo"
    report = run_once(config_mod.load(smtp_sample(folder, server, backend="gmail")), TODAY)

    assert report.exit_code == 0, report.notes
    assert ledger_states(folder) == {c: "sent" for c in EXPECTED_SENDS}
    assert len(server.received) == len(EXPECTED_SENDS)
    assert {r.login for r in server.received} == {USER}
    assert server.handler.connections == 1
    html = server.received[0].message.get_body(("html",)).get_content()
    assert "<br>" not in html.split("<body", 1)[0]  # yagmail never touched the message


def test_gmail_oauth2_through_yagmail(
    smtp_server: Start, smtp_env: Callable, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = smtp_server(security="starttls", oauth_token="ya29.test-token")
    smtp_env(server)
    calls = []

    def google_token_endpoint(
        google_client_id: str, google_client_secret: str, google_refresh_token: str
    ) -> tuple[str, int]:
        calls.append((google_client_id, google_refresh_token))
        return "ya29.test-token", 3600

    monkeypatch.setattr(yagmail.oauth2, "refresh_authorization", google_token_endpoint)
    oauth = tmp_path / "oauth2.json"
    oauth.write_text(
        json.dumps(
            {
                "email_address": USER,
                "google_client_id": "cid",
                "google_client_secret": "csecret",
                "google_refresh_token": "rtoken",
            }
        )
    )
    backend = GmailBackend(cfg(server, username=USER), None, oauth)
    backend.send(message("debtor@client.example"))
    backend.close()
    assert calls == [("cid", "rtoken")]
    assert [r.login for r in server.received] == [USER]

    monkeypatch.setattr(yagmail.oauth2, "refresh_authorization", lambda **_: ("ya29.expired", 3600))
    with pytest.raises(AuthenticationFailed, match="Gmail|refused the login"):
        GmailBackend(cfg(server, username=USER), None, oauth).open()
    # The file's secrets and the access token are secrets like a password, wherever they go.
    assert logs.redact("csecret rtoken ya29.expired ya29.test-token") == "*** *** *** ***"

    def refused(**_: str) -> tuple[str, int]:
        raise urllib.error.HTTPError("https://oauth2", 400, "invalid_grant", Message(), None)

    monkeypatch.setattr(yagmail.oauth2, "refresh_authorization", refused)
    with pytest.raises(AuthenticationFailed, match=r"refresh token \(HTTP 400: invalid_grant\)"):
        GmailBackend(cfg(server, username=USER), None, oauth).open()


def test_gmail_missing_oauth2_file_refuses_instead_of_prompting(tmp_path: Path) -> None:
    backend = GmailBackend(
        SmtpConfig(host="127.0.0.1", port=9, username=USER), None, tmp_path / "absent.json"
    )
    with pytest.raises(AuthenticationFailed, match="OAuth2 file .* missing or incomplete"):
        backend.open()


# -- secrets and privacy ------------------------------------------------------------------------


def test_wrong_password_with_debug_never_shows_the_password(
    smtp_server: Start, tmp_path: Path
) -> None:
    server = smtp_server(security="starttls", login=(USER, "the-right-one"))
    folder = tmp_path / "demo"
    toml = smtp_sample(folder, server)
    toml.write_text(toml.read_text().replace('digest = "off"\n', ""))  # the digest tries too
    env = {
        **os.environ,
        "XLSDUN_SMTP_PASSWORD": PASSWORD,
        "XLSDUN_SMTP_CAFILE": str(server.ca_file),
    }
    outputs = []
    for extra in (["--debug"], ["--debug", "--json"]):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "xlsdun",
                "run",
                "--config",
                str(toml),
                "--today",
                TODAY.isoformat(),
                *extra,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
        assert result.returncode == 2, result.stderr
        outputs.append(result.stdout + result.stderr)
    assert "refused the login" in outputs[0]
    assert server.received == []
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert any(p.suffix == ".sqlite3" for p in files)
    for text in outputs:
        assert PASSWORD not in text
    for path in files:
        assert PASSWORD.encode() not in path.read_bytes(), path


def test_state_dir_and_its_files_are_private(
    smtp_server: Start, smtp_env: Callable, tmp_path: Path
) -> None:
    server = smtp_server()
    smtp_env(server)
    folder = tmp_path / "demo"
    run_once(config_mod.load(smtp_sample(folder, server)), TODAY)
    state = folder / ".xlsdun"
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    found = list(state.rglob("*"))
    assert any(p.name == "ledger.sqlite3" for p in found)
    assert any(p.parent.name == "backups" for p in found)
    for path in found:  # folders inside are out of others' reach behind the 0o700 state dir
        mode = stat.S_IMODE(path.stat().st_mode)
        if path.is_file() and path.name != "run.lock":  # the lock holds a pid and host only
            assert mode & 0o077 == 0, f"{path} is {oct(mode)}"
