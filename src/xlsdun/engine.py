"""The daily run: read -> plan -> render -> deliver -> ledger -> write back, under a run lock.

`run_once(config, today)` is the whole pipeline as one call, safe to repeat: the ledger
decides what was already done, so a second run the same day sends nothing.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import EmailMessage
from pathlib import Path

from . import logs
from . import policy as policy_mod
from .config import Config
from .deliver.base import (
    AmbiguousDelivery,
    AuthenticationFailed,
    Backend,
    Backoff,
    ConnectionLost,
    DeliveryError,
    QuotaExceeded,
    RateLimit,
    SendResult,
    ServerUnavailable,
    TemporaryFailure,
    Timing,
)
from .deliver.outbox import OutboxBackend
from .digest import after_run
from .errors import EXIT_FAILED, EXIT_INPUT, EXIT_LOCKED, EXIT_OK, RunError
from .ledger import Ledger, SendRecord
from .models import Action, DebtorHistory, Delivery, Outcome, Plan, Receivables, RunReport
from .outbox_batch import deliver_to_outbox, render_one
from .runlock import run_lock
from .sheetview import LOG_HEADER, log_rows, owned_updates
from .wiring import (
    ledger_path,
    load_receivables,
    make_backend,
    make_renderer,
    preview_backend,
    with_holidays,
)
from .workbook.guard import Fingerprint

# -- the pipeline pieces -----------------------------------------------------------------------


def full_history(
    receivables: Receivables, ledger: Ledger, config: Config
) -> dict[str, DebtorHistory]:
    """The ledger's history, plus the sheet's hand-kept record for debtors it does not know."""
    history = ledger.history()
    # A contact the owner retracted with `resolve --resend` may still show in the sheet's
    # Last reminder (xlsdun wrote it); it must not come back as hand-kept history.
    known = {k for k, h in history.items() if h.contacts} | ledger.resent_debtors()
    for key, h in policy_mod.history_from_sheet(receivables, known, config.policy).items():
        prior = history.get(key)
        history[key] = (
            DebtorHistory(h.contacts, prior.approvals, prior.thanked_invoices) if prior else h
        )
    return history


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


def _real_sender(config: Config) -> None:
    """Real mail never goes out signed "Your Name" from an example address (`xlsdun init`'s
    placeholders); the outbox, which sends nothing, lets a new user try it first."""
    from .config import placeholders

    unset = placeholders(config) if config.delivery.backend != "outbox" else []
    if unset:
        raise RunError(
            f"{config.source} still has example values, so nothing was sent: {'; '.join(unset)}. "
            f"Replace them with your own name, business and email addresses ('xlsdun check' lists "
            f"them), then run again."
        )


def check_folders(config: Config, *, dry_run: bool = False) -> None:
    """The folders a run writes into can be used (exit 2 naming the key) before anything is
    read or sent: a `state_dir` or `outbox_dir` that names a file, or a place nobody may
    write, would otherwise fail half-way. Nothing is created here."""
    folders = [("state_dir", config.state_dir)]
    if not dry_run and config.delivery.backend == "outbox":
        folders.append(("delivery.outbox_dir", config.delivery.outbox_dir))
    for key, folder in folders:
        problem = _folder_problem(folder)
        if problem:
            raise RunError(
                f"{config.source}: '{key}' is {folder}, which cannot be used as a folder "
                f"({problem}). Nothing was sent. Point '{key}' to a folder you can write to "
                f"(or, if a file has that name, move the file elsewhere), then run again."
            )


def _folder_problem(folder: Path) -> str | None:
    """Why `folder` can't be used, or None. A missing one is made and removed again (only
    trying tells: root may "write" into /proc), so a refused run leaves nothing behind."""
    if folder.exists():
        if not folder.is_dir():
            return "a file has that name"
        return (
            None if os.access(folder, os.W_OK | os.X_OK) else "this user account cannot write to it"
        )
    missing = [folder, *(p for p in folder.parents if not p.exists())]
    try:
        folder.mkdir(parents=True)
    except OSError as exc:
        return exc.strerror or str(exc)
    for made in missing:  # deepest first
        with suppress(OSError):
            made.rmdir()
    return None


def check_templates(renderer) -> None:  # renderer: render.Renderer
    """The one template check before a run, a dry run or a preview: every message template
    renders in every language, or nothing is sent (exit 2) and the owner is told which file."""
    problems = renderer.check()
    if problems:
        raise RunError(
            "a message template does not render, so nothing was sent: "
            + "; ".join(problems[:5])
            + ". Fix the template (or delete your copy to use the built-in one) and run again; "
            "'xlsdun check' lists every problem."
        )


@dataclass
class _Sender:
    """Sends the planned messages one by one, keeping the ledger a step ahead of the wire.

    The connection is opened before a row turns `sending`, so a crash while connecting leaves
    it `pending` (sent next run). `sending` is committed before MAIL FROM and `sent` right
    after the 250. A 4xx is retried with backoff within the run's budget; a connection that
    drops before DATA is reopened (once per run) and the message offered again; one that
    drops after DATA leaves the message `ambiguous`, never resent.
    """

    ledger: Ledger
    backend: Backend
    renderer: object
    run_id: str
    today: date
    now: datetime
    backoff: Backoff = field(default_factory=Backoff)
    rate: RateLimit | None = None
    timing: Timing = field(default_factory=Timing)
    reconnects_left: int = 1
    stop: str | None = None  # why sending stopped (quota, login, server)
    stop_exit: int = EXIT_OK

    def deliver(self, action: Action) -> Delivery:
        if self.stop:
            return self.hold(action, self.stop)
        send_id = self.ledger.begin(self.run_id, self.today, action, self.backend.name)
        if send_id is None:
            return self.ledger.done_today(action, self.today)
        kind, message = render_one(self.renderer, action, self.today, self.now)
        if kind != "message":
            self.ledger.mark(send_id, kind, detail=message)
            return Delivery(action, kind, None, message)
        message_id = str(message["Message-ID"])
        try:
            result = self._transmit(send_id, message, message_id)
        except DeliveryError as exc:
            state, detail = self._settle(exc)
            self.ledger.mark(
                send_id, state, message_id=message_id, detail=detail, envelope=exc.envelope
            )
            return Delivery(action, state, message_id, detail)
        return self.ledger.record(send_id, action, message_id, result)

    def _transmit(self, send_id: int, message: EmailMessage, message_id: str) -> SendResult:
        attempt = 0
        while True:
            try:
                self.backend.open()
                if self.rate is not None:
                    self.rate.wait()
                self.ledger.mark(send_id, "sending", message_id=message_id)
                return self.backend.send(message)
            except ConnectionLost as exc:
                if self.reconnects_left <= 0:
                    raise ServerUnavailable(
                        f"the connection dropped again ({exc})", exc.envelope
                    ) from None
                self.reconnects_left -= 1
                self.ledger.mark(send_id, "pending", detail=f"reconnecting: {exc}")
            except TemporaryFailure as exc:
                wait = self.backoff.delay(attempt)
                if wait is None:
                    raise
                attempt += 1
                self.ledger.mark(send_id, "pending", detail=f"retrying in {wait:g} s: {exc}")
                self.timing.sleep(wait)

    def _settle(self, exc: DeliveryError) -> tuple[Outcome, str]:
        """The state and detail for a message that could not be sent; stops the run if the
        problem would repeat for every message."""
        if isinstance(exc, AuthenticationFailed):
            self._halt(f"not sent: {exc}", EXIT_INPUT)
            return "deferred", self.stop or str(exc)
        if isinstance(exc, QuotaExceeded):
            self._halt(f"not sent, waits for the next run: {exc}", EXIT_OK)
            return "deferred", self.stop or str(exc)
        if isinstance(exc, ServerUnavailable):
            self._halt(f"not sent, waits for the next run: {exc}", EXIT_FAILED)
            return "deferred", self.stop or str(exc)
        if isinstance(exc, AmbiguousDelivery):
            self.stop_exit = max(self.stop_exit, EXIT_FAILED)
            if self.reconnects_left <= 0:
                self._halt(
                    "not sent, waits for the next run: the connection to the mail "
                    "server dropped twice",
                    EXIT_FAILED,
                )
            self.reconnects_left -= 1
            return "ambiguous", str(exc)
        if isinstance(exc, TemporaryFailure | ConnectionLost):
            return "deferred", f"waits for the next run: {exc}"
        return "failed", str(exc)

    def _halt(self, why: str, exit_code: int) -> None:
        if self.stop is None:
            self.stop = why
        self.stop_exit = max(self.stop_exit, exit_code)

    def hold(self, action: Action, why: str) -> Delivery:
        """Record a planned send as `deferred` without sending: the next run sends it."""
        send_id = self.ledger.begin(self.run_id, self.today, action, self.backend.name)
        if send_id is None:
            return self.ledger.done_today(action, self.today)
        self.ledger.mark(send_id, "deferred", detail=why)
        return Delivery(action, "deferred", None, why)

    def close(self) -> None:
        self.backend.close()


# -- the whole run -----------------------------------------------------------------------------


def run_once(
    config: Config,
    today: date,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    backend: Backend | None = None,
    on_delivery: Callable[[Delivery], None] | None = None,
    timing: Timing | None = None,
    allow_earlier: bool = False,
) -> RunReport:
    """The daily batch. Raises RunError for file, config and lock problems (exit 2 or 3)."""
    check_folders(config, dry_run=dry_run)
    if dry_run:
        return _dry_run(config, today, now)
    _real_sender(config)
    config = with_holidays(config, today)
    from .workbook.guard import file_problem, fingerprint

    run_id = f"{today.isoformat()}-{uuid.uuid4().hex[:8]}"
    logs.bind_run(run_id)
    now = now or run_clock(config)
    with run_lock(config.state_dir):
        book = config.workbook.path
        # a file that cannot be a workbook gets the reader's word on it (with the backup)
        before = fingerprint(book) if file_problem(book) is None else None
        receivables = load_receivables(config)
        with Ledger(ledger_path(config)) as ledger:
            outbox = OutboxBackend(config.delivery.outbox_dir, today.isoformat())
            latest = ledger.latest_run_day()
            if latest and today < latest and not allow_earlier:
                raise RunError(
                    f"xlsdun has already run as of {latest.isoformat()}; a run as of "
                    f"{today.isoformat()} would rewrite the contact history and the workbook "
                    f"with an older picture. Check --today (use 'xlsdun plan' to look at a past "
                    f"date), or add --force if you really mean it."
                )
            _preflight(config, receivables)
            recovered = ledger.recover(outbox.find)
            plan = policy_mod.plan(
                receivables, full_history(receivables, ledger, config), today, config.policy
            )  # the write-back reads the history again, with this run's sends in it
            report = RunReport(
                today=today, run_id=run_id, plan=plan, workbook_path=str(config.workbook.path)
            )
            if config.delivery.backend == "outbox":
                report.outbox_dir = str(config.delivery.outbox_dir)
            for rec, state in recovered:
                report.notes.append(
                    f"{rec.customer}: a send interrupted by a crash was found and is now "
                    f"'{state}'"
                    + (
                        " — check whether it arrived, then run 'xlsdun resolve'"
                        if state == "ambiguous"
                        else ""
                    )
                )
            sends, held, held_why = _limit(plan.sends, ledger, today, config, report)
            renderer = make_renderer(config)
            check_templates(renderer)  # every run, so a broken template can't pass on a quiet day
            ledger.start_run(run_id, today)
            just_recovered = {rec.id for rec, _ in recovered}
            for rec in ledger.sends(states=("ambiguous",)):
                if rec.id not in just_recovered:
                    report.notes.append(
                        f"{rec.customer}: the {rec.tier or ''} reminder of {rec.today} may or may "
                        f"not have arrived; check, then run 'xlsdun resolve'"
                    )
            if sends or held:
                timing = timing or Timing()
                sender = _Sender(
                    ledger=ledger,
                    backend=backend or make_backend(config, today),
                    renderer=renderer,
                    run_id=run_id,
                    today=today,
                    now=now,
                    backoff=Backoff(
                        config.delivery.retry_budget_seconds, config.delivery.retry_initial_seconds
                    ),
                    rate=RateLimit(config.delivery.per_minute, timing),
                    timing=timing,
                )
                try:
                    deliveries = (
                        deliver_to_outbox(sender, sends)  # type: ignore[arg-type]
                        if isinstance(sender.backend, OutboxBackend)
                        else (sender.deliver(action) for action in sends)
                    )
                    for delivery in deliveries:
                        report.deliveries.append(delivery)
                        if on_delivery:
                            on_delivery(delivery)
                    with ledger.transaction():  # nothing leaves the machine: one commit
                        for action in held:
                            delivery = sender.hold(action, held_why)
                            report.deliveries.append(delivery)
                            if on_delivery:
                                on_delivery(delivery)
                finally:
                    sender.close()
                if sender.stop:
                    report.notes.append(sender.stop)
                report.exit_code = max(report.exit_code, sender.stop_exit)

            if any(d.outcome == "failed" for d in report.deliveries):
                report.exit_code = max(report.exit_code, EXIT_FAILED)

            if report.exit_code == EXIT_INPUT:
                report.notes.append(
                    "the workbook was not written (the run stopped on a configuration problem); "
                    "every outcome is in the ledger and the next run writes it"
                )
            else:
                _write_outcomes(config, report, receivables, plan, ledger, before)
            ledger.finish_run(run_id, report.exit_code, summarize(report))
            # Owner digest + HTML report (digest.py): logged and noted on failure, never fatal.
            after_run(config, report, ledger)
    return report


def _preflight(config: Config, receivables: Receivables) -> None:
    """Problems the write-back would hit every day, found before anything is sent."""
    info = receivables.sheet
    if (
        info is not None
        and not info.read_only
        and not config.workbook.allow_protected_sheet
        and info.protected  # seen by the reader's one pass over the sheet (spread.py)
    ):
        raise RunError(
            f"{config.workbook.path}, sheet '{info.sheet}': the sheet is protected, so xlsdun "
            f"cannot write the outcomes into it; nothing was sent. Unprotect it (Review > "
            f"Unprotect Sheet), or set allow_protected_sheet = true under [workbook] to let "
            f"xlsdun write its own columns anyway."
        )


def _write_outcomes(
    config: Config,
    report: RunReport,
    receivables: Receivables,
    plan: Plan,
    ledger: Ledger,
    before: Fingerprint | None,
) -> None:
    """Write back what the ledger knows; a workbook that can't be written now waits (exit 3)."""
    from .workbook.guard import WorkbookError

    updates = sheet_updates(config, receivables, plan, ledger, report.today)
    try:
        written = _write_back(config, receivables, updates, ledger, before)
    except WorkbookError as exc:
        report.notes.append(str(exc))
        report.exit_code = max(report.exit_code, EXIT_LOCKED)
        return
    report.workbook_written = written is not None
    if written is None:
        report.notes.append("workbook already up to date")
    elif written != config.workbook.path:
        report.workbook_path = str(written)
        report.notes.append(
            f"{config.workbook.path.name} is a read-only format for xlsdun: the outcomes are in "
            f"{written.name} beside it"
        )


def _limit(
    sends: tuple[Action, ...], ledger: Ledger, today: date, config: Config, report: RunReport
) -> tuple[tuple[Action, ...], tuple[Action, ...], str]:
    """Apply max_per_run and max_per_day: (to send now, to hold for the next run, why)."""
    from .ledger import settled

    delivery = config.delivery
    done = {r.debtor for r in ledger.sends(today=today) if settled(r.state, r.message_id)}
    todo = [a for a in sends if a.debtor not in done]
    room = max(delivery.max_per_day - ledger.sent_on(today), 0)
    why = f"daily sending limit reached (max_per_day = {delivery.max_per_day})"
    if delivery.max_per_run is not None and delivery.max_per_run < room:
        room = delivery.max_per_run
        why = f"sending limit per run reached (max_per_run = {delivery.max_per_run})"
    held = tuple(todo[room:])
    if not held:
        return sends, (), ""
    why += ": waits for the next run"
    report.notes.append(f"{why} ({len(held)} reminder(s))")
    keys = {a.debtor for a in held}
    return tuple(a for a in sends if a.debtor not in keys), held, why


def sheet_updates(
    config: Config, receivables: Receivables, plan: Plan, ledger: Ledger, today: date
) -> dict[int, dict[str, object]]:
    """The owned cells to change, from the ledger as it stands after today's sends (the
    history and outcomes it is worked out from are gone before the workbook is written)."""
    history = full_history(receivables, ledger, config)
    return owned_updates(
        receivables, plan, history, ledger.outcomes_on(today), config.owned_columns
    )


def _write_back(
    config: Config,
    receivables: Receivables,
    updates: dict[int, dict[str, object]],
    ledger: Ledger,
    before: Fingerprint | None,
) -> Path | None:
    """Write the owned cells and log lines not yet in the workbook; the file written, if any."""
    from .workbook.patch import LogLines, WriteOptions, write_back

    info = receivables.sheet
    logged: list[int] = []

    def unlogged() -> Iterator[SendRecord]:
        for record in ledger.unlogged():
            logged.append(record.id)
            yield record

    lines = log_rows(unlogged())
    if not updates and not lines:
        return None
    if info is None or info.read_only:
        return _write_sidecar(config, receivables, updates, ledger)
    result = write_back(
        config.workbook.path,
        sheet=info.sheet,
        header_row=info.header_row,
        updates=updates,
        log=LogLines(config.owned_columns["log_sheet"], LOG_HEADER, lines),
        options=WriteOptions(
            state_dir=config.state_dir,
            backups=config.workbook.backups,
            expected=before,
            allow_protected=config.workbook.allow_protected_sheet,
        ),
    )
    ledger.mark_logged(logged)
    return config.workbook.path if result.written else None


def _write_sidecar(
    config: Config, receivables: Receivables, updates: dict[int, dict[str, object]], ledger: Ledger
) -> Path:
    """.xls/.xlsb/.ods: the whole view, rebuilt from the ledger, in NAME.xlsdun.xlsx."""
    from .workbook.sidecar import write_sidecar

    owned = config.owned_columns
    rows = {i.row: (i.customer, i.invoice) for i in receivables.invoices}
    records = ledger.sends(states=("sent", "written_to_outbox", "failed", "deferred", "ambiguous"))
    path = write_sidecar(
        config.workbook.path,
        rows=rows,
        owned=updates,
        owned_headers=[owned[k] for k in ("status", "last", "level", "count", "next")],
        log_sheet=owned["log_sheet"],
        log_header=LOG_HEADER,
        log_rows=log_rows(records),
    )
    ledger.mark_logged([r.id for r in records])
    return path


def run_clock(config: Config) -> datetime:
    """The messages' Date: when they are made, in the config's zone. `--today` decides only
    the plan; a message sent now never carries a past or future date."""
    return datetime.now(config.zone)


def _dry_run(config: Config, today: date, now: datetime | None) -> RunReport:
    """Render today's messages into the preview folder; record nothing anywhere else."""
    receivables, plan = make_plan(config, today)
    run_id = f"{today.isoformat()}-dry-run"
    report = RunReport(
        today=today, run_id=run_id, plan=plan, dry_run=True, workbook_path=str(config.workbook.path)
    )
    renderer = make_renderer(config)
    check_templates(renderer)
    from .preview import clear_folder

    backend = preview_backend(config, today)
    clear_folder(backend.folder)
    report.outbox_dir = str(backend.folder)
    backend.open()
    now = now or run_clock(config)
    from .render import RenderError

    try:
        for action in plan.sends:
            try:
                message = renderer.render(action, today=today, now=now)
            except RenderError as exc:  # one debtor's problem (a missing attachment) is shown
                report.deliveries.append(Delivery(action, "failed", None, f"would fail: {exc}"))
                report.exit_code = EXIT_FAILED
                continue
            result = backend.write(message)  # a preview: one flush at the end, not one each
            report.deliveries.append(
                Delivery(
                    action, "skipped", str(message["Message-ID"]), "dry run: not sent", result.path
                )
            )
    finally:
        backend.close()
    return report


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
