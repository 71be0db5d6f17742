"""The scheduler daemon, driven by an injected clock: days pass in milliseconds."""

from __future__ import annotations

import email
import email.policy
import os
import signal
import subprocess
import sys
import time as wall
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from support.sample_setup import copy_sample
from xlsdun.ledger import Ledger
from xlsdun.scheduler import Daemon, next_at

ZONE = ZoneInfo("Asia/Jerusalem")


@pytest.fixture
def client(tmp_path: Path) -> Path:
    return copy_sample(tmp_path)


def local(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=ZONE)


class FakeTime:
    """A clock and a sleep: sleeping moves the clock; `jumps` model a suspended machine."""

    def __init__(
        self, start: datetime, end: datetime, jumps: dict[datetime, datetime] | None = None
    ) -> None:
        self.now, self.end = start, end
        self.jumps = dict(jumps or {})
        self.daemon: Daemon | None = None

    def clock(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=max(seconds, 1.0))
        for at, to in list(self.jumps.items()):
            if self.now >= at:
                self.now = to
                del self.jumps[at]
        if self.now >= self.end and self.daemon is not None:
            self.daemon.stop("test over")


class Recorder:
    """A run_job that records its calls and leaves a finished run in each ledger, as a real run."""

    def __init__(self, clock: FakeTime, fail_on: set[date] | None = None) -> None:
        self.calls: list[tuple[date, datetime]] = []
        self.clock, self.fail_on = clock, fail_on or set()

    def __call__(self, paths: Sequence[str], today: date) -> int:
        self.calls.append((today, self.clock.now))
        if today in self.fail_on:
            raise RuntimeError("the workbook reader blew up")
        for p in paths:
            with Ledger(Path(p).parent / ".xlsdun" / "ledger.sqlite3") as ledger:
                run_id = f"{today}-fake{len(self.calls)}"
                ledger.start_run(run_id, today)
                ledger.finish_run(run_id, 0, {})
        return 0


def drive(config: Path, start: datetime, end: datetime, **kw) -> tuple[Recorder, Daemon, FakeTime]:
    fake = FakeTime(start, end, kw.pop("jumps", None))
    recorder = Recorder(fake, kw.pop("fail_on", None))
    daemon = Daemon(
        [str(config)], run_job=recorder, clock=fake.clock, sleep=fake.sleep, poll_seconds=600
    )
    fake.daemon = daemon
    assert daemon.serve() == 0
    return recorder, daemon, fake


def log_text(config: Path) -> str:
    return (config.parent / ".xlsdun" / "logs" / "xlsdun.log").read_text(encoding="utf-8")


def test_runs_once_a_day_at_the_set_time(client: Path) -> None:
    rec, _, _ = drive(client, local(2026, 11, 26, 6), local(2026, 11, 28, 20))
    assert [d for d, _ in rec.calls] == [date(2026, 11, 26), date(2026, 11, 27), date(2026, 11, 28)]
    for _, at in rec.calls:
        assert at.astimezone(ZONE).time() >= datetime(2000, 1, 1, 9).time()
    text = log_text(client)
    assert "scheduler started" in text and "heartbeat" in text and "scheduler stopped" in text


def test_catches_up_on_start_when_today_has_not_run(client: Path) -> None:
    rec, _, _ = drive(client, local(2026, 11, 26, 11), local(2026, 11, 26, 23))
    assert [d for d, _ in rec.calls] == [date(2026, 11, 26)]
    assert rec.calls[0][1] == local(2026, 11, 26, 11)  # at once, not tomorrow
    assert "catching up" in log_text(client)


def test_no_catch_up_when_the_ledger_says_today_is_done(client: Path) -> None:
    with Ledger(client.parent / ".xlsdun" / "ledger.sqlite3") as ledger:
        ledger.start_run("earlier", date(2026, 11, 26))
        ledger.finish_run("earlier", 0, {})
    rec, _, _ = drive(client, local(2026, 11, 26, 11), local(2026, 11, 27, 8))
    assert rec.calls == []


def test_a_missed_day_is_caught_up_exactly_once(client: Path) -> None:
    # The machine sleeps from the evening of the 26th to 10:00 on the 29th.
    rec, _, _ = drive(
        client,
        local(2026, 11, 26, 8),
        local(2026, 11, 30, 8),
        jumps={local(2026, 11, 26, 20): local(2026, 11, 29, 10)},
    )
    assert [d for d, _ in rec.calls] == [date(2026, 11, 26), date(2026, 11, 29)]


def test_a_failed_run_is_not_retried_every_tick_and_tomorrow_still_runs(client: Path) -> None:
    rec, _, _ = drive(
        client, local(2026, 11, 26, 6), local(2026, 11, 27, 20), fail_on={date(2026, 11, 26)}
    )
    assert [d for d, _ in rec.calls] == [date(2026, 11, 26), date(2026, 11, 27)]
    text = log_text(client)
    assert "the daily run failed" in text and "RuntimeError" in text
    notice = client.parent / "outbox" / "digest-2026-11-26.eml"
    msg = email.message_from_bytes(notice.read_bytes(), policy=email.policy.default)
    assert msg["To"] == "owner@example.co.il"
    assert "the workbook reader blew up" in msg.get_body(("plain",)).get_content()


def test_the_real_batch_runs_from_the_daemon(client: Path) -> None:
    fake = FakeTime(local(2026, 11, 26, 10), local(2026, 11, 26, 12))
    daemon = Daemon([str(client)], clock=fake.clock, sleep=fake.sleep, poll_seconds=1800)
    fake.daemon = daemon
    assert daemon.serve() == 0
    assert len(list((client.parent / "outbox" / "2026-11-26").glob("*.eml"))) == 14
    assert (client.parent / "outbox" / "digest-2026-11-26.eml").exists()
    with Ledger(client.parent / ".xlsdun" / "ledger.sqlite3") as ledger:
        assert ledger.finished_run_on(date(2026, 11, 26)) is not None


def test_next_at_keeps_wall_time_across_dst() -> None:
    before = local(2026, 10, 24, 10)  # Israel leaves summer time on 2026-10-25
    nxt = next_at(before, datetime(2000, 1, 1, 9).time(), ZONE)
    assert nxt == local(2026, 10, 25, 9) and nxt.utcoffset() == timedelta(hours=2)


@pytest.mark.skipif(os.name == "nt", reason="SIGTERM is POSIX")
def test_sigterm_stops_the_process_cleanly(client: Path) -> None:
    today = datetime.now(ZONE).date()
    with Ledger(client.parent / ".xlsdun" / "ledger.sqlite3") as ledger:
        ledger.start_run("done", today)  # today's run already happened: the daemon just waits
        ledger.finish_run("done", 0, {})
    proc = subprocess.Popen(
        [sys.executable, "-m", "xlsdun", "schedule", "--config", str(client), "--poll", "0.5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    log = client.parent / ".xlsdun" / "logs" / "xlsdun.log"
    deadline = wall.monotonic() + 30
    while wall.monotonic() < deadline:
        if log.exists() and "heartbeat" in log.read_text(encoding="utf-8"):
            break
        assert proc.poll() is None, proc.communicate()
        wall.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "scheduler stopped (signal SIGTERM)" in log.read_text(encoding="utf-8")
    assert "Traceback" not in err


def test_a_run_that_meets_another_runs_lock_is_tried_again_the_same_day(client: Path) -> None:
    """A manual run holding the lock at 09:00 made the scheduled day wait for tomorrow."""

    class Locked(Recorder):
        def __call__(self, paths: Sequence[str], today: date) -> int:
            if len(self.calls) < 2:  # 09:00 and 09:15: someone else's run holds the lock
                self.calls.append((today, self.clock.now))
                return 3
            return super().__call__(paths, today)

    fake = FakeTime(local(2026, 11, 26, 8), local(2026, 11, 26, 20))
    rec = Locked(fake)
    daemon = Daemon(
        [str(client)], run_job=rec, clock=fake.clock, sleep=fake.sleep, poll_seconds=600
    )
    fake.daemon = daemon
    assert daemon.serve() == 0
    times = [at.astimezone(ZONE).strftime("%H:%M") for _, at in rec.calls]
    assert times == ["09:00", "09:15", "09:30"]
    assert "trying again in" in log_text(client)


def test_lock_retries_of_two_zones_at_the_same_time_do_not_replace_each_other(
    tmp_path: Path,
) -> None:
    """Retries were kept by the group's clock time alone: two clients at 09:00 in different
    zones shared one slot, and one's retry replaced the other's, which then never ran."""
    first = copy_sample(tmp_path / "il")
    second = copy_sample(tmp_path / "uk")
    second.write_text(
        second.read_text("utf-8").replace('"Asia/Jerusalem"', '"Europe/London"'), "utf-8"
    )
    fake = FakeTime(local(2026, 11, 26, 8), local(2026, 11, 26, 20))
    locks = {str(first): 12, str(second): 1}  # attempts that meet someone else's lock
    calls: list[str] = []

    def run_job(paths: Sequence[str], today: date) -> int:
        calls.extend(paths)
        if locks[paths[0]]:  # the Israeli client's lock outlasts 09:00 in London (11:00)
            locks[paths[0]] -= 1
            return 3
        return Recorder(fake)(paths, today)

    daemon = Daemon([str(first), str(second)], run_job=run_job, clock=fake.clock, sleep=fake.sleep)
    fake.daemon = daemon
    assert daemon.serve() == 0
    assert locks == {str(first): 0, str(second): 0}  # both tried until the lock was gone
    assert calls.count(str(first)) == 13 and calls.count(str(second)) == 2
