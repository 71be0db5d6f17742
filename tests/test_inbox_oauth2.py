"""Gmail's XOAUTH2 login to the inbox, with the OAuth2 file sending uses, against a real
Dovecot that checks the bearer token at a local introspection endpoint (RFC 7662). Google's
token endpoint is the one thing replaced: `refresh_authorization` returns the access token."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from support import inbox_mail as mail
from support.imap_server import USER, Dovecot
from test_inbox_imap import DAY1, inbox_config, inbox_rows
from xlsdun import logs
from xlsdun.engine import run_once
from xlsdun.inbox.fetch import InboxError, Mailbox, find_password

TOKEN = "ya29.good-access-token-0123456789"


class _Introspection(BaseHTTPRequestHandler):
    """Active only for TOKEN; says whose it is."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        ok = f"token={TOKEN}" in body
        data = json.dumps({"active": True, "email": USER} if ok else {"active": False}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def oauth_dovecot() -> Iterator[Dovecot]:
    server = HTTPServer(("127.0.0.1", 0), _Introspection)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    dovecot = Dovecot(tls=False, oauth2_url=f"http://127.0.0.1:{server.server_port}/introspect")
    dovecot.start()
    yield dovecot
    dovecot.stop()
    server.shutdown()


def _oauth_config(tmp_path: Path, server: Dovecot, monkeypatch: pytest.MonkeyPatch, token: str):  # type: ignore[no-untyped-def]
    (tmp_path / "gmail-oauth2.json").parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / "gmail-oauth2.json").write_text(
        json.dumps(
            {
                "google_client_id": "id.apps.googleusercontent.com",
                "google_client_secret": "client-secret-xyz",
                "google_refresh_token": "1//refresh-token-xyz",
            }
        ),
        encoding="utf-8",
    )
    asked: list[tuple[str, ...]] = []

    def refresh(*args: str) -> tuple[str, int]:
        asked.append(args)
        return token, 3600

    monkeypatch.setattr("yagmail.oauth2.refresh_authorization", refresh)
    monkeypatch.delenv("XLSDUN_IMAP_PASSWORD", raising=False)
    cfg = inbox_config(tmp_path, server, extra='oauth2_file = "gmail-oauth2.json"\n')
    return cfg, asked


def test_xoauth2_with_the_sending_oauth2_file(
    tmp_path: Path, oauth_dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    oauth_dovecot.empty()
    oauth_dovecot.append(mail.plain_reply("ap.atlas@example.com", "Paid.", message_id="<o@x>"))
    cfg, asked = _oauth_config(tmp_path, oauth_dovecot, monkeypatch, TOKEN)
    assert cfg.inbox is not None and find_password(cfg.inbox) is None  # no password at all
    report = run_once(cfg, DAY1)
    assert asked == [("id.apps.googleusercontent.com", "client-secret-xyz", "1//refresh-token-xyz")]
    assert [r["kind"] for r in inbox_rows(cfg)] == ["reply"]
    assert not any("could not be read" in n for n in report.notes)
    assert TOKEN not in logs.redact(f"token {TOKEN}")  # remembered as a secret


def test_a_refused_token_is_reported_without_it(
    tmp_path: Path, oauth_dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg, _ = _oauth_config(tmp_path, oauth_dovecot, monkeypatch, "ya29.expired-token-987")
    assert cfg.inbox is not None
    with pytest.raises(InboxError) as exc:
        Mailbox(cfg.inbox, None).open()
    assert "refused the login" in str(exc.value)
    assert "expired-token-987" not in str(exc.value)
