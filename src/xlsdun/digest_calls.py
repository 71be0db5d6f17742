"""The digest's call list: whom the owner phones, why, and what to say.

Each card is built from data the run has *after* its sends (the ledger), never from the
plan's English reason written before them: a debtor who got a final notice in this same run
is shown with that notice as the last contact, not with the reminder before it. The talking
points are per kind of call, shown once above that kind's cards (see `groups`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from . import phones
from .config import Config
from .ledger import Ledger, SendBrief
from .models import Action, Delivery, FailureKind
from .owner_words import Words, whatsapp_text
from .send_state import SendState

CALL_ORDER: tuple[str, ...] = (
    "escalate",
    "no_address",
    "bad_address",
    "bounced",
    "check_paid",
    "attachment",
    "credit_note",
    "ambiguous",
)
"""The kinds of call, in the order the digest lists them (each a key of the talking points)."""

CONTACTED = (SendState.SENT, SendState.WRITTEN_TO_OUTBOX, SendState.AMBIGUOUS)

# The talking points for a failed send, by what failed (anything the owner fixes in the
# address or with the debtor, rather than in the attachments folder, is "bad_address").
FAILED_CALL: dict[FailureKind, str] = {
    FailureKind.ATTACHMENT: "attachment",
    FailureKind.ADDRESS: "bad_address",
    FailureKind.MESSAGE: "bad_address",
    FailureKind.REFUSED: "bad_address",
}


def amounts(balance: dict[str, Decimal], w: Words) -> tuple[str, ...]:
    """Each currency's amount as the owner reads it ("₪1,250.00", "1,250.00 ₪")."""
    return tuple(w.money(a, c) for c, a in balance.items() if a)


def open_amounts(action: Action, w: Words) -> tuple[str, ...]:
    """What the debtor still owes, currency by currency (a credit's negative sum left out)."""
    return amounts({c: a for c, a in action.balance.items() if a > 0}, w)


def balance_text(shown: tuple[str, ...]) -> str:
    """A line's or a card's amounts as one cell: "-" when nothing is owed."""
    return ", ".join(shown) or "-"


@dataclass(slots=True)
class CallItem:
    customer: str
    kind: str  # one of CALL_ORDER
    why: str
    phone: str | None
    email: str | None
    amounts: tuple[str, ...]
    detail: str
    points: tuple[str, ...]
    language: str = ""  # the debtor's language, named in the owner's
    invoices: tuple[str, ...] = ()
    last_contact: str = ""
    promises: tuple[str, ...] = ()
    dial: str | None = None  # the phone as a tel: link dials it (international form)
    whatsapp: str | None = None  # a wa.me link, for a mobile number only

    @property
    def balance(self) -> str:
        return balance_text(self.amounts)


@dataclass(slots=True)
class CallGroup:
    """One kind of call: its title and talking points once, then its cards."""

    kind: str
    title: str
    points: tuple[str, ...]
    items: list[CallItem] = field(default_factory=list)


def groups(calls: list[CallItem], w: Words) -> list[CallGroup]:
    found: dict[str, CallGroup] = {}
    for kind in CALL_ORDER:
        for c in calls:
            if c.kind == kind:
                group = found.setdefault(
                    kind, CallGroup(kind, w(f"call.kind.{kind}"), c.points, [])
                )
                group.items.append(c)
    return list(found.values())


def call_kind(action: Action, delivery: Delivery | None) -> str | None:
    """Which talking points fit: a failed send first, then the plan's own reason to call."""
    if delivery is not None and delivery.outcome == "failed":
        return FAILED_CALL[delivery.failure] if delivery.failure else "bad_address"
    if action.call == "no_address" or (action.kind == "manual" and not action.email):
        return "no_address"
    if action.call in ("credit_note", "bounced", "check_paid"):
        return action.call
    if action.call == "overdue":
        return "escalate"
    return None


def days_overdue(action: Action, today: date, w: Words) -> str:
    days = action.days_overdue(today) or 0
    if days <= 0:
        return w("call.why.escalate")
    return w.days_overdue(days)


def plan_offer(config: Config, w: Words) -> str:
    offer = w("points.plan_offer", n=config.policy.installments)
    if config.policy.early_payment_discount:
        pct = (config.policy.early_payment_discount * 100).normalize()
        offer += w("points.discount", pct=f"{pct:f}")
    return offer


def last_contacts(ledger: Ledger) -> dict[str, SendBrief]:
    """Each debtor's latest reminder in the ledger, this run's sends included."""
    latest: dict[str, SendBrief] = {}
    for rec in ledger.briefs(states=tuple(str(s) for s in CONTACTED)):
        now = latest.get(rec.debtor)
        if now is None or (rec.today, rec.id) >= (now.today, now.id):
            latest[rec.debtor] = rec
    return latest


def _last_contact(action: Action, rec: SendBrief | None, today: date, w: Words) -> str:
    """The last contact as the owner reads it: the ledger's (this run's included), else the
    sheet's own Last reminder and Reminder level."""
    day, tier, variant = None, None, "standard"
    if rec is not None:
        day, tier, variant = rec.today, rec.tier, rec.variant
    else:
        sheet = [i for i in action.invoices if i.last_reminder and i.reminder_level]
        if sheet:
            newest = max(sheet, key=lambda i: i.last_reminder or today)
            day, tier = newest.last_reminder, newest.reminder_level
    if day is None:
        return w("call.never")
    key = "call.last_contact.today" if day == today else "call.last_contact.value"
    return w(key, reminder=w.reminder(tier, variant), day=w.day(day))


def _promises(action: Action, today: date, w: Words) -> tuple[str, ...]:
    """The promise dates the sheet holds for this debt, each broken, due, kept or ahead."""
    found = []
    for inv in sorted(action.invoices, key=lambda i: (i.promise_date or today, i.invoice)):
        if inv.promise_date is None:
            continue
        if inv.balance <= 0:
            key = "call.promise.kept"
        elif inv.promise_date < today:
            key = "call.promise.broken"
        elif inv.promise_date == today:
            key = "call.promise.due"
        else:
            key = "call.promise.future"
        found.append(w(key, day=w.day(inv.promise_date)) + f" ({inv.invoice})")
    return tuple(dict.fromkeys(found))


@dataclass(frozen=True, slots=True)
class CallContext:
    """What every card of one run needs besides its action."""

    config: Config
    w: Words
    today: date
    contacts: dict[str, SendBrief]

    def reach(self, item: CallItem, action: Action | None) -> CallItem:
        """The phone as a link dials it, and a WhatsApp link with a short message in the
        debtor's language (none for a landline or a number that is no number)."""
        if not item.phone:
            return item
        country = self.config.locale.country
        intl = phones.international(item.phone, country)
        item.dial = "".join(ch for ch in intl if ch == "+" or ch.isdigit()) if intl else None
        # the person to greet: the sheet's contact where the plan carries one, else the name
        name = getattr(action, "contact", None) or item.customer
        language = action.language if action else self.config.locale.language
        sender = self.config.sender.for_language(language)  # signed as the letters are
        text = whatsapp_text(language, name, list(item.invoices), sender.name, sender.business)
        item.whatsapp = phones.whatsapp_link(item.phone, country, text)
        return item


def calls(
    actions: tuple[Action, ...], deliveries: list[Delivery], ctx: CallContext
) -> list[CallItem]:
    """The debtors to phone, from the plan and this run's failed sends."""
    by_debtor = {x.action.debtor: x for x in deliveries}
    offer = plan_offer(ctx.config, ctx.w)
    found = []
    for a in actions:
        delivery = by_debtor.get(a.debtor)
        kind = call_kind(a, delivery)
        if kind is not None:
            found.append(ctx.reach(_card(a, delivery, kind, offer, ctx), a))
    return found


def _card(
    a: Action, delivery: Delivery | None, kind: str, offer: str, ctx: CallContext
) -> CallItem:
    w = ctx.w
    failed = delivery is not None and delivery.outcome == "failed"
    return CallItem(
        customer=a.customer,
        kind=kind,
        why=days_overdue(a, ctx.today, w) if kind == "escalate" else w(f"call.why.{kind}"),
        phone=a.phone,
        email=a.email,
        amounts=open_amounts(a, w),
        detail=delivery.detail if failed and delivery else _detail(a, kind, w),
        points=w.points(kind, plan_offer=offer),
        language=w.language_name(a.language),
        invoices=tuple(i.invoice for i in a.invoices if i.balance > 0),
        last_contact=_last_contact(a, ctx.contacts.get(a.debtor), ctx.today, w),
        promises=_promises(a, ctx.today, w),
    )


def _detail(a: Action, kind: str, w: Words) -> str:
    """A line under the card beyond why and the last contact: the credit notes' list, which
    the plan gives as text (English); for a bounce the server's reason, for a reply that
    says it paid its first line, each as it came (the reason's parameters); nothing else
    repeats the plan's reason."""
    if kind in ("bounced", "check_paid"):
        params = getattr(a.reason, "params", {})
        return str(params.get("server") or params.get("line") or "")
    if kind == "credit_note" and w.language == "en":
        return a.reason
    return ""


def ambiguous_calls(
    ledger: Ledger, actions: tuple[Action, ...], ctx: CallContext
) -> list[CallItem]:
    """Every send still `ambiguous`: only the debtor can say whether it arrived."""
    by_debtor = {a.debtor: a for a in actions}
    w = ctx.w
    found = []
    for rec in ledger.sends(states=(SendState.AMBIGUOUS,)):
        action = by_debtor.get(rec.debtor)
        item = CallItem(
            customer=rec.customer,
            kind="ambiguous",
            why=w("call.why.ambiguous"),
            phone=action.phone if action else None,
            email=rec.email,
            amounts=amounts(rec.balance, w),
            detail=w(
                "call.ambiguous_detail",
                reminder=w.reminder(rec.tier, rec.variant),
                day=w.day(rec.today),
                message_id=rec.message_id or w("call.unknown"),
            ),
            points=w.points("ambiguous"),
            language=w.language_name(action.language) if action else "",
            invoices=rec.invoices,
            last_contact=w(
                "call.last_contact.value",
                reminder=w.reminder(rec.tier, rec.variant),
                day=w.day(rec.today),
            ),
        )
        found.append(ctx.reach(item, action))
    return found
