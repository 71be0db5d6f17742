"""`xlsdun schedule`: the daily batch from a long-running process, with catch-up.

`schedule` is a trigger, not a memory (DESIGN.md): it forgets missed runs across restarts,
and a job that raises is retried on every tick. So the ledger is the memory — a day is
done when a config's ledger holds a finished run for it — and on start the daemon runs at
once if today's run is due and has not happened. The job catches its own exceptions (logs
them, tells the owner), so a failure costs one day's run, never a storm of resends.

The clock, the sleep and the job are injected, so tests drive days in milliseconds.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import schedule

from . import config as config_mod
from . import digest as digest_mod
from . import logs, multi
from .errors import EXIT_LOCKED
from .ledger import Ledger
from .wiring import ledger_path, make_backend

LOCKED_RETRY = timedelta(minutes=15)  # a run held by another (a manual one) is tried again

Clock = Callable[[], datetime]
RunJob = Callable[[Sequence[str], date], int]


def utc_now() -> datetime:
    return datetime.now(UTC)


class _ClockScheduler(schedule.Scheduler):
    """schedule's Scheduler reading an injected clock instead of the machine's."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock

    @property
    def idle_seconds(self) -> float | None:
        nxt = self.next_run
        return None if nxt is None else (nxt - self.clock()).total_seconds()


class _DailyJob(schedule.Job):
    """A daily job at a wall-clock time in the business's time zone.

    schedule's own `at(time, tz)` needs pytz and keeps naive local times; this keeps an
    aware time in the configured zone (DST-correct through zoneinfo) on the injected clock.
    """

    at_time: time  # always set (schedule's Job has it optional)

    def __init__(self, scheduler: _ClockScheduler, at: time, zone: ZoneInfo) -> None:
        super().__init__(1, scheduler)
        self.unit = "days"
        self.at_time = at
        self.zone = zone

    @property
    def clock(self) -> Clock:
        return self.scheduler.clock  # type: ignore[union-attr]

    @property
    def should_run(self) -> bool:
        return self.next_run is not None and self.clock() >= self.next_run

    def run(self) -> Any:
        ret = self.job_func()  # type: ignore[misc]
        self.last_run = self.clock()
        self._schedule_next_run()
        return ret

    def _schedule_next_run(self) -> None:
        self.next_run = next_at(self.clock(), self.at_time, self.zone)


def next_at(now: datetime, at: time, zone: ZoneInfo) -> datetime:
    """The first `at` o'clock in `zone` strictly after `now` (missed days are not queued)."""
    local = now.astimezone(zone)
    candidate = datetime.combine(local.date(), at, tzinfo=zone)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=zone)
    return candidate


@dataclass(slots=True)
class Group:
    """Configs that run together (same time and zone), so a combined digest covers them."""

    at: time
    zone: ZoneInfo
    paths: list[str] = field(default_factory=list)


def group_configs(paths: Sequence[str]) -> list[Group]:
    groups: dict[tuple[time, str], Group] = {}
    unreadable = []
    for path in paths:
        try:
            cfg = config_mod.load(path)
        except Exception as exc:  # noqa: BLE001 - reported now and at every run until fixed
            logs.log.error("config %s cannot be read: %s", path, exc)
            unreadable.append(path)
            continue
        logs.attach(cfg.state_dir, cfg.zone)
        key = (cfg.schedule_time, cfg.locale.timezone)
        groups.setdefault(key, Group(cfg.schedule_time, cfg.zone)).paths.append(path)
    if unreadable:
        if not groups:
            local = datetime.now().astimezone().tzinfo
            zone = local if isinstance(local, ZoneInfo) else ZoneInfo("UTC")
            groups[(time(9, 0), "local")] = Group(time(9, 0), zone)
        next(iter(groups.values())).paths.extend(unreadable)
    return list(groups.values())


def done_on(path: str, today: date) -> bool:
    """Whether this config's ledger holds a finished run for `today`."""
    try:
        cfg = config_mod.load(path)
    except Exception:  # noqa: BLE001 - an unreadable config is never done: it must be retried
        return False
    if not ledger_path(cfg).exists():
        return False
    with Ledger(ledger_path(cfg)) as ledger:
        return ledger.finished_run_on(today) is not None


class Daemon:
    """Runs each group's batch once a day at its time, and catches up on start."""

    def __init__(
        self,
        paths: Sequence[str],
        *,
        run_job: RunJob | None = None,
        clock: Clock = utc_now,
        sleep: Callable[[float], Any] | None = None,
        poll_seconds: float = 60.0,
        heartbeat: timedelta | None = None,
    ) -> None:
        self.paths = list(paths)
        self.clock = clock
        self._stop = threading.Event()
        self.sleep = sleep or self._stop.wait
        self.run_job = run_job or self._run_batch
        self.poll_seconds = poll_seconds
        self.trigger = _ClockScheduler(clock)
        self.groups = group_configs(self.paths)
        self.heartbeat = heartbeat or timedelta(minutes=self._heartbeat_minutes())
        self._last_beat: datetime | None = None
        self.stop_reason: str | None = None
        # groups whose run met another run's lock, by (time, zone) as they are grouped
        self._retry: dict[tuple[time, str], tuple[Group, datetime]] = {}
        for g in self.groups:
            _DailyJob(self.trigger, g.at, g.zone).do(self._job, g)

    def _heartbeat_minutes(self) -> int:
        minutes = []
        for path in self.paths:
            try:
                minutes.append(config_mod.load(path).heartbeat_minutes)
            except Exception:  # noqa: BLE001 - already reported by group_configs
                continue
        return min(minutes, default=60)

    # -- control ------------------------------------------------------------------------------

    def stop(self, reason: str = "stop requested") -> None:
        """Ask the loop to end; a run in progress stops after its current send."""
        self.stop_reason = self.stop_reason or reason
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def install_signal_handlers(self) -> None:
        def handler(signum: int, _frame: object) -> None:
            self.stop(f"signal {signal.Signals(signum).name}")

        for name in ("SIGTERM", "SIGINT", "SIGHUP", "SIGBREAK"):
            sig = getattr(signal, name, None)
            if sig is not None:
                signal.signal(sig, handler)

    # -- the job ------------------------------------------------------------------------------

    def due(self, group: Group, now: datetime | None = None) -> list[str]:
        """The group's configs whose run for today is due (time passed) and not yet done."""
        local = (now or self.clock()).astimezone(group.zone)
        if local.time() < group.at:
            return []
        return [p for p in group.paths if not done_on(p, local.date())]

    def _job(self, group: Group) -> None:
        """The scheduled job. Never raises: schedule would retry a failed job every tick."""
        local = self.clock().astimezone(group.zone)
        today = local.date()
        try:
            if local.time() < group.at:
                logs.log.info(
                    "a missed run fired early (the machine was asleep?); today's run "
                    "at %s covers it",
                    group.at.strftime("%H:%M"),
                )
                return
            todo = self.due(group, local)
            if not todo:
                logs.log.info("today's run already happened for every config in this group")
                return
            logs.log.info("daily run for %d config(s), today %s", len(todo), today)
            code = self.run_job(todo, today)
            logs.log.info("daily run done: exit %s", code)
            if code == EXIT_LOCKED and self.due(group, self.clock()):
                # another run held the lock (someone ran it by hand): today's run has not
                # happened, so it is tried again later today instead of waiting for tomorrow
                self._retry[(group.at, group.zone.key)] = (group, self.clock() + LOCKED_RETRY)
                logs.log.info("another run held the lock; trying again in %s", LOCKED_RETRY)
        except Exception as exc:  # noqa: BLE001 - see the docstring
            logs.log.exception("the daily run failed; the next one is tomorrow")
            self._notify(group.paths, today, exc)

    def _run_batch(self, paths: Sequence[str], today: date) -> int:
        results = multi.run_many(paths, today=today, should_stop=lambda: self.stopping)
        return multi.worst(r.exit_code for r in results)

    def _notify(self, paths: Sequence[str], today: date, exc: Exception) -> None:
        error = (
            f"the daily run stopped with an unexpected {type(exc).__name__}: {exc}. "
            "Nothing was sent twice; the log in the state folder has the details."
        )
        for path in paths:
            try:
                cfg = config_mod.load(path)
                if cfg.owner_email and cfg.owner_digest != "off":
                    item = digest_mod.failed(path, error, 1, today, cfg)
                    digest_mod.send(cfg, [item], today, partial(make_backend, cfg, today))
            except Exception:  # noqa: BLE001 - best effort: the log already has it
                logs.log.exception("could not tell the owner of %s", path)

    def catch_up(self) -> int:
        """Run now every group whose run today is due and has not happened; how many ran."""
        ran = 0
        for g in self.groups:
            todo = self.due(g)
            if todo:
                logs.log.info(
                    "catching up: today's run has not happened yet (due %s)", g.at.strftime("%H:%M")
                )
                self._job(g)
                ran += 1
        return ran

    def _run_retries(self) -> None:
        """Today's runs that met another run's lock, once their wait is over."""
        now = self.clock()
        for key, (group, when) in list(self._retry.items()):
            if now >= when and not self.stopping:
                del self._retry[key]  # _job sets it again if the lock is still held
                self._job(group)

    # -- the loop -----------------------------------------------------------------------------

    def _beat(self) -> None:
        now = self.clock()
        if self._last_beat is None or now - self._last_beat >= self.heartbeat:
            self._last_beat = now
            nxt = self.trigger.next_run
            logs.log.info(
                "heartbeat: alive; next run %s",
                nxt.isoformat(timespec="minutes") if nxt else "none",
            )

    def serve(self) -> int:
        """The main loop; returns 0 after a clean stop."""
        logs.log.info(
            "scheduler started: %d config(s); daily at %s",
            len(self.paths),
            ", ".join(f"{g.at.strftime('%H:%M')} {g.zone.key}" for g in self.groups),
        )
        if not self.stopping:
            self.catch_up()
        while not self.stopping:
            self.trigger.run_pending()
            self._run_retries()
            if self.stopping:
                break
            self._beat()
            idle = self.trigger.idle_seconds
            wait = self.poll_seconds if idle is None else min(max(idle, 0.0), self.poll_seconds)
            for _, when in self._retry.values():
                wait = min(wait, max((when - self.clock()).total_seconds(), 0.0))
            self.sleep(wait)
        logs.log.info("scheduler stopped (%s)", self.stop_reason or "stop requested")
        return 0
