"""Turn one planned Action into the email a careful business owner would send.

Templates are Jinja2 files (`templates/<lang>/<name>.{subject,txt,html}.j2`); a user's
template folder overrides them file by file. Everything from the workbook is data: it
reaches the templates as values, never as template source, is escaped in HTML, and is
stripped of line breaks before it goes into a header. Rendering is pure (`render_parts`);
`render` only adds the envelope (headers, threading, attachments).
"""

from __future__ import annotations

import mimetypes
import re
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from dataclasses import fields as dataclass_fields
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.numbers import format_currency, format_percent, get_currency_symbol
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from . import addresses, mime
from . import attachments as attachments_mod
from .attachments import AttachmentProblem, Rules
from .config import LocaleConfig, PolicyConfig, SenderConfig, Tier, default_policy
from .errors import XlsdunError
from .models import Action, FeeLine, Invoice
from .names import CURRENCY_ALIASES, currency_code, language_code
from .policy import fees_for
from .text import BIDI_CONTROLS, BIDI_MARKS, CONTROL

TEMPLATE_NAMES: tuple[str, ...] = (
    "courtesy",
    "friendly",
    "direct",
    "plan",
    "final",
    "broken_promise",
    "thank_you",
)
LANGUAGES: tuple[str, ...] = ("en", "he")
RTL_LANGUAGES = frozenset({"he"})

BUILTIN_TEMPLATES = Path(__file__).parent / "templates"

LRI, FSI, PDI = "\u2066", "\u2068", "\u2069"
PDF = "\u202c"
_BIDI_MARKS = re.compile(f"[{BIDI_MARKS}]")
# Embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069): their effect lasts
# until closed, so one left open in a customer's name would turn xlsdun's own text around it.
_BIDI_CONTROLS = re.compile(f"[{BIDI_CONTROLS}]")
_OPENERS = {"\u202a": PDF, "\u202b": PDF, "\u202d": PDF, "\u202e": PDF}
_OPENERS.update({"\u2066": PDI, "\u2067": PDI, "\u2068": PDI})
# What a left-to-right message isolates: right-to-left letters (Hebrew, Arabic, Syriac,
# Thaana, N'Ko, ... and their presentation forms) and direction controls.
_NEEDS_ISOLATION = re.compile(
    f"[\u0590-\u08ff\u200f{BIDI_CONTROLS}\ufb1d-\ufdff\ufe70-\ufefe"
    "\U00010800-\U00010fff\U0001e800-\U0001efff]"
)
_CONTROL = re.compile(f"[{CONTROL}]+")
_MESSAGE_ID = re.compile(r"[^\s<>()\[\]\\,;:\"]{1,250}@[^\s<>()\[\]\\,;:\"@]{1,250}")
MAX_SUBJECT = 200  # characters; a 5 MB invoice number must not make a 7 MB Subject
MAX_DISPLAY_NAME = 200
MAX_FILENAME = 100
_BLANK_LINES = re.compile(r"\n{3,}")
_SAFE_URL = re.compile(r"^https?://[^\s<>\"'\\]+$", re.IGNORECASE)
CENT = Decimal("0.01")


def template_names() -> tuple[str, ...]:
    """The message templates every language folder provides, gentlest first."""
    return TEMPLATE_NAMES


class RenderError(XlsdunError):
    """A template could not be rendered; the message starts with "file:line:"."""

    def __init__(self, message: str, *, path: str = "", line: int = 0) -> None:
        self.path, self.line, self.detail = path, line, message
        super().__init__(f"{path}:{line}: {message}" if path else message)


class SheetProblem(RenderError):
    """Something in the debtor's rows stops this message (an attachment, an address).

    Not a template problem: the delivery fails with this text and the debtor goes on the
    call list; once the owner fixes the sheet, a same-day rerun may try again.
    """


class MissingAttachment(SheetProblem):
    """An invoice's Attachment cell gives no file (missing, or refused: `refusal` says why)."""

    def __init__(self, problem: AttachmentProblem, invoice: str) -> None:
        name = _shorten(clean_line(problem.name), 120)
        super().__init__(f"{problem}: {name} (invoice {_shorten(invoice, 120)})")
        # (not `.path`: RenderError's is the template's file and line)
        self.invoice, self.refusal = invoice, problem.refusal


class BadAddress(SheetProblem):
    """A recipient address that fails `addresses.is_valid`: never mailed, not even in part."""


@dataclass(frozen=True, slots=True)
class RenderedParts:
    subject: str
    text: str
    html: str


# ---------------------------------------------------------------- template context values


@dataclass(frozen=True, slots=True)
class InvoiceView:
    """One invoice as the templates see it (days counted from the run's `today`)."""

    number: str
    invoice_date: date | None
    due_date: date
    days_overdue: int  # negative: due in that many days
    days_until_due: int
    balance: Decimal
    amount: Decimal | None
    currency: str
    promise_date: date | None
    pay_link: str | None


@dataclass(frozen=True, slots=True)
class Total:
    currency: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class FeeView:
    kind: str  # "late_fee" | "interest" | other
    label: str  # already in the message's language
    currency: str
    amount: Decimal
    detail: str


@dataclass(frozen=True, slots=True)
class InvoiceLink:
    number: str
    url: str


FEE_LABELS: dict[str, dict[str, str]] = {
    "en": {"late_fee": "Late payment fee", "interest": "Interest on the overdue balance"},
    "he": {"late_fee": "דמי פיגורים", "interest": "ריבית פיגורים"},
}
INTEREST_RATE: dict[str, str] = {"en": "{rate} a year", "he": "{rate} לשנה"}


def normalize_language(value: str | None) -> str:
    """Map what people type in a Language column to a template folder ("he" or "en")."""
    return language_code(value, "en")


def clean_line(value: object) -> str:
    """One line of display text: no control characters, line breaks or runs of spaces, and
    no direction override or isolate left open past its end (`close_bidi`)."""
    text = " ".join(_CONTROL.sub(" ", str(value)).split())
    if text.isascii() or not _BIDI_CONTROLS.search(text):  # isascii: the usual cell, ~30 ns
        return text
    return close_bidi(text)


def close_bidi(text: str) -> str:
    """`text` with every embedding, override and isolate it opens closed at its end, and
    stray closers dropped, so it cannot turn the text that follows it around."""
    out: list[str] = []
    stack: list[str] = []  # the closer each open control needs, innermost last
    for ch in text:
        if ch in _OPENERS:
            stack.append(_OPENERS[ch])
        elif ch == PDF:
            if not stack or stack[-1] != PDF:
                continue  # closes nothing (or would reach into an isolate): dropped
            stack.pop()
        elif ch == PDI:
            if PDI not in stack:
                continue
            while stack.pop() != PDI:  # a PDI also closes what was opened inside its isolate
                pass
        out.append(ch)
    return "".join(out) + "".join(reversed(stack))


def header_safe(value: object) -> str:
    """Text that can go into a header: every CR, LF and control character removed, and the
    direction controls too (a header has no isolates to hold them)."""
    text = str(value)
    if not text.isascii():
        text = _BIDI_CONTROLS.sub("", text)
    return " ".join(_CONTROL.sub(" ", text).split())


def _shorten(text: str, limit: int) -> str:
    """At most `limit` characters: the start and "…" (a header must stay within RFC 5322's
    998-octet lines, and nobody reads a 7 MB subject)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def safe_url(value: str | None) -> str | None:
    """An http(s) link, or None: other schemes (javascript:, data:, file:) never become links."""
    if not value:
        return None
    url = value.strip()
    return url if _SAFE_URL.match(url) else None


# ---------------------------------------------------------------- filters (Babel, bidi)


class _Formatter:
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
        self._dates: dict[tuple[date, str], str] = {}

    @staticmethod
    def _mode(ctx: jinja2.runtime.Context) -> str:
        if ctx.eval_ctx.autoescape:
            return "html"
        return "subject" if (ctx.name or "").endswith(".subject.j2") else "text"

    def _isolate(self, ctx: jinja2.runtime.Context, value: object, direction: str) -> Any:
        mode = self._mode(ctx)
        text = str(value)
        plain = not self.rtl and (text.isascii() or not _NEEDS_ISOLATION.search(text))
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
        """A phone number that never breaks across lines (at its hyphen) or flips in RTL."""
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
            number, _, symbol = _BIDI_MARKS.sub("", text).rpartition("\xa0")
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
        code = clean_line(currency).upper()
        text, number, symbol = self._format_money(value, CURRENCY_ALIASES.get(code, code))
        if not self.rtl:
            return text
        mode = self._mode(ctx)
        if mode == "html":
            return Markup(f'<span dir="ltr">{escape(number)}</span>&nbsp;{escape(symbol)}')
        if mode == "subject":
            return f"{number}\xa0{symbol}"
        return f"{LRI}{number}{PDI}\xa0{symbol}"

    @jinja2.pass_context
    def date(self, ctx: jinja2.runtime.Context, value: date | None, fmt: str = "medium") -> Any:
        """A date: "medium" (26 Nov 2026), "long", "full" (with weekday) or "short" (numeric)."""
        if value is None:
            return ""
        if isinstance(value, datetime):
            value = value.date()
        text = self._dates.get((value, fmt))
        if text is None:
            text = babel_format_date(value, format=fmt, locale=self.locale)
            if len(self._dates) > 20_000:
                self._dates.clear()
            self._dates[(value, fmt)] = text
        if self.rtl and not any("\u0590" <= ch <= "\u05ff" for ch in text):
            return self._isolate(ctx, text, "ltr")
        return text

    @jinja2.pass_context
    def percent(self, ctx: jinja2.runtime.Context, value: object) -> Any:
        """A fraction as a percentage: 0.025 -> "2.5%"."""
        text = format_percent(Decimal(str(value)), format="#,##0.##%", locale=self.locale)
        return self._isolate(ctx, _BIDI_MARKS.sub("", text), "ltr") if self.rtl else text

    def days(self, n: int) -> str:
        """A count of days with the right grammar: "1 day", "יום אחד", "יומיים", "5 ימים"."""
        n = abs(int(n))
        if self.language == "he":
            return {1: "יום אחד", 2: "יומיים"}.get(n, f"{n} ימים")
        return "1 day" if n == 1 else f"{n} days"

    @jinja2.pass_eval_context
    def nl2br(self, eval_ctx: jinja2.nodes.EvalContext, value: object) -> Any:
        """Multi-line user text (bank details, signature) as lines, each escaped."""
        lines = [line.strip() for line in str(value or "").splitlines() if line.strip()]
        if eval_ctx.autoescape:
            return Markup("<br>\n").join(escape(line) for line in lines)
        return "\n".join(lines)

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "money": self.money,
            "date": self.date,
            "percent": self.percent,
            "ltr": self.ltr,
            "bdi": self.bdi,
            "phone": self.phone,
            "days": self.days,
            "nl2br": self.nl2br,
        }


class _Sandbox(SandboxedEnvironment):
    """The sandbox with a fast path for xlsdun's own frozen value types.

    Their public fields hold plain values (text, numbers, dates), so the sandbox's checks on
    every attribute read, about a third of a render, are skipped for those fields only;
    anything else, and every method, still goes through the full check.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        fields = _PLAIN_FIELDS.get(type(obj))
        if fields is not None and attribute in fields:
            return getattr(obj, attribute)
        return super().getattr(obj, attribute)


_PLAIN_FIELDS: dict[type, frozenset[str]] = {
    cls: frozenset(f.name for f in dataclass_fields(cls))
    for cls in (InvoiceView, Total, FeeView, InvoiceLink, SenderConfig, PolicyConfig, Tier)
}


def _autoescape(name: str | None) -> bool:
    return name is not None and name.endswith((".html.j2", ".html"))


def _location(exc: BaseException, fallback: str) -> tuple[str, int]:
    """The template file and line an error happened at (Jinja maps its frames to .j2 files)."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return exc.filename or exc.name or fallback, exc.lineno or 0
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".j2"):
            return frame.filename, frame.lineno or 0
    return fallback, 0


# ---------------------------------------------------------------- the renderer


class Renderer:
    """Renders actions into messages; build one per run (environments and templates cached)."""

    def __init__(
        self,
        *,
        sender: SenderConfig,
        locale: LocaleConfig,
        policy: PolicyConfig,
        template_dir: Path | None = None,
        attachments: Rules | None = None,
    ) -> None:
        """`attachments`: where Attachment cells may name files (`Rules.from_config` for a
        run); by default the current folder and 10 MB."""
        self.sender = sender
        self.locale = locale
        self.policy = policy
        self.template_dir = Path(template_dir) if template_dir else None
        self.attachments = attachments or Rules(Path.cwd())
        loaders: list[jinja2.BaseLoader] = []
        if self.template_dir is not None:
            loaders.append(jinja2.FileSystemLoader(str(self.template_dir)))
        loaders.append(jinja2.FileSystemLoader(str(BUILTIN_TEMPLATES)))
        self._loader = jinja2.ChoiceLoader(loaders)
        self._envs: dict[str, SandboxedEnvironment] = {}
        self._templates: dict[tuple[str, str, str], jinja2.Template] = {}
        self._sender_domain = sender.email.rpartition("@")[2].strip() or "localhost"
        self._sender_pair: tuple[tuple[str, str], tuple[str, str]] | None = None
        self._date_cache: tuple[datetime, str] | None = None

    # -- environments

    def babel_locale(self, language: str) -> str:
        return replace(self.locale, language=language).babel_locale

    def _env(self, language: str) -> SandboxedEnvironment:
        env = self._envs.get(language)
        if env is None:
            env = _Sandbox(
                loader=self._loader,
                autoescape=_autoescape,
                undefined=jinja2.StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
                keep_trailing_newline=True,
                auto_reload=False,
                cache_size=-1,
            )
            env.filters.update(_Formatter(language, self.babel_locale(language)).filters())
            self._envs[language] = env
        return env

    def _template(self, language: str, name: str, part: str) -> jinja2.Template:
        key = (language, name, part)
        template = self._templates.get(key)
        if template is None:
            path = f"{language}/{name}.{part}.j2"
            try:
                template = self._env(language).get_template(path)
            except jinja2.TemplateNotFound as exc:
                raise RenderError(f"template not found: {exc.name}", path=path) from None
            except jinja2.TemplateSyntaxError as exc:
                file, line = _location(exc, path)
                raise RenderError(exc.message or str(exc), path=file, line=line) from None
            self._templates[key] = template
        return template

    # -- context

    def context(self, action: Action, *, today: date) -> dict[str, Any]:
        """Everything a template can use; all values plain, nothing callable from the sheet."""
        language = normalize_language(action.language)
        policy = self.policy
        invoices = [self._invoice_view(inv, today) for inv in _sorted(action.invoices)]
        totals = _totals((i.currency, i.balance) for i in invoices)
        fees = [self._fee_view(f, language) for f in action.fees]
        fee_currencies = {f.currency for f in fees}
        with_fees = _totals(
            [(t.currency, t.amount) for t in totals if t.currency in fee_currencies]
            + [(f.currency, f.amount) for f in fees]
        )
        links = list(dict.fromkeys(i.pay_link for i in invoices if i.pay_link))
        pay_link = links[0] if links else safe_url(self.sender.pay_link)
        invoice_links = (
            [InvoiceLink(i.number, i.pay_link) for i in invoices if i.pay_link]
            if len(links) > 1
            else []
        )
        discount = policy.early_payment_discount if policy.early_payment_discount > 0 else None
        promises = [i.promise_date for i in invoices if i.promise_date]
        overdue = [i.days_overdue for i in invoices]
        return {
            "customer": clean_line(action.customer),
            "customer_email": clean_line(action.email or ""),
            "invoices": invoices,
            "invoice_count": len(invoices),
            "totals": totals,
            "fees": fees,
            "totals_with_fees": with_fees,
            "max_days_overdue": max(overdue, default=0),
            "any_overdue": any(d > 0 for d in overdue),
            "oldest_due": min((i.due_date for i in invoices), default=today),
            "tier": action.tier or "",
            "variant": action.variant,
            "today": today,
            "deadline": self.deadline(today),
            "promise_date": max(promises) if promises else None,
            "sender": self.sender,
            "policy": policy,
            "installments": policy.installments,
            "installment_amounts": [
                Total(t.currency, _round(t.amount / policy.installments)) for t in totals
            ]
            if policy.installments > 1
            else [],
            "discount": discount,
            "discount_until": today + timedelta(days=7),
            "discounted_totals": [
                Total(t.currency, _round(t.amount * (1 - discount))) for t in totals
            ]
            if discount
            else [],
            "interest_rate": policy.late_interest_annual
            if policy.late_interest_annual > 0
            else None,
            "pay_link": pay_link,
            "invoice_pay_links": invoice_links,
            "bank_details": self.sender.bank_details.strip(),
            "reply_to": clean_line(self.sender.reply_to or self.sender.email),
            "phone": clean_line(self.sender.phone),
            "language": language,
            "direction": "rtl" if language in RTL_LANGUAGES else "ltr",
        }

    def deadline(self, today: date) -> date:
        """The final notice's deadline: `final_deadline_days` on, moved off the weekend."""
        day = today + timedelta(days=self.policy.final_deadline_days)
        weekend = {4, 5} if self.locale.country == "IL" else {5, 6}
        while day.weekday() in weekend:
            day += timedelta(days=1)
        return day

    def currency(self, value: str | None) -> str:
        """An ISO code, so "NIS", "ש״ח" and "ILS" make one total, not three."""
        return currency_code(clean_line(value or ""), self.locale.currency)

    def _invoice_view(self, inv: Invoice, today: date) -> InvoiceView:
        days = (today - inv.due_date).days
        return InvoiceView(
            number=clean_line(inv.invoice),
            invoice_date=inv.invoice_date,
            due_date=inv.due_date,
            days_overdue=days,
            days_until_due=-days,
            balance=inv.balance,
            amount=inv.amount,
            currency=self.currency(inv.currency),
            promise_date=inv.promise_date,
            pay_link=safe_url(inv.pay_link),
        )

    def _fee_view(self, fee: FeeLine, language: str) -> FeeView:
        labels = FEE_LABELS.get(language, FEE_LABELS["en"])
        label = labels.get(fee.label, clean_line(fee.label).replace("_", " "))
        detail = clean_line(fee.detail)
        if fee.label == "interest" and self.policy.late_interest_annual > 0:
            rate = format_percent(self.policy.late_interest_annual, format="#,##0.##%", locale="en")
            detail = INTEREST_RATE.get(language, INTEREST_RATE["en"]).format(rate=rate)
        return FeeView(
            kind=fee.label,
            label=label,
            currency=self.currency(fee.currency),
            amount=fee.amount,
            detail=detail,
        )

    # -- rendering

    def template_for(self, action: Action) -> tuple[str, str]:
        """(language, template name) for an action."""
        name = action.variant if action.variant in ("broken_promise", "thank_you") else action.tier
        if name not in TEMPLATE_NAMES:
            raise RenderError(f"no email template for tier {name!r}")
        return normalize_language(action.language), name

    def _render(self, language: str, name: str, part: str, context: dict[str, Any]) -> str:
        template = self._template(language, name, part)
        try:
            return template.render(context)
        except RenderError:
            raise
        except Exception as exc:
            file, line = _location(exc, template.filename or f"{language}/{name}.{part}.j2")
            message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
            raise RenderError(message, path=file, line=line) from exc

    def render_parts(self, action: Action, *, today: date) -> RenderedParts:
        """Subject, text and HTML for an action: pure, no files read, no clock."""
        language, name = self.template_for(action)
        context = self.context(action, today=today)
        subject = _shorten(
            header_safe(self._render(language, name, "subject", context)), MAX_SUBJECT
        )
        context["subject"] = subject
        text = _tidy_text(self._render(language, name, "txt", context))
        html = self._render(language, name, "html", context).strip() + "\n"
        return RenderedParts(subject=subject, text=text, html=html)

    def render(self, action: Action, *, today: date, now: datetime) -> EmailMessage:
        """The complete message for one action, ready for any transport, assembled directly
        (mime.py): every address passed `addresses.is_valid` (ASCII), and so did the sender's
        (config.py), and a Message-ID followed up on is ASCII too (`_message_id`)."""
        if not action.email:
            raise BadAddress(f"{_display_name(action.customer)}: no email address")
        to = (_display_name(action.customer), _recipient(action.email, "email"))
        cc = [("", _recipient(c, "cc")) for c in action.cc if c and c.strip()]
        attachments = self._attachments(action)
        parts = self.render_parts(action, today=today)
        previous = _message_id(action.previous_message_id)
        sender, reply_to = self._sender_addresses()
        date_text = self._date_header(now)

        message_id = make_msgid(domain=self._sender_domain)
        headers = [
            ("Subject", mime.fold("Subject", mime.unstructured_tokens(parts.subject))),
            ("From", mime.fold("From", mime.mailbox_tokens(*sender))),
            ("To", mime.fold("To", mime.mailbox_tokens(*to))),
        ]
        if cc:
            headers.append(("Cc", mime.fold("Cc", mime.address_list_tokens(cc))))
        headers += [
            ("Reply-To", mime.fold("Reply-To", mime.mailbox_tokens(*reply_to))),
            ("Date", date_text),
            ("Message-ID", message_id),
        ]
        if previous:
            headers += [("In-Reply-To", f"<{previous}>"), ("References", f"<{previous}>")]
        headers.append(("X-Mailer", "xlsdun"))
        files = [
            mime.attachment_part(_filename(filename), data, *_mime_type(filename))
            for filename, data in attachments
        ]
        summary = {
            "Message-ID": message_id,
            "To": mime.display_address(*to),
            "Cc": ", ".join(a for _, a in cc),
            "Subject": parts.subject,
            "Date": date_text,
        }
        try:
            return mime.assemble(
                headers,
                mime.text_part(parts.text, "plain", _cte(parts.text)),
                mime.text_part(parts.html, "html", _cte(parts.html)),
                files,
                summary,
                to,
            )
        except mime.HeaderError as exc:  # data got past the checks above: never sent
            raise SheetProblem(f"message not built: {exc}") from None

    def _sender_addresses(self) -> tuple[tuple[str, str], tuple[str, str]]:
        """(From, Reply-To) as (display name, address), validated once per renderer with the
        rule every address follows (a SenderConfig made in Python skips config.py's check)."""
        if self._sender_pair is None:
            found = []
            for value, key in (
                (self.sender.email, "sender.email"),
                (self.sender.reply_to or self.sender.email, "sender.reply_to"),
            ):
                if not addresses.is_valid(value.strip()):
                    raise RenderError(f"invalid {key}: {_shorten(header_safe(value), 120)!r}")
                found.append(value.strip())
            name = _display_name(self.sender.name)
            self._sender_pair = ((name, found[0]), (name, found[1]))
        return self._sender_pair

    def _date_header(self, now: datetime) -> str:
        if self._date_cache is None or self._date_cache[0] != now:
            self._date_cache = (now, format_datetime(self._aware(now)))
        return self._date_cache[1]

    def _aware(self, now: datetime) -> datetime:
        if now.tzinfo is not None:
            return now
        try:
            return now.replace(tzinfo=ZoneInfo(self.locale.timezone))
        except Exception:
            return now.astimezone()

    def _attachments(self, action: Action) -> list[tuple[str, bytes]]:
        """Read every invoice's attachment up front, under `attachments.read`'s rule, so a
        missing or refused file stops only this debtor (and nothing of it is written)."""
        found: list[tuple[str, bytes]] = []
        seen: set[str] = set()
        for inv in _sorted(action.invoices):
            cell = (inv.attachment or "").strip()
            if not cell or cell in seen:
                continue
            try:
                item = attachments_mod.read(cell, self.attachments)
            except AttachmentProblem as exc:
                raise MissingAttachment(exc, clean_line(inv.invoice)) from None
            seen.add(cell)
            if item not in found:  # "a.pdf" and "./a.pdf": one file, attached once
                found.append(item)
        return found

    # -- checking

    def message_templates(self) -> list[Path]:
        """The user's template files that can replace a built-in message template: those in a
        language folder (`en/`, `he/`). Anything else in the folder is never loaded."""
        if self.template_dir is None or not self.template_dir.is_dir():
            return []
        return sorted(
            p for language in LANGUAGES for p in (self.template_dir / language).glob("*.j2")
        )

    def unused_templates(self) -> list[Path]:
        """Files in the user's template folder that xlsdun never reads (e.g. a `digest/` copy
        left by an older `xlsdun init`: the owner's digest is built in)."""
        if self.template_dir is None or not self.template_dir.is_dir():
            return []
        used = set(self.message_templates())
        return sorted(p for p in self.template_dir.rglob("*.j2") if p not in used)

    def check(self) -> list[str]:
        """Render every template × language with a sample debtor; "path:line: message" per problem."""
        errors: list[str] = []
        if self.template_dir is not None:
            if not self.template_dir.is_dir():
                errors.append(f"{self.template_dir}:0: template folder not found")
            else:
                for path in self.message_templates():
                    rel = path.relative_to(self.template_dir).as_posix()
                    try:
                        self._env("en").compile(path.read_text(encoding="utf-8"), rel, str(path))
                    except jinja2.TemplateSyntaxError as exc:
                        errors.append(f"{path}:{exc.lineno}: {exc.message}")
                    except (OSError, UnicodeDecodeError) as exc:
                        errors.append(f"{path}:0: cannot read: {exc}")
        try:
            self._sender_addresses()
        except RenderError as exc:
            errors.append(str(exc))
        today = date.today()
        for language in LANGUAGES:
            for name in TEMPLATE_NAMES:
                variant = name if name in ("broken_promise", "thank_you") else "standard"
                tier = "direct" if variant != "standard" else name
                try:
                    self.render_parts(sample_action(language, tier, variant, today), today=today)
                except RenderError as exc:
                    message = str(exc)
                    if message not in errors:
                        errors.append(message)
        return errors


# ---------------------------------------------------------------- helpers


def _sorted(invoices: Iterable[Invoice]) -> list[Invoice]:
    return sorted(invoices, key=lambda i: (i.due_date, i.invoice, i.row))


def _totals(pairs: Iterable[tuple[str, Decimal]]) -> list[Total]:
    """Per-currency sums, in order of first appearance; currencies are never added together."""
    sums: dict[str, Decimal] = {}
    for currency, amount in pairs:
        sums[currency] = sums.get(currency, Decimal("0")) + amount
    return [Total(c, a) for c, a in sums.items()]


def _round(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _tidy_text(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip() + "\n"


def _recipient(email: str, column: str) -> str:
    """A customer's address as the reader let it through; anything else is refused here
    too, so no path to the envelope skips the rule (`addresses.is_valid`)."""
    addr = email.strip()
    if not addresses.is_valid(addr):
        raise BadAddress(f"invalid email address {_shorten(header_safe(addr), 120)!r} ({column})")
    return addr


def _display_name(name: str) -> str:
    return _shorten(header_safe(name), MAX_DISPLAY_NAME)


def _message_id(value: str | None) -> str:
    """The id of the message being followed up (without <>), or "" if it is not one."""
    first = header_safe(value or "").strip("<> ").split(" ", 1)[0].strip("<>")
    return first if first.isascii() and _MESSAGE_ID.fullmatch(first) else ""


def _filename(name: str) -> str:
    """An attachment's name fit for Content-Disposition: one line, at most MAX_FILENAME
    characters, its extension kept."""
    text = header_safe(name) or "attachment"
    if len(text) <= MAX_FILENAME and len(text.encode("utf-8")) <= 2 * MAX_FILENAME:
        return text
    stem, dot, ext = text.rpartition(".")
    suffix = f".{ext}" if dot and stem and len(ext) <= 10 else ""
    stem = stem if suffix else text
    keep = MAX_FILENAME - len(suffix)
    while keep > 1 and len((stem[:keep] + suffix).encode("utf-8")) > 2 * MAX_FILENAME:
        keep -= 1  # non-ASCII names are percent-encoded: up to 12 characters each
    return stem[:keep].rstrip() + suffix


def _cte(body: str) -> str:
    """Quoted-printable for mostly-ASCII bodies (readable in the .eml), base64 for Hebrew.

    Choosing up front spares the email package from encoding each body every way.
    """
    extra_bytes = len(body.encode("utf-8")) - len(body)
    return "quoted-printable" if extra_bytes * 8 < len(body) else "base64"


def _mime_type(filename: str) -> tuple[str, str]:
    guessed, encoding = mimetypes.guess_type(filename)
    if not guessed or encoding:
        return "application", "octet-stream"
    maintype, _, subtype = guessed.partition("/")
    return maintype, subtype


# ---------------------------------------------------------------- sample debtor

_SAMPLE_DAYS = {"courtesy": -2, "friendly": 9, "direct": 21, "plan": 42, "final": 68}
_SAMPLES: dict[str, dict[str, Any]] = {
    "en": {
        "customer": "Harbour Lane Bakery Ltd",
        "email": "accounts@harbourlane.example",
        "phone": "+972-3-555-0142",
        "invoices": (
            ("INV-1042", "4680.00", "ILS"),
            ("INV-1057", "1250.00", "ILS"),
            ("INV-1063", "1200.00", "USD"),
        ),
    },
    "he": {
        "customer": "מאפיית השדה בע״מ",
        "email": "office@hasade.example",
        "phone": "04-855-0142",
        "invoices": (
            ("20451", "4680.00", "ILS"),
            ("20466", "1250.00", "ILS"),
            ("20479", "2310.50", "ILS"),
        ),
    },
}


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
    data = _SAMPLES.get(normalize_language(language), _SAMPLES["en"])
    days = _SAMPLE_DAYS.get(tier, 21)
    if variant == "broken_promise":
        days = max(days, 18)
    invoices = []
    for n, (number, amount, currency) in enumerate(data["invoices"]):
        due = today - timedelta(days=days - (0, 7, 16)[n])
        paid = variant == "thank_you"
        invoices.append(
            Invoice(
                row=2 + n,
                customer=data["customer"],
                invoice=number,
                due_date=due,
                invoice_date=due - timedelta(days=30),
                amount=Decimal(amount),
                balance=Decimal("0") if paid else Decimal(amount),
                currency=currency,
                email=data["email"],
                language=language,
                phone=data["phone"],
                promise_date=today - timedelta(days=4)
                if variant == "broken_promise" and n == 0
                else None,
            )
        )
    fees: tuple[FeeLine, ...] = ()
    if policy is not None:
        fees = _configured_fees(tuple(invoices), tier, variant, today, policy)
    elif tier in ("plan", "final") and variant == "standard":
        fees = (FeeLine("late_fee", "ILS", Decimal("50.00")),)
        if tier == "final":
            fees += (FeeLine("interest", "ILS", Decimal("41.27"), "4%"),)
    balance = {t.currency: t.amount for t in _totals((i.currency, i.balance) for i in invoices)}
    return Action(
        debtor=f"email:{data['email']}",
        customer=data["customer"],
        email=data["email"],
        kind="send",
        reason=f"sample {tier} {variant}",
        tier=tier,
        variant=variant,  # type: ignore[arg-type]
        language=language,
        invoices=tuple(invoices),
        balance=balance,
        fees=fees,
        phone=data["phone"],
    )


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


def builtin_renderer(**kwargs: Any) -> Renderer:
    """A Renderer with default sender, locale and policy (previews, tests)."""
    kwargs.setdefault("sender", SenderConfig())
    kwargs.setdefault("locale", LocaleConfig())
    kwargs.setdefault("policy", default_policy())
    return Renderer(**kwargs)


__all__ = [
    "BadAddress",
    "MissingAttachment",
    "RenderError",
    "RenderedParts",
    "Renderer",
    "SheetProblem",
    "builtin_renderer",
    "sample_action",
    "template_names",
]
