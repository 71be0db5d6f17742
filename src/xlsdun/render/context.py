"""The message context: everything a template can use, built from one Action by a list of
small steps (`CONTEXT_STEPS`), each a pure function of the same facts (`Facts`).

All values are plain (text, numbers, dates, the frozen views), nothing callable from the
sheet; sheet text is cleaned (`cleaning.clean_line`) before a template sees it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from babel.numbers import format_percent

from ..config import LocaleConfig, PolicyConfig, SenderConfig
from ..models import Action, FeeLine, Invoice
from ..names import currency_code
from ..phones import international
from . import headlines, offer
from .catalog import direction, normalize_language
from .cleaning import clean_line, safe_url
from .formatting import formatter
from .headlines import has_lower
from .views import (
    FeeView,
    InvoiceLink,
    InvoiceView,
    Total,
    sorted_invoices,
    totals,
)

FEE_LABELS: dict[str, dict[str, str]] = {
    "en": {"late_fee": "Late payment fee", "interest": "Interest on overdue amounts"},
    "he": {"late_fee": "דמי פיגורים", "interest": "ריבית פיגורים"},
}
INTEREST_RATE: dict[str, str] = {"en": "{rate} a year", "he": "{rate} לשנה"}
SWIFT_BANKS: dict[str, str] = {
    "POAL": "Bank Hapoalim",
    "LUMI": "Bank Leumi",
    "IDBL": "Israel Discount Bank",
    "MIZB": "Mizrahi Tefahot Bank",
    "FIRB": "First International Bank of Israel",
}
"""The Israeli banks an English message names beside their SWIFT/BIC (by its first four
letters), so that a payer abroad sees the bank their transfer goes to."""
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
    sender: SenderConfig  # the message language's ([sender.he] over [sender], say)
    policy: PolicyConfig
    locale: LocaleConfig
    language: str
    invoices: list[InvoiceView]  # what the message asks to be paid (see `due_apart`)
    upcoming: list[InvoiceView]  # not yet due, listed apart for information
    fees: list[FeeView]
    totals: list[Total]  # of `invoices`
    latin_business: str = ""  # the business's Latin-letter name, if any (headlines.stem)

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
        views = [invoice_view(i, today, default) for i in sorted_invoices(action.invoices)]
        invoices, upcoming = due_apart(views, action.variant)
        fees = [fee_view(f, language, policy, default) for f in action.fees]
        sums = totals((i.currency, i.balance) for i in invoices)
        latin = next(
            (b for b in (sender.for_language("en").business, sender.business) if has_lower(b)),
            "",
        )
        sender = sender.for_language(language)
        return cls(
            action, today, sender, policy, locale, language, invoices, upcoming, fees, sums, latin
        )


def due_apart(
    views: list[InvoiceView], variant: str
) -> tuple[list[InvoiceView], list[InvoiceView]]:
    """(the invoices a message asks to be paid, those not yet due, listed apart): once one
    invoice is due, the others are for information only, outside every total and offer
    (issue 14: ₪2,900 not yet due was counted in a plan mail's total, discount and
    instalments). Before any is due (courtesy), or in a thank-you, all are listed."""
    if variant == "thank_you" or not any(v.days_overdue >= 0 for v in views):
        return views, []
    return [v for v in views if v.days_overdue >= 0], [v for v in views if v.days_overdue < 0]


LEGAL_SUFFIX = re.compile(
    r"[\s,]+(?:ltd|limited|inc|incorporated|llc|llp|plc|corp|corporation|co|gmbh|ag|ab|as|"
    r"oy|bv|nv|sa|sas|sarl|srl|spa|pty|pte|kk)\.?$",
    re.IGNORECASE,
)
FIRM_TIERS = frozenset({"direct", "plan", "final", "escalate"})


def organisation(name: str) -> str:
    """A company's name as a letter greets its team, without the legal suffix ("Harbour Lane
    Bakery Ltd" → "Harbour Lane Bakery": "Hello Harbour Lane Bakery Ltd team," reads
    machine-made); the name as it is when nothing else would be left."""
    short = name
    while (cut := LEGAL_SUFFIX.sub("", short).strip()) != short and cut:
        short = cut
    return short or name


def firm(action: Action) -> bool:
    """Whether the message is a firm one (direct, plan, final, broken promise): English
    opens those "Dear …", the friendly ones and the thank-you "Hello …"."""
    return action.variant == "broken_promise" or (
        action.variant != "thank_you" and (action.tier or "") in FIRM_TIERS
    )


def debtor_values(f: Facts) -> dict[str, Any]:
    """Who the message is to, and how the greeting names them."""
    customer = clean_line(f.action.customer)
    return {
        "customer": customer,
        "customer_email": clean_line(f.action.email or ""),
        "contact": clean_line(f.action.contact or ""),  # "": greet the organisation
        "organisation": organisation(customer),
        "firm": firm(f.action),
    }


def amount_values(f: Facts) -> dict[str, Any]:
    """The invoices, fees and totals; totals with fees only for the currencies fees are in."""
    return {
        "invoices": f.invoices,
        "upcoming": f.upcoming,
        "invoice_count": len(f.invoices),
        "totals": f.totals,
        "fees": f.fees,
        "totals_with_fees": with_fees(f),
        "totals_due": totals_due(f),
    }


def with_fees(f: Facts) -> list[Total]:
    """The totals with the fees, only in the currencies the fees are in."""
    fee_currencies = {fee.currency for fee in f.fees}
    return totals(
        [(t.currency, t.amount) for t in f.totals if t.currency in fee_currencies]
        + [(fee.currency, fee.amount) for fee in f.fees]
    )


def totals_due(f: Facts) -> list[Total]:
    """What the message asks to be paid, per currency: the totals, with the fees added in
    the currencies they are in (a final notice's amount)."""
    return totals(
        [(t.currency, t.amount) for t in f.totals] + [(fee.currency, fee.amount) for fee in f.fees]
    )


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
        "earlier": list(f.action.earlier),  # the days of the earlier reminders, oldest first
        # the same without the day of the plan offer, which a final notice names on its own
        "earlier_other": [d for d in f.action.earlier if d != f.action.offered_on],
    }


def settings_values(f: Facts) -> dict[str, Any]:
    """The sender and the policy themselves, for templates a user customises."""
    return {"sender": f.sender, "policy": f.policy}


def offer_values(f: Facts) -> dict[str, Any]:
    """What the policy offers, exactly (offer.py): pay in full by a date (less the
    early-payment discount, the charges waived or added) or in monthly instalments; the
    words that accept each; the interest rate."""
    policy = f.policy
    # the discount is offered once: a repeat offer that rewarded not answering would teach it
    once = f.action.offered_on is None
    discount = policy.early_payment_discount if policy.early_payment_discount > 0 and once else None
    by = f.today + timedelta(days=DISCOUNT_DAYS)
    waive = policy.waive_charges_on_offer
    full = offer.full_payment(f.totals, f.fees, by=by, discount=discount, waive_charges=waive)
    words = offer.ACCEPT_WORDS.get(f.language, offer.ACCEPT_WORDS["en"])
    abroad = foreign(f)["currency"]
    monthly = offer.instalments(
        f.totals, f.fees, count=policy.installments, first=by, waive_charges=waive
    )
    return {
        "installments": policy.installments,
        # the first instalment per currency (the first ones take the odd cents):
        # kept for templates written before `offer_instalments`
        "installment_amounts": list(monthly[0].amounts) if monthly else [],
        "discount": discount,
        "discount_until": by,
        "discounted_totals": [
            Total(t.currency, t.amount - d.amount)
            for t, d in zip(f.totals, full.discount_amount, strict=False)
        ],
        "offer_full": full,
        "offer_instalments": monthly,
        # a debtor abroad: no standing order or post-dated cheques (offer.DOMESTIC_ONLY)
        "instalment_methods": offer.method_labels(
            policy.instalment_methods, f.language, abroad=abroad
        ),
        "instalments_abroad": abroad,
        # the plan's offer waives the charges either way: no "Total including charges" line
        "offer_waives_charges": f.action.tier == "plan"
        and f.action.variant == "standard"
        and full.charges_waived,
        "offered_on": f.action.offered_on,
        "accept_full": words[0],
        "accept_instalments": words[1],
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
    abroad = foreign(f)
    return {
        "pay_link": links[0] if links else safe_url(f.sender.pay_link),
        "invoice_pay_links": per_invoice,
        "bank_details": f.sender.bank_details.strip(),
        "iban": clean_line(f.sender.iban) if abroad["currency"] else "",
        "swift": clean_line(f.sender.swift) if abroad["currency"] else "",
        # a transfer from abroad names the bank and the account holder (in this language)
        "swift_bank": SWIFT_BANKS.get(clean_line(f.sender.swift)[:4].upper(), "")
        if f.language == "en"
        else "",
        "beneficiary": clean_line(f.sender.business) if abroad["currency"] else "",
        "reply_to": clean_line(f.sender.reply_to or f.sender.email),
        "phone": sender_phone(f.sender.phone, f.locale.country, any(abroad.values())),
    }


def foreign(f: Facts) -> dict[str, bool]:
    """Whether the debtor pays from abroad, as far as the message knows: invoices in a
    currency other than the business's (IBAN and SWIFT then matter), or a message in
    another language than the business's (an international phone number then helps)."""
    listed = [*f.invoices, *f.upcoming]
    return {
        "currency": any(i.currency != f.locale.currency for i in listed),
        "language": f.language != normalize_language(f.locale.language),
    }


def sender_phone(phone: str, country: str, abroad: bool) -> str:
    """The sender's phone as the debtor dials it: in international form ("+972 3-555-1234")
    for a debtor abroad, as configured otherwise (or when it is not a number)."""
    text = clean_line(phone)
    if not abroad or not text:
        return text
    return international(text, country) or text


def headline_values(f: Facts) -> dict[str, Any]:
    """The subject's stem and the inbox preheader (headlines.py), in the message's language."""
    fmt = formatter(f.language, replace(f.locale, language=f.language).babel_locale)
    action = f.action
    named = falling_due(f)
    # the total of the invoices named; a courtesy note's body names them too (`due_first`)
    named_sums = f.totals if named is f.invoices else totals((i.currency, i.balance) for i in named)
    promises = [i.promise_date for i in f.invoices if i.promise_date]
    kind = headlines.preheader_kind(
        action.tier or "",
        action.variant,
        any_overdue=any(i.days_overdue > 0 for i in f.invoices),
        promise=bool(promises),
        instalments=f.policy.installments,
        several=len(named) > 1,
        due_today=bool(named) and all(i.days_overdue == 0 for i in named),
    )
    owed = totals_due(f)
    if kind == "thank_you":  # what was paid, not what is left
        sums = totals((i.currency, i.amount or i.balance) for i in f.invoices)
    else:
        sums = named_sums
    says = headlines.Preheader(
        kind=kind,
        amounts=sums,
        amounts_due=sums if kind == "thank_you" else owed,
        oldest_due=min((i.due_date for i in f.invoices), default=f.today),
        deadline=deadline(f.today, f.policy.final_deadline_days, f.locale.country),
        promise=max(promises) if promises else None,
        instalments=f.policy.installments,
    )
    business, latin = f.sender.business, f.latin_business
    return {
        "stem": headlines.stem(fmt, named, sums, business, latin),
        "stem_short": headlines.stem(fmt, named, None, business, latin),
        "preheader": headlines.preheader(fmt, says),
        # the final notice's subject: the amount it asks for, charges included
        "amount_due_plain": headlines.amounts(fmt, owed),
        # the invoice(s) falling due first and their total: what a courtesy note is about
        "due_first": named,
        "due_first_totals": named_sums,
    }


def falling_due(f: Facts) -> list[InvoiceView]:
    """The invoices a subject and preheader name: those the message asks to be paid; before
    any is due (courtesy), only the one(s) falling due first, not every open invoice (a
    courtesy note about INV-1042 is not a reminder about INV-1057, due a month later)."""
    if action_is_early(f):
        first = min(i.due_date for i in f.invoices)
        return [i for i in f.invoices if i.due_date == first]
    return f.invoices


def action_is_early(f: Facts) -> bool:
    return (
        f.action.variant != "thank_you"
        and bool(f.invoices)
        and all(i.days_overdue < 0 for i in f.invoices)
    )


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
    headline_values,
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
