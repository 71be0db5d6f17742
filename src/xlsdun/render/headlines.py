"""The lines a debtor sees before opening a message: the subject's stem (what the debt is:
invoice numbers, amount, the business) and the inbox preheader (amount and date), built in
code in both languages so that every tier's subject and preview say the same thing.

Issue 14: subjects led with a mood ("How are things going?"), which reads as marketing or
phishing; a subject that leads with the invoice, the amount and the business is what an
accountant's mail says. The wording lives in the tables below, one line per form.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from .cleaning import clean_line
from .formatting import Formatter, and_list, count_word
from .views import InvoiceView, Total

MAX_NUMBERS = 3  # more invoices than this: the stem counts them instead of listing them

STEMS: dict[str, dict[str, str]] = {
    "en": {
        "one": "invoice {numbers}{amount}",
        "few": "invoices {numbers}{amount}",
        "many": "{count} invoices{amount}",
        "from": "{stem} from {business}",
        "amount": " ({amount})",  # left out of a stem without the amount
    },
    "he": {
        "one": "חשבונית {numbers}{amount}",
        "few": "חשבוניות {numbers}{amount}",
        "many": "{count} חשבוניות{amount}",
        "from": "{stem} מאת {business}",
        "amount": " על סך {amount}",
    },
}

PREHEADERS: dict[str, dict[str, str]] = {
    "en": {
        "courtesy": "{amount} due on {due}.",
        "courtesy_today": "{amount} due today ({due}).",
        "friendly": "{amount} was due on {due}.",
        "friendly_many": "{amount} overdue; the oldest invoice was due on {due}.",
        "direct": "{amount} overdue since {due}. Please let us know when you will pay.",
        "direct_many": "{amount} overdue (the oldest since {due}). Please let us know when you"
        " will pay.",
        "plan": "{amount} overdue since {due}: pay in full or in {n} instalments.",
        "plan_many": "{amount} overdue (the oldest since {due}): you can pay in full or in"
        " {n_word} monthly instalments.",
        "plan_single": "{amount} overdue since {due}. We would like to agree a way to settle it.",
        "plan_single_many": "{amount} overdue (the oldest since {due}). We would like to agree"
        " a way to settle it.",
        "final": "Final notice: please pay {amount_due} by {deadline}.",
        "broken_promise": "The payment of {amount} you promised for {promise} has not reached us.",
        "thank_you": "Payment of {amount} received. Thank you.",
    },
    "he": {
        "courtesy": "{amount} לתשלום עד {due}.",
        "courtesy_today": "{amount} לתשלום היום ({due}).",
        "friendly": "יתרה של {amount} ממתינה לתשלום מאז {due}.",
        "friendly_many": "יתרה של {amount} ממתינה לתשלום (הישנה שבחשבוניות מאז {due}).",
        "direct": "יתרה של {amount} באיחור מאז {due}. מתי תוכלו לשלם?",
        "direct_many": "יתרה של {amount} באיחור (הישנה שבחשבוניות מאז {due}). מתי תוכלו לשלם?",
        "plan": "יתרה של {amount} באיחור מאז {due}: תשלום מלא או פריסה ל־{n} תשלומים.",
        "plan_many": "יתרה של {amount} באיחור (הישנה שבחשבוניות מאז {due}): תשלום מלא או"
        " פריסה ל־{n} תשלומים.",
        "plan_single": "יתרה של {amount} באיחור מאז {due}. נשמח לסכם איתכם הסדר תשלום.",
        "plan_single_many": "יתרה של {amount} באיחור (הישנה שבחשבוניות מאז {due}). נשמח לסכם"
        " איתכם הסדר תשלום.",
        "final": "התראה אחרונה: {amount_due} לתשלום עד {deadline}.",
        "broken_promise": "התשלום שסוכם ל־{promise} ({amount}) טרם התקבל.",
        "thank_you": "קיבלנו את התשלום בסך {amount}. תודה!",
    },
}


@dataclass(frozen=True, slots=True)
class Preheader:
    """What a preheader says: which form (a key of `PREHEADERS`) and its values."""

    kind: str
    amounts: Sequence[Total]  # the balance asked for (a thank-you: the amounts paid)
    amounts_due: Sequence[Total]  # a final notice's: with the charges when there are any
    oldest_due: date
    deadline: date
    promise: date | None
    instalments: int


def amounts(fmt: Formatter, sums: Sequence[Total]) -> str:
    """Per-currency totals as one phrase: "₪5,980.00 and US$1,200.00"."""
    return and_list([fmt.plain_money(t.amount, t.currency) for t in sums], fmt.language)


def stem(
    fmt: Formatter,
    invoices: Sequence[InvoiceView],
    sums: Sequence[Total] | None,
    business: str,
    latin_business: str = "",
) -> str:
    """What a debt is, for the subject: "invoice INV-1090 (US$3,000.00) from Dahan Home
    Services"; up to `MAX_NUMBERS` numbers, then a count ("5 invoices (₪12,400.00)");
    without `sums`, no amount ("invoice INV-1090 from Dahan Home Services")."""
    forms = STEMS.get(fmt.language, STEMS["en"])
    count = len(invoices)
    form = "one" if count == 1 else "few" if count <= MAX_NUMBERS else "many"
    numbers = and_list([clean_line(i.number) for i in invoices], fmt.language)
    amount = forms["amount"].format(amount=amounts(fmt, sums)) if sums is not None else ""
    text = forms[form].format(numbers=numbers, amount=amount, count=count)
    business = clean_line(business)
    if all_caps(text + business) and has_lower(latin_business):
        business = f"{business} ({clean_line(latin_business)})" if business else latin_business
    return forms["from"].format(stem=text, business=business) if business else text


def all_caps(subject: str) -> bool:
    """Whether SpamAssassin reads `subject` as written in capitals (SUBJ_ALL_CAPS): in
    HeaderEval.pm's subject_is_all_caps (SpamAssassin 4.0.1) everything but the ASCII
    letters is dropped, and what is left must not equal its upper case. A Hebrew subject
    whose only Latin letters are an invoice id ("INV-1090") trips it, whatever its charset
    or word order (measured: /work/briefs/spam-findings.md); one lower-case Latin letter,
    such as the business's Latin name in parentheses, is the honest way out."""
    letters = _NOT_ASCII_LETTERS.sub("", subject)
    return bool(letters) and letters == letters.upper()


# one regex pass, not a test per character (measured: 0.06 s of 1.7 s CPU rendering the
# bench's 4,000 messages)
_NOT_ASCII_LETTERS = re.compile("[^A-Za-z]+")
_LOWER = re.compile("[a-z]")


def has_lower(text: str) -> bool:
    return _LOWER.search(text) is not None


def preheader(fmt: Formatter, says: Preheader) -> str:
    """The inbox preview line: the amount and the date that matter for this message."""
    forms = PREHEADERS.get(fmt.language, PREHEADERS["en"])
    return forms[says.kind].format(
        amount=amounts(fmt, says.amounts),
        amount_due=amounts(fmt, says.amounts_due),
        due=fmt.plain_date(says.oldest_due),
        deadline=fmt.plain_date(says.deadline),
        promise=fmt.plain_date(says.promise) if says.promise else "",
        n=says.instalments,
        n_word=count_word(says.instalments, fmt.language, "m"),
    )


def preheader_kind(
    tier: str,
    variant: str,
    *,
    any_overdue: bool,
    promise: bool,
    instalments: int,
    several: bool = False,
    due_today: bool = False,
) -> str:
    """Which preheader a message carries (a key of `PREHEADERS`); with `several` overdue
    invoices, the friendly, direct and plan ones say the date is the oldest invoice's; a
    courtesy note on the due date itself says "today" (`due_today`)."""
    if variant == "thank_you":
        return "thank_you"
    if variant == "broken_promise":
        return "broken_promise" if promise else plural("direct", several)
    if tier == "plan":
        return plural("plan" if instalments > 1 else "plan_single", several)
    if tier == "courtesy" and any_overdue:
        return plural("friendly", several)
    if tier == "courtesy" and due_today:
        return "courtesy_today"
    return plural(tier, several) if tier in PREHEADERS["en"] else plural("direct", several)


def plural(kind: str, several: bool) -> str:
    return f"{kind}_many" if several and f"{kind}_many" in PREHEADERS["en"] else kind
