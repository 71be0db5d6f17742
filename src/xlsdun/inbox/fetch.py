"""The IMAP session, through imapclient: log in, and read each folder's new messages by UID.

Read-only: folders are selected read-only and messages fetched with BODY.PEEK[], so nothing
is marked read, moved or deleted (unless `mark_read`, which selects read-write only to set
\\Seen on the messages already processed). What "new" means is the ledger's (store.py):
the folder's UIDVALIDITY and the last UID seen there.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import logs
from ..errors import XlsdunError
from .settings import InboxConfig

FETCH_CHUNK = 25  # messages per FETCH: a slow link sends a few at a time, not all at once


class InboxError(XlsdunError):
    """The inbox could not be reached or read: the run says so and goes on without it."""


@dataclass(frozen=True, slots=True)
class FolderState:
    """A folder as selected: its UIDVALIDITY and the UIDs above the last one seen."""

    name: str
    uidvalidity: int
    uids: tuple[int, ...]


def find_password(cfg: InboxConfig) -> str | None:
    """The password by `[delivery.smtp]`'s rules (deliver/smtp.py's `resolve_password`)."""
    from ..deliver.smtp import resolve_password

    return resolve_password(cfg)


class Mailbox:
    """One IMAP connection: `open()` logs in, `close()` logs out (both never leak the secret)."""

    def __init__(self, cfg: InboxConfig, password: str | None) -> None:
        self.cfg = cfg
        self._password = password
        self._client: Any = None
        logs.add_credentials(cfg.username, password)

    def __repr__(self) -> str:  # never show the password
        return f"Mailbox({self.cfg.username}@{self.cfg.host}:{self.cfg.port})"

    def __enter__(self) -> Mailbox:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        cfg = self.cfg
        try:
            self._client = _connect(cfg)
            self._login()
        except InboxError:
            self.close()
            raise
        except (TimeoutError, OSError, ssl.SSLError) as exc:
            self.close()
            raise InboxError(f"cannot reach {cfg.host}:{cfg.port}: {_text(exc)}") from None
        except Exception as exc:  # imapclient's errors: refused login, protocol trouble
            self.close()
            raise InboxError(
                f"{cfg.host}:{cfg.port} refused the login of {cfg.username}: {_text(exc)}"
            ) from None

    def _login(self) -> None:
        cfg = self.cfg
        if cfg.oauth2_file is not None:
            self._client.oauth2_login(cfg.username, _access_token(cfg.oauth2_file))
            return
        if self._password is None:
            raise InboxError(
                f"no password for {cfg.username}: set the environment variable "
                f"{cfg.password_env}, or store it with 'keyring set xlsdun "
                f"{cfg.username}@{cfg.host}'"
            )
        self._client.login(cfg.username, self._password)

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except Exception:  # noqa: BLE001 - a dead connection is closed all the same
            with suppress(Exception):
                client.shutdown()

    def select(self, folder: str, known: tuple[int, int] | None) -> FolderState:
        """Select `folder` (read-only unless `mark_read`) and list the UIDs above the last one
        processed (`known`: UIDVALIDITY, last UID); all of them for a folder never read, or one
        whose UIDVALIDITY changed (its UIDs start over)."""
        try:
            info = self._client.select_folder(folder, readonly=not self.cfg.mark_read)
            uidvalidity = int(info[b"UIDVALIDITY"])
            low = known[1] + 1 if known is not None and known[0] == uidvalidity else 1
            found = self._client.search(["UID", f"{low}:*"])
        except Exception as exc:  # noqa: BLE001 - a missing folder, a dropped link
            raise InboxError(f"cannot read the folder {folder!r}: {_text(exc)}") from None
        return FolderState(folder, uidvalidity, tuple(sorted(u for u in found if u >= low)))

    def messages(self, uids: tuple[int, ...]) -> Iterator[tuple[int, bytes]]:
        """(uid, the whole message) in UID order, a few at a time, without marking them read."""
        for start in range(0, len(uids), FETCH_CHUNK):
            chunk = uids[start : start + FETCH_CHUNK]
            try:
                fetched = self._client.fetch(chunk, ["BODY.PEEK[]"])
            except Exception as exc:  # noqa: BLE001
                raise InboxError(f"cannot fetch messages: {_text(exc)}") from None
            for uid in chunk:
                data = fetched.get(uid, {})
                raw = data.get(b"BODY[]")
                if raw is not None:
                    yield uid, bytes(raw)

    def mark_seen(self, uids: list[int]) -> None:
        """`mark_read = true`: the processed messages get \\Seen."""
        if uids and self.cfg.mark_read:
            try:
                self._client.add_flags(uids, [b"\\Seen"])
            except Exception as exc:  # noqa: BLE001
                raise InboxError(f"cannot mark messages read: {_text(exc)}") from None


def _connect(cfg: InboxConfig) -> Any:
    """The connection for `security`: implicit TLS, STARTTLS, or (a local server) none."""
    from imapclient import IMAPClient

    from ..deliver.smtp import tls_context

    if cfg.security == "ssl":
        return IMAPClient(
            cfg.host, port=cfg.port, ssl=True, ssl_context=tls_context(), timeout=cfg.timeout
        )
    client = IMAPClient(cfg.host, port=cfg.port, ssl=False, timeout=cfg.timeout)
    if cfg.security == "starttls":
        try:
            client.starttls(tls_context())
        except BaseException:
            with suppress(OSError):  # a refused handshake may have closed it already
                client.shutdown()
            raise
    return client


def _access_token(path: Path) -> str:
    """A fresh XOAUTH2 access token from the OAuth2 file sending uses (yagmail's format)."""
    from yagmail.oauth2 import refresh_authorization

    from ..deliver.smtp import OAUTH2_KEYS, GmailBackend

    GmailBackend._check_oauth2_file(str(path))  # refuses a missing or incomplete file
    info = json.loads(path.expanduser().read_text(encoding="utf-8"))
    info = info.get("installed", info)
    token, _ = refresh_authorization(*(str(info[k]) for k in OAUTH2_KEYS))
    logs.add_secret(token)
    return str(token)


def _text(exc: BaseException) -> str:
    """An error as one redacted line."""
    raw = exc.args[0] if exc.args else None
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(exc)
    return logs.redact(" ".join(text.split()) or type(exc).__name__)
