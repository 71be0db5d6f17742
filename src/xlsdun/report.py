"""What the owner sees: the terminal summary (rich) and the stable JSON for scripts.

Everything printed that came from a workbook cell goes through `safe`: no control characters
(an ESC in a name would drive the terminal), no bidi overrides, and never read as rich markup.
A plan of a few dozen debtors is a table; past a screenful it becomes counts plus the rows
that need the owner, with a pointer to the full report.
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .models import Action, Delivery, Plan, RunReport
from .policy import how_to_approve
from .text import BIDI_CONTROLS, BIDI_MARKS, CONTROL

# C0 and C1 controls, DEL, and the bidi embeddings, overrides and isolates.
_UNSAFE = re.compile(f"[{CONTROL}{BIDI_MARKS}{BIDI_CONTROLS}]+")
SCREENFUL = 40  # debtors shown as a full table; more become a summary (plus what needs you)


def plain(value: object) -> str:
    """Text from a cell, fit for a terminal or a log line: one line, no control characters."""
    return " ".join(_UNSAFE.sub(" ", str(value)).split())


def safe(value: object) -> str:
    """`plain`, and escaped for rich, which would read "[bold]" in a name as markup."""
    return escape(plain(value))


OUTCOME_STYLE = {
    "sent": "green",
    "written_to_outbox": "green",
    "failed": "bold red",
    "deferred": "yellow",
    "ambiguous": "bold magenta",
    "skipped": "dim",
}
KIND_STYLE = {
    "send": "green",
    "skip": "dim",
    "manual": "bold yellow",
    "await_approval": "cyan",
    "defer": "yellow",
}


def money(balance: dict[str, Decimal]) -> str:
    return ", ".join(f"{amount:,.2f} {currency}" for currency, amount in balance.items()) or "-"


def _debtor_json(action: Action, delivery: Delivery | None, with_outcome: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "customer": action.customer,
        "email": action.email,
        "tier": action.tier,
        "action": action.kind,
        "reason": action.reason,
        "invoices": list(action.invoice_ids),
        "balance": {c: float(a) for c, a in action.balance.items()},
    }
    if action.fees:
        entry["fees"] = [
            {"kind": f.label, "currency": f.currency, "amount": float(f.amount), "detail": f.detail}
            for f in action.fees
        ]
    if action.variant != "standard":
        entry["variant"] = action.variant
    if action.call_list:
        entry["call_list"] = True
    if with_outcome:
        entry["outcome"] = delivery.outcome if delivery else "skipped"
        entry["message_id"] = delivery.message_id if delivery else None
        if delivery and delivery.detail:
            entry["detail"] = delivery.detail
    return entry


def plan_json(plan: Plan, run_id: str | None = None) -> dict[str, Any]:
    return {
        "today": plan.today.isoformat(),
        "run_id": run_id,
        "send_day": plan.send_day,
        "debtors": [_debtor_json(a, None, False) for a in plan.actions],
        "findings": [{"row": f.row, "field": f.field, "problem": f.problem} for f in plan.findings],
    }


def run_json(report: RunReport) -> dict[str, Any]:
    by_debtor = {d.action.debtor: d for d in report.deliveries}
    data = plan_json(report.plan, report.run_id)
    data["debtors"] = [_debtor_json(a, by_debtor.get(a.debtor), True) for a in report.plan.actions]
    data.update(
        exit_code=report.exit_code,
        workbook=report.workbook_path,
        workbook_written=report.workbook_written,
        outbox=report.outbox_dir,
        dry_run=report.dry_run,
        notes=report.notes,
    )
    return data


def _table(plan: Plan, actions: list[Action], deliveries: dict[str, Delivery] | None) -> Table:
    table = Table(
        title=f"xlsdun — {plan.today.isoformat()}",
        title_justify="left",
        show_lines=False,
        expand=False,
    )
    table.add_column("Debtor", overflow="fold", max_width=32)
    table.add_column("Tier")
    table.add_column("Amount", justify="right")
    table.add_column("Outcome" if deliveries is not None else "Action")
    table.add_column("Why", overflow="fold", max_width=60)
    for a in actions:
        d = deliveries.get(a.debtor) if deliveries is not None else None
        if d is not None:
            what, style = d.outcome.replace("_", " "), OUTCOME_STYLE.get(d.outcome, "")
        else:
            what, style = a.kind.replace("_", " "), KIND_STYLE.get(a.kind, "")
        tier = a.tier or ""
        if a.variant == "broken_promise":
            tier += " (promise)"
        elif a.variant == "thank_you":
            tier = "thank-you"
        why = (
            d.detail
            if d is not None and d.outcome not in ("sent", "written_to_outbox")
            else a.reason
        )
        if a.call_list and a.kind != "manual":
            why += " · on the call list"
        amount = money(a.balance)
        if a.fees:
            amount += "\n+ " + ", ".join(f"{f.amount:,.2f} {f.currency}" for f in a.fees) + " fees"
        table.add_row(safe(a.customer), safe(tier), safe(amount), f"[{style}]{what}[/]", safe(why))
    return table


def _needs_owner(a: Action, d: Delivery | None) -> bool:
    """A row the owner must act on: a failure, a call, an approval, a send that may not have
    arrived."""
    outcome = d.outcome if d is not None else None
    return outcome in ("failed", "ambiguous") or a.call_list or a.kind == "await_approval"


def _print_actions(
    plan: Plan, deliveries: dict[str, Delivery] | None, console: Console, more: str
) -> None:
    """The full table for a screenful of debtors; past that, counts by outcome (or action) and
    tier, then only the rows that need the owner."""
    actions = list(plan.actions)
    if len(actions) <= SCREENFUL:
        console.print(_table(plan, actions, deliveries))
        return
    get = deliveries.get if deliveries is not None else (lambda _key: None)
    kinds = Counter(
        (d.outcome if (d := get(a.debtor)) is not None else a.kind).replace("_", " ")
        for a in actions
    )
    tiers = Counter(a.tier for a in actions if a.tier)
    console.print(f"xlsdun — {plan.today.isoformat()}: {len(actions)} debtors.")
    label = "By outcome" if deliveries is not None else "By action"
    console.print(f"{label}: " + ", ".join(f"{n} {k}" for k, n in kinds.most_common()) + ".")
    if tiers:
        console.print(
            "By tier: " + ", ".join(f"{n} {safe(t)}" for t, n in tiers.most_common()) + "."
        )
    needing = [a for a in actions if _needs_owner(a, get(a.debtor))]
    if needing:
        shown = needing[:SCREENFUL]
        table = _table(plan, shown, deliveries)
        table.title = f"Needs you ({len(needing)})"
        console.print(table)
        if len(needing) > len(shown):
            console.print(f"… and {len(needing) - len(shown)} more.")
    console.print(more)


def print_plan(plan: Plan, console: Console) -> None:
    _print_actions(plan, None, console, "Every debtor and why: 'xlsdun plan --json'.")
    kinds = Counter(a.kind for a in plan.actions)
    calls = sum(1 for a in plan.actions if a.call_list)
    console.print(
        f"{kinds['send']} to send, {kinds['await_approval']} awaiting approval, "
        f"{calls} to call, {kinds['defer']} deferred, {kinds['skip']} not contacted."
    )
    if not plan.send_day:
        console.print(f"Today is not a send day; the next one is {plan.next_send_day}.")
    _print_findings(plan, console)


def _print_findings(plan: Plan, console: Console) -> None:
    if plan.findings:
        rows = len({f.row for f in plan.findings})
        console.print(
            f"[yellow]{rows} row(s) with a problem[/] (after a run, each row's Reminder status "
            f"cell says what xlsdun did with it):"
        )
        for f in plan.findings[:20]:
            console.print(f"  row {f.row}: {safe(f.field)}: {safe(f.problem)}")
        if len(plan.findings) > 20:
            console.print(f"  … and {len(plan.findings) - 20} more (see 'Reminder status').")


def _headline(report: RunReport) -> str:
    """What happened in one sentence: rendered, nothing to do (and why), or the counts."""
    fresh = [d for d in report.deliveries if not d.earlier]
    if report.dry_run:
        made = sum(d.outcome == "skipped" for d in report.deliveries)
        failing = len(report.deliveries) - made
        return (
            f"Dry run: {made} message(s) rendered into {safe(report.outbox_dir)}"
            + (f"; {failing} would fail (see the table)" if failing else "")
            + "; nothing sent, nothing recorded."
        )
    if fresh:
        outcomes = Counter(d.outcome for d in report.deliveries)
        return (
            "Reminders: "
            + ", ".join(f"{n} {o.replace('_', ' ')}" for o, n in sorted(outcomes.items()))
            + "."
        )
    if not report.plan.send_day:
        return (
            f"Nothing sent: today is not a send day; the next one is {report.plan.next_send_day}."
        )
    if report.plan.contacted_today or report.deliveries:
        n = report.plan.contacted_today
        return f"Nothing new to send today: {n} reminder(s) already went out today."
    return "Nothing is due today."


def print_run(report: RunReport, console: Console) -> None:
    deliveries = {d.action.debtor: d for d in report.deliveries}
    more = f"Full report: {safe(report.html_report)}" if report.html_report else ""
    _print_actions(
        report.plan, deliveries, console, more or "Every debtor and outcome: 'xlsdun run --json'."
    )
    console.print(_headline(report))
    if report.outbox_dir and not report.dry_run and report.deliveries:
        console.print(f"Emails (.eml): {safe(report.outbox_dir)}/{report.today.isoformat()}")
    calls = [a for a in report.plan.actions if a.call_list]
    if calls:
        console.print(f"Call list: {_names(calls)}.")
    waiting = [a for a in report.plan.actions if a.kind == "await_approval"]
    if waiting:
        how = how_to_approve(report.plan.approved_column)
        console.print(f"Awaiting your approval: {_names(waiting)} ({safe(how)}).")
    if report.workbook_written:
        console.print(f"Workbook updated: {safe(report.workbook_path)}")
    for note in report.notes:
        console.print(f"[yellow]Note:[/] {safe(note)}")
    _print_findings(report.plan, console)


def _names(actions: list[Action], limit: int = 10) -> str:
    names = ", ".join(safe(a.customer) for a in actions[:limit])
    return names + (f" and {len(actions) - limit} more" if len(actions) > limit else "")
