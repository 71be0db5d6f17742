"""Who gets which reminder today: `plan(receivables, history, today, policy) -> Plan`.

A pure function of its inputs. It never reads the clock, the ledger or the workbook, so
every rule can be tested with plain values and dates chosen around each boundary.

The package, one concern a module:
  rules.py       the policy as an ordered list of small rules over one debtor (`RULES`)
  context.py     `Context`: what the rules look at for one debtor, worked out once
  exclusions.py  the invoice rules: disputed, on hold, promised (`SET_ASIDE`)
  ladder.py      the configured tone ladder: tier by age, one step up, final notice, caps
  calendar.py    send days: the working week and public holidays
  money.py       totals per currency, minimum balance, fee lines
  wording.py     the reasons' sentences shared with the summary and the digest
  history.py     the sheet's hand-kept history, for debtors the ledger does not know
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date

from ..config import PolicyConfig
from ..models import Action, DebtorHistory, Invoice, Plan, Receivables
from .calendar import holidays_of, next_send_day, send_days, why_not_send_day
from .context import Context, context_for
from .history import history_from_sheet
from .ladder import Ladder, natural_tier
from .money import fees_for
from .rules import RULES, decide
from .wording import how_to_approve


def plan_debtor(
    key: str,
    invoices: list[Invoice],
    history: DebtorHistory,
    today: date,
    policy: PolicyConfig,
    *,
    approved_column: bool = True,
    ladder: Ladder | None = None,
    unread: tuple[int, ...] = (),
) -> Action:
    """The one action for one debtor today (`approved_column`: the sheet has one to approve in;
    `ladder`: the policy's, worked out once for all debtors; `unread`: the debtor's rows a
    finding skipped): the first of the `RULES` that decides, over the debtor's context."""
    ctx = context_for(
        key,
        invoices,
        history,
        today,
        policy,
        approved_column=approved_column,
        ladder=ladder,
        unread=unread,
    )
    return decide(ctx, RULES)


def plan(
    receivables: Receivables,
    history: Mapping[str, DebtorHistory],
    today: date,
    policy: PolicyConfig,
) -> Plan:
    """Decide, for every debtor in the receivables, what to do today and why."""
    groups: dict[str, list[Invoice]] = defaultdict(list)
    for inv in receivables.invoices:
        groups[inv.debtor_key].append(inv)
    empty = DebtorHistory()
    sheet = receivables.sheet
    approved_column = sheet is None or "approved" in sheet.fields
    ladder = Ladder.of(policy)
    unread = _unread_rows(receivables, groups)
    actions = [
        plan_debtor(
            key,
            invs,
            history.get(key, empty),
            today,
            policy,
            approved_column=approved_column,
            ladder=ladder,
            unread=unread.get(key, ()),
        )
        for key, invs in groups.items()
    ]
    actions.sort(key=lambda a: (a.customer.casefold(), a.debtor))
    return Plan(
        today=today,
        actions=tuple(actions),
        findings=receivables.findings,
        send_day=why_not_send_day(today, policy) is None,
        next_send_day=next_send_day(today, policy),
        approved_column=approved_column,
        contacted_today=sum(
            1 for key in groups if (h := history.get(key)) and h.last and h.last.day == today
        ),
    )


def _unread_rows(
    receivables: Receivables, groups: Mapping[str, list[Invoice]]
) -> dict[str, tuple[int, ...]]:
    """The rows a finding skipped, by the debtor group they belong to: a group whose invoices
    name the debtor by any key the row names them by (its id, email or name; a row that
    names none, or is no invoice, holds no one back)."""
    by_key: dict[str, set[int]] = defaultdict(set)
    for finding in receivables.findings:
        for key in finding.debtors:
            by_key[key].add(finding.row)
    if not by_key:
        return {}
    held = {}
    for group, invoices in groups.items():
        rows = {
            row for key in {k for i in invoices for k in i.names} for row in by_key.get(key, ())
        }
        if rows:
            held[group] = tuple(sorted(rows))
    return held


__all__ = [
    "RULES",
    "Context",
    "Ladder",
    "context_for",
    "fees_for",
    "history_from_sheet",
    "holidays_of",
    "how_to_approve",
    "natural_tier",
    "next_send_day",
    "plan",
    "plan_debtor",
    "send_days",
    "why_not_send_day",
]
