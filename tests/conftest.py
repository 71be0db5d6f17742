"""Fixtures for the delivery tests: a scripted SMTP server and the sample set up to use it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from smtp_server import PASSWORD, SmtpServer


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
