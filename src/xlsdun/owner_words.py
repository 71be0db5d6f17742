"""The owner's words, in the owner's language (`[owner] language`): one catalog, same keys.

Everything xlsdun says to the business owner rather than to a debtor — the digest, the HTML
run report, the status texts it writes into the sheet, the Reminder log's words and the call
list's talking points — is looked up here by key, so the two languages can never drift
apart (tests/test_owner_words.py fails when a key is missing in one of them). Code decides
by data (a state, a tier id, a call kind), never by matching these texts.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from .config import LocaleConfig
from .owner_catalog import EN as _EN
from .owner_catalog import HE as _HE
from .policy.wording import short_day
from .problem_catalog import EN as _PROBLEMS_EN
from .problem_catalog import HE as _PROBLEMS_HE
from .problems import field_name, said

OwnerLanguage = Literal["en", "he"]
LANGUAGES: tuple[OwnerLanguage, ...] = ("en", "he")


CATALOG: dict[OwnerLanguage, dict[str, str]] = {
    "en": {**_EN, **_PROBLEMS_EN},
    "he": {**_HE, **_PROBLEMS_HE},
}
"""The owner's words and the reader's findings (problem_catalog.py), one table a language."""

POINT_COUNTS: dict[str, int] = {
    "escalate": 6,
    "no_address": 3,
    "bad_address": 3,
    "attachment": 2,
    "ambiguous": 2,
    "credit_note": 3,
    "bounced": 2,
    "check_paid": 2,
}
"""How many talking points each kind of call has (points.KIND.1 … points.KIND.N)."""

TIER_IDS: tuple[str, ...] = ("courtesy", "friendly", "direct", "plan", "final", "escalate")

OLD_NAMES: dict[str, str] = {
    # names earlier versions wrote into `Reminder level`: a sheet keeps them, so they stay
    # readable after a rename (tests/test_owner_words.py checks every one)
    "escalate": "escalate",
    "escalate reminder": "escalate",
    "final reminder": "final",
    "טלפון/הסלמה": "escalate",
}
"""Renamed tier and reminder names -> the tier id (the current names come from CATALOG)."""

TIER_BY_NAME: dict[str, str] = {
    **{name.casefold(): tier for name, tier in OLD_NAMES.items()},
    **{
        CATALOG[language][f"{kind}.{tier}"].casefold(): tier
        for language in LANGUAGES
        for kind in ("reminder", "tier")
        for tier in TIER_IDS
    },
}
"""A tier's name in any language (as xlsdun writes it into `Reminder level`, or as an owner
types it, or as an earlier version wrote it) -> its id: the level cell is read back as the
sheet's own record of a tier."""

WHATSAPP_TEXT: dict[str, dict[str, str]] = {
    "he": {
        "one": "שלום {name}, כאן {who}. אשמח לדבר איתכם בעניין חשבונית {numbers} – מתי נוח לכם?",
        "many": "שלום {name}, כאן {who}. אשמח לדבר איתכם בעניין חשבוניות {numbers} – מתי נוח לכם?",
        "who": "{sender}, {business}",
    },
    "en": {
        "one": "Hello {name}, this is {who} about invoice {numbers}. Could we have a quick word?",
        "many": "Hello {name}, this is {who} about invoices {numbers}. Could we have a quick word?",
        "who": "{sender} from {business}",
    },
}
"""The WhatsApp message the owner's phone prefills: in the *debtor's* language."""


def _hebrew_header(header: str) -> bool:
    """A header to name a column by in Hebrew text: Hebrew letters, no Latin ones, short, and
    no control or direction characters (a cell is hostile until checked)."""
    return (
        len(header) <= 40
        and header.isprintable()
        and not re.search(r"[A-Za-z\u200e\u200f\u202a-\u202e\u2066-\u2069]", header)
        and re.search(r"[\u05d0-\u05ea]", header) is not None
    )


@dataclass(frozen=True, slots=True)
class Words:
    """The catalog of one language, with the few rules of number and date it needs."""

    language: OwnerLanguage
    country: str = "IL"  # the business's country: how amounts are written (US$ or $)

    @property
    def rtl(self) -> bool:
        return self.language == "he"

    def __call__(self, key: str, **params: object) -> str:
        text = CATALOG[self.language][key]
        return text.format(**params) if params else text

    def has(self, key: str) -> bool:
        """Whether the catalog has `key` (a state a newer version wrote may have none)."""
        return key in CATALOG[self.language]

    def template(self, key: str) -> str:
        """The text of `key` with its {placeholders} (for HTML that isolates the values)."""
        return CATALOG[self.language][key]

    def count(self, key: str, n: int, **params: object) -> str:
        """`key.one` for 1, else `key.many` (Hebrew and English both say "one" apart)."""
        return self(f"{key}.{'one' if n == 1 else 'many'}", n=n, **params)

    def tier(self, tier: str | None) -> str:
        if not tier:
            return ""
        return CATALOG[self.language].get(f"tier.{tier}", tier)

    def label(self, label: str) -> str:
        """A bar's label: a tier id, or an aging bucket."""
        table = CATALOG[self.language]
        return table.get(f"tier.{label}") or table.get(f"age.{label}") or label

    def reminder(self, tier: str | None, variant: str = "standard") -> str:
        """A reminder of `tier` as the owner names it: "plan reminder" / "הצעת הסדר"."""
        if variant == "thank_you":
            return self("reminder.thank_you")
        table = CATALOG[self.language]
        name = table.get(f"reminder.{tier}") or self("reminder.other", tier=tier or "")
        if variant == "broken_promise":
            return self("reminder.broken_promise", reminder=name)
        return name

    def reason(self, text: str) -> str:
        """A plan's reason in the owner's language: by its key and parameters where it has
        them (policy/wording.Reason), else as it is (English)."""
        key = getattr(text, "key", "")
        if not key:
            return str(text)
        params: dict[str, Any] = getattr(text, "params", {})
        if key == "all_of":
            return "; ".join(self.reason(r) for r in params["reasons"])
        if key == "holiday" and isinstance(params.get("day"), date):
            name = holiday_name(params.get("country", ""), params["day"], self.language)
            params = {**params, "name": name or params.get("name", "")}
        if key == "inbox_counts":
            said = ", ".join(self(f"inbox.count.{k}", n=n) for k, n in params["counts"])
            return self("reason.inbox_counts", counts=said)
        return self(f"reason.{key}", **{n: self._param(n, v) for n, v in params.items()})

    def _param(self, name: str, value: Any) -> object:
        if isinstance(value, date):
            return self.day(value)
        if name == "days":
            return self.days(value)
        if name == "tier":
            return self.tier(value)
        if name == "weekday":
            return self(f"weekday.{value}")
        if isinstance(value, str):
            return self.reason(value)
        return value

    def problem(self, text: str) -> str:
        """A row finding's problem in the owner's language: by its key and parameters where
        it has them (problems.Problem), else as it is (English)."""
        return said(text, self.language)

    def field(self, name: str, header: str | None = None) -> str:
        """A column as a finding names it: "due_date" / "תאריך פירעון"; in Hebrew the sheet's
        own `header` where it is a Hebrew one ("אימייל"), which is what the owner looks for."""
        if self.rtl and header and _hebrew_header(header):
            return " ".join(header.split())
        return field_name(name, self.language)

    def finding(self, field: str, problem: str, header: str | None = None) -> str:
        """A finding as a row's status cell lists it: "email: invalid email address 'x'"."""
        return self("finding", field=self.field(field, header), problem=self.problem(problem))

    def outcome(self, state: str) -> str:
        return CATALOG[self.language].get(f"outcome.{state}", state.replace("_", " "))

    def days_overdue(self, n: int) -> str:
        """ "12 days overdue" / "12 יום באיחור": Hebrew counts of 11 and up take "יום"."""
        return self("days.overdue", days=self.days(n))

    def days(self, n: int) -> str:
        if self.language == "he" and n == 2:
            return "יומיים"
        if self.language == "he" and n > 10:
            return f"{n} יום"
        return self.count("days.short", n)

    def day(self, d: date) -> str:
        """A date as the letters write it: "20 Nov 2026", in Hebrew "20.11.2026"."""
        if self.language == "he":
            return f"{d.day}.{d.month}.{d.year}"
        return f"{short_day(d)} {d.year}"

    def moment(self, when: datetime) -> str:
        """A time of day: "27 Nov 2026 at 22:20", "27.11.2026 בשעה 22:20"."""
        return self("moment", day=self.day(when.date()), time=when.strftime("%H:%M"))

    def money(self, amount: Decimal, currency: str) -> str:
        """An amount with its currency's sign, as the letters show it: "₪1,250.00",
        "US$3,000.00", in Hebrew "1,250.00 ₪" (a no-break space before the sign)."""
        from .render.formatting import formatter

        babel = LocaleConfig(self.language, currency, self.country).babel_locale
        return formatter(self.language, babel).plain_money(amount, currency)

    def language_name(self, code: str) -> str:
        return CATALOG[self.language].get(f"lang.{code}", code)

    def points(self, kind: str, **params: object) -> tuple[str, ...]:
        n = POINT_COUNTS[kind]
        return tuple(self(f"points.{kind}.{i}", **params) for i in range(1, n + 1))


def words(language: str | None, country: str = "IL") -> Words:
    """The owner's catalog for `language` ("he" or "en"; anything else: English)."""
    return Words("he" if language == "he" else "en", country or "IL")


@functools.lru_cache(maxsize=64)
def holiday_name(country: str, day: date, language: str) -> str | None:
    """A public holiday's name in the owner's language ("יום כיפור", "Yom Kippur"), from the
    `holidays` library (imported only when a holiday reason is shown); None if unknown."""
    if not country:
        return None
    try:
        import holidays as holidays_lib

        table = holidays_lib.country_holidays(
            country, years=[day.year], language="he" if language == "he" else "en_US"
        )
        name = table.get(day)
    except Exception:  # noqa: BLE001 - an unknown country or language: keep the plan's name
        return None
    return str(name) if name else None


def whatsapp_text(
    language: str, name: str, numbers: list[str], sender: str, business: str = ""
) -> str:
    """The prefilled WhatsApp message: greeting, who writes (name and business), the
    invoices ("A, B and C" / "A, B ו־C") and a question."""
    from .render.formatting import and_list

    lang = "he" if language == "he" else "en"
    table = WHATSAPP_TEXT[lang]
    who = table["who"].format(sender=sender, business=business) if sender and business else ""
    who = who or sender or business
    text = table["one" if len(numbers) == 1 else "many"]
    return text.format(name=name, numbers=and_list(numbers, lang), who=who).strip()
