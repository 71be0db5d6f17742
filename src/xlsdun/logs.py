"""Log files for unattended runs: one line per event, each with the run id, no secrets.

Users never read a traceback, but whoever helps them does: every run and every scheduler
event goes into `STATE_DIR/logs/xlsdun.log` (rotated). Several clients can run in one
process (a bookkeeper's `--config clients/*/xlsdun.toml`): each client's handler keeps only
its own lines, plus the scheduler's lines that concern everyone.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOGGER_NAME = "xlsdun"
FORMAT = "%(asctime)s %(levelname)s run=%(run_id)s client=%(client)s %(message)s"
MAX_BYTES = 1_000_000
BACKUPS = 10

_run_id: ContextVar[str] = ContextVar("xlsdun_run_id", default="-")
_client: ContextVar[str | None] = ContextVar("xlsdun_client", default=None)
_secrets: set[str] = set()

# Credentials that might reach a message through an exception or a URL.
_PATTERNS = (
    re.compile(r"(?i)(password|passwd|pwd|secret|token|api[_-]?key)(\s*[=:]\s*)([^\s,;'\"]+)"),
    re.compile(r"(?i)(AUTH\s+(?:PLAIN|LOGIN)\s+)(\S+)"),
    re.compile(r"(?i)(https?://[^:/\s]+:)([^@\s]+)(@)"),
)

log = logging.getLogger(LOGGER_NAME)
# A library's logger: with no file attached (a dry run, a config that can't be read) its lines
# go nowhere, never to Python's last-resort stderr handler (a repeated error, a traceback).
log.addHandler(logging.NullHandler())


def add_secret(value: str | None) -> None:
    """Remember a secret (an SMTP password) so no log line ever shows it."""
    if value and len(value) >= 4:
        _secrets.add(value)


def redact(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    text = _PATTERNS[0].sub(r"\1\2***", text)
    text = _PATTERNS[1].sub(r"\1***", text)
    return _PATTERNS[2].sub(r"\1***\3", text)


def bind_run(run_id: str) -> None:
    """Tag every following log line in this context with the run id, starting with this one."""
    _run_id.set(run_id)
    log.info("run started")


@contextmanager
def client(state_dir: Path | None, run_id: str = "-") -> Iterator[None]:
    """Lines logged inside belong to one client (its state dir) and go to its log only."""
    tokens = (_client.set(str(state_dir) if state_dir else None), _run_id.set(run_id))
    try:
        yield
    finally:
        _run_id.reset(tokens[1])
        _client.reset(tokens[0])


class _Context(logging.Filter):
    """Adds run id and client to each record; a per-client handler drops other clients'."""

    def __init__(self, own: str | None = None) -> None:
        super().__init__()
        self.own = own

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "run_id"):
            record.run_id = _run_id.get()
        if not hasattr(record, "client_dir"):
            record.client_dir = _client.get()
        record.client = Path(record.client_dir).parent.name if record.client_dir else "-"
        return self.own is None or record.client_dir in (None, self.own)


class _RedactingFormatter(logging.Formatter):
    """Formats on one line (tracebacks folded) and removes secrets from the whole line."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return redact(text).replace("\r", "").replace("\n", " | ")


def _formatter() -> logging.Formatter:
    return _RedactingFormatter(FORMAT, datefmt="%Y-%m-%dT%H:%M:%S%z")


def log_file(state_dir: Path) -> Path:
    return state_dir / "logs" / "xlsdun.log"


def attach(state_dir: Path) -> logging.Handler:
    """Start writing this client's lines to STATE_DIR/logs/xlsdun.log (idempotent)."""
    own = str(state_dir)
    for h in log.handlers:
        if getattr(h, "xlsdun_state_dir", None) == own:
            return h
    path = log_file(state_dir)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handler = RotatingFileHandler(
        path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
    )
    handler.xlsdun_state_dir = own  # type: ignore[attr-defined]
    handler.setFormatter(_formatter())
    handler.addFilter(_Context(own))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    if os.name != "nt" and not path.exists():
        path.touch(mode=0o600)
    return handler


def detach_all() -> None:
    """Close every handler (tests, and the end of a CLI command)."""
    for h in list(log.handlers):
        if isinstance(h, logging.NullHandler):
            continue
        log.removeHandler(h)
        h.close()


def to_stderr(level: int = logging.INFO) -> logging.Handler:
    """Scheduler lines on stderr too, for the service manager's journal."""
    for h in log.handlers:
        if getattr(h, "xlsdun_stderr", False):
            return h
    handler = logging.StreamHandler()
    handler.xlsdun_stderr = True  # type: ignore[attr-defined]
    handler.setLevel(level)
    handler.setFormatter(_formatter())
    handler.addFilter(_Context())
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return handler
