"""The daily run: read -> plan -> render -> deliver -> ledger -> write back, under a run lock.

`run_once(config, today)` is the whole pipeline as one call, safe to repeat: the ledger
decides what was already done, so a second run the same day sends nothing. Each step is a
function below, in the order a run takes them; what stops a run before it sends is in
preflight.py, sending in sending.py (outbox_batch.py for the outbox), the write-back in
writeback.py and the owner's digest in digest.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from . import logs
from . import policy as policy_mod
from .config import Config
from .deliver.base import Backend, Backoff, RateLimit, Timing
from .deliver.outbox import OutboxBackend
from .delivery import failure_of
from .digest import after_run
from .errors import EXIT_FAILED, EXIT_INPUT
from .history import full_history
from .inbox.step import read_inbox
from .ledger import Ledger, SendRecord
from .models import Action, Delivery, Plan, Receivables, RunReport
from .outbox_batch import deliver_to_outbox
from .preflight import check_folders, check_run_day, check_sender, check_sheet, check_templates
from .runlock import run_lock
from .send_state import SendState
from .sending import Batch, Sender, within_limits
from .wiring import (
    dry_run_backend,
    ledger_path,
    load_receivables,
    make_backend,
    make_renderer,
    with_holidays,
)
from .workbook.guard import Fingerprint
from .writeback import write_outcomes

if TYPE_CHECKING:
    from .render import Renderer

__all__ = [
    "RunOptions",
    "make_plan",
    "run_clock",
    "run_once",
    "summarize",
]


@dataclass(frozen=True, slots=True)
class RunOptions:
    """What a caller may change about a run; `run_once(config, today)` is the everyday call."""

    dry_run: bool = False  # render into the preview folder, record nothing else
    now: datetime | None = None  # the messages' Date (default: now, in the config's zone)
    backend: Backend | None = None  # where messages go (default: the config's backend)
    on_delivery: Callable[[Delivery], None] | None = None  # after each one is recorded
    timing: Timing | None = None  # sleep and clock of retries and rate limits (tests)
    allow_earlier: bool = False  # `--force`: a day before the ledger's latest run


@dataclass(frozen=True, slots=True)
class _Run:
    """What every step of one real run works with, opened under the run lock."""

    config: Config
    today: date
    run_id: str
    now: datetime
    options: RunOptions
    receivables: Receivables
    ledger: Ledger
    before: Fingerprint | None  # the workbook as read: the writer refuses it changed since


def run_once(config: Config, today: date, options: RunOptions | None = None) -> RunReport:
    """The daily batch. Raises RunError for file, config and lock problems (exit 2 or 3)."""
    options = options or RunOptions()
    check_folders(config, dry_run=options.dry_run)
    if options.dry_run:
        return _dry_run(config, today, options.now)
    check_sender(config)
    config = with_holidays(config, today)
    run_id = f"{today.isoformat()}-{uuid.uuid4().hex[:8]}"
    logs.bind_run(run_id)
    now = options.now or run_clock(config)
    with run_lock(config.state_dir):
        before = _fingerprint(config.workbook.path)
        receivables = load_receivables(config)
        with Ledger(ledger_path(config)) as ledger:
            run = _Run(config, today, run_id, now, options, receivables, ledger, before)
            return _pipeline(run)


def _fingerprint(book: Path) -> Fingerprint | None:
    """The workbook as it is before the read; a file that cannot be a workbook gets none,
    so the reader gives its own word on it (with the backup)."""
    from .workbook.guard import file_problem, fingerprint

    return fingerprint(book) if file_problem(book) is None else None


def _pipeline(run: _Run) -> RunReport:
    """The steps under the run lock, in order. The ledger has every outcome before the
    workbook is written (a workbook that can't be written waits for the next run), and the
    digest comes last and never fails the run."""
    check_run_day(run.ledger, run.today, allow_earlier=run.options.allow_earlier)
    check_sheet(run.config, run.receivables)
    recovered = run.ledger.recover(
        OutboxBackend(run.config.delivery.outbox_dir, run.today.isoformat()).find
    )
    inbox = read_inbox(run.config, run.ledger, run.receivables, run.today)  # before the plan
    report = _planned(run)
    report.notes.extend(inbox.notes)
    report.notes.extend(_recovery_notes(recovered))
    batch = within_limits(report.plan.sends, run.ledger, run.today, run.config.delivery)
    if batch.held:
        report.notes.append(f"{batch.why} ({len(batch.held)} reminder(s))")
    renderer = make_renderer(run.config)
    check_templates(renderer)  # every run, so a broken template can't pass on a quiet day
    run.ledger.start_run(run.run_id, run.today)
    report.notes.extend(_ambiguous_notes(run.ledger, {rec.id for rec, _ in recovered}))
    if batch.now or batch.held:
        _send(run, report, renderer, batch)
    _write(run, report)
    run.ledger.finish_run(run.run_id, report.exit_code, summarize(report))
    # Owner digest + HTML report (digest.py): logged and noted on failure, never fatal.
    after_run(run.config, report, run.ledger, partial(make_backend, run.config, run.today))
    return report


def _planned(run: _Run) -> RunReport:
    """Today's plan from the receivables and the full history, as a fresh report."""
    config = run.config
    history = full_history(run.receivables, run.ledger, config)
    # the write-back reads the history again, with this run's sends in it
    plan = policy_mod.plan(run.receivables, history, run.today, config.policy)
    report = RunReport(
        today=run.today, run_id=run.run_id, plan=plan, workbook_path=str(config.workbook.path)
    )
    if config.delivery.backend == "outbox":
        report.outbox_dir = str(config.delivery.outbox_dir)
    return report


def _recovery_notes(recovered: list[tuple[SendRecord, SendState]]) -> list[str]:
    """What the owner hears of sends a crashed run left half-way (and recovery settled)."""
    return [
        f"{rec.customer}: a send interrupted by a crash was found and is now '{state}'"
        + (
            " — check whether it arrived, then run 'xlsdun resolve'"
            if state is SendState.AMBIGUOUS
            else ""
        )
        for rec, state in recovered
    ]


def _ambiguous_notes(ledger: Ledger, just_recovered: set[int]) -> list[str]:
    """Earlier sends still `ambiguous`: the owner is reminded on every run until resolved."""
    return [
        f"{rec.customer}: the {rec.tier or ''} reminder of {rec.today} may or may "
        f"not have arrived; check, then run 'xlsdun resolve'"
        for rec in ledger.sends(states=(SendState.AMBIGUOUS,))
        if rec.id not in just_recovered
    ]


def _send(run: _Run, report: RunReport, renderer: Renderer, batch: Batch) -> None:
    """Deliver what the limits allow, hold the rest as `deferred`; each delivery is reported
    (and handed to `on_delivery`) once the ledger has it."""
    sender = _sender(run, renderer)
    on_delivery = run.options.on_delivery

    def reported(delivery: Delivery) -> None:
        report.deliveries.append(delivery)
        if on_delivery:
            on_delivery(delivery)

    try:
        deliveries = _deliveries(sender, batch.now)
        for delivery in deliveries:
            reported(delivery)
        with run.ledger.transaction():  # nothing leaves the machine: one commit
            for action in batch.held:
                reported(sender.hold(action, batch.why))
    finally:
        sender.close()
    if sender.stop:
        report.notes.append(sender.stop)
    report.exit_code = max(report.exit_code, sender.stop_exit)


def _sender(run: _Run, renderer: Renderer) -> Sender:
    """The run's sender, over the given backend or the config's, with its retry budget and
    rate limit."""
    delivery = run.config.delivery
    timing = run.options.timing or Timing()
    return Sender(
        ledger=run.ledger,
        backend=run.options.backend or make_backend(run.config, run.today),
        renderer=renderer,
        run_id=run.run_id,
        today=run.today,
        now=run.now,
        backoff=Backoff(delivery.retry_budget_seconds, delivery.retry_initial_seconds),
        rate=RateLimit(delivery.per_minute, timing),
        timing=timing,
    )


def _deliveries(sender: Sender, actions: tuple[Action, ...]) -> Iterator[Delivery]:
    """The outbox's batched path, or one message at a time through a mail server."""
    if isinstance(sender.backend, OutboxBackend):
        return deliver_to_outbox(sender, actions)  # type: ignore[arg-type]
    return (sender.deliver(action) for action in actions)


def _write(run: _Run, report: RunReport) -> None:
    """The exit code the deliveries earned, then the workbook, unless the run stopped on a
    configuration problem (exit 2 writes nothing)."""
    if any(d.outcome == "failed" for d in report.deliveries):
        report.exit_code = max(report.exit_code, EXIT_FAILED)
    if report.exit_code == EXIT_INPUT:
        report.notes.append(
            "the workbook was not written (the run stopped on a configuration problem); "
            "every outcome is in the ledger and the next run writes it"
        )
        return
    write_outcomes(run.config, report, run.receivables, report.plan, run.ledger, run.before)


# -- without sending -----------------------------------------------------------------------------


def make_plan(
    config: Config, today: date, ledger: Ledger | None = None
) -> tuple[Receivables, Plan]:
    """Read and plan without sending or writing anything (`xlsdun plan`)."""
    receivables = load_receivables(config)
    own = ledger is None and ledger_path(config).exists()
    if own:
        ledger = Ledger(ledger_path(config))
    try:
        history = (
            full_history(receivables, ledger, config)
            if ledger
            else (policy_mod.history_from_sheet(receivables, (), config.policy))
        )
    finally:
        if own and ledger is not None:  # opened here
            ledger.close()
    return receivables, policy_mod.plan(receivables, history, today, config.policy)


def _dry_run(config: Config, today: date, now: datetime | None) -> RunReport:
    """Render today's messages into the preview folder; record nothing anywhere else."""
    from .preview import clear_folder

    receivables, plan = make_plan(config, today)
    run_id = f"{today.isoformat()}-dry-run"
    report = RunReport(
        today=today, run_id=run_id, plan=plan, dry_run=True, workbook_path=str(config.workbook.path)
    )
    renderer = make_renderer(config)
    check_templates(renderer)
    backend = dry_run_backend(config, today)
    clear_folder(backend.folder)
    report.outbox_dir = str(backend.folder)
    backend.open()
    now = now or run_clock(config)
    try:
        for action in plan.sends:
            report.deliveries.append(_preview(renderer, backend, action, today, now))
    finally:
        backend.close()
    if any(d.outcome == "failed" for d in report.deliveries):
        report.exit_code = EXIT_FAILED
    return report


def _preview(
    renderer: Renderer, backend: OutboxBackend, action: Action, today: date, now: datetime
) -> Delivery:
    """One debtor's message in the preview folder, or why it would fail."""
    from .render import RenderError

    try:
        message = renderer.render(action, today=today, now=now)
    except RenderError as exc:  # one debtor's problem (a missing attachment) is shown
        return Delivery(action, "failed", None, f"would fail: {exc}", failure=failure_of(exc))
    result = backend.write(message)  # a preview: one flush at the end, not one each
    return Delivery(action, "skipped", str(message["Message-ID"]), "dry run: not sent", result.path)


def run_clock(config: Config) -> datetime:
    """The messages' Date: when they are made, in the config's zone. `--today` decides only
    the plan; a message sent now never carries a past or future date."""
    return datetime.now(config.zone)


def summarize(report: RunReport) -> dict[str, object]:
    counts: dict[str, int] = {}
    for d in report.deliveries:
        counts[d.outcome] = counts.get(d.outcome, 0) + 1
    return {
        "today": report.today.isoformat(),
        "outcomes": counts,
        "exit_code": report.exit_code,
        "workbook_written": report.workbook_written,
    }
