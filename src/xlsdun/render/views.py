"""The values templates see: frozen, plain (text, numbers, dates), nothing callable.

Their fields are what the sandbox lets a template read without its per-attribute check
(`environment.PLAIN_FIELDS`), so they hold plain values only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from ..models import Invoice

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class InvoiceView:
    """One invoice as the templates see it (days counted from the run's `today`)."""

    number: str
    invoice_date: date | None
    due_date: date
    days_overdue: int  # negative: due in that many days
    days_until_due: int
    balance: Decimal
    amount: Decimal | None
    currency: str
    promise_date: date | None
    pay_link: str | None


@dataclass(frozen=True, slots=True)
class Total:
    currency: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class FeeView:
    kind: str  # "late_fee" | "interest" | other
    label: str  # already in the message's language
    currency: str
    amount: Decimal
    detail: str


@dataclass(frozen=True, slots=True)
class InvoiceLink:
    number: str
    url: str


def sorted_invoices(invoices: Iterable[Invoice]) -> list[Invoice]:
    """Oldest due first: the order a message lists them in and attaches their files."""
    return sorted(invoices, key=lambda i: (i.due_date, i.invoice, i.row))


def totals(pairs: Iterable[tuple[str, Decimal]]) -> list[Total]:
    """Per-currency sums, in order of first appearance; currencies are never added together."""
    sums: dict[str, Decimal] = {}
    for currency, amount in pairs:
        sums[currency] = sums.get(currency, Decimal("0")) + amount
    return [Total(c, a) for c, a in sums.items()]


def to_cents(amount: Decimal) -> Decimal:
    """Rounded half up to the cent, as an invoice rounds."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)
