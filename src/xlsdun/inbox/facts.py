"""What the inbox told, as the plan takes it: each debtor's unhandled replies and the bounced
addresses still in their cells, merged into `DebtorHistory` (history.py asks here). No IMAP:
the ledger only.

The sheet can say a reply is handled: a Promise date or Hold until on any of the debtor's
invoices, on or after the reply's day, that the rows did not have when the reply was read
(a hold the owner set before the reply came is no answer to it). The run makes that stick
in the ledger
(`sheet_handled` + `store.handle_replies`), so clearing the cell later does not bring the
reply back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from ..ledger import Ledger
from ..models import Bounce, DebtorHistory, Invoice, Receivables, Reply
from . import store


def sheet_handled(replies: Iterable[Reply], invoices: Iterable[Invoice]) -> str | None:
    """The sheet's column that handles these replies (a Promise date or Hold until on or
    after the latest reply, that its rows did not have when it was read), or None."""
    latest = max(replies, key=lambda r: r.day, default=None)
    if latest is None:
        return None
    for inv in invoices:
        for column, when in (("Promise date", inv.promise_date), ("Hold until", inv.hold_until)):
            if when is not None and when >= latest.day and when not in latest.sheet_dates:
                return f"sheet: {column}"
    return None


def by_debtor(invoices: Iterable[Invoice]) -> dict[str, list[Invoice]]:
    groups: dict[str, list[Invoice]] = {}
    for inv in invoices:
        groups.setdefault(inv.debtor_key, []).append(inv)
    return groups


def bounced_by_debtor(
    groups: Mapping[str, list[Invoice]], bad: Mapping[str, Bounce]
) -> dict[str, tuple[Bounce, ...]]:
    """{debtor: the bounces of the addresses its cells hold now}: a changed cell lifts it."""
    found: dict[str, tuple[Bounce, ...]] = {}
    for key, invoices in groups.items():
        addresses = {a.casefold() for i in invoices for a in (i.email, *i.cc) if a}
        hits = tuple(bad[a] for a in sorted(addresses) if a in bad)
        if hits:
            found[key] = hits
    return found


def with_inbox(
    history: dict[str, DebtorHistory], receivables: Receivables, ledger: Ledger
) -> dict[str, DebtorHistory]:
    """`history` with each debtor's unhandled replies and bounced addresses added."""
    replies = store.unhandled_replies(ledger)
    bad = store.bad_addresses(ledger)
    if not replies and not bad:
        return history
    groups = by_debtor(receivables.invoices)
    bounces = bounced_by_debtor(groups, bad) if bad else {}
    empty = DebtorHistory()
    for key in {*replies, *bounces}:
        pending = replies.get(key, ())
        if pending and sheet_handled(pending, groups.get(key, ())):
            pending = ()
        if pending or key in bounces:
            prior = history.get(key, empty)
            history[key] = replace(prior, replies=pending, bounces=bounces.get(key, ()))
    return history
