"""SMTP throughput: xlsdun's SmtpBackend vs raw smtplib vs a loop of yagmail.SMTP.send().

All three send the same n reminders (rendered from the sample workbook) to an aiosmtpd
server on 127.0.0.1. xlsdun's backend speaks MAIL/RCPT/DATA itself (to know whether a broken
connection happened before or after DATA); raw smtplib's `send_message` over one connection
is the ceiling; yagmail logs in again for every message (DESIGN.md), which is why xlsdun
only borrows its login. "with ledger" adds the exactly-once bookkeeping: three committed,
fsynced SQLite transactions per message.

Run: `python benchmarks/smtp_bench.py [N]`; `run_smtp_bench(n)` returns the numbers.
"""

from __future__ import annotations

import copy
import dataclasses
import shutil
import smtplib
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from xlsdun import config as config_mod
from xlsdun.config import SmtpConfig
from xlsdun.deliver.smtp import SmtpBackend
from xlsdun.engine import make_plan
from xlsdun.ledger import Ledger
from xlsdun.models import Action
from xlsdun.wiring import make_renderer

ROOT = Path(__file__).resolve().parents[1]
TODAY = date(2026, 11, 26)
TARGET = 0.8


class _Counter:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 2.0.0 Ok"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _messages(n: int) -> tuple[list[EmailMessage], list[Action]]:
    """n real reminders (the sample's 14, cycled), each with its own address and Message-ID."""
    cfg = config_mod.load(ROOT / "sample_data" / "xlsdun.toml")
    _, plan = make_plan(cfg, TODAY)
    renderer = make_renderer(cfg)
    now = datetime(2026, 11, 26, 9, 0, tzinfo=cfg.zone)
    base = [(a, renderer.render(a, today=TODAY, now=now)) for a in plan.sends]
    messages, actions = [], []
    for i in range(n):
        action, template = base[i % len(base)]
        msg = copy.deepcopy(template)
        address = f"debtor{i}@example.com"
        msg.replace_header("To", address)
        msg.replace_header("Message-ID", make_msgid(domain="bench.example"))
        messages.append(msg)
        actions.append(dataclasses.replace(action, debtor=f"bench:{i}", email=address))
    return messages, actions


def _timed(func: Callable[[], None]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def run_smtp_bench(n: int = 1000) -> dict[str, Any]:
    """Seconds and messages/second for each way of sending, and xlsdun's ratio to raw smtplib."""
    import yagmail

    messages, actions = _messages(n)
    handler = _Counter()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    cfg = SmtpConfig(host="127.0.0.1", port=port, security="none", timeout=30.0)
    work = Path(tempfile.mkdtemp(prefix="xlsdun-bench-"))

    def raw() -> None:
        conn = smtplib.SMTP("127.0.0.1", port, timeout=30)
        for msg in messages:
            conn.send_message(msg)
        conn.quit()

    def backend() -> None:
        b = SmtpBackend(cfg, None)
        b.open()
        for msg in messages:
            b.send(msg)
        b.close()

    def with_ledger() -> None:
        b = SmtpBackend(cfg, None)
        b.open()
        with Ledger(work / f"ledger-{time.monotonic_ns()}.sqlite3") as ledger:
            for action, msg in zip(actions, messages, strict=True):
                send_id = ledger.begin("bench", TODAY, action, "smtp")
                assert send_id is not None
                ledger.mark(send_id, "sending", message_id=str(msg["Message-ID"]))
                result = b.send(msg)
                ledger.mark(send_id, "sent", detail=result.detail, envelope=result.envelope)
        b.close()

    def yag_loop() -> None:
        yag = yagmail.SMTP(
            "bench@example.com",
            host="127.0.0.1",
            port=port,
            smtp_starttls=False,
            smtp_ssl=False,
            smtp_skip_login=True,
            soft_email_validation=False,
        )
        yag.set_logging(None)
        for msg in messages:
            body = msg.get_body(("plain",))
            yag.send(
                to=str(msg["To"]),
                subject=str(msg["Subject"]),
                contents=[body.get_content() if body else ""],
            )
        yag.close()

    try:
        times: dict[str, list[float]] = {"raw": [], "xlsdun": []}
        for _ in range(2):  # alternate, keep the best: loopback timings are noisy
            times["raw"].append(_timed(raw))
            times["xlsdun"].append(_timed(backend))
        ledger_s = _timed(with_ledger)
        yag_s = _timed(yag_loop)
    finally:
        controller.stop()
        shutil.rmtree(work, ignore_errors=True)
    raw_s, ours_s = min(times["raw"]), min(times["xlsdun"])
    return {
        "messages": n,
        "server_received": handler.count,
        "raw_smtplib_s": round(raw_s, 3),
        "xlsdun_smtp_s": round(ours_s, 3),
        "xlsdun_with_ledger_s": round(ledger_s, 3),
        "yagmail_loop_s": round(yag_s, 3),
        "raw_smtplib_per_s": round(n / raw_s, 1),
        "xlsdun_smtp_per_s": round(n / ours_s, 1),
        "xlsdun_with_ledger_per_s": round(n / ledger_s, 1),
        "yagmail_loop_per_s": round(n / yag_s, 1),
        "ratio_vs_raw_smtplib": round(raw_s / ours_s, 3),
        "ratio_with_ledger_vs_raw_smtplib": round(raw_s / ledger_s, 3),
        "ratio_vs_yagmail_loop": round(yag_s / ours_s, 3),
        "target_vs_raw_smtplib": TARGET,
        "meets_target": raw_s / ours_s >= TARGET,
    }


if __name__ == "__main__":
    result = run_smtp_bench(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    print(
        f"\nxlsdun SmtpBackend: {result['ratio_vs_raw_smtplib']}x raw smtplib "
        f"(target >= {TARGET}x), {result['ratio_vs_yagmail_loop']}x a yagmail.send() loop; "
        f"with the ledger: {result['ratio_with_ledger_vs_raw_smtplib']}x raw smtplib."
    )
