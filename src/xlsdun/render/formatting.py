"""The template filters for one language (Babel for money, dates and percentages; bidi
isolation for values inside right-to-left text), with the caches a daily run needs."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import jinja2
from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.numbers import format_currency, format_percent, get_currency_symbol
from markupsafe import Markup, escape

from ..names import CURRENCY_ALIASES
from .catalog import RTL_LANGUAGES
from .cleaning import BIDI_MARKS_RE, FSI, LRI, NEEDS_ISOLATION, PDI, clean_line

Day = date  # for annotations inside Formatter, whose `date` filter shadows the name
_DATE_FORMATS = frozenset({"short", "medium", "long", "full"})


def and_list(
    parts: list[str], language: str, prefixed: bool = False, *, choice: bool = False
) -> str:
    """Items as a sentence lists them: "A, B and C"; in Hebrew "A, B ו־C" (the ו attached
    to the last item: "וב־6 בדצמבר" when each item carries a prefix such as "ב־"). With
    `choice`, "A, B or C" / "A, B או C" ("או" is a word of its own)."""
    if len(parts) < 2:
        return parts[0] if parts else ""
    if choice:
        joiner = "או " if language == "he" else "or "
    else:
        joiner = ("ו" if prefixed else "ו־") if language == "he" else "and "
    return ", ".join(parts[:-1]) + " " + joiner + parts[-1]


COUNT_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    # index n - 2 for n = 2..10; Hebrew as the number stands before its noun
    "he": {
        "f": ("שתי", "שלוש", "ארבע", "חמש", "שש", "שבע", "שמונה", "תשע", "עשר"),
        "m": ("שני", "שלושה", "ארבעה", "חמישה", "שישה", "שבעה", "שמונה", "תשעה", "עשרה"),
    },
    "en": {
        "f": ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
        "m": ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
    },
}


def count_word(n: int, language: str, gender: str = "f", prefix: str = "") -> str:
    """A count in running prose, as a careful writer puts it: from two to ten in words, in
    Hebrew in the noun's gender ("שלוש חשבוניות", "שלושה תשלומים"), a one-letter prefix
    attached ("בשלוש", "לשלושה"); other counts in digits, the Hebrew prefix joined by a maqaf
    ("ב־12"). Lists, amounts, dates and preheaders keep their digits (but for the English
    plan preheader of several invoices, "three monthly instalments", as its reviewer asked)."""
    words = COUNT_WORDS.get(language, COUNT_WORDS["en"])
    if 2 <= n <= 10:
        return prefix + words.get(gender, words["f"])[n - 2]
    joiner = "־" if prefix and language == "he" else " " if prefix else ""
    return f"{prefix}{joiner}{n}"


@functools.lru_cache(maxsize=16)
def formatter(language: str, babel_locale: str) -> Formatter:
    """One Formatter per language and locale, for text built in code (subject stems,
    preheaders); Babel's locale data is parsed once."""
    return Formatter(language, babel_locale)


class Formatter:
    """The filters for one language; output depends on the part (subject, text or HTML).

    In right-to-left messages, numbers, dates and ids are wrapped in a left-to-right
    isolate (a `<span dir="ltr">` in HTML, U+2066..U+2069 in text) so "INV-7", "+972-…"
    and "-50.00" keep their order; subjects get no invisible characters. Left-to-right
    messages isolate the same values when they hold right-to-left letters or direction
    controls (a Hebrew name, a U+202E in a name), and leave plain text as it is.
    """

    def __init__(self, language: str, babel_locale: str) -> None:
        self.language = language
        self.locale = Locale.parse(babel_locale)
        self.rtl = language in RTL_LANGUAGES
        self._symbols: dict[str, str] = {}
        # Babel is the slow part of a render; a daily run repeats the same dates and amounts.
        self._money: dict[tuple[Decimal, str], tuple[str, str, str]] = {}
        self._patterns: dict[str, tuple[str, str] | None] = {}
        self._dates: dict[tuple[date, str, str], str] = {}  # (date, format, part mode)
        self._plain_dates: dict[tuple[date, str], str] = {}  # (date, skeleton)
        self._codes: dict[str, str] = {}  # a currency cell as typed -> its ISO code
        # CLDR abbreviates September "Sept" in British-style English (en_GB, en_IL): "20 Sept
        # 2026" reads as a typo to most readers, so English takes the locale's date patterns
        # (day-month order and all) with the month and day names of plain "en" ("Sep").
        self._names = Locale.parse("en") if self.locale.language == "en" else self.locale

    @staticmethod
    def _mode(ctx: jinja2.runtime.Context) -> str:
        if ctx.eval_ctx.autoescape:
            return "html"
        return "subject" if (ctx.name or "").endswith(".subject.j2") else "text"

    def _isolate(self, ctx: jinja2.runtime.Context, value: object, direction: str) -> Any:
        mode = self._mode(ctx)
        text = str(value)
        plain = not self.rtl and (text.isascii() or not NEEDS_ISOLATION.search(text))
        if mode == "html":
            if plain:
                return escape(value)
            return Markup(f'<span dir="{direction}">{escape(value)}</span>')
        if mode == "subject" or plain or not text:
            return text
        return (LRI if direction == "ltr" else FSI) + text + PDI

    @jinja2.pass_context
    def ltr(self, ctx: jinja2.runtime.Context, value: object) -> Any:
        """Keep a number, id, phone or address left-to-right inside right-to-left text."""
        if value is None:
            return ""
        return self._isolate(ctx, value, "ltr")

    @jinja2.pass_context
    def phone(self, ctx: jinja2.runtime.Context, value: object) -> Any:
        """A phone number, IBAN or other code copied whole: never broken across lines (at a
        hyphen or space) nor flipped in RTL."""
        if value is None:
            return ""
        if self._mode(ctx) == "html":
            return Markup(f'<span dir="ltr" style="white-space:nowrap">{escape(value)}</span>')
        return self._isolate(ctx, value, "ltr")

    @jinja2.pass_context
    def bdi(self, ctx: jinja2.runtime.Context, value: object) -> Any:
        """Isolate user text of unknown direction (a customer name) from its surroundings."""
        if value is None:
            return ""
        return self._isolate(ctx, value, "auto")

    def _symbol(self, currency: str) -> str:
        if currency not in self._symbols:
            try:
                self._symbols[currency] = get_currency_symbol(currency, self.locale)
            except Exception:
                self._symbols[currency] = currency
        return self._symbols[currency]

    def _format_money(self, value: Decimal, currency: str) -> tuple[str, str, str]:
        """(whole text, number, symbol) for an amount, cached."""
        key = (value, currency)
        cached = self._money.get(key)
        if cached is None:
            pattern = self._plain_pattern(currency) if not value.is_signed() else None
            if pattern is not None and value.is_finite():
                text = f"{pattern[0]}{value:,.2f}{pattern[1]}"
            else:
                try:
                    text = format_currency(value, currency, locale=self.locale)
                except Exception:
                    text = f"{value:,.2f}\xa0{currency}"
            # Babel's he_IL pattern is "RLM number NBSP RLM symbol": the number alone gets
            # isolated, so the amount reads "1,250.00 ₪" from the right, as Israelis write it.
            number, _, symbol = BIDI_MARKS_RE.sub("", text).rpartition("\xa0")
            if not number:
                number, symbol = symbol, self._symbol(currency)
            cached = (text, number, symbol)
            if len(self._money) > 20_000:
                self._money.clear()
            self._money[key] = cached
        return cached

    def _plain_pattern(self, currency: str) -> tuple[str, str] | None:
        """(text before, text after) the number, if this locale writes `currency` amounts as
        plain #,##0.00 (checked once against Babel); None: every amount goes through Babel.

        Amounts rarely repeat across debtors, and Babel takes 50 µs to format one.
        """
        if currency not in self._patterns:
            pattern = None
            try:
                probes = [
                    format_currency(Decimal(v), currency, locale=self.locale)
                    for v in ("1234567.89", "1234.5", "0", "0.07")
                ]
                head, found, tail = probes[0].partition("1,234,567.89")
                expected = [
                    f"{head}{n}{tail}" for n in ("1,234,567.89", "1,234.50", "0.00", "0.07")
                ]
                if found and probes == expected:
                    pattern = (head, tail)
            except Exception:
                pattern = None
            self._patterns[currency] = pattern
        return self._patterns[currency]

    @jinja2.pass_context
    def money(self, ctx: jinja2.runtime.Context, amount: object, currency: str) -> Any:
        """An amount in its own currency, e.g. "₪1,250.00" or (Hebrew) "1,250.00 ₪"."""
        if amount is None:
            return ""
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
        text, number, symbol = self._format_money(value, self._code(currency))
        if not self.rtl:
            return text
        mode = self._mode(ctx)
        if mode == "html":
            return Markup(f'<span dir="ltr">{escape(number)}</span>&nbsp;{escape(symbol)}')
        if mode == "subject":
            return f"{number}\xa0{symbol}"
        return f"{LRI}{number}{PDI}\xa0{symbol}"

    def plain_money(self, amount: Decimal, currency: str) -> str:
        """An amount as a subject line or preheader shows it (no markup, no invisible
        characters): "₪1,250.00", in Hebrew "1,250.00 ₪"."""
        text, number, symbol = self._format_money(amount, self._code(currency))
        return f"{number}\xa0{symbol}" if self.rtl else text

    def _code(self, currency: object) -> str:
        """The ISO code `money` formats a currency as ("nis" -> "ILS"), cached per text:
        cleaning it for each of 80,000 amounts cost 0.09 s of 1.7 s CPU rendering the
        bench's 4,000 messages."""
        if not isinstance(currency, str):
            return self._normalized(currency)
        code = self._codes.get(currency)
        if code is None:
            if len(self._codes) > 1_000:
                self._codes.clear()
            code = self._codes[currency] = self._normalized(currency)
        return code

    @staticmethod
    def _normalized(currency: object) -> str:
        code = clean_line(currency).upper()
        return CURRENCY_ALIASES.get(code, code)

    def plain_date(self, value: date, skeleton: str = "yMMMd") -> str:
        """A date as a subject line or preheader shows it: "20 Sep 2026", "20 בספטמבר 2026"
        (Hebrew with the month's full name)."""
        key = (value, skeleton)
        shown = self._plain_dates.get(key)
        if shown is None:
            if self.rtl and "MMM" in skeleton and "MMMM" not in skeleton:
                skeleton = skeleton.replace("MMM", "MMMM")
            pattern = self.locale.datetime_skeletons[skeleton].pattern
            shown = babel_format_date(value, format=pattern, locale=self._names)
            if len(self._plain_dates) > 20_000:
                self._plain_dates.clear()
            self._plain_dates[key] = shown  # Babel: 0.09 s of 1.7 s CPU, bench's 4,000 messages
        return shown

    def _show_date(self, ctx: jinja2.runtime.Context, value: date, fmt: str) -> Any:
        """A date as this part shows it (cached whole by `date`, wrapping and all). In a
        right-to-left message, a date without Hebrew letters (numeric, or a Latin month) is
        kept left-to-right."""
        pattern = self.locale.date_formats[fmt] if fmt in _DATE_FORMATS else fmt
        text = babel_format_date(value, format=pattern, locale=self._names)
        ltr = self.rtl and not any("\u0590" <= ch <= "\u05ff" for ch in text)
        if self._mode(ctx) == "html":  # a date never breaks across lines ("6 | בדצמבר")
            direction = ' dir="ltr"' if ltr else ""
            return Markup(f'<span{direction} style="white-space:nowrap">{escape(text)}</span>')
        return self._isolate(ctx, text, "ltr") if ltr else text

    @jinja2.pass_context
    def date(self, ctx: jinja2.runtime.Context, value: date | None, fmt: str = "medium") -> Any:
        """A date: "medium" (26 Nov 2026), "long", "full" (with weekday) or "short" (numeric)."""
        if value is None:
            return ""
        if isinstance(value, datetime):
            value = value.date()
        key = (value, fmt, self._mode(ctx))
        shown = self._dates.get(key)
        if shown is None:
            shown = self._show_date(ctx, value, fmt)
            if len(self._dates) > 20_000:
                self._dates.clear()
            self._dates[key] = shown
        return shown

    @jinja2.pass_context
    def percent(self, ctx: jinja2.runtime.Context, value: object) -> Any:
        """A fraction as a percentage: 0.025 -> "2.5%"."""
        text = format_percent(Decimal(str(value)), format="#,##0.##%", locale=self.locale)
        return self._isolate(ctx, BIDI_MARKS_RE.sub("", text), "ltr") if self.rtl else text

    def days(self, n: int) -> str:
        """A count of days with the right grammar: "1 day", "יום אחד", "יומיים", "5 ימים",
        and from 11 on the singular, as Hebrew counts them ("באיחור של 21 יום")."""
        n = abs(int(n))
        if self.language == "he":
            return {1: "יום אחד", 2: "יומיים"}.get(n, f"{n} ימים" if n <= 10 else f"{n} יום")
        return "1 day" if n == 1 else f"{n} days"

    @jinja2.pass_context
    def nl2br(self, ctx: jinja2.runtime.Context, value: object) -> Any:
        """Multi-line user text (bank details, signature) as lines, each escaped and isolated
        on its own where its direction may differ from the message's: "בנק לאומי, סניף 800,
        חשבון 123456" in an English message keeps its order (`<span dir="auto">` per line)."""
        lines = [line.strip() for line in str(value or "").splitlines() if line.strip()]
        shown = [self._isolate(ctx, line, "auto") for line in lines]
        if self._mode(ctx) == "html":
            return Markup("<br>\n").join(shown)
        return "\n".join(shown)

    @jinja2.pass_context
    def short_date(self, ctx: jinja2.runtime.Context, value: Day | None) -> Any:
        """A day without its weekday: "26 Nov" / "26 בנובמבר", with the year when it is not
        the year of the message's `today` ("6 Dec 2025")."""
        if value is None:
            return ""
        today = ctx.get("today")
        same_year = isinstance(today, date) and today.year == value.year
        skeleton = (
            ("MMMMd" if self.rtl else "MMMd") if same_year else ("yMMMMd" if self.rtl else "yMMMd")
        )
        return self.date(ctx, value, self.locale.datetime_skeletons[skeleton].pattern)

    @jinja2.pass_context
    def amounts(self, ctx: jinja2.runtime.Context, sums: Iterable[Any]) -> Any:
        """Per-currency totals (anything with `amount` and `currency`) as one phrase:
        "₪5,980.00 and US$1,200.00" / "5,980.00 ₪ ו־1,200.00 $"."""
        return self.join_and(ctx, [self.money(ctx, t.amount, t.currency) for t in sums])

    @jinja2.pass_context
    def join_or(
        self, ctx: jinja2.runtime.Context, items: Iterable[object], prefix: str = ""
    ) -> Any:
        """A list of choices: "A, B or C" / "A, B או C" (see `join_and`)."""
        return self.join_and(ctx, items, prefix, choice=True)

    @jinja2.pass_context
    def join_and(
        self,
        ctx: jinja2.runtime.Context,
        items: Iterable[object],
        prefix: str = "",
        choice: bool = False,
    ) -> Any:
        """A list as a sentence lists it: "A, B and C"; in Hebrew "A, B ו־C", the ו attached
        to the last item, and with a `prefix` on each ("ב־26 בנובמבר, ב־1 בדצמבר וב־6
        בדצמבר"). Items are shown as given (already formatted: amounts, dates, numbers)."""
        html = self._mode(ctx) == "html"
        show: Callable[[object], str] = escape if html else str
        if not prefix and isinstance(items, list) and len(items) == 1:
            # one amount or date: the same text without the list's steps, which the amounts
            # filter paid in nearly every message (measured: 0.04 s of 1.6 s CPU rendering the
            # bench's 4,000 messages)
            return show(items[0])
        parts = [str(show(prefix) + show(item)) for item in items]  # escaped, as plain text
        text = and_list(parts, self.language, bool(prefix), choice=choice)
        return Markup(text) if html else text

    def count(self, n: int, gender: str = "f", prefix: str = "") -> str:
        """`count_word` in this language: {{ invoice_count | count("f", "ב") }} → "בשלוש"."""
        return count_word(int(n), self.language, gender, prefix)

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "count": self.count,
            "money": self.money,
            "date": self.date,
            "percent": self.percent,
            "ltr": self.ltr,
            "bdi": self.bdi,
            "phone": self.phone,
            "unbroken": self.phone,  # an IBAN: people copy it, so one line
            "days": self.days,
            "nl2br": self.nl2br,
            "short_date": self.short_date,
            "join_and": self.join_and,
            "join_or": self.join_or,
            "amounts": self.amounts,
        }
