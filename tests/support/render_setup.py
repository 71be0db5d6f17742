"""The render tests' shared setup: a sender per language, the policy with every offer and
charge on, a renderer, and the sample debtor at each tier (golden files and wording rules)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from support import message_setup
from xlsdun.config import LocaleConfig, SenderConfig, default_policy
from xlsdun.models import Action, Invoice
from xlsdun.render import Renderer, sample_action, template_names

TODAY = date(2026, 11, 26)  # a Thursday

SENDERS = {
    "en": SenderConfig(
        name="Dana Levi",
        email="dana@levistudio.example",
        reply_to="accounts@levistudio.example",
        signature="Levi Design Studio Ltd · 14 HaNevi'im St, Haifa · Company no. 515123456",
        business="Levi Design Studio",
        phone="+972-52-555-0199",
        bank_details="Bank Leumi (10), branch 800\nAccount no. 123456/78\n"
        "IBAN IL07 0108 0000 0001 2345 678",
        pay_link="https://pay.example/levistudio",
    ),
    "he": SenderConfig(
        name="דנה לוי",
        email="dana@levistudio.example",
        reply_to="accounts@levistudio.example",
        signature="סטודיו לוי לעיצוב בע״מ · הנביאים 14, חיפה · ח״פ 515123456",
        business="סטודיו לוי לעיצוב",
        phone="052-555-0199",
        bank_details="בנק לאומי (10), סניף 800\nחשבון מס׳ 123456/78",
        pay_link="https://pay.example/levistudio",
    ),
}
POLICY = replace(
    default_policy(),
    early_payment_discount=Decimal("0.02"),
    late_interest_annual=Decimal("0.04"),
)
CASES = [(lang, name) for lang in ("en", "he") for name in template_names()]
PARTS = {"subject": "subject.txt", "text": "txt", "html": "html"}


def renderer(lang: str = "en", **kwargs: object) -> Renderer:
    kwargs.setdefault("sender", SENDERS[lang])
    kwargs.setdefault("locale", LocaleConfig(language=lang))
    kwargs.setdefault("policy", POLICY)
    return Renderer(**kwargs)  # type: ignore[arg-type]


def action_for(lang: str, name: str) -> Action:
    if name in ("broken_promise", "thank_you"):
        tier = "direct" if name == "broken_promise" else "friendly"
        return sample_action(lang, tier, name, TODAY)
    return sample_action(lang, name, today=TODAY)


def invoice(number: str = "INV-1", **kwargs: object) -> Invoice:
    """With its original amount, which the templates show beside the balance."""
    kwargs.setdefault("amount", Decimal("1000.00"))
    return message_setup.invoice(number, **kwargs)
