"""Wiring: the objects a run is built from, made from a config in one place.

The engine, the doctor, the CLI and the run's other callers ask here for the workbook's rows,
the ledger's path, the message renderer and the delivery backend (the digest is given its
backend by them), so none of them needs another's factory (no import cycle) and the pipeline
modules stay free of construction details.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Config
from .deliver.base import Backend
from .deliver.outbox import OutboxBackend
from .models import Receivables

if TYPE_CHECKING:
    from .render import Renderer

__all__ = [
    "ledger_path",
    "load_receivables",
    "make_backend",
    "make_renderer",
    "dry_run_backend",
    "preview_folder",
    "with_holidays",
]


def load_receivables(config: Config) -> Receivables:
    """The receivables sheet the config names, read with its columns and locale."""
    from .workbook.read import read_receivables  # calamine is loaded only when reading

    wb = config.workbook
    date_order = wb.date_order or ("MDY" if config.locale.country == "US" else "DMY")
    return read_receivables(
        wb.path,
        sheet=wb.sheet,
        header_row=wb.header_row,
        columns=config.columns,
        owned_columns={k: v for k, v in config.owned_columns.items() if k != "log_sheet"},
        date_order=date_order,
        default_currency=config.locale.currency,
        default_language=config.locale.language,
        include_hidden_rows=wb.include_hidden_rows,
        backups_dir=config.state_dir / "backups",
        encoding=wb.encoding,
        customer_shown_once=wb.customer_shown_once,
    )


def ledger_path(config: Config) -> Path:
    """The ledger: the one record of what was sent, inside the private state folder."""
    return config.state_dir / "ledger.sqlite3"


def make_renderer(config: Config) -> Renderer:
    """The renderer for the config's sender, locale, policy, templates and attachments."""
    from .attachments import Rules
    from .render import Renderer

    return Renderer(
        sender=config.sender,
        locale=config.locale,
        policy=config.policy,
        template_dir=config.template_dir,
        attachments=Rules.from_config(config),
    )


def with_holidays(config: Config, today: date) -> Config:
    """The config with the public holidays of this year and the next in its policy, from a
    cached table (holiday_cache.py: the user's cache folder): the plan looks a month ahead."""
    from dataclasses import replace

    from .holiday_cache import cached_holidays

    policy = config.policy
    if not policy.skip_holidays:
        return config
    table = cached_holidays(config.state_dir, policy.country, (today.year, today.year + 1))
    return replace(config, policy=replace(policy, holidays=table))


def preview_folder(config: Config, today: date) -> Path:
    """Where `xlsdun preview` puts the day's gallery."""
    return config.state_dir / "preview" / today.isoformat()


def dry_run_backend(config: Config, today: date) -> OutboxBackend:
    """Where `run --dry-run` writes the day's messages: a folder of its own, so that a dry run
    and a preview (each clears its folder first) never delete each other's files."""
    return OutboxBackend(config.state_dir / "dry-run" / today.isoformat(), ".")


def make_backend(config: Config, today: date) -> Backend:
    """Where the day's messages go: the outbox, or a mail server; the SMTP modules load only
    when mail is really sent (the dry run writes into `dry_run_backend`)."""
    if config.delivery.backend == "outbox":
        return OutboxBackend(config.delivery.outbox_dir, today.isoformat())
    from .deliver.smtp import GmailBackend, SmtpBackend, resolve_password

    password = resolve_password(config.delivery.smtp)  # registered as a secret by SmtpBackend
    if config.delivery.backend == "gmail":
        return GmailBackend(config.delivery.smtp, password, config.delivery.smtp.oauth2_file)
    return SmtpBackend(config.delivery.smtp, password)
