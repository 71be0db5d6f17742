"""A debtor's history from the sheet itself, for debtors the ledger does not know."""

from __future__ import annotations

from collections.abc import Iterable

from ..config import PolicyConfig
from ..models import Contact, DebtorHistory, Receivables
from .ladder import Ladder


def history_from_sheet(
    receivables: Receivables, known: Iterable[str], policy: PolicyConfig
) -> dict[str, DebtorHistory]:
    """Contacts recorded by hand in the sheet's own `Reminder level`/`Last reminder` columns.

    Used only for debtors the ledger knows nothing about (a first run, or a lost ledger), so
    that a customer already warned by hand is not sent a first friendly reminder again.
    """
    known = set(known)
    tier_ids = {t.id for t in policy.ladder}
    rank = Ladder.of(policy).rank
    found: dict[str, Contact] = {}
    for inv in receivables.invoices:
        key = inv.debtor_key
        if key in known or inv.reminder_level not in tier_ids or inv.last_reminder is None:
            continue
        current = found.get(key)
        if current is None or (inv.last_reminder, rank(inv.reminder_level)) > (
            current.day,
            rank(current.tier),
        ):
            found[key] = Contact(day=inv.last_reminder, tier=inv.reminder_level)
    return {k: DebtorHistory(contacts=(c,)) for k, c in found.items()}
