"""Which of a debtor's open invoices are left out today, and why: an ordered list of rules.

Each rule looks at one invoice; the first that sets it aside gives the reason (a disputed
invoice on hold is "disputed"). The other open invoices are still reminded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from ..config import PolicyConfig
from ..models import DebtorHistory, Invoice
from .wording import reason

_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class SetAside:
    """Why an open invoice is not reminded today, and from which day it may be again
    (None: not by itself, e.g. until the dispute is cleared in the sheet)."""

    why: str
    resume: date | None = None


def disputed(inv: Invoice, today: date, policy: PolicyConfig) -> SetAside | None:
    return SetAside(reason("disputed", "disputed")) if inv.disputed else None


def on_hold(inv: Invoice, today: date, policy: PolicyConfig) -> SetAside | None:
    """Held up to and including `hold_until`."""
    if inv.hold_until and today <= inv.hold_until:
        why = reason(f"on hold until {inv.hold_until.isoformat()}", "on_hold", day=inv.hold_until)
        return SetAside(why, inv.hold_until + _DAY)
    return None


def promised(inv: Invoice, today: date, policy: PolicyConfig) -> SetAside | None:
    """A promise to pay holds until `promise_grace_days` after its date."""
    if inv.promise_date is None:
        return None
    until = inv.promise_date + timedelta(days=policy.promise_grace_days)
    if today <= until:
        why = reason(
            f"promise date {inv.promise_date.isoformat()}", "promised", day=inv.promise_date
        )
        return SetAside(why, until + _DAY)
    return None


InvoiceRule = Callable[[Invoice, date, PolicyConfig], SetAside | None]

SET_ASIDE: tuple[InvoiceRule, ...] = (disputed, on_hold, promised)
"""The invoice rules, in the order their reasons win."""


def set_aside(inv: Invoice, today: date, policy: PolicyConfig) -> SetAside | None:
    """The first rule's reason to leave `inv` out today; None if it may be reminded."""
    for rule in SET_ASIDE:
        found = rule(inv, today, policy)
        if found is not None:
            return found
    return None


def broken_promise(inv: Invoice, history: DebtorHistory) -> bool:
    """A contactable invoice with a promise date is a broken promise (its grace is over,
    since `promised` did not set it aside) until a broken-promise reminder went out after it."""
    promise = inv.promise_date
    return promise is not None and not any(
        c.variant == "broken_promise" and c.day > promise for c in history.contacts
    )
