"""Log files for unattended runs: one line per event, each with the run id, no secrets.

Users never read a traceback, but whoever helps them does: every run and every scheduler
event goes into `STATE_DIR/logs/xlsdun.log` (rotated, private to the user). Several clients
can run in one process (a bookkeeper's `--config clients/*/xlsdun.toml`): each client's
handler keeps only its own lines, plus the scheduler's lines that concern everyone.

Each line starts with its local time and UTC offset (the client's configured zone, else the
machine's), so a line reads the same on a server kept in UTC. Logging never stops a run: a
log that cannot be written (a full disk) is said once on stderr, without a traceback.
"""

from __future__ import annotations

import base64
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from datetime import datetime, tzinfo
from io import TextIOWrapper
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import cast
from urllib.parse import quote

from . import private

LOGGER_NAME = "xlsdun"
FORMAT = "%(asctime)s %(levelname)s run=%(run_id)s client=%(client)s %(message)s"
MAX_BYTES = 1_000_000
BACKUPS = 10
SHORT = 4  # secrets shorter than this are replaced only as whole words of a server's reply

_run_id: ContextVar[str] = ContextVar("xlsdun_run_id", default="-")
_client: ContextVar[str | None] = ContextVar("xlsdun_client", default=None)
_secrets: set[str] = set()
_short: set[str] = set()
_by_length: list[str] = []  # _secrets, longest first (one form may contain another)

# Credentials that might reach a message through an exception or a URL.
_PATTERNS = (
    re.compile(r"(?i)(password|passwd|pwd|secret|token|api[_-]?key)(\s*[=:]\s*)([^\s,;'\"]+)"),
    re.compile(r"(?i)(AUTH\s+(?:PLAIN|LOGIN|XOAUTH2)\s+)(\S+)"),
    re.compile(r"(?i)(https?://[^:/\s]+:)([^@\s]+)(@)"),
)

log = logging.getLogger(LOGGER_NAME)
# A library's logger: with no file attached (a dry run, a config that can't be read) its lines
# go nowhere, never to Python's last-resort stderr handler (a repeated error, a traceback).
_SILENT = logging.NullHandler()
log.addHandler(_SILENT)


def add_secret(value: str | None) -> None:
    """Remember a secret (an SMTP password, a token) so nothing xlsdun writes shows it, in
    any of the forms it travels in."""
    if value:
        _remember(secret_forms(value))


def add_credentials(username: str | None, password: str | None) -> None:
    """Remember a login: the password's forms plus the AUTH PLAIN and LOGIN lines, which
    carry the username and password together in base64."""
    if password:
        _remember(secret_forms(password, username))


def secret_forms(secret: str, username: str | None = None) -> set[str]:
    """The secret as typed, URL-encoded and in base64 (alone, and as AUTH PLAIN sends it
    with the username: "\\0user\\0password", also with an authorization identity)."""
    forms = {secret, quote(secret, safe="")}
    raw = [secret]
    if username:
        raw += [f"\0{username}\0{secret}", f"{username}\0{username}\0{secret}", username]
    for text in raw:
        encoded = base64.b64encode(text.encode("utf-8")).decode("ascii")
        forms |= {encoded, encoded.rstrip("=")}
    return forms


def _remember(forms: Iterable[str]) -> None:
    global _by_length
    for form in forms:
        if len(form) >= SHORT:
            _secrets.add(form)
        elif form:
            _short.add(form)
    _by_length = sorted(_secrets, key=len, reverse=True)


def redact(text: str, *, reply: bool = False) -> str:
    """`text` without any known secret. `reply`: the text is a server's reply, where a short
    password is replaced too, as a whole word (anywhere else "ab" would mangle the prose)."""
    for secret in _by_length:
        if secret in text:
            text = text.replace(secret, "***")
    if reply:
        for secret in _short:
            text = re.sub(rf"(?<![\w]){re.escape(secret)}(?![\w])", "***", text)
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
        client_dir: str | None = getattr(record, "client_dir", None)
        record.client = Path(client_dir).parent.name if client_dir else "-"
        return self.own is None or client_dir in (None, self.own)


class _RedactingFormatter(logging.Formatter):
    """Formats on one line (tracebacks folded) and removes secrets from the whole line; the
    time is ISO 8601 with the offset, in `zone` (None: the machine's)."""

    def __init__(self, zone: tzinfo | None = None) -> None:
        super().__init__(FORMAT)
        self.zone = zone

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        moment = datetime.fromtimestamp(record.created, self.zone)
        return (moment if self.zone else moment.astimezone()).isoformat(timespec="seconds")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return redact(text).replace("\r", "").replace("\n", " | ")


def _formatter(zone: tzinfo | None = None) -> logging.Formatter:
    return _RedactingFormatter(zone)


class _NeverFails:
    """A handler that cannot write (a full disk, a closed stderr) says so once on stderr, in
    one line, and lets the run go on: logging's own handleError prints a traceback."""

    xlsdun_failed = False

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        if self.xlsdun_failed:
            return
        self.xlsdun_failed = True
        problem = sys.exc_info()[1]
        _say(f"the log {self.xlsdun_where} cannot be written ({_why(problem)}); the run continues")

    def close(self) -> None:
        with suppress(OSError, ValueError):  # a flush that fails again on the way out
            super().close()  # type: ignore[misc]

    @property
    def xlsdun_where(self) -> str:
        return getattr(self, "baseFilename", "on stderr")


class _FileHandler(_NeverFails, RotatingFileHandler):
    """The rotating log, its files created private (0600), rotated ones too."""

    def _open(self) -> TextIOWrapper:
        stream = open(  # noqa: SIM115 - the handler keeps it open
            self.baseFilename,
            self.mode,
            encoding=self.encoding,
            errors=self.errors,
            opener=private.opener,
        )
        return cast(TextIOWrapper, stream)  # text: the mode is "a" (typeshed cannot tell)


class _StderrHandler(_NeverFails, logging.StreamHandler):
    pass


def _why(problem: BaseException | None) -> str:
    if isinstance(problem, OSError) and problem.strerror:
        return problem.strerror
    return type(problem).__name__ if problem else "unknown error"


def _say(note: str) -> None:
    with suppress(Exception):
        sys.stderr.write(f"xlsdun: note: {note}\n")
        sys.stderr.flush()


def log_file(state_dir: Path) -> Path:
    return state_dir / "logs" / "xlsdun.log"


def attach(state_dir: Path, zone: tzinfo | None = None) -> logging.Handler:
    """Start writing this client's lines to STATE_DIR/logs/xlsdun.log (idempotent), with
    times in `zone` (the config's time zone; None: the machine's)."""
    own = str(state_dir)
    for h in log.handlers:
        if getattr(h, "xlsdun_state_dir", None) == own:
            return h
    path = log_file(state_dir)
    handler: logging.Handler
    try:
        private.state_dir(state_dir)
        private.private_dir(path.parent)
        handler = _FileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
        )
    except OSError as exc:
        _say(f"the log folder {path.parent} cannot be created ({_why(exc)}); the run continues")
        handler = logging.NullHandler()
    handler.xlsdun_state_dir = own  # type: ignore[union-attr]
    handler.setFormatter(_formatter(zone))
    handler.addFilter(_Context(own))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return handler


def detach_all() -> None:
    """Close every handler (tests, and the end of a CLI command)."""
    for h in list(log.handlers):
        if h is _SILENT:  # the library's own; a client's stand-in (no log folder) goes too
            continue
        log.removeHandler(h)
        h.close()


def to_stderr(level: int = logging.INFO) -> logging.Handler:
    """Scheduler lines on stderr too, for the service manager's journal."""
    for h in log.handlers:
        if getattr(h, "xlsdun_stderr", False):
            return h
    handler = _StderrHandler()
    handler.xlsdun_stderr = True  # type: ignore[attr-defined]
    handler.setLevel(level)
    handler.setFormatter(_formatter())
    handler.addFilter(_Context())
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return handler
