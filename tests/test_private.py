"""Everything xlsdun creates is the user's alone (folders 0700, files 0600), whatever the
umask; the workbook keeps the mode it had."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.sample_setup import TODAY
from xlsdun.ledger import Ledger

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX modes")


def xlsdun(folder: Path, *args: str) -> None:
    """The CLI under the common umask 022, as a user's shell or cron runs it."""
    proc = subprocess.run(
        [sys.executable, "-m", "xlsdun", *args, "--config", str(folder / "xlsdun.toml")],
        capture_output=True,
        text=True,
        timeout=120,
        umask=0o022,
    )
    assert proc.returncode == 0, proc.stderr


def modes(root: Path) -> Iterator[tuple[Path, int]]:
    yield root, stat.S_IMODE(root.stat().st_mode)
    for path in root.rglob("*"):
        yield path, stat.S_IMODE(path.lstat().st_mode)


def not_private(root: Path) -> list[str]:
    return [
        f"{oct(mode)} {path}"
        for path, mode in modes(root)
        if mode != (0o700 if path.is_dir() else 0o600)
    ]


@pytest.fixture
def umask_022() -> Iterator[None]:
    """This process's umask, for the in-process parts; restored after (it is process-wide)."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_run_under_umask_022_creates_nothing_others_can_read(demo: Path, umask_022) -> None:  # type: ignore[no-untyped-def]
    book = demo / "receivables.xlsx"
    os.chmod(book, 0o640)
    xlsdun(demo, "run", "--today", TODAY)  # reminders, digest, report, log, ledger, backup
    xlsdun(demo, "run", "--dry-run", "--today", "2026-11-27")  # the preview folder
    xlsdun(demo, "preview", "--today", TODAY)  # the gallery: html, txt, eml, index
    xlsdun(demo, "preview", "--all-tiers", "--today", "2026-11-28")
    assert list((demo / ".xlsdun" / "preview" / TODAY).glob("*.html"))
    state, outbox = demo / ".xlsdun", demo / "outbox"
    assert {p.name for p in state.iterdir()} >= {"backups", "logs", "reports", "preview"}
    assert list(outbox.glob(f"{TODAY}/*.eml")) and (outbox / "index.csv").exists()
    assert list(outbox.glob("digest-*.eml"))
    with Ledger(state / "ledger.sqlite3"):  # its WAL and shared-memory files exist while open
        assert (state / "ledger.sqlite3-wal").exists() and (state / "ledger.sqlite3-shm").exists()
        assert not_private(state) == []
    assert not_private(outbox) == []
    assert stat.S_IMODE(book.stat().st_mode) == 0o640  # the user's file keeps its mode


def test_a_state_folder_made_readable_by_others_is_made_private_again(demo: Path) -> None:
    state, outbox = demo / ".xlsdun", demo / "outbox"
    state.mkdir(mode=0o755)
    outbox.mkdir(mode=0o755)  # a folder the user made (and may share on purpose)
    os.chmod(state, 0o755)
    os.chmod(outbox, 0o755)
    xlsdun(demo, "run", "--today", TODAY)
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert stat.S_IMODE(outbox.stat().st_mode) == 0o755  # kept: the user's
    assert not_private(outbox / TODAY) == []  # what xlsdun put in it is private
