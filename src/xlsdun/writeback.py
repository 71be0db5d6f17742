"""The run's last step: the workbook brought up to what the ledger knows (owned cells and
Reminder log lines), or its sidecar for a format xlsdun can only read.

The workbook is a view of the ledger: one that can't be written now (open in Excel) waits
(exit 3) and loses nothing, since the next run derives the same cells again.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

from .config import Config
from .errors import EXIT_LOCKED
from .history import full_history
from .ledger import Ledger, SendRecord
from .models import Plan, Receivables, RunReport
from .owner_words import Words, words
from .sheetview import log_header, log_rows, owned_updates
from .workbook.guard import Fingerprint

Updates = dict[int, dict[str, object]]
UP_TO_DATE = "workbook already up to date"  # the run's note; the digest leaves it out


def write_outcomes(
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
        written = write_back(config, receivables, updates, ledger, before)
    except WorkbookError as exc:
        report.notes.append(str(exc))
        report.exit_code = max(report.exit_code, EXIT_LOCKED)
        return
    report.workbook_written = written is not None
    if written is None:
        report.notes.append(UP_TO_DATE)
    elif written != config.workbook.path:
        report.workbook_path = str(written)
        report.notes.append(
            f"{config.workbook.path.name} is a read-only format for xlsdun: the outcomes are in "
            f"{written.name} beside it"
        )


def sheet_updates(
    config: Config, receivables: Receivables, plan: Plan, ledger: Ledger, today: date
) -> Updates:
    """The owned cells to change, from the ledger as it stands after today's sends (the
    history and outcomes it is worked out from are gone before the workbook is written)."""
    history = full_history(receivables, ledger, config)
    return owned_updates(
        receivables,
        plan,
        history,
        ledger.outcomes_on(today),
        config.owned_columns,
        words(config.owner_language, config.locale.country),
    )


def write_back(
    config: Config,
    receivables: Receivables,
    updates: Updates,
    ledger: Ledger,
    before: Fingerprint | None,
) -> Path | None:
    """Write the owned cells and log lines not yet in the workbook; the file written, if any."""
    from .workbook.patch import LogLines, WriteOptions
    from .workbook.patch import write_back as patch_workbook

    info = receivables.sheet
    logged: list[int] = []

    def unlogged() -> Iterator[SendRecord]:
        for record in ledger.unlogged():
            logged.append(record.id)
            yield record

    w = words(config.owner_language, config.locale.country)
    lines = log_rows(unlogged(), w)
    if not updates and not lines:
        return None
    if info is None or info.read_only:
        return _write_sidecar(config, receivables, updates, ledger, w)
    result = patch_workbook(
        config.workbook.path,
        sheet=info.sheet,
        header_row=info.header_row,
        updates=updates,
        log=LogLines(config.owned_columns["log_sheet"], log_header(w), lines, w.rtl),
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
    config: Config, receivables: Receivables, updates: Updates, ledger: Ledger, w: Words
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
        log_header=log_header(w),
        log_rows=log_rows(records, w),
    )
    ledger.mark_logged([r.id for r in records])
    return path
