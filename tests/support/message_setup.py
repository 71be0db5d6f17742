"""Builders for the message tests: an invoice, a debtor's action on it, and a built message
read back the way a mail client reads it."""

from __future__ import annotations

import email
import email.policy
from datetime import date
from decimal import Decimal
from email.message import EmailMessage

from xlsdun.models import Action, Invoice


def invoice(number: str = "INV-1", **kwargs: object) -> Invoice:
    """An open invoice of Acme Ltd, 21 days overdue on 2026-11-26; `kwargs` change fields."""
    values: dict[str, object] = dict(
        row=2,
        customer="Acme Ltd",
        invoice=number,
        due_date=date(2026, 11, 5),
        invoice_date=date(2026, 10, 6),
        balance=Decimal("1000.00"),
        currency="ILS",
        email="ap@acme.example",
    )
    values.update(kwargs)
    return Invoice(**values)  # type: ignore[arg-type]


def action(*invoices: Invoice, **kwargs: object) -> Action:
    """A 'direct' reminder to the first invoice's customer at ap@acme.example."""
    values: dict[str, object] = dict(
        debtor="email:ap@acme.example",
        customer=invoices[0].customer,
        email="ap@acme.example",
        kind="send",
        reason="test",
        tier="direct",
        invoices=invoices,
    )
    values.update(kwargs)
    return Action(**values)  # type: ignore[arg-type]


def parse(message: EmailMessage | bytes) -> EmailMessage:
    """The message as a mail client sees it: its bytes parsed again."""
    wire = message if isinstance(message, bytes) else message.as_bytes()
    parsed = email.message_from_bytes(wire, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed
