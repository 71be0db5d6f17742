"""The lines a debtor sees before opening a message: the subject's stem (what the debt is:
invoice numbers, amount, the business) and the inbox preheader (amount and date), built in
code in both languages so that every tier's subject and preview say the same thing.

Issue 14: subjects led with a mood ("How are things going?"), which reads as marketing or
phishing; a subject that leads with the invoice, the amount and the business is what an
accountant's mail says. The wording lives in the tables below, one line per form.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from .cleaning import clean_line
from .formatting import Formatter, and_list
from .views import InvoiceView, Total

MAX_NUMBERS = 3  # more invoices than this: the stem counts them instead of listing them

STEMS: dict[str, dict[str, str]] = {
    "en": {
        "one": "invoice {numbers} ({amount})",
        "few": "invoices {numbers} ({amount})",
        "many": "{count} invoices ({amount})",
        "from": "{stem} from {business}",
    },
    # SpamAssassin's SUBJ_ALL_CAPS: a Hebrew subject whose only Latin letters are an
    # upper-case id ("INV-1") reads as all capitals; the form below is the one to change.
    "he": {
        "one": "חשבונית {numbers} ({amount})",
        "few": "חשבוניות {numbers} ({amount})",
        "many": "{count} חשבוניות ({amount})",
        "from": "{stem} מאת {business}",
    },
}

PREHEADERS: dict[str, dict[str, str]] = {
    "en": {
        "due": "{amount} due on {due}",
        "overdue": "{amount} overdue since {due}",
        "final": "{amount} overdue since {due}: please pay by {deadline}",
        "thank_you": "Payment received for {numbers}: thank you",
    },
    "he": {
        "due": "{amount} לתשלום עד {due}",
        "overdue": "{amount} לתשלום מאז {due}",
        "final": "{amount} לתשלום מאז {due}: נבקש להסדיר עד {deadline}",
        "thank_you": "התשלום עבור {numbers} התקבל – תודה",
    },
}


def amounts(fmt: Formatter, sums: Sequence[Total]) -> str:
    """Per-currency totals as one phrase: "₪5,980.00 and US$1,200.00"."""
    return and_list([fmt.plain_money(t.amount, t.currency) for t in sums], fmt.language)


def stem(
    fmt: Formatter, invoices: Sequence[InvoiceView], sums: Sequence[Total], business: str
) -> str:
    """What a debt is, for the subject: "invoice INV-1090 (US$3,000.00) from Dahan Home
    Services"; up to `MAX_NUMBERS` numbers, then a count ("5 invoices (₪12,400.00)")."""
    forms = STEMS.get(fmt.language, STEMS["en"])
    count = len(invoices)
    form = "one" if count == 1 else "few" if count <= MAX_NUMBERS else "many"
    numbers = and_list([clean_line(i.number) for i in invoices], fmt.language)
    text = forms[form].format(numbers=numbers, amount=amounts(fmt, sums), count=count)
    business = clean_line(business)
    return forms["from"].format(stem=text, business=business) if business else text


def preheader(
    fmt: Formatter,
    kind: str,
    invoices: Sequence[InvoiceView],
    sums: Sequence[Total],
    deadline: date,
) -> str:
    """The inbox preview line: the amount and the date that matter for this `kind` of
    message ("due", "overdue", "final" or "thank_you")."""
    forms = PREHEADERS.get(fmt.language, PREHEADERS["en"])
    oldest = min((i.due_date for i in invoices), default=deadline)
    return forms[kind].format(
        amount=amounts(fmt, sums),
        due=fmt.plain_date(oldest),
        deadline=fmt.plain_date(deadline),
        numbers=and_list([clean_line(i.number) for i in invoices], fmt.language),
    )


def preheader_kind(tier: str, variant: str, any_due: bool) -> str:
    """Which preheader a message carries."""
    if variant == "thank_you":
        return "thank_you"
    if tier == "final":
        return "final"
    return "overdue" if any_due else "due"
