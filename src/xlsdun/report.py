"""What the owner sees: the terminal summary (rich) and the stable JSON for scripts."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

from .models import Action, Delivery, Plan, RunReport

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


def _table(plan: Plan, deliveries: dict[str, Delivery] | None) -> Table:
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
    for a in plan.actions:
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
            else (a.reason)
        )
        if a.call_list and a.kind != "manual":
            why += " · on the call list"
        amount = money(a.balance)
        if a.fees:
            amount += "\n+ " + ", ".join(f"{f.amount:,.2f} {f.currency}" for f in a.fees) + " fees"
        table.add_row(a.customer, tier, amount, f"[{style}]{what}[/]", why)
    return table


def print_plan(plan: Plan, console: Console) -> None:
    console.print(_table(plan, None))
    kinds = Counter(a.kind for a in plan.actions)
    console.print(
        f"{kinds['send']} to send, {kinds['await_approval']} awaiting approval, "
        f"{kinds['manual']} to call, {kinds['defer']} deferred, {kinds['skip']} not contacted."
    )
    if not plan.send_day:
        console.print(f"Today is not a send day; the next one is {plan.next_send_day}.")
    _print_findings(plan, console)


def _print_findings(plan: Plan, console: Console) -> None:
    if plan.findings:
        console.print(f"[yellow]{len(plan.findings)} row(s) skipped:[/]")
        for f in plan.findings[:20]:
            console.print(f"  row {f.row}: {f.field}: {f.problem}")
        if len(plan.findings) > 20:
            console.print(f"  … and {len(plan.findings) - 20} more (see 'Reminder status').")


def print_run(report: RunReport, console: Console) -> None:
    deliveries = {d.action.debtor: d for d in report.deliveries}
    console.print(_table(report.plan, deliveries))
    outcomes = Counter(d.outcome for d in report.deliveries)
    fresh = [d for d in report.deliveries if not d.detail.startswith("already done")]
    if report.dry_run:
        console.print(
            f"Dry run: {len(report.deliveries)} message(s) rendered into "
            f"{report.outbox_dir}; nothing sent, nothing recorded."
        )
    elif not fresh:
        console.print(
            "Nothing new to send today: every reminder due today was already sent "
            "(or nothing is due)."
        )
    else:
        parts = [f"{n} {o.replace('_', ' ')}" for o, n in sorted(outcomes.items())]
        console.print("Reminders: " + ", ".join(parts) + ".")
    if report.outbox_dir and not report.dry_run and report.deliveries:
        console.print(f"Emails (.eml): {report.outbox_dir}/{report.today.isoformat()}")
    calls = [a for a in report.plan.actions if a.call_list or a.kind == "manual"]
    if calls:
        console.print(f"Call list: {', '.join(a.customer for a in calls)}.")
    waiting = [a for a in report.plan.actions if a.kind == "await_approval"]
    if waiting:
        console.print(
            f"Awaiting your approval: {', '.join(a.customer for a in waiting)} "
            f"(write yes in the Approved column)."
        )
    if report.workbook_written:
        console.print(f"Workbook updated: {report.workbook_path}")
    for note in report.notes:
        console.print(f"[yellow]Note:[/] {note}")
    _print_findings(report.plan, console)
