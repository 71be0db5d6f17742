"""What the owner sees: the terminal summary (rich) and the stable JSON for scripts.

Everything printed that came from a workbook cell goes through `safe`: no control characters
(an ESC in a name would drive the terminal), no bidi overrides, and never read as rich markup.
A plan of a few dozen debtors is a table; past a screenful it becomes counts plus the rows
that need the owner, with a pointer to the full report.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .models import Action, Delivery, Plan, RunReport
from .policy import how_to_approve
from .text import BIDI_CONTROLS, BIDI_MARKS, CONTROL

if TYPE_CHECKING:
    from .multi import ClientResult

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
    entry.update(_action_extras(action))
    if with_outcome:
        entry.update(_outcome_json(delivery))
    return entry


def _action_extras(action: Action) -> dict[str, Any]:
    """The keys a debtor's entry has only when they say something: fees, a variant, a call."""
    extras: dict[str, Any] = {}
    if action.fees:
        extras["fees"] = [
            {"kind": f.label, "currency": f.currency, "amount": float(f.amount), "detail": f.detail}
            for f in action.fees
        ]
    if action.variant != "standard":
        extras["variant"] = action.variant
    if action.call_list:
        extras["call_list"] = True
    return extras


def _outcome_json(delivery: Delivery | None) -> dict[str, Any]:
    """What became of a debtor's reminder in a run (`skipped`: none was sent)."""
    if delivery is None:
        return {"outcome": "skipped", "message_id": None}
    entry: dict[str, Any] = {"outcome": delivery.outcome, "message_id": delivery.message_id}
    if delivery.detail:
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
        table.add_row(
            safe(a.customer), safe(_tier_label(a)), safe(_amount(a)), _what(a, d), safe(_why(a, d))
        )
    return table


def _what(a: Action, d: Delivery | None) -> str:
    """The Outcome (or, in a plan, Action) cell, styled by what it is."""
    if d is not None:
        return f"[{OUTCOME_STYLE.get(d.outcome, '')}]{d.outcome.replace('_', ' ')}[/]"
    return f"[{KIND_STYLE.get(a.kind, '')}]{a.kind.replace('_', ' ')}[/]"


def _tier_label(a: Action) -> str:
    if a.variant == "broken_promise":
        return (a.tier or "") + " (broken promise)"
    if a.variant == "thank_you":
        return "thank-you"
    return a.tier or ""


def _why(a: Action, d: Delivery | None) -> str:
    """The plan's reason, or what went wrong with the send; and whether the owner should call."""
    failed = d is not None and d.outcome not in ("sent", "written_to_outbox")
    why = d.detail if d is not None and failed else a.reason
    if a.call_list and a.kind != "manual":
        why += " · on the call list"
    return why


def _amount(a: Action) -> str:
    amount = money(a.balance)
    if a.fees:
        amount += "\n+ " + ", ".join(f"{f.amount:,.2f} {f.currency}" for f in a.fees) + " fees"
    return amount


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
    _print_counts(plan, [(a, get(a.debtor)) for a in actions], deliveries is not None, console)
    needing = [a for a in actions if _needs_owner(a, get(a.debtor))]
    if needing:
        shown = needing[:SCREENFUL]
        table = _table(plan, shown, deliveries)
        table.title = f"Needs you ({len(needing)})"
        console.print(table)
        if len(needing) > len(shown):
            console.print(f"… and {len(needing) - len(shown)} more.")
    console.print(more)


def _print_counts(
    plan: Plan, rows: list[tuple[Action, Delivery | None]], ran: bool, console: Console
) -> None:
    """How many debtors, by outcome (or by action, for a plan) and by tier."""
    kinds = Counter((d.outcome if d is not None else a.kind).replace("_", " ") for a, d in rows)
    tiers = Counter(a.tier for a, _ in rows if a.tier)
    console.print(f"xlsdun — {plan.today.isoformat()}: {len(rows)} debtors.")
    label = "By outcome" if ran else "By action"
    console.print(f"{label}: " + ", ".join(f"{n} {k}" for k, n in kinds.most_common()) + ".")
    if tiers:
        console.print(
            "By tier: " + ", ".join(f"{n} {safe(t)}" for t, n in tiers.most_common()) + "."
        )


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
            f"[yellow]{rows} row(s) with a problem[/] (after a run, the row's status cell, "
            f"'Reminder status' unless \\[owned_columns] renames it, says what xlsdun did):"
        )
        for f in plan.findings[:20]:
            console.print(f"  row {f.row}: {safe(f.field)}: {safe(f.problem)}")
        if len(plan.findings) > 20:
            console.print(f"  … and {len(plan.findings) - 20} more (see the rows' status cells).")


def _headline(report: RunReport) -> str:
    """What happened in one sentence: rendered, nothing to do (and why), or the counts."""
    if report.dry_run:
        return _dry_run_headline(report)
    if any(not d.earlier for d in report.deliveries):
        outcomes = Counter(d.outcome for d in report.deliveries)
        return (
            "Reminders: "
            + ", ".join(f"{n} {o.replace('_', ' ')}" for o, n in sorted(outcomes.items()))
            + "."
        )
    return _nothing_sent(report)


def _dry_run_headline(report: RunReport) -> str:
    made = sum(d.outcome == "skipped" for d in report.deliveries)
    failing = len(report.deliveries) - made
    return (
        f"Dry run: {made} message(s) rendered into {safe(report.outbox_dir)}"
        + (f"; {failing} would fail (see the table)" if failing else "")
        + "; nothing sent, nothing recorded."
    )


def _nothing_sent(report: RunReport) -> str:
    """Why a run sent nothing new: not a send day, sent already today, or nothing due."""
    if not report.plan.send_day:
        return (
            f"Nothing sent: today is not a send day; the next one is {report.plan.next_send_day}."
        )
    if report.plan.contacted_today or report.deliveries:
        n = report.plan.contacted_today
        return f"Nothing new to send today: {n} reminder(s) already sent (or written to the outbox) today."
    if report.plan.needs_owner:
        return "No reminders to send today, but some things need your attention (see below)."
    return "Nothing is due today."


def print_run(report: RunReport, console: Console) -> None:
    deliveries = {d.action.debtor: d for d in report.deliveries}
    more = f"Full report: {safe(report.html_report)}" if report.html_report else ""
    _print_actions(
        report.plan, deliveries, console, more or "Every debtor and outcome: 'xlsdun run --json'."
    )
    console.print(_headline(report))
    for line in (rule(report) for rule in _AFTER_HEADLINE):
        if line:
            console.print(line)
    for note in report.notes:
        console.print(f"[yellow]Note:[/] {safe(note)}")
    _print_findings(report.plan, console)
    if report.html_report and len(report.plan.actions) <= SCREENFUL:  # else said above
        # last: the run in the owner's language (the terminal stays English, see
        # docs/architecture.md)
        console.print(f"Report: {safe(report.html_report)} (to open it, run 'xlsdun report').")


def _emails_line(report: RunReport) -> str | None:
    if report.outbox_dir and not report.dry_run and report.deliveries:
        return f"Emails (.eml): {safe(report.outbox_dir)}/{report.today.isoformat()}"
    return None


def _calls_line(report: RunReport) -> str | None:
    calls = [a for a in report.plan.actions if a.call_list]
    return f"Call list: {_names(calls)}." if calls else None


def _approval_line(report: RunReport) -> str | None:
    waiting = [a for a in report.plan.actions if a.kind == "await_approval"]
    if not waiting:
        return None
    how = how_to_approve(report.plan.approved_column)
    return f"Awaiting your approval: {_names(waiting)} ({safe(how)})."


def _workbook_line(report: RunReport) -> str | None:
    return f"Workbook updated: {safe(report.workbook_path)}" if report.workbook_written else None


# What a run's summary says after its headline, in this order (each line only if it applies).
_AFTER_HEADLINE: tuple[Callable[[RunReport], str | None], ...] = (
    _emails_line,
    _calls_line,
    _approval_line,
    _workbook_line,
)


def _names(actions: list[Action], limit: int = 10) -> str:
    names = ", ".join(safe(a.customer) for a in actions[:limit])
    return names + (f" and {len(actions) - limit} more" if len(actions) > limit else "")


# -- several clients (a bookkeeper's `run --config 'clients/*/xlsdun.toml'`) -------------------


def clients_json(results: list[ClientResult], exit_code: int) -> dict[str, Any]:
    """The stable JSON of a run over several configs: each client's run, or its error."""
    return {
        "exit_code": exit_code,
        "clients": [
            {
                "config": r.path,
                "name": r.name,
                "exit_code": r.exit_code,
                "error": r.error,
                "run": run_json(r.report) if r.report else None,
            }
            for r in results
        ],
    }


def print_clients(results: list[ClientResult], console: Console) -> None:
    """Each client's summary under its own rule, then a table of them all."""
    for r in results:
        console.rule(f"{safe(r.name)} — {safe(r.path)}")
        if r.report is not None:
            print_run(r.report, console)
        else:
            console.print(f"[bold red]Not run:[/] {safe(r.error)}")
    console.print(clients_table(results))


def clients_table(results: list[ClientResult]) -> Table:
    table = Table(title="Clients", title_justify="left")
    for col in ("Client", "Result", "Sent", "Failed", "Deferred", "Exit"):
        table.add_column(
            col, justify="right" if col in ("Sent", "Failed", "Deferred", "Exit") else "left"
        )
    for r in results:
        outcomes = Counter(
            d.outcome for d in (r.report.deliveries if r.report else []) if not d.earlier
        )
        sent = outcomes["sent"] + outcomes["written_to_outbox"]
        table.add_row(
            safe(r.name),
            _client_result(r),
            str(sent),
            str(outcomes["failed"]),
            str(outcomes["deferred"]),
            str(r.exit_code),
        )
    return table


def _client_result(r: ClientResult) -> str:
    """The Result cell: the error, the last note of a run that did not end well, or ok."""
    if r.error:
        return f"[bold red]{safe(r.error[:70])}[/]"
    if r.exit_code:
        notes = r.report.notes if r.report is not None else []
        return f"[yellow]{safe((notes or ['see above'])[-1][:70])}[/]"
    return "[green]ok[/]"
