"""The run lock dies with its run: SIGKILL the real `xlsdun run` while its render helper is
alive, and the helper goes too, the next run (or the scheduler) proceeds, nobody gets two
reminders. Also the lock's own rules: a live holder keeps others out (exit 3, named), a
dead holder's lock is taken over, a forked child never holds it, and two runs in one
process are kept apart."""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from support.processes import child_pids, proc_alive
from support.sample_setup import TODAY, bench_sample, invoke
from support.smtp_server import ledger_states
from xlsdun import logs, outbox_batch, speedups
from xlsdun.errors import RunError
from xlsdun.ledger import Ledger
from xlsdun.runlock import run_lock
from xlsdun.scheduler import Daemon

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc, fork")

# Holds the run lock of STATE_DIR in a separate process; "fork" also leaves a child behind
# that is no render helper (it does not watch its parent), to show it does not hold the lock.
HOLDER = """
import os, sys, time
from pathlib import Path
from xlsdun.runlock import run_lock
with run_lock(Path(sys.argv[1])):
    child = 0
    if sys.argv[2] == "fork":
        child = os.fork()
        if child == 0:
            time.sleep(60)
            os._exit(0)
    print("held", child, flush=True)
    time.sleep(60)
"""


def wait_until(condition, seconds: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


@pytest.fixture
def holder(tmp_path: Path) -> Iterator:  # type: ignore[type-arg]
    """Start HOLDER processes; each is killed (with its child) at the end of the test."""
    started: list[int] = []

    def start(state: Path, fork: bool = False) -> tuple[subprocess.Popen[str], int]:
        proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(state), "fork" if fork else "-"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        word, child = proc.stdout.readline().split()
        assert word == "held"
        started.extend(p for p in (proc.pid, int(child)) if p)
        return proc, int(child)

    yield start
    for pid in started:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def xlsdun_run(toml: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "xlsdun", "run", "--config", str(toml), "--today", TODAY],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_while_helper_lives(toml: Path) -> list[int]:
    """Start `xlsdun run` and SIGKILL it as soon as its forked render helper exists."""
    proc = xlsdun_run(toml)
    helpers: list[int] = []
    while proc.poll() is None and not helpers:
        helpers = child_pids(proc.pid)
        time.sleep(0.001)
    if helpers:
        proc.kill()
    _, err = proc.communicate(timeout=60)
    assert helpers, f"the run ended before its render helper was seen: {err}"
    assert proc.returncode == -signal.SIGKILL
    return helpers


def outbox_recipients(folder: Path) -> Counter[str]:
    found: Counter[str] = Counter()
    for path in (folder / "outbox" / TODAY).glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        found[str(message["To"].addresses[0].addr_spec)] += 1
    return found


@linux_only
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="the render helper needs two cores")
@pytest.mark.skipif(
    not speedups.enabled("fork"), reason="XLSDUN_PORTABLE: renders in-process, no helper to kill"
)
@pytest.mark.parametrize("next_run", ["run", "schedule"])
def test_sigkill_leaves_no_orphan_and_the_next_run_sends_the_rest_once(
    tmp_path: Path, next_run: str
) -> None:
    folder = tmp_path / "big"
    toml = bench_sample(folder, 2_000)  # 400 debtors: two batches, one rendered by the helper
    helpers = kill_while_helper_lives(toml)
    try:
        assert wait_until(lambda: not any(proc_alive(p) for p in helpers), 3.0), (
            "the render helper outlived the killed run"
        )
    finally:  # an orphan left by a failure here must not outlive the test
        for pid in filter(proc_alive, helpers):
            os.kill(pid, signal.SIGKILL)
    if next_run == "run":
        proc = xlsdun_run(toml)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    else:  # the daemon's catch-up at 10:00 in Jerusalem on the same day
        clock = lambda: datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # noqa: E731
        assert Daemon([str(toml)], clock=clock).catch_up() == 1
        with Ledger(folder / ".xlsdun" / "ledger.sqlite3") as ledger:
            assert ledger.finished_run_on(datetime(2026, 11, 26).date()) is not None

    states = ledger_states(folder)
    assert len(states) == 400 and set(states.values()) == {"written_to_outbox"}
    sent = outbox_recipients(folder)
    assert len(sent) == 400 and set(sent.values()) == {1}, "a debtor got two reminders"


@linux_only
def test_a_child_forked_by_the_holder_does_not_keep_the_lock(tmp_path: Path, holder) -> None:  # type: ignore[no-untyped-def]
    state = tmp_path / ".xlsdun"
    proc, child = holder(state, fork=True)
    with pytest.raises(RunError) as held, run_lock(state):
        pass
    assert held.value.exit_code == 3 and f"pid {proc.pid} " in str(held.value)

    proc.kill()
    proc.wait()
    assert proc_alive(child)  # the orphan lives on, as the render helper did
    with run_lock(state):  # and the lock is free all the same: taken over
        pass


def test_a_live_holder_keeps_a_run_out_with_exit_3_naming_it(demo: Path, holder) -> None:  # type: ignore[no-untyped-def]
    proc, _ = holder(demo / ".xlsdun")
    code, _, err = invoke("run", "--config", str(demo / "xlsdun.toml"), "--today", TODAY)
    assert code == 3
    assert f"another xlsdun run is using this workbook (pid {proc.pid} on " in err
    assert "Traceback" not in err


def test_a_dead_holders_lock_is_taken_over_and_logged(demo: Path) -> None:
    state = demo / ".xlsdun"
    # What a run killed with SIGKILL leaves: its note, and no lock (the OS dropped it).
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    ).stdout.strip()
    state.mkdir()
    (state / "run.lock").write_text(f"pid {gone} on somewhere since 2026-11-25T09:00:00+02:00")
    code, _, err = invoke("run", "--config", str(demo / "xlsdun.toml"), "--today", TODAY)
    assert code == 0, err
    log = logs.log_file(state).read_text(encoding="utf-8")
    assert f"run lock was taken over from a run that ended without finishing (pid {gone} " in log
    assert (state / "run.lock").read_text() == ""  # a clean end leaves nothing to take over


def doctor_run_lock(toml: Path) -> dict[str, str]:
    code, out, err = invoke("doctor", "--config", str(toml), "--json", "--no-login")
    assert code in (0, 1), err
    return next(c for c in json.loads(out)["checks"] if c["name"] == "run lock")


def test_doctor_names_the_holder_and_a_killed_runs_note_without_taking_the_lock(
    demo: Path, holder
) -> None:  # type: ignore[no-untyped-def]
    toml, state = demo / "xlsdun.toml", demo / ".xlsdun"
    proc, _ = holder(state)
    check = doctor_run_lock(toml)
    assert check["status"] == "warn"
    assert f"another xlsdun run is using this workbook (pid {proc.pid} on " in check["message"]
    proc.kill()  # a real SIGKILL: the OS drops the lock, the note stays
    proc.wait()
    note = (state / "run.lock").read_text()
    assert note.startswith(f"pid {proc.pid} on ")
    check = doctor_run_lock(toml)
    assert check["status"] == "warn"
    assert check["message"] == f"no run in progress; the last one ended without finishing ({note})"
    assert (state / "run.lock").read_text() == note  # asking took nothing over
    code, _, err = invoke("run", "--config", str(toml), "--today", TODAY)
    assert code == 0, err
    log = logs.log_file(state).read_text(encoding="utf-8")
    assert f"taken over from a run that ended without finishing ({note})" in log
    check = doctor_run_lock(toml)
    assert (check["status"], check["message"]) == ("ok", "no run in progress")


def test_two_runs_in_one_process_are_kept_apart_and_the_first_keeps_its_lock(
    tmp_path: Path,
) -> None:
    state = tmp_path / ".xlsdun"
    with run_lock(state):
        with pytest.raises(RunError) as second, run_lock(state):
            pass
        assert second.value.exit_code == 3 and f"pid {os.getpid()} " in str(second.value)
        # A record lock drops when the process closes any descriptor of the file: the
        # refused second run must not have opened it. Another process still finds it held.
        probe = subprocess.run(
            [sys.executable, "-c", HOLDER, str(state), "-"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert probe.returncode != 0 and "another xlsdun run" in probe.stderr
    with run_lock(state):
        pass


@linux_only
def test_the_helper_watches_its_parent_where_no_death_signal_exists(tmp_path: Path) -> None:
    """The portable fallback alone (no PR_SET_PDEATHSIG): the helper ends within a second of
    its parent."""
    script = (
        "import os, sys, time\n"
        "from xlsdun import outbox_batch\n"
        "outbox_batch._set_pdeathsig = lambda: False  # as where the kernel cannot\n"
        "parent = os.getpid()\n"
        "child = os.fork()\n"
        "if child == 0:\n"
        "    outbox_batch._die_with_parent(parent)\n"
        "    time.sleep(60)\n"
        "    os._exit(3)\n"
        "print(child, flush=True)\n"
        "os._exit(0)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    child = int(out)
    try:
        assert wait_until(lambda: not proc_alive(child), 3 * outbox_batch.PARENT_CHECK_SECONDS)
    finally:
        if proc_alive(child):
            os.kill(child, signal.SIGKILL)
