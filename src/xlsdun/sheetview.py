"""The workbook as a view of the ledger: which owned cells should say what, after this run.

Pure: it derives every owned cell from the ledger's records and today's plan, so a run that
could not write the workbook (open in Excel) loses nothing: the next run derives the same
cells again and writes them. Only cells whose value differs from the sheet are returned.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime

from .ledger import SendRecord
from .models import Action, DebtorHistory, Plan, Receivables
from .workbook.read import is_blank

LOG_HEADER = [
    "Key",
    "Date",
    "Customer",
    "Email",
    "Level",
    "Variant",
    "Invoices",
    "Balance",
    "Outcome",
    "Message-ID",
    "Detail",
]

_SEND_STATUS = {
    "sent": "Sent: {tier} reminder",
    "written_to_outbox": "In outbox: {tier} reminder",
    "failed": "Failed: {detail}",
    "deferred": "Deferred: {detail}",
    "ambiguous": "Check: the {tier} reminder may have been sent (run 'xlsdun resolve')",
    "pending": "Not sent yet: {detail}",
    "sending": "Being sent",
}


def _label(tier: str | None, variant: str) -> str:
    if variant == "broken_promise":
        return f"{tier} (broken promise)"
    if variant == "thank_you":
        return "thank-you"
    return tier or ""


def action_status(action: Action, record: SendRecord | None) -> str:
    """The `Reminder status` text for the invoices this action is about."""
    if record is not None:
        return _SEND_STATUS.get(record.state, record.state).format(
            tier=_label(record.tier, record.variant), detail=record.detail or record.state
        )
    if action.kind == "send":
        return f"Planned: {_label(action.tier, action.variant)} reminder"
    if action.kind == "skip":
        return "Paid" if action.reason == "paid" else f"Not sent: {action.reason}"
    if action.kind == "manual":
        return f"Call: {action.reason}"
    if action.kind == "await_approval":
        return f"Awaiting approval: {action.tier} reminder"
    return f"Deferred: {action.reason}"


def _same(current: object, wanted: object) -> bool:
    if is_blank(current) and (wanted is None or wanted == ""):
        return True
    if isinstance(wanted, date):
        if isinstance(current, datetime):
            current = current.date()
        return current == wanted
    if (
        isinstance(wanted, int)
        and isinstance(current, int | float)
        and not isinstance(current, bool)
    ):
        return float(current) == float(wanted)
    return str(current) == str(wanted)


def owned_updates(
    receivables: Receivables,
    plan: Plan,
    history: Mapping[str, DebtorHistory],
    today_records: Mapping[str, SendRecord],
    owned_columns: Mapping[str, str],
) -> dict[int, dict[str, object]]:
    """{row: {header: value}} for every owned cell whose value should change."""
    wanted: dict[int, dict[str, object]] = {}
    for action in plan.actions:
        h = history.get(action.debtor)
        last = h.last if h else None
        common = {
            owned_columns["last"]: last.day if last else None,
            owned_columns["level"]: last.tier if last else None,
            owned_columns["count"]: h.sent_count if h and h.sent_count else None,
            owned_columns["next"]: action.next_date,
        }
        status = action_status(action, today_records.get(action.debtor))
        for inv in action.invoices:
            wanted[inv.row] = {owned_columns["status"]: status, **common}
        for row, why in action.excluded:
            text = "Paid" if why == "paid" else f"Not sent: {why}"
            wanted[row] = {owned_columns["status"]: text, **common}
    for finding in plan.findings:
        cells = wanted.setdefault(finding.row, {})
        note = f"Skipped: {finding.field}: {finding.problem}"
        previous = cells.get(owned_columns["status"])
        if previous and str(previous).startswith("Skipped:"):
            note = f"{previous}; {finding.field}: {finding.problem}"
        elif previous:
            note = f"{previous} ({finding.field}: {finding.problem})"
        cells[owned_columns["status"]] = note

    changes: dict[int, dict[str, object]] = {}
    for row, cells in wanted.items():
        now = receivables.owned.get(row, {})
        key_of = {v: k for k, v in owned_columns.items()}
        diff = {
            header: value
            for header, value in cells.items()
            if not _same(now.get(key_of[header]), value)
        }
        if diff:
            changes[row] = diff
    return changes


def log_rows(records: Iterable[SendRecord]) -> list[list[object]]:
    """Lines for the append-only `Reminder log` sheet; the key makes appends idempotent."""
    rows = []
    for r in records:
        rows.append(
            [
                f"{r.id}:{r.state}",
                r.today,
                r.customer,
                r.email or "",
                r.tier or "",
                r.variant,
                ", ".join(r.invoices),
                "; ".join(f"{amount} {currency}" for currency, amount in r.balance.items()),
                r.state,
                r.message_id or "",
                r.detail,
            ]
        )
    return rows
