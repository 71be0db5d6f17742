"""Balances per currency (never summed across currencies) and the fee lines a tier adds."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from ..config import PolicyConfig, Tier
from ..models import FeeLine, Invoice

CENT = Decimal("0.01")


def totals(invoices: Iterable[Invoice]) -> dict[str, Decimal]:
    """The balance per currency, currencies in alphabetical order."""
    sums: dict[str, Decimal] = defaultdict(lambda: Decimal("0"))
    for inv in invoices:
        sums[inv.currency] += inv.balance
    return dict(sorted(sums.items()))


def below_minimum(balances: dict[str, Decimal], policy: PolicyConfig) -> bool:
    """Every currency's balance is below `min_balance` (a debt in one currency is enough)."""
    return all(amount < policy.min_balance for amount in balances.values())


def fees_for(
    invoices: tuple[Invoice, ...], tier: Tier, basis: Invoice, today: date, policy: PolicyConfig
) -> tuple[FeeLine, ...]:
    """The tier's late fee (in the basis invoice's currency) and the simple interest per
    currency: separate lines of the message, never added to the sheet's amounts."""
    lines: list[FeeLine] = []
    if tier.late_fee > 0:
        lines.append(FeeLine("late_fee", basis.currency, tier.late_fee.quantize(CENT)))
    if policy.late_interest_annual > 0:
        interest: dict[str, Decimal] = defaultdict(lambda: Decimal("0"))
        for inv in invoices:
            days = (today - inv.due_date).days
            if days > 0:
                interest[inv.currency] += inv.balance * policy.late_interest_annual * days / 365
        for currency, amount in sorted(interest.items()):
            amount = amount.quantize(CENT, rounding=ROUND_HALF_UP)
            if amount > 0:
                rate = f"{policy.late_interest_annual * 100:g}%"
                lines.append(FeeLine("interest", currency, amount, rate))
    return tuple(lines)
