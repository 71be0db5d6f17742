"""The message context: everything a template can use, built from one Action by a list of
small steps (`CONTEXT_STEPS`), each a pure function of the same facts (`Facts`).

All values are plain (text, numbers, dates, the frozen views), nothing callable from the
sheet; sheet text is cleaned (`cleaning.clean_line`) before a template sees it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from babel.numbers import format_percent

from ..config import LocaleConfig, PolicyConfig, SenderConfig
from ..models import Action, FeeLine, Invoice
from ..names import currency_code
from .catalog import direction, normalize_language
from .cleaning import clean_line, safe_url
from .views import (
    FeeView,
    InvoiceLink,
    InvoiceView,
    Total,
    sorted_invoices,
    to_cents,
    totals,
)

FEE_LABELS: dict[str, dict[str, str]] = {
    "en": {"late_fee": "Late payment fee", "interest": "Interest on the overdue balance"},
    "he": {"late_fee": "דמי פיגורים", "interest": "ריבית פיגורים"},
}
INTEREST_RATE: dict[str, str] = {"en": "{rate} a year", "he": "{rate} לשנה"}
DISCOUNT_DAYS = 7  # an early-payment discount holds for a week from the message
# The days off that a final notice's deadline moves past (Mon=0): Fri-Sat in Israel.
WEEKENDS: dict[str, frozenset[int]] = {"IL": frozenset({4, 5})}
DEFAULT_WEEKEND = frozenset({5, 6})


# ---------------------------------------------------------------- single values


def currency(value: str | None, default: str) -> str:
    """An ISO code, so "NIS", "ש״ח" and "ILS" make one total, not three."""
    return currency_code(clean_line(value or ""), default)


def deadline(today: date, days: int, country: str) -> date:
    """The final notice's deadline: `days` on, moved off the country's weekend."""
    day = today + timedelta(days=days)
    weekend = WEEKENDS.get(country, DEFAULT_WEEKEND)
    while day.weekday() in weekend:
        day += timedelta(days=1)
    return day


def invoice_view(inv: Invoice, today: date, default_currency: str) -> InvoiceView:
    days = (today - inv.due_date).days
    return InvoiceView(
        number=clean_line(inv.invoice),
        invoice_date=inv.invoice_date,
        due_date=inv.due_date,
        days_overdue=days,
        days_until_due=-days,
        balance=inv.balance,
        amount=inv.amount,
        currency=currency(inv.currency, default_currency),
        promise_date=inv.promise_date,
        pay_link=safe_url(inv.pay_link),
    )


def fee_view(fee: FeeLine, language: str, policy: PolicyConfig, default_currency: str) -> FeeView:
    """A fee line labelled in the message's language; interest shows the configured rate."""
    labels = FEE_LABELS.get(language, FEE_LABELS["en"])
    label = labels.get(fee.label, clean_line(fee.label).replace("_", " "))
    detail = clean_line(fee.detail)
    if fee.label == "interest" and policy.late_interest_annual > 0:
        rate = format_percent(policy.late_interest_annual, format="#,##0.##%", locale="en")
        detail = INTEREST_RATE.get(language, INTEREST_RATE["en"]).format(rate=rate)
    return FeeView(
        kind=fee.label,
        label=label,
        currency=currency(fee.currency, default_currency),
        amount=fee.amount,
        detail=detail,
    )


# ---------------------------------------------------------------- the steps


@dataclass(frozen=True, slots=True)
class Facts:
    """What every context step reads: the action, the run's settings and `today`, and the
    views worked out once (invoices oldest first, fees labelled, per-currency totals)."""

    action: Action
    today: date
    sender: SenderConfig
    policy: PolicyConfig
    locale: LocaleConfig
    language: str
    invoices: list[InvoiceView]
    fees: list[FeeView]
    totals: list[Total]

    @classmethod
    def of(
        cls,
        action: Action,
        *,
        today: date,
        sender: SenderConfig,
        policy: PolicyConfig,
        locale: LocaleConfig,
    ) -> Facts:
        language = normalize_language(action.language)
        default = locale.currency
        invoices = [invoice_view(i, today, default) for i in sorted_invoices(action.invoices)]
        fees = [fee_view(f, language, policy, default) for f in action.fees]
        sums = totals((i.currency, i.balance) for i in invoices)
        return cls(action, today, sender, policy, locale, language, invoices, fees, sums)


def debtor_values(f: Facts) -> dict[str, Any]:
    """Who the message is to."""
    return {
        "customer": clean_line(f.action.customer),
        "customer_email": clean_line(f.action.email or ""),
    }


def amount_values(f: Facts) -> dict[str, Any]:
    """The invoices, fees and totals; totals with fees only for the currencies fees are in."""
    fee_currencies = {fee.currency for fee in f.fees}
    with_fees = totals(
        [(t.currency, t.amount) for t in f.totals if t.currency in fee_currencies]
        + [(fee.currency, fee.amount) for fee in f.fees]
    )
    return {
        "invoices": f.invoices,
        "invoice_count": len(f.invoices),
        "totals": f.totals,
        "fees": f.fees,
        "totals_with_fees": with_fees,
    }


def timing_values(f: Facts) -> dict[str, Any]:
    """How late, which tier, and the dates a message names (deadline, broken promise)."""
    overdue = [i.days_overdue for i in f.invoices]
    promises = [i.promise_date for i in f.invoices if i.promise_date]
    return {
        "max_days_overdue": max(overdue, default=0),
        "any_overdue": any(d > 0 for d in overdue),
        "oldest_due": min((i.due_date for i in f.invoices), default=f.today),
        "tier": f.action.tier or "",
        "variant": f.action.variant,
        "today": f.today,
        "deadline": deadline(f.today, f.policy.final_deadline_days, f.locale.country),
        "promise_date": max(promises) if promises else None,
    }


def settings_values(f: Facts) -> dict[str, Any]:
    """The sender and the policy themselves, for templates a user customises."""
    return {"sender": f.sender, "policy": f.policy}


def offer_values(f: Facts) -> dict[str, Any]:
    """What the policy offers: instalments, an early-payment discount; the interest rate."""
    policy = f.policy
    instalments = policy.installments
    discount = policy.early_payment_discount if policy.early_payment_discount > 0 else None
    per_instalment = (
        [Total(t.currency, to_cents(t.amount / instalments)) for t in f.totals]
        if instalments > 1
        else []
    )
    discounted = (
        [Total(t.currency, to_cents(t.amount * (1 - discount))) for t in f.totals]
        if discount
        else []
    )
    return {
        "installments": instalments,
        "installment_amounts": per_instalment,
        "discount": discount,
        "discount_until": f.today + timedelta(days=DISCOUNT_DAYS),
        "discounted_totals": discounted,
        "interest_rate": policy.late_interest_annual if policy.late_interest_annual > 0 else None,
    }


def payment_values(f: Facts) -> dict[str, Any]:
    """How to pay and whom to ask: one pay link (the invoices' own, else the sender's), each
    invoice's link when they differ, bank details, reply address and phone."""
    links = list(dict.fromkeys(i.pay_link for i in f.invoices if i.pay_link))
    per_invoice = (
        [InvoiceLink(i.number, i.pay_link) for i in f.invoices if i.pay_link]
        if len(links) > 1
        else []
    )
    return {
        "pay_link": links[0] if links else safe_url(f.sender.pay_link),
        "invoice_pay_links": per_invoice,
        "bank_details": f.sender.bank_details.strip(),
        "reply_to": clean_line(f.sender.reply_to or f.sender.email),
        "phone": clean_line(f.sender.phone),
    }


def language_values(f: Facts) -> dict[str, Any]:
    return {"language": f.language, "direction": direction(f.language)}


# In the order the context has always listed its keys; no two steps set the same key.
CONTEXT_STEPS: tuple[Callable[[Facts], dict[str, Any]], ...] = (
    debtor_values,
    amount_values,
    timing_values,
    settings_values,
    offer_values,
    payment_values,
    language_values,
)


def message_context(
    action: Action,
    *,
    today: date,
    sender: SenderConfig,
    policy: PolicyConfig,
    locale: LocaleConfig,
) -> dict[str, Any]:
    """Everything a template can use; all values plain, nothing callable from the sheet."""
    facts = Facts.of(action, today=today, sender=sender, policy=policy, locale=locale)
    context: dict[str, Any] = {}
    for step in CONTEXT_STEPS:
        context.update(step(facts))
    return context
