"""The plan tier's offer, worked out exactly: pay the overdue balance in full by a date (less
the early-payment discount, the late charges waived or added), or in N monthly instalments
that add up to the cent. Pure arithmetic on the message's totals; templates only show it.

Issue 14: a mail that showed a total with charges, a discounted total and "about" instalment
amounts side by side left the debtor asking which applied. Each choice now says exactly what
it costs and by when.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

from .views import CENT, FeeView, Total, to_cents, totals

INSTALMENT_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "standing_order": "standing order",
        "postdated_cheques": "post-dated cheques",
        "credit_card": "credit card",
    },
    "he": {
        "standing_order": "בהוראת קבע",
        "postdated_cheques": "בצ׳קים דחויים",
        "credit_card": "בכרטיס אשראי",
    },
}
"""How instalments may be paid (`[policy] instalment_methods`), in each message language, as
the offer's sentence takes them: "by standing order, post-dated cheques or credit card" /
"בהוראת קבע, בצ׳קים דחויים או בכרטיס אשראי"."""

ACCEPT_WORDS: dict[str, tuple[str, str]] = {"en": ("FULL", "INSTALMENTS"), "he": ("מלא", "תשלומים")}
"""The one word a debtor replies with to take each choice: (pay in full, instalments)."""


@dataclass(frozen=True, slots=True)
class FullPayment:
    """Pay the overdue invoices in full by `by`: their balance less the discount (on the
    invoices only), plus the late charges unless they are waived."""

    by: date
    invoices_total: tuple[Total, ...]
    discount: Decimal | None  # the rate (0.02), or None when none is offered
    discount_amount: tuple[Total, ...]
    charges_waived: bool  # there are charges, and this choice drops them
    charges: tuple[Total, ...]  # the late charges per currency (waived or not)
    pay: tuple[Total, ...]


@dataclass(frozen=True, slots=True)
class Instalment:
    """One monthly payment: its date and amount per currency."""

    number: int  # 1-based
    due: date
    amounts: tuple[Total, ...]


def split_cents(total: Decimal, parts: int) -> list[Decimal]:
    """`total` in `parts` payments to the cent, adding up to `total` exactly: each the total
    divided and rounded down to the cent, the cents left over one each on the first ones
    (2,296.67 / 2,296.67 / 2,296.66), as an Israeli bookkeeper splits it: the remainder
    paid first, never a larger last instalment that looks like a surcharge."""
    if parts < 1:
        raise ValueError("at least one part")
    cents = to_cents(total)
    each = (cents / parts).quantize(CENT, rounding=ROUND_DOWN)
    left = int((cents - each * parts) / CENT)  # 0 <= left < parts
    return [each + CENT] * left + [each] * (parts - left)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, moved back to the month's last day where it has none
    (31 Jan + 1 month: 28 or 29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def charges_of(fees: Sequence[FeeView]) -> list[Total]:
    return totals((f.currency, f.amount) for f in fees)


def full_payment(
    invoice_totals: Sequence[Total],
    fees: Sequence[FeeView],
    *,
    by: date,
    discount: Decimal | None,
    waive_charges: bool,
) -> FullPayment:
    """The pay-in-full choice (see `FullPayment`)."""
    charges = charges_of(fees)
    off = (
        [Total(t.currency, to_cents(t.amount * discount)) for t in invoice_totals]
        if discount
        else []
    )
    added = [] if waive_charges else charges
    pay = totals(
        [(t.currency, to_cents(t.amount)) for t in invoice_totals]
        + [(t.currency, -t.amount) for t in off]
        + [(t.currency, t.amount) for t in added]
    )
    return FullPayment(
        by=by,
        invoices_total=tuple(invoice_totals),
        discount=discount,
        discount_amount=tuple(off),
        charges_waived=waive_charges and bool(charges),
        charges=tuple(charges),
        pay=tuple(pay),
    )


def instalments(
    invoice_totals: Sequence[Total],
    fees: Sequence[FeeView],
    *,
    count: int,
    first: date,
    waive_charges: bool,
) -> list[Instalment]:
    """`count` monthly instalments of the overdue balance (plus the charges unless waived),
    the first on `first`, then the same day each month; none when `count` is below 2."""
    if count < 2 or not invoice_totals:
        return []
    added = [] if waive_charges else charges_of(fees)
    owed = totals(
        [(t.currency, t.amount) for t in invoice_totals] + [(t.currency, t.amount) for t in added]
    )
    split = {t.currency: split_cents(t.amount, count) for t in owed}
    return [
        Instalment(
            number=n + 1,
            due=add_months(first, n),
            amounts=tuple(Total(c, parts[n]) for c, parts in split.items()),
        )
        for n in range(count)
    ]


DOMESTIC_ONLY = frozenset({"standing_order", "postdated_cheques"})
"""Means of paying instalments that only an Israeli bank account can use: a standing order
(הוראת קבע) and post-dated cheques are not offered to a debtor who pays from abroad."""


def method_labels(methods: Sequence[str], language: str, *, abroad: bool = False) -> list[str]:
    """The configured means of paying instalments, in the message's language; for a debtor
    abroad (invoices in another currency) only those that work across borders."""
    labels = INSTALMENT_LABELS.get(language, INSTALMENT_LABELS["en"])
    return [labels[m] for m in methods if m in labels and not (abroad and m in DOMESTIC_ONLY)]
