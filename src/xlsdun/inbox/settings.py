"""`[inbox]`: where the replies arrive, as typed values (config.py reads and checks the table).

Pure and import-free so the config can hold it without loading an IMAP library.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SECURITIES = ("ssl", "starttls", "none")


@dataclass(frozen=True, slots=True)
class InboxConfig:
    """The mailbox xlsdun reads (never deletes or moves; marks read only if asked to).

    The secret fields are named as `[delivery.smtp]`'s, so the same code finds the password:
    the environment variable `password_env`, else the OS keyring (service `xlsdun`, user
    `USERNAME@HOST`), else `password` only with `allow_plaintext_password`."""

    host: str
    username: str
    port: int = 993
    security: str = "ssl"  # "ssl" | "starttls" | "none" (a server on this machine only)
    password_env: str = "XLSDUN_IMAP_PASSWORD"
    password: str | None = None
    allow_plaintext_password: bool = False
    oauth2_file: Path | None = None  # Gmail: the same OAuth2 file as sending (XOAUTH2)
    folders: tuple[str, ...] = ("INBOX",)
    mark_read: bool = False  # mark the messages read once processed
    timeout: float = 30.0
    max_per_run: int = 500  # messages processed per run and folder; the rest next run
