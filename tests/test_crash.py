"""SIGKILL the real `xlsdun run` at each point of a run against a real SMTP server.

One workbook, one ledger, one server; each run is killed at the next point in turn, and
each kill is followed by a run that picks up where it stopped. At the end, after a normal
run: nobody got a reminder twice, every debtor got exactly one or is `ambiguous` (exactly
the ones in flight at a kill), and the workbook is whole and says so.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from support.sample_setup import EXPECTED_SENDS, OWNED_PARTS, TODAY
from support.smtp_server import (
    SERVER_WARNINGS,
    Script,
    SmtpServer,
    ledger_rows,
    sheet_statuses,
    smtp_sample,
)

pytestmark = [pytest.mark.filterwarnings(w) for w in SERVER_WARNINGS]


class Runner:
    """Starts the CLI and kills it from the server's side at a scripted point."""

    def __init__(self, toml: Path, server: SmtpServer) -> None:
        self.toml, self.server = toml, server
        self.proc: subprocess.Popen[str] | None = None
        self.killed_at: str | None = None
        script = server.handler.script
        script.on_connect = lambda n: self._maybe("connect", n)
        script.on_mail = lambda n: self._maybe("mail", n)
        script.on_data = lambda n: self._maybe("data", n)
        self.point: tuple[str, int] | None = None

    def _maybe(self, event: str, n: int) -> None:
        if self.point == (event, n) and self.proc is not None:
            self.kill(f"{event} #{n}")

    def kill(self, where: str) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.killed_at = where

    def run(
        self, point: tuple[str, int] | None = None, watch: Callable[[], bool] | None = None
    ) -> int:
        self.point, self.killed_at = point, None
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "xlsdun",
                "run",
                "--config",
                str(self.toml),
                "--today",
                TODAY,
                "--quiet",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        if watch is not None:
            threading.Thread(target=self._watch, args=(watch,), daemon=True).start()
        _, err = self.proc.communicate(timeout=60)
        code = self.proc.returncode
        self.proc = None
        assert code == -signal.SIGKILL or "Traceback" not in err, err
        return code

    def _watch(self, seen: Callable[[], bool]) -> None:
        proc = self.proc
        while proc is not None and proc.poll() is None:
            if seen():
                self.kill("write-back")
                return
            time.sleep(0.0005)


def in_flight(folder: Path) -> list[str]:
    return [c for c, r in ledger_rows(folder).items() if r["state"] == "sending"]


def test_sigkill_at_every_point_loses_nothing_and_sends_nothing_twice(
    smtp_server: Callable[..., SmtpServer], tmp_path: Path
) -> None:
    server = smtp_server(script=Script())
    folder = tmp_path / "demo"
    toml = smtp_sample(folder, server)
    book = folder / "receivables.xlsx"
    original = {i.filename: zipfile.ZipFile(book).read(i) for i in zipfile.ZipFile(book).infolist()}
    runner = Runner(toml, server)
    handler = server.handler
    ambiguous_by_kill: list[str] = []

    # At connect, before the first message: nothing may be marked as being sent.
    assert runner.run(("connect", 1)) == -signal.SIGKILL
    assert handler.mails == 0 and in_flight(folder) == []

    # After message 1 completed, as message 2 starts (MAIL FROM): 1 is sent, 2 in flight.
    assert runner.run(("mail", 2)) == -signal.SIGKILL
    assert len(server.received) == 1
    (flying,) = in_flight(folder)
    ambiguous_by_kill.append(flying)

    # After each further DATA, before the server's 250 reaches xlsdun.
    while len(server.received) + 1 < len(EXPECTED_SENDS):  # + the one never sent
        target = handler.datas + 1
        assert runner.run(("data", target)) == -signal.SIGKILL, f"DATA #{target} not reached"
        (flying,) = in_flight(folder)
        rows = ledger_rows(folder)
        assert rows[flying]["message_id"] == server.received[-1].message_id
        ambiguous_by_kill.append(flying)
        pd.read_excel(book, sheet_name="Receivables", header=3, engine="calamine")

    # During the write-back: as soon as the new workbook's temp file appears beside it.
    assert runner.run(watch=lambda: any(folder.glob(".receivables.xlsx.xlsdun-tmp-*"))) == (
        -signal.SIGKILL
    )
    assert runner.killed_at == "write-back"
    pd.read_excel(book, sheet_name="Receivables", header=3, engine="calamine")

    sent_before = len(server.received)
    assert runner.run() == 0
    assert len(server.received) == sent_before  # nothing in doubt was sent again

    rows = ledger_rows(folder)
    assert set(rows) == set(EXPECTED_SENDS)
    received: dict[str, list[str]] = {}
    for r in server.received:
        for rcpt in r.rcpt_tos:
            received.setdefault(rcpt, []).append(r.message_id)
    assert all(len(ids) == 1 for ids in received.values()), received
    states = {c: r["state"] for c, r in rows.items()}
    assert sorted(c for c, s in states.items() if s == "ambiguous") == sorted(ambiguous_by_kill)
    assert set(states.values()) == {"sent", "ambiguous"}
    for customer, row in rows.items():
        got = received.get(row["email"], [])
        if row["state"] == "sent":
            assert got == [row["message_id"]], customer
        else:
            assert got in ([], [row["message_id"]]), customer
    assert len(received) == len(EXPECTED_SENDS) - 1  # only the one killed before its DATA

    after = zipfile.ZipFile(book)
    for info in after.infolist():
        if info.filename in original and info.filename not in OWNED_PARTS:
            assert after.read(info) == original[info.filename], info.filename
    assert set(original) <= {i.filename for i in after.infolist()}
    assert not list(folder.glob(".receivables.xlsx.xlsdun-tmp-*"))
    statuses = sheet_statuses(folder)
    for customer, state in states.items():
        wanted = "Sent: " if state == "sent" else "Check: "
        assert {s for s in statuses[customer] if s != "Paid"} and all(
            s.startswith(wanted) for s in statuses[customer] if s != "Paid"
        ), statuses[customer]
    log = pd.read_excel(book, sheet_name="Reminder log", engine="calamine")
    assert log["Key"].is_unique
    assert set(log["Customer"]) == set(EXPECTED_SENDS)
