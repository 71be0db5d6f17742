"""The SMTP backend (any server) and the Gmail backend (yagmail only for the connection).

All messages of a run go over one authenticated connection. The message is built by
xlsdun; here it is only carried, step by step (MAIL, RCPT, DATA), so that every failure is
known to have happened before the message was handed over (safe to retry) or after (the
message may have arrived: ambiguous). Every server reply is classified for the engine
(DESIGN.md, "SMTP replies").
"""

from __future__ import annotations

import base64
import copy
import io
import json
import os
import re
import smtplib
import ssl
import urllib.error
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import Any, Protocol

from .. import logs
from ..config import SmtpConfig
from .base import (
    AmbiguousDelivery,
    AuthenticationFailed,
    ConnectionLost,
    DeliveryError,
    QuotaExceeded,
    RecipientRejected,
    SendResult,
    ServerUnavailable,
    TemporaryFailure,
)

QUOTA_HINTS = ("5.4.5", "quota", "limit exceeded", "too many", "rate limit", "5.7.0 daily")
CAFILE_ENV = "XLSDUN_SMTP_CAFILE"
KEYRING_SERVICE = "xlsdun"
_LEADING_DOT = re.compile(rb"(?m)^\.")
_ENHANCED_STATUS = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}\b")
AUTH_CODES = (530, 534, 535)


class CredentialsMissing(DeliveryError):
    pass


class Credentials(Protocol):
    """Where a login's password may be found: `[delivery.smtp]` and `[inbox]` alike."""

    @property
    def host(self) -> str: ...
    @property
    def username(self) -> str | None: ...
    @property
    def password_env(self) -> str: ...
    @property
    def password(self) -> str | None: ...
    @property
    def allow_plaintext_password(self) -> bool: ...


def keyring_user(cfg: Credentials) -> str:
    """The keyring entry name: `keyring set xlsdun USER@HOST` stores the password."""
    return f"{cfg.username}@{cfg.host}"


def resolve_password(cfg: Credentials) -> str | None:
    """The password (SMTP's or the inbox's): the named environment variable, else the OS
    keyring, else config (only when `allow_plaintext_password`; config.py refuses it
    otherwise)."""
    if cfg.password_env and os.environ.get(cfg.password_env):
        return os.environ[cfg.password_env]
    if cfg.username:
        try:
            import keyring

            found = keyring.get_password(KEYRING_SERVICE, keyring_user(cfg))
            if found:
                return found
        except Exception:  # no usable keyring on this machine: fall through
            pass
    return cfg.password if cfg.allow_plaintext_password else None


def _text(message: bytes | str | BaseException) -> str:
    """A server's reply (or an error carrying one) as one line, every known secret removed:
    this is where the server's words become xlsdun's text (ledger, report, log, stderr)."""
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return logs.redact(" ".join(text.split()), reply=True)


def _reply_text(code: int, message: bytes | str) -> str:
    return f"{code} {_text(message)}".strip()


def _auth_reply(code: int, message: bytes | str) -> str:
    """A refused login's reply reduced to its codes ("535 5.7.8"): servers may repeat the
    credentials in the text (the password, the AUTH PLAIN line), whatever their length."""
    raw = message.decode("ascii", "replace") if isinstance(message, bytes) else str(message)
    status = _ENHANCED_STATUS.match(raw.strip())
    return f"{code} {status.group(0)}" if status else str(code)


def classify(code: int, message: bytes | str, *, stage: str = "rcpt") -> DeliveryError:
    """Map an SMTP reply to what the engine should do about it.

    `stage` is where it came: "connect", "mail" (the sender: a 5xx there refuses every
    message, so it stops the run like a failed login), "rcpt" or "data".
    """
    text = _reply_text(code, message)
    lowered = text.lower()
    if code in AUTH_CODES or (code == 454 and "auth" in lowered):
        return AuthenticationFailed(
            f"the mail server refused the login ({_auth_reply(code, message)}); check the "
            f"username and password"
        )
    if code in (552, 550, 554, 451, 452, 421) and any(h in lowered for h in QUOTA_HINTS):
        return QuotaExceeded(f"the mail account hit a sending limit ({text})")
    if 400 <= code < 500:
        return TemporaryFailure(f"temporary failure ({text})")
    if stage == "connect":
        return ServerUnavailable(f"the mail server refused the connection ({text})")
    if stage == "mail":
        return AuthenticationFailed(
            f"the mail server refused the sender address ({text}); check that [sender] email "
            f"is an address this account may send from"
        )
    if code in (550, 551, 553, 501, 556) or "5.1." in text:
        return RecipientRejected(f"address rejected: {text}")
    return RecipientRejected(f"message refused: {text}")


def tls_context() -> ssl.SSLContext:
    """A verifying TLS context; XLSDUN_SMTP_CAFILE adds a private CA (a test or office server)."""
    context = ssl.create_default_context()
    cafile = os.environ.get(CAFILE_ENV)
    if cafile:
        context.load_verify_locations(cafile)
    return context


def _flatten(message: EmailMessage) -> tuple[bytes, bool]:
    """The bytes for DATA (CRLF, Bcc removed), and whether SMTPUTF8 is needed."""
    addresses = [parseaddr(str(message["From"]))[1]] + [
        a for _, a in getaddresses(message.get_all("To", []) + message.get_all("Cc", []))
    ]
    international = any(not a.isascii() for a in addresses)
    copy_ = copy.copy(message)
    del copy_["Bcc"]
    del copy_["Resent-Bcc"]
    assert isinstance(message.policy, EmailPolicy)  # an EmailMessage's: utf8 is its setting
    policy = message.policy.clone(linesep="\r\n", utf8=international)
    with io.BytesIO() as out:
        BytesGenerator(out, policy=policy).flatten(copy_, linesep="\r\n")
        return out.getvalue(), international


class SmtpBackend:
    """Any SMTP server: none / STARTTLS / implicit TLS, optional login."""

    name = "smtp"

    def __init__(self, cfg: SmtpConfig, password: str | None) -> None:
        self.cfg = cfg
        self._password = password
        self.conn: smtplib.SMTP | None = None
        logs.add_credentials(cfg.username, password)  # before any reply could echo them

    def __repr__(self) -> str:  # never show the password
        return f"{type(self).__name__}(host={self.cfg.host!r}, port={self.cfg.port})"

    @property
    def connected(self) -> bool:
        return self.conn is not None and getattr(self.conn, "sock", None) is not None

    def open(self) -> None:
        """Connect and log in, unless already connected (the engine calls it before each send)."""
        if self.connected:
            return
        self.conn = None
        try:
            self.conn = self._connect()
        except smtplib.SMTPAuthenticationError as exc:
            raise AuthenticationFailed(
                f"the mail server {self.cfg.host} refused the login for {self.cfg.username} "
                f"({_auth_reply(exc.smtp_code, exc.smtp_error)}); check the username and "
                f"password (for Gmail, an app password)"
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise AuthenticationFailed(
                f"the mail server {self.cfg.host} does not support this setup ({_text(exc)}); "
                f"check delivery.smtp.security and username"
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise classify(exc.smtp_code, exc.smtp_error, stage="connect") from None
        except UnicodeError:
            raise AuthenticationFailed(
                "the username or password holds characters the server's login cannot carry"
            ) from None
        except ssl.SSLError as exc:
            raise ServerUnavailable(
                f"no secure connection to {self.cfg.host}:{self.cfg.port} "
                f"({_text(exc.reason or exc)}); check delivery.smtp.security and port"
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise ServerUnavailable(
                f"cannot connect to the mail server {self.cfg.host}:{self.cfg.port} "
                f"({type(exc).__name__}: {_text(exc)})"
            ) from None

    def _connect(self) -> smtplib.SMTP:
        cfg = self.cfg
        if cfg.username and self._password is None:
            raise AuthenticationFailed(
                f"no password for {cfg.username}: set the environment variable "
                f"{cfg.password_env}, or store it with 'keyring set {KEYRING_SERVICE} "
                f"{keyring_user(cfg)}'"
            )
        conn: smtplib.SMTP
        if cfg.security == "ssl":
            conn = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout, context=tls_context())
        else:
            conn = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
        try:
            conn.ehlo()
            if cfg.security == "starttls":
                conn.starttls(context=tls_context())
                conn.ehlo()
            if cfg.username:
                conn.login(cfg.username, self._password or "")
        except BaseException:
            conn.close()
            raise
        return conn

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except (OSError, smtplib.SMTPException):
                self.conn.close()
            self.conn = None

    def _drop(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def send(self, message: EmailMessage) -> SendResult:
        """MAIL, RCPT, DATA over the open connection; raises a DeliveryError subclass."""
        self.open()
        conn = self.conn
        assert conn is not None
        sender, to, rcpts = _addresses(message)
        data, international = _encoded(message)
        options = _mail_options(conn, len(data), international)
        # what was offered to the server, as the ledger keeps it: {"from", "to", "refused"}
        envelope: dict[str, Any] = {"from": sender, "to": rcpts}
        try:
            refused = self._offer(conn, sender, options, to, envelope)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            raise ConnectionLost(
                f"the connection to the mail server broke before the message was sent "
                f"({_text(exc)})",
                _json(envelope),
            ) from None
        code, reply = self._hand_over(conn, data, envelope)
        if code != 250:
            raise self._refused(conn, code, reply, "data", envelope)
        detail = _reply_text(code, reply)
        if refused:
            detail += "; refused: " + ", ".join(f"{a} ({r})" for a, r in refused.items())
        return SendResult("sent", detail=detail, envelope=_json(envelope))

    def _offer(
        self,
        conn: smtplib.SMTP,
        sender: str,
        options: list[str],
        to: list[str],
        envelope: dict[str, Any],
    ) -> dict[str, str]:
        """MAIL FROM, RCPT TO for each recipient, DATA: nothing is handed over yet, so any
        failure here is safe to retry. Returns the refused Cc (a refused To fails it all)."""
        code, reply = conn.mail(sender, options)
        if code != 250:
            raise self._refused(conn, code, reply, "mail", envelope)
        refused = self._recipients(conn, to, envelope)
        code, reply = conn.docmd("data")
        if code != 354:
            raise self._refused(conn, code, reply, "data", envelope)
        return refused

    def _recipients(
        self, conn: smtplib.SMTP, to: list[str], envelope: dict[str, Any]
    ) -> dict[str, str]:
        """RCPT TO each address; a refused Cc is left out (and noted in the envelope), a
        refused To (or a 421) refuses the message."""
        rcpts: list[str] = envelope["to"]
        refused: dict[str, str] = {}
        for rcpt in rcpts:
            code, reply = conn.rcpt(rcpt)
            if code in (250, 251):
                continue
            refused[rcpt] = _reply_text(code, reply)
            if code == 421 or rcpt in to:  # never send to the Cc alone
                envelope["refused"] = refused
                raise self._refused(conn, code, reply, "rcpt", envelope)
        if refused:
            envelope["refused"] = refused
            envelope["to"] = [r for r in rcpts if r not in refused]
        return refused

    def _hand_over(
        self, conn: smtplib.SMTP, data: bytes, envelope: dict[str, Any]
    ) -> tuple[int, bytes]:
        """The message and its final dot, and the server's reply. A connection that breaks
        now leaves it ambiguous: the server may have taken it."""
        body = _LEADING_DOT.sub(b"..", data)
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        try:
            conn.send(body + b".\r\n")
            return conn.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            raise AmbiguousDelivery(
                f"the connection to the mail server broke while the message was being handed "
                f"over ({_text(exc)}); it may or may not have arrived",
                _json(envelope),
            ) from None

    def _refused(
        self,
        conn: smtplib.SMTP,
        code: int,
        reply: bytes | str,
        stage: str,
        envelope: dict[str, Any],
    ) -> DeliveryError:
        """The error for a refusal at `stage`, the connection made ready for the next message
        (RSET) or dropped (a 421 closes it; so does an RSET that fails)."""
        if code == 421:
            self._drop()
        else:
            try:
                conn.rset()
            except (OSError, smtplib.SMTPException):
                self._drop()
        err = classify(code, reply, stage=stage)
        err.envelope = _json(envelope)
        return err


def _addresses(message: EmailMessage) -> tuple[str, list[str], list[str]]:
    """The envelope sender, the To addresses, and every recipient once (To, Cc, Bcc)."""
    sender = parseaddr(str(message["Sender"] or message["From"]))[1]
    to = [a for _, a in getaddresses(message.get_all("To", []))]
    others = [a for _, a in getaddresses(message.get_all("Cc", []) + message.get_all("Bcc", []))]
    return sender, to, list(dict.fromkeys(to + others))


def _encoded(message: EmailMessage) -> tuple[bytes, bool]:
    """`_flatten`, or the failure of this one message (nothing was offered to the server)."""
    try:
        return _flatten(message)
    except (LookupError, UnicodeError, ValueError) as exc:
        raise DeliveryError(
            f"the message could not be encoded for sending ({_text(exc)})"
        ) from None


def _mail_options(conn: smtplib.SMTP, size: int, international: bool) -> list[str]:
    """MAIL FROM's options: the size where announced, SMTPUTF8 where the addresses need it
    (a server without it cannot carry them: this recipient fails)."""
    options: list[str] = []
    if conn.does_esmtp and conn.has_extn("size"):
        options.append(f"size={size}")
    if international:
        if not conn.has_extn("smtputf8"):
            raise RecipientRejected(
                "address rejected: it has non-ASCII characters this mail server cannot carry"
            )
        options += ["SMTPUTF8", "BODY=8BITMIME"]
    return options


def _json(envelope: dict[str, Any]) -> str:
    return json.dumps(envelope, ensure_ascii=False)


OAUTH2_KEYS = ("google_client_id", "google_client_secret", "google_refresh_token")


class GmailBackend(SmtpBackend):
    """Gmail through yagmail's connection and login (app password or OAuth2); the message is
    still built by xlsdun and sent by `SmtpBackend.send` (DESIGN.md: yagmail only connects)."""

    name = "gmail"

    def __init__(
        self, cfg: SmtpConfig, password: str | None, oauth2_file: str | Path | None = None
    ) -> None:
        super().__init__(cfg, password)
        self.oauth2_file = str(oauth2_file) if oauth2_file else None
        self._yag: Any = None

    def _connect(self) -> smtplib.SMTP:
        cfg = self.cfg
        if not cfg.username:
            raise AuthenticationFailed("set delivery.smtp.username to your Gmail address")
        if self.oauth2_file:
            self._check_oauth2_file(self.oauth2_file)
        elif self._password is None:
            raise AuthenticationFailed(
                f"no Gmail app password: set the environment variable {cfg.password_env}, or "
                f"store it with 'keyring set {KEYRING_SERVICE} {keyring_user(cfg)}'"
            )
        context = tls_context()
        kwargs: dict[str, Any] = {"timeout": cfg.timeout}
        if cfg.security == "ssl":
            kwargs["context"] = context
        # Credentials always passed explicitly: with password=None yagmail prompts on the
        # terminal, which hangs an unattended run (DESIGN.md).
        yag = _yagmail_client()(
            cfg.username,
            password=None if self.oauth2_file else self._password,
            oauth2_file=self.oauth2_file,
            host=cfg.host,
            port=cfg.port,
            smtp_ssl=cfg.security == "ssl",
            smtp_starttls={"context": context} if cfg.security == "starttls" else False,
            soft_email_validation=False,
            **kwargs,
        )
        yag.set_logging(None)
        yag.tls_context = context
        try:
            yag.login()
        except BaseException:
            if yag.smtp is not None:
                yag.smtp.close()
            yag.is_closed = True
            raise
        self._yag = yag
        return yag.smtp

    @staticmethod
    def _check_oauth2_file(path: str) -> None:
        """yagmail asks questions on the terminal when the file is missing or incomplete:
        refuse early instead, so an unattended run never hangs."""
        try:
            info = json.loads(Path(path).expanduser().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            info = None
        if not isinstance(info, dict) or not all(info.get(k) for k in OAUTH2_KEYS):
            raise AuthenticationFailed(
                f"the Gmail OAuth2 file {path} is missing or incomplete (it needs "
                f"{', '.join(OAUTH2_KEYS)}); create it once by hand with yagmail, see the README"
            )
        for key in ("google_client_secret", "google_refresh_token"):
            logs.add_secret(str(info[key]))

    def close(self) -> None:
        super().close()
        if self._yag is not None:
            self._yag.is_closed = True
            self._yag = None


_YAG_CLASS: Any = None


def _remember_oauth2(auth_string: str) -> None:
    """The XOAUTH2 line and the access token inside it are secrets like a password."""
    logs.add_secret(auth_string)
    try:
        text = base64.b64decode(auth_string).decode("utf-8", "replace")
    except ValueError:
        return
    for part in text.split("\x01"):
        if part.startswith("auth=Bearer "):
            logs.add_secret(part.removeprefix("auth=Bearer "))


def _yagmail_client() -> Any:
    """yagmail.SMTP, with its OAuth2 login made strict: TLS verified (yagmail starts TLS
    without a context for OAuth2) and the AUTH reply checked (yagmail ignores it)."""
    global _YAG_CLASS
    if _YAG_CLASS is not None:
        return _YAG_CLASS
    import yagmail

    class _Yag(yagmail.SMTP):
        tls_context: ssl.SSLContext | None = None

        def _login_oauth2(self, oauth2_info: dict[str, Any]) -> None:
            info = {k: v for k, v in oauth2_info.items() if k != "email_address"}
            try:
                auth_string = self.get_oauth_string(self.user, info)
            except OSError as exc:
                if not isinstance(exc, urllib.error.HTTPError):
                    raise  # no network: not a login problem
                raise AuthenticationFailed(  # xlsdun's words: kept whole, unlike a reply
                    f"Google refused the OAuth2 refresh token (HTTP {exc.code}: "
                    f"{_text(str(exc.reason))}); create the OAuth2 file again"
                ) from None
            except (KeyError, ValueError) as exc:
                raise AuthenticationFailed(
                    f"unexpected answer from Google's OAuth2 endpoint ({_text(repr(exc))})"
                ) from None
            _remember_oauth2(auth_string)
            self.smtp = self.connection(self.host, self.port, **self.kwargs)
            self.smtp.ehlo()
            if self.starttls:
                self.smtp.starttls(context=self.tls_context)
                self.smtp.ehlo()
            self.is_closed = False
            code, reply = self.smtp.docmd("AUTH", "XOAUTH2 " + auth_string)
            if code == 334:  # the server's error details; an empty line ends the exchange
                code, reply = self.smtp.docmd("")
            if code != 235:
                raise smtplib.SMTPAuthenticationError(code, reply)

    _YAG_CLASS = _Yag
    return _Yag
