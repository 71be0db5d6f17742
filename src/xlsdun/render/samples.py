"""A realistic sample debtor at any tier, in either language: what `check()` renders every
template with, what `xlsdun preview --all-tiers` shows, and what tests build on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from ..config import PolicyConfig
from ..models import Action, FeeLine, Invoice
from ..policy import fees_for
from .catalog import normalize_language
from .views import totals


@dataclass(frozen=True, slots=True)
class SampleDebtor:
    customer: str
    email: str
    phone: str
    invoices: tuple[tuple[str, str, str], ...]  # (number, amount, currency), oldest first
    contact: str | None = None  # the person greeted; None: the organisation is


SAMPLES: dict[str, SampleDebtor] = {
    "en": SampleDebtor(
        customer="Harbour Lane Bakery Ltd",
        email="accounts@harbourlane.example",
        phone="+972-3-555-0142",
        invoices=(
            ("INV-1042", "4680.00", "ILS"),
            ("INV-1057", "1250.00", "ILS"),
            ("INV-1063", "1200.00", "USD"),
        ),
        contact="Sarah",
    ),
    "he": SampleDebtor(
        customer="מאפיית השדה בע״מ",
        email="office@hasade.example",
        phone="04-855-0142",
        invoices=(
            ("20451", "4680.00", "ILS"),
            ("20466", "1250.00", "ILS"),
            ("20479", "2310.50", "ILS"),
        ),
    ),
}
# Days overdue of the oldest sample invoice at each tier; the others are 7 and 16 days newer.
SAMPLE_DAYS = {"courtesy": -2, "friendly": 9, "direct": 21, "plan": 42, "final": 68}
_NEWER_BY = (0, 7, 16)
# How many weekly reminders came before one at each tier (the follow-ups name their days).
EARLIER_REMINDERS = {"courtesy": 0, "friendly": 0, "direct": 2, "plan": 3, "final": 4}
_BROKEN_PROMISE_MIN_DAYS = 18  # a promise broken four days ago, on an invoice long due


def sample_action(
    language: str,
    tier: str,
    variant: str = "standard",
    today: date | None = None,
    policy: PolicyConfig | None = None,
) -> Action:
    """A realistic debtor with three invoices at `tier`, for `check()`, previews and tests.

    With `policy`, the fees are the ones that policy charges (a preview shows the owner what
    debtors will really see); without, an illustrative late fee and interest line, so that
    `check()` renders every part of every template."""
    today = today or date.today()
    debtor = SAMPLES.get(normalize_language(language), SAMPLES["en"])
    invoices = _sample_invoices(debtor, language, tier, variant, today)
    if policy is not None:
        fees = _configured_fees(invoices, tier, variant, today, policy)
    else:
        fees = _illustrative_fees(tier, variant)
    balance = {t.currency: t.amount for t in totals((i.currency, i.balance) for i in invoices)}
    return Action(
        debtor=f"email:{debtor.email}",
        customer=debtor.customer,
        email=debtor.email,
        kind="send",
        reason=f"sample {tier} {variant}",
        tier=tier,
        variant=variant,  # type: ignore[arg-type]
        language=language,
        invoices=invoices,
        balance=balance,
        fees=fees,
        phone=debtor.phone,
        contact=debtor.contact,
        earlier=_earlier(tier, variant, today),
    )


def _earlier(tier: str, variant: str, today: date) -> tuple[date, ...]:
    """The days of the sample's earlier reminders, a week apart, the last a week ago."""
    count = 0 if variant == "thank_you" else EARLIER_REMINDERS.get(tier, 2)
    return tuple(today - timedelta(days=7 * k) for k in range(count, 0, -1))


def _sample_invoices(
    debtor: SampleDebtor, language: str, tier: str, variant: str, today: date
) -> tuple[Invoice, ...]:
    """The debtor's three invoices, the oldest at `tier`'s days overdue; paid for a
    thank-you, the oldest carrying a broken promise for that variant."""
    days = SAMPLE_DAYS.get(tier, 21)
    if variant == "broken_promise":
        days = max(days, _BROKEN_PROMISE_MIN_DAYS)
    paid = variant == "thank_you"
    invoices = []
    for n, (number, amount, currency) in enumerate(debtor.invoices):
        due = today - timedelta(days=days - _NEWER_BY[n])
        promised = variant == "broken_promise" and n == 0
        invoices.append(
            Invoice(
                row=2 + n,
                customer=debtor.customer,
                invoice=number,
                due_date=due,
                invoice_date=due - timedelta(days=30),
                amount=Decimal(amount),
                balance=Decimal("0") if paid else Decimal(amount),
                currency=currency,
                email=debtor.email,
                language=language,
                phone=debtor.phone,
                promise_date=today - timedelta(days=4) if promised else None,
            )
        )
    return tuple(invoices)


def _illustrative_fees(tier: str, variant: str) -> tuple[FeeLine, ...]:
    """A late fee at `plan` and `final`, interest too at `final`: so that `check()` renders
    the fee lines of every template, whatever the configured policy charges."""
    if variant != "standard" or tier not in ("plan", "final"):
        return ()
    fees: tuple[FeeLine, ...] = (FeeLine("late_fee", "ILS", Decimal("50.00")),)
    if tier == "final":
        fees += (FeeLine("interest", "ILS", Decimal("41.27"), "4%"),)
    return fees


def _configured_fees(
    invoices: tuple[Invoice, ...], tier: str, variant: str, today: date, policy: PolicyConfig
) -> tuple[FeeLine, ...]:
    """The fee lines `policy` would add for this sample (none for a thank-you)."""
    if variant == "thank_you":
        return ()
    try:
        configured = policy.tier(tier)
    except KeyError:
        return ()
    return fees_for(invoices, configured, invoices[0], today, policy)
