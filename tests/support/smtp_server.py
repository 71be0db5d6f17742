"""A real SMTP server on 127.0.0.1 for the delivery tests, its behaviour scripted per test.

aiosmtpd 1.4.6 quirks (DESIGN.md): `port=0` does not work, so a free port is picked here;
a failing authenticator must return `AuthResult(success=False, handled=False)` or the client
hangs; with implicit TLS the session never sees STARTTLS, so `auth_require_tls=False`.
"""

from __future__ import annotations

import asyncio
import base64
import email
import email.policy
import socket
import sqlite3
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pandas as pd
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from support.sample_setup import copy_sample

# aiosmtpd's own noise: login over implicit TLS looks like "AUTH without TLS" to it, and it
# reads its deprecated Session.login_data itself.
SERVER_WARNINGS = (
    "ignore:Requiring AUTH while not requiring TLS:UserWarning",
    "ignore:Session.login_data is deprecated:DeprecationWarning",
)
QUOTA_REPLY = "550 5.4.5 Daily user sending limit exceeded."
PASSWORD = "s3cret-Passw0rd-xyzzy"
USER = "rina@example.co.il"


@dataclass
class Received:
    """One message the server accepted (or took in full before failing to answer)."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    login: str | None

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)  # type: ignore[return-value]

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass
class Script:
    """What the server does, by message number (1-based, counted over its whole life)."""

    mail_replies: dict[int, str] = field(default_factory=dict)  # MAIL FROM number -> reply
    drop_on_mail: set[int] = field(default_factory=set)  # close at this MAIL FROM, no reply
    rcpt_replies: dict[str, str] = field(default_factory=dict)  # address -> reply
    data_replies: dict[int, str] = field(default_factory=dict)  # DATA number -> reply
    quota_after: int | None = None  # accept this many messages, then 550 5.4.5 at DATA
    drop_after_data: set[int] = field(default_factory=set)  # take it in, close, no reply
    stall_on_data: set[int] = field(default_factory=set)  # take nothing, answer too late
    stall_seconds: float = 3.0
    on_data: Callable[[int], None] | None = None  # called with the DATA number, before replying
    on_connect: Callable[[int], None] | None = None  # called at each new session's EHLO
    on_mail: Callable[[int], None] | None = None  # called with the MAIL FROM number
    auth_reply: Callable[[LoginPassword], str] | None = None  # the reply to a refused login


class ScriptedHandler:
    def __init__(self, script: Script, oauth_token: str | None = None) -> None:
        self.script = script
        self.oauth_token = oauth_token
        self.received: list[Received] = []
        self.mails = 0
        self.datas = 0
        self.sessions: list[Any] = []  # kept alive, so identity counts connections

    @property
    def connections(self) -> int:
        return len(self.sessions)

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        if not any(s is server for s in self.sessions):  # one SMTP instance per connection
            self.sessions.append(server)
            if self.script.on_connect:
                self.script.on_connect(len(self.sessions))
        return responses

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        self.mails += 1
        if self.script.on_mail:
            self.script.on_mail(self.mails)
        if self.mails in self.script.drop_on_mail:
            server.transport.close()
            return "421 4.4.2 closing"
        reply = self.script.mail_replies.get(self.mails)
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        reply = self.script.rcpt_replies.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.datas += 1
        n, script = self.datas, self.script
        if n in script.stall_on_data:
            await asyncio.sleep(script.stall_seconds)
            return "451 4.3.0 too slow"
        if n in script.data_replies:
            return script.data_replies[n]
        if script.quota_after is not None and len(self.received) >= script.quota_after:
            return QUOTA_REPLY
        auth = session.auth_data
        login = auth.login.decode() if isinstance(auth, LoginPassword) else None
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content), login)
        )
        if script.on_data:
            script.on_data(n)
        if n in script.drop_after_data:
            server.transport.close()
        return f"250 2.0.0 Ok: queued as Q{n}"

    async def auth_XOAUTH2(self, server: Any, args: list[str]) -> AuthResult:
        """Gmail's OAuth2 login: `user=..^Aauth=Bearer TOKEN^A^A`, base64."""
        try:
            text = base64.b64decode(args[1]).decode()
        except (IndexError, ValueError):
            return AuthResult(success=False, handled=False)
        fields = dict(p.split("=", 1) for p in text.split("\x01") if "=" in p)
        if self.oauth_token and fields.get("auth") == f"Bearer {self.oauth_token}":
            return AuthResult(success=True, auth_data=LoginPassword(fields["user"].encode(), b""))
        return AuthResult(success=False, handled=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    """A running aiosmtpd server: security "none", "starttls" or "ssl"; login optional."""

    def __init__(
        self,
        folder: Path,
        *,
        security: str = "none",
        login: tuple[str, str] | None = None,
        script: Script | None = None,
        oauth_token: str | None = None,
    ) -> None:
        self.security = security
        self.login = login
        self.handler = ScriptedHandler(script or Script(), oauth_token)
        self.host = "127.0.0.1"
        self.port = free_port()
        self.ca_file: Path | None = None
        kwargs: dict[str, Any] = {
            "hostname": self.host,
            "port": self.port,
            "server_hostname": "localhost",
            "ready_timeout": 5.0,
        }
        if security != "none":
            ca = trustme.CA()
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
            self.ca_file = folder / "smtp-test-ca.pem"
            ca.cert_pem.write_to_path(str(self.ca_file))
            if security == "ssl":
                kwargs["ssl_context"] = context
            else:
                kwargs.update(tls_context=context, require_starttls=True)
        if login or oauth_token:
            kwargs.update(
                auth_required=True,
                authenticator=self._authenticate,
                auth_require_tls=security == "starttls",
            )
        else:
            kwargs["auth_require_tls"] = False
        self.controller = Controller(self.handler, **kwargs)

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        if (
            self.login
            and isinstance(data, LoginPassword)
            and (data.login.decode(), data.password.decode()) == self.login
        ):
            return AuthResult(success=True, auth_data=data)
        reply = self.handler.script.auth_reply
        message = reply(data) if reply and isinstance(data, LoginPassword) else None
        return AuthResult(success=False, handled=False, message=message)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


# -- the sample, set up to send through a test server ------------------------------------------


def smtp_sample(
    folder: Path, server: SmtpServer, *, backend: str = "smtp", delivery: str = "", smtp: str = ""
) -> Path:
    """Copy the sample workbook and config into `folder`, sending through `server`."""
    toml = copy_sample(folder)
    text = toml.read_text(encoding="utf-8")
    text = text.replace(
        '\nbackend = "outbox"\n',
        f'\nbackend = "{backend}"\nretry_initial_seconds = 0.01\n{delivery}\n',
    )
    text = text.replace("[owner]\n", '[owner]\ndigest = "off"\n')
    username = f'username = "{USER}"\n' if server.login else ""
    text += (
        f'\n[delivery.smtp]\nhost = "{server.host}"\nport = {server.port}\n'
        f'security = "{server.security}"\n{username}timeout = 2\n{smtp}'
    )
    toml.write_text(text, encoding="utf-8")
    return toml


def sheet_statuses(folder: Path) -> dict[str, set[str]]:
    """Customer -> the `Reminder status` texts of their invoice rows, as the file holds them."""
    sheet = pd.read_excel(
        folder / "receivables.xlsx", sheet_name="Receivables", header=3, engine="calamine"
    )
    rows = sheet[sheet["Invoice #"].notna()]
    found: dict[str, set[str]] = {}
    for customer, status in zip(rows["Customer"], rows["Reminder status"], strict=True):
        found.setdefault(customer, set()).add(status)
    return found


def ledger_rows(folder: Path, day: date = date(2026, 11, 26)) -> dict[str, sqlite3.Row]:
    """Customer -> their send row for the day (one per debtor per day)."""
    db = sqlite3.connect(folder / ".xlsdun" / "ledger.sqlite3")
    db.row_factory = sqlite3.Row
    try:
        rows = db.execute("SELECT * FROM sends WHERE today = ? ORDER BY id", (day.isoformat(),))
        return {r["customer"]: r for r in rows}
    finally:
        db.close()


def ledger_states(folder: Path, day: date = date(2026, 11, 26)) -> dict[str, str]:
    return {c: r["state"] for c, r in ledger_rows(folder, day).items()}
