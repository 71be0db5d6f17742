"""Shared fixtures: the sample in a temporary folder, log files closed after each test, and a
scripted SMTP server with the sample set up to use it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from support.sample_setup import copy_sample
from support.smtp_server import PASSWORD, SmtpServer
from xlsdun import logs


@pytest.fixture(autouse=True)
def _close_logs() -> Iterator[None]:
    """A run attaches log files, and remembers secrets to redact; each test leaves neither
    behind (a 2-letter test password would otherwise be redacted in every later test)."""
    kept = [(store, list(store)) for store in (logs._secrets, logs._short, logs._by_length)]
    yield
    logs.detach_all()
    for store, before in kept:
        store.clear()
        if isinstance(store, set):
            store.update(before)
        else:
            store.extend(before)


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A folder with the sample workbook and config, as `make demo` starts from."""
    copy_sample(tmp_path)
    return tmp_path


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[Callable[..., SmtpServer]]:
    """Start servers on 127.0.0.1: `smtp_server(security="starttls", login=..., script=...)`."""
    started: list[SmtpServer] = []

    def start(**kwargs: object) -> SmtpServer:
        server = SmtpServer(tmp_path, **kwargs).start()  # type: ignore[arg-type]
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def smtp_env(monkeypatch: pytest.MonkeyPatch) -> Callable[[SmtpServer], None]:
    """The password in the environment and the server's test CA trusted, as a user sets up."""

    def apply(server: SmtpServer, password: str = PASSWORD) -> None:
        monkeypatch.setenv("XLSDUN_SMTP_PASSWORD", password)
        if server.ca_file:
            monkeypatch.setenv("XLSDUN_SMTP_CAFILE", str(server.ca_file))

    return apply


@pytest.fixture
def machine_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Set this machine's time zone (TZ) for the test; restored after."""

    def set_zone(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield set_zone
    monkeypatch.undo()
    time.tzset()
