"""The workbook as a view of the ledger: which owned cells should say what, after this run.

Pure: it derives every owned cell from the ledger's records and today's plan, so a run that
could not write the workbook (open in Excel) loses nothing: the next run derives the same
cells again and writes them. Only cells whose value differs from the sheet are returned.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime

from .ledger import Outcome, SendRecord
from .models import Action, DebtorHistory, Finding, Plan, Receivables
from .owner_words import Words, words
from .policy.wording import CREDIT_NOTE, PAID
from .workbook.read import is_blank

EN = words("en")

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
"""The Reminder log's columns, by key (the header the owner reads is `log_header`)."""


def log_header(w: Words = EN) -> list[str]:
    """The Reminder log's header in the owner's language. It is written once, into an empty
    log sheet: a log begun in one language keeps its header, and the lines below it keep
    their column order and their Key (an id and a state, no words), so re-runs stay
    idempotent whatever the language."""
    return [w(f"log.{column}") for column in LOG_HEADER]


_CLOSED = {PAID: "status.paid", CREDIT_NOTE: "status.credit_note"}
"""Rows nobody is reminded about: their status says so and their reminder cells stay empty.
Keyed by the reason's constant (wording.PAID / CREDIT_NOTE), never by a status text."""

_SEND_DETAIL = {"failed", "deferred", "pending"}  # the states whose status quotes the detail


def _not_sent(reason: str, w: Words = EN) -> str:
    closed = _CLOSED.get(reason)
    return w(closed) if closed else w("status.not_sent", reason=w.reason(reason))


def action_status(
    action: Action, record: Outcome | None, w: Words = EN, today: date | None = None
) -> str:
    """The `Reminder status` text for the invoices this action is about, in the owner's
    language. Nothing reads these texts back: the write-back only compares them with the
    cell, so a change of language rewrites each status once and then settles."""
    if record is not None:
        state = str(record.state)
        reminder = w.reminder(record.tier, record.variant)
        detail = record.detail or w("logoutcome." + state) if state in _SEND_DETAIL else ""
        key = f"status.{state}"
        return w(key, reminder=reminder, detail=detail) if w.has(key) else state
    reminder = w.reminder(action.tier, action.variant)
    if action.kind == "send":
        return w("status.planned", reminder=reminder)
    if action.kind == "skip":
        return _not_sent(action.reason, w)
    if action.kind == "manual":
        return _call_status(action, w, today)
    if action.kind == "await_approval":
        return w("status.awaiting", reminder=w.reminder(action.tier))
    return w("status.deferred_plan", reason=w.reason(action.reason))


_DELIVERED = {"sent", "written_to_outbox"}


def _mentioned_rows(action: Action, record: Outcome | None, today: date) -> set[int]:
    """The rows of invoices today's reminder only listed for information: not yet due while
    another invoice of the debt is (render/context.py `due_apart`). The message asked
    nothing of them, so their status must not read as if they were chased."""
    if record is None or str(record.state) not in _DELIVERED or record.variant == "thank_you":
        return set()
    open_invoices = [i for i in action.invoices if i.balance > 0]
    if not any(i.due_date <= today for i in open_invoices):
        return set()
    return {i.row for i in open_invoices if i.due_date > today}


def _call_status(action: Action, w: Words, today: date | None) -> str:
    """Why the owner calls, from the action's `call` (data), not from its English reason."""
    if action.call == "overdue" and today is not None:
        days = action.days_overdue(today) or 0
        return w("status.call.overdue", days=w.days(max(days, 0)))
    if action.call == "no_address":
        phone = next((i.phone for i in action.invoices if i.phone), None)
        if phone:
            return w("status.call.no_address_phone", phone=phone)
        return w("status.call.no_address")
    if action.call == "credit_note":
        return w("status.call.credit_note")
    return w("status.call", reason=w.reason(action.reason))


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
    today_records: Mapping[str, Outcome],
    owned_columns: Mapping[str, str],
    w: Words = EN,
) -> dict[int, dict[str, object]]:
    """{row: {header: value}} for every owned cell whose value should change; the status
    texts in the owner's language `w`.

    Rows that should change the same way share one dict (a debtor's invoices usually do):
    at 200,000 rows a dict per row cost more memory than the rest of the write-back. The
    dicts are read-only for callers.
    """
    status_header = owned_columns["status"]
    changes = _Changes(
        receivables.owned,
        key_of={v: k for k, v in owned_columns.items()},
        noted={f.row for f in plan.findings},
    )
    closed = dict.fromkeys((owned_columns[k] for k in ("last", "level", "count", "next")), None)
    texts: dict[str, str] = {}  # equal statuses are one string (run peak -5 MB at 200,000 invoices)
    for action in plan.actions:
        common = _reminder_cells(action, history.get(action.debtor), owned_columns, w)
        record = today_records.get(action.debtor)
        status = action_status(action, record, w, plan.today)
        status = texts.setdefault(status, status)
        rest = closed if action.kind == "skip" and action.reason in _CLOSED else common
        apart = _mentioned_rows(action, record, plan.today)
        rows = (inv.row for inv in action.invoices if inv.row not in apart)
        changes.want(rows, {status_header: status, **rest})
        if apart and record is not None:
            mentioned = w("status.mentioned", reminder=w.reminder(record.tier, record.variant))
            changes.want(apart, {status_header: mentioned, **rest})
        for why in dict.fromkeys(why for _, why in action.excluded):
            rest = closed if why in _CLOSED else common
            changes.want(_excluded(action, why), {status_header: _not_sent(why, w), **rest})
    for row, findings in _findings_by_row(plan.findings).items():
        changes.note(row, status_header, findings, w)
    return changes.settled()


def _reminder_cells(
    action: Action, h: DebtorHistory | None, owned_columns: Mapping[str, str], w: Words
) -> dict[str, object]:
    """The last reminder, its level (the tier's name in the owner's words, which the reader
    maps back to the tier: owner_words.TIER_BY_NAME), how many so far and the next date."""
    last = h.last if h else None
    return {
        owned_columns["last"]: last.day if last else None,
        owned_columns["level"]: w.tier(last.tier) if last else None,
        owned_columns["count"]: h.sent_count if h and h.sent_count else None,
        owned_columns["next"]: action.next_date,
    }


def _excluded(action: Action, why: str) -> Iterator[int]:
    """The rows of the debtor's invoices that the plan left out for `why`."""
    return (row for row, reason in action.excluded if reason == why)


def _findings_by_row(findings: Iterable[Finding]) -> dict[int, list[Finding]]:
    rows: dict[int, list[Finding]] = {}
    for finding in findings:
        rows.setdefault(finding.row, []).append(finding)
    return rows


def _noted(previous: object, findings: list[Finding], w: Words = EN) -> str:
    """A row's status with its findings: after what it would say otherwise, or as the reason
    it was skipped."""
    problems = [w.finding(f.field, f.problem, f.column) for f in findings]  # the owner's words
    if previous:
        return f"{previous}" + "".join(f" ({p})" for p in problems)
    return w("status.skipped", problems="; ".join(problems))


class _Changes:
    """The owned cells that differ from the sheet, worked out row by row. A row with findings
    is set aside (`noted`) until its findings are added to what it would say."""

    def __init__(
        self,
        owned: Mapping[int, Mapping[str, object]],
        *,
        key_of: Mapping[str, str],
        noted: set[int],
    ) -> None:
        self.owned, self.key_of, self.noted = owned, key_of, noted
        self.changes: dict[int, dict[str, object]] = {}
        self.wanted_at: dict[int, dict[str, object]] = {}  # rows with findings: what they'd say

    def want(self, rows: Iterable[int], cells: dict[str, object]) -> None:
        """What `rows` should say is `cells`: a later call for a row replaces an earlier one
        (an excluded invoice is also among its debtor's invoices)."""
        diffs: dict[int, dict[str, object]] = {}  # by id() of the sheet's cells, alive here
        for row in rows:
            if row in self.noted:
                self.wanted_at[row] = cells
                self.changes.setdefault(row, _NOTHING)  # keeps its place: new columns go in order
                continue
            now = self.owned.get(row, _NOTHING)
            diff = diffs.get(id(now))
            if diff is None:
                diff = diffs[id(now)] = _difference(now, cells, self.key_of)
            self._set(row, diff)

    def note(self, row: int, status_header: str, findings: list[Finding], w: Words) -> None:
        cells = dict(self.wanted_at.get(row, _NOTHING))
        cells[status_header] = _noted(cells.get(status_header), findings, w)
        self.wanted_at[row] = cells

    def settled(self) -> dict[int, dict[str, object]]:
        """Every change, the rows with findings included."""
        for row, cells in self.wanted_at.items():
            self._set(row, _difference(self.owned.get(row, _NOTHING), cells, self.key_of))
        return self.changes

    def _set(self, row: int, diff: dict[str, object]) -> None:
        if diff:
            self.changes[row] = diff
        else:
            self.changes.pop(row, None)


_NOTHING: dict[str, object] = {}  # a row with no owned cells yet (never changed)


def _difference(
    now: Mapping[str, object], cells: dict[str, object], key_of: Mapping[str, str]
) -> dict[str, object]:
    """The cells whose value differs from what the sheet has (`cells` itself if all do)."""
    diff = {h: v for h, v in cells.items() if not _same(now.get(key_of[h]), v)}
    return cells if len(diff) == len(cells) else diff


def log_rows(records: Iterable[SendRecord], w: Words = EN) -> list[list[object]]:
    """Lines for the append-only `Reminder log` sheet; the key (the record's id and state,
    no words) makes appends idempotent. Level, variant and outcome in the owner's words.

    Days, tiers, states and details repeat from line to line and share one object each
    (a 200,000-invoice run logs 40,000 lines)."""
    shared: dict[object, object] = {}

    def one(value: object) -> object:
        return shared.setdefault((type(value), value), value)

    rows = []
    for r in records:
        rows.append(
            [
                f"{r.id}:{r.state}",
                one(r.today),
                r.customer,
                r.email or "",
                one(w.tier(r.tier)),
                one(w(f"variant.{r.variant}")),
                ", ".join(r.invoices),
                "; ".join(w.money(amount, currency) for currency, amount in r.balance.items()),
                one(w(f"logoutcome.{r.state}")),
                r.message_id or "",
                one(r.detail),
            ]
        )
    return rows
