"""The SMTP backend (any server) and the Gmail backend (yagmail only for the connection).

All messages of a run go over one authenticated connection. The message is built by
xlsdun; here it is only carried, and every server reply is classified for the engine
(DESIGN.md, "SMTP replies").
"""

from __future__ import annotations

import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import getaddresses

from ..config import SmtpConfig
from .base import (
    AmbiguousDelivery,
    AuthenticationFailed,
    DeliveryError,
    QuotaExceeded,
    RecipientRejected,
    SendResult,
    TemporaryFailure,
)

QUOTA_HINTS = ("5.4.5", "quota", "limit exceeded", "too many", "rate limit", "5.7.0 daily")


class CredentialsMissing(DeliveryError):
    pass


def resolve_password(cfg: SmtpConfig) -> str | None:
    """The SMTP password: the named environment variable, else the OS keyring, else config."""
    if cfg.password_env and os.environ.get(cfg.password_env):
        return os.environ[cfg.password_env]
    if cfg.username:
        try:
            import keyring  # optional

            found = keyring.get_password("xlsdun", f"{cfg.username}@{cfg.host}")
            if found:
                return found
        except Exception:
            pass
    return cfg.password if cfg.allow_plaintext_password else None


def _reply_text(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {text}".strip()


def classify(code: int, message: bytes | str) -> DeliveryError:
    """Map an SMTP reply to what the engine should do about it."""
    text = _reply_text(code, message)
    lowered = text.lower()
    if code in (530, 534, 535, 454) and ("auth" in lowered or code in (534, 535)):
        return AuthenticationFailed(f"the mail server refused the login ({text})")
    if code in (552, 550, 554, 451, 452, 421) and any(h in lowered for h in QUOTA_HINTS):
        return QuotaExceeded(f"the mail account hit a sending limit ({text})")
    if 400 <= code < 500:
        return TemporaryFailure(f"temporary failure ({text})")
    if code in (550, 551, 553, 501, 556) or "5.1." in text:
        return RecipientRejected(f"address rejected: {text}")
    return RecipientRejected(f"message refused: {text}")


class SmtpBackend:
    name = "smtp"

    def __init__(self, cfg: SmtpConfig, password: str | None) -> None:
        self.cfg = cfg
        self._password = password
        self.conn: smtplib.SMTP | None = None

    def __repr__(self) -> str:  # never show the password
        return f"SmtpBackend(host={self.cfg.host!r}, port={self.cfg.port})"

    def open(self) -> None:
        cfg = self.cfg
        context = ssl.create_default_context()
        cafile = os.environ.get("XLSDUN_SMTP_CAFILE")
        if cafile:
            context.load_verify_locations(cafile)
        try:
            if cfg.security == "ssl":
                conn: smtplib.SMTP = smtplib.SMTP_SSL(
                    cfg.host, cfg.port, timeout=cfg.timeout, context=context
                )
            else:
                conn = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
                conn.ehlo()
                if cfg.security == "starttls":
                    conn.starttls(context=context)
                    conn.ehlo()
            if cfg.username:
                if self._password is None:
                    raise AuthenticationFailed(
                        f"no password for {cfg.username}: set the environment variable "
                        f"{cfg.password_env} (or store it in the OS keyring)"
                    )
                conn.login(cfg.username, self._password)
        except smtplib.SMTPAuthenticationError as exc:
            raise AuthenticationFailed(
                f"the mail server {cfg.host} refused the login for {cfg.username} "
                f"({_reply_text(exc.smtp_code, exc.smtp_error)})"
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise classify(exc.smtp_code, exc.smtp_error) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporaryFailure(
                f"cannot connect to the mail server {cfg.host}:{cfg.port} ({exc})"
            ) from None
        self.conn = conn

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.conn = None

    def send(self, message: EmailMessage) -> SendResult:
        if self.conn is None:
            self.open()
        assert self.conn is not None
        sender = getaddresses([str(message["From"])])[0][1]
        rcpts = [a for _, a in getaddresses(message.get_all("To", []) + message.get_all("Cc", []))]
        try:
            refused = self.conn.send_message(message, from_addr=sender, to_addrs=rcpts)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise classify(code, text) from None
        except smtplib.SMTPSenderRefused as exc:
            raise classify(exc.smtp_code, exc.smtp_error) from None
        except smtplib.SMTPDataError as exc:
            raise classify(exc.smtp_code, exc.smtp_error) from None
        except smtplib.SMTPServerDisconnected as exc:
            self.conn = None
            raise AmbiguousDelivery(f"the mail server closed the connection ({exc})") from None
        except smtplib.SMTPResponseException as exc:
            raise classify(exc.smtp_code, exc.smtp_error) from None
        except (TimeoutError, OSError) as exc:
            self.conn = None
            raise AmbiguousDelivery(f"the connection to the mail server broke ({exc})") from None
        detail = "accepted"
        if refused:
            detail = "accepted; refused: " + ", ".join(
                f"{addr} ({_reply_text(*reply)})" for addr, reply in refused.items()
            )
        return SendResult("sent", detail=detail, envelope=f"{sender} -> {', '.join(rcpts)}")


class GmailBackend(SmtpBackend):
    """Gmail through yagmail's authenticated connection; the message is still ours."""

    name = "gmail"

    def __init__(self, cfg: SmtpConfig, password: str | None, oauth2_file: str | None = None):
        super().__init__(cfg, password)
        self.oauth2_file = oauth2_file
        self._yag = None

    def open(self) -> None:
        import yagmail

        if not self.cfg.username:
            raise AuthenticationFailed("set delivery.smtp.username to your Gmail address")
        if self._password is None and not self.oauth2_file:
            raise AuthenticationFailed(
                f"no Gmail app password: set the environment variable {self.cfg.password_env}"
            )
        try:
            # Credentials always passed explicitly: with password=None yagmail prompts on the
            # terminal, which hangs an unattended run (DESIGN.md).
            self._yag = yagmail.SMTP(
                self.cfg.username,
                password=self._password,
                oauth2_file=self.oauth2_file,
                host="smtp.gmail.com",
                port=587,
                smtp_starttls=True,
                smtp_ssl=False,
            )
            self._yag.login()
        except smtplib.SMTPAuthenticationError as exc:
            raise AuthenticationFailed(
                f"Gmail refused the login ({_reply_text(exc.smtp_code, exc.smtp_error)}); use an "
                f"app password"
            ) from None
        self.conn = self._yag.smtp
