"""The contact history a plan is made from: the ledger's, plus the sheet's hand-kept record.

Both the run and its write-back ask here, so the write-back's cells follow the same history
the plan did (read again after the run's own sends are in the ledger).
"""

from __future__ import annotations

from . import policy as policy_mod
from .config import Config
from .inbox.facts import with_inbox
from .ledger import Ledger
from .models import DebtorHistory, Receivables


def full_history(
    receivables: Receivables, ledger: Ledger, config: Config
) -> dict[str, DebtorHistory]:
    """The ledger's history, plus the sheet's hand-kept record for debtors it does not know,
    and what the inbox told (unhandled replies, bounced addresses: inbox/facts.py)."""
    history = ledger.history()
    # A contact the owner retracted with `resolve --resend` may still show in the sheet's
    # Last reminder (xlsdun wrote it); it must not come back as hand-kept history.
    known = {k for k, h in history.items() if h.contacts} | ledger.resent_debtors()
    for key, h in policy_mod.history_from_sheet(receivables, known, config.policy).items():
        prior = history.get(key)
        history[key] = (
            DebtorHistory(h.contacts, prior.approvals, prior.thanked_invoices) if prior else h
        )
    return with_inbox(history, receivables, ledger)
