"""The inbox over time, against a real Dovecot: a run SIGKILLed while it reads the inbox and
run again (every message processed exactly once), and a month of daily runs on the sample
with a seeded mailbox (nobody who replied is reminded until the owner acts, no bounced
address is mailed again, auto-replies change nothing)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from support import inbox_mail as mail
from support.imap_server import Dovecot
from test_inbox_imap import DAY1, inbox_config, inbox_rows, seed, sent_ids
from xlsdun.engine import run_once


def _processed(ledger: Path) -> int:
    try:
        db = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True, timeout=1)
        try:
            return int(db.execute("SELECT COUNT(*) FROM inbox_messages").fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def _run_and_kill(toml: Path, ledger: Path, at: int, today: str) -> tuple[int | None, int]:
    """`xlsdun run` in its own process, SIGKILLed once `at` messages are recorded: (the exit
    code if it finished first, the count when it stopped)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "xlsdun", "run", "--config", str(toml), "--today", today, "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=os.environ.copy(),
    )
    try:
        while proc.poll() is None:
            if _processed(ledger) >= at:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                return None, _processed(ledger)
            time.sleep(0.005)
        assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
        return proc.returncode, _processed(ledger)
    finally:
        if proc.stderr:
            proc.stderr.close()


def test_sigkill_while_reading_the_inbox_then_a_rerun_processes_each_message_once(
    tmp_path: Path, imap: Dovecot
) -> None:
    cfg = inbox_config(tmp_path, imap)
    total = 240
    messages = []
    for i in range(total):
        raw = mail.plain_reply(f"person{i}@else.example", f"message {i}", message_id=f"<k{i}@x>")
        if i % 3 == 0:  # no Message-ID: only its UID tells it apart
            raw = raw.replace(f"Message-ID: <k{i}@x>\n".encode(), b"")
        messages.append(raw)
    imap.append(*messages)
    ledger = cfg.state_dir / "ledger.sqlite3"
    kills = []
    for at in (1, 40, 90, 150, 200):
        code, count = _run_and_kill(cfg.source, ledger, at, DAY1.isoformat())
        if code is None:
            kills.append(count)
        else:
            assert code == 0
    assert any(0 < k < total for k in kills), kills  # at least one kill was mid-inbox
    code, _ = _run_and_kill(cfg.source, ledger, total + 1, DAY1.isoformat())
    assert code == 0
    rows = inbox_rows(cfg)
    assert len(rows) == total
    assert sorted(r["uid"] for r in rows) == sorted({r["uid"] for r in rows})
    assert len({r["message_id"] for r in rows if r["message_id"]}) == total - len(
        range(0, total, 3)
    )


def test_a_month_of_daily_runs_with_a_seeded_mailbox(tmp_path: Path, imap: Dovecot) -> None:
    cfg = inbox_config(tmp_path, imap)
    run_once(cfg, DAY1)
    seed(imap, sent_ids(cfg))
    replied = {"Atlas Software Inc.", "מספרת שירן"}
    bounced = {"Blue Cedar Catering", "Harbor Light Dental Clinic"}
    auto = {"Northwind Interiors Ltd", "מכולת השכונה - יוסי ובניו"}
    sent: dict[str, list[date]] = {}
    day = DAY1 + timedelta(days=1)
    while day <= date(2026, 12, 31):
        if day == date(2026, 12, 10):  # a late reply in Hebrew (Outlook), no thread headers
            imap.append(
                mail.plain_reply(
                    "ezra.garage@example.co.il", mail.OUTLOOK_HEBREW, message_id="<late@ezra>"
                )
            )
            replied.add("מוסך האחים עזרא")
        report = run_once(cfg, day)
        assert report.exit_code == 0, report.notes
        for d in report.deliveries:
            if not d.earlier and d.outcome == "written_to_outbox":
                sent.setdefault(d.action.customer, []).append(day)
        day += timedelta(days=1)
    assert not any(sent.get(c) for c in replied - {"מוסך האחים עזרא"})
    assert all(d < date(2026, 12, 10) for d in sent.get("מוסך האחים עזרא", [])), sent
    print(sent)
    assert not any(sent.get(c) for c in bounced)  # never mailed again
    assert all(sent.get(c) for c in auto)  # auto-replies changed nothing: reminded on
    rows = inbox_rows(cfg)
    assert len(rows) == 9 and len({r["message_id"] for r in rows}) == 9  # each once
