"""The policy as an ordered list of rules: `RULES`. The first rule that decides, wins.

A rule is a small function of one `Context`. It either decides (returns the debtor's
`Action`), passes (returns None), or narrows the context for the rules after it (returns a
new `Context`: the tier rules choose the tier, variant and reason a reminder would carry).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from ..models import Action
from .calendar import holiday_of, next_send_day, send_days, why_not_send_day
from .context import Context
from .money import below_minimum, totals
from .wording import (
    CREDIT_NOTE,
    PAID,
    bounced_text,
    cadence_text,
    fmt_days,
    how_to_approve,
    overdue_text,
    reason,
    replied_text,
    unread_text,
)

Rule = Callable[[Context], Action | Context | None]

# -- nothing to remind of ---------------------------------------------------------------------


def unread_rows(ctx: Context) -> Action | None:
    """A row of the debtor's could not be used (a finding skipped it): a reminder would leave
    its invoice out of the total and the age, so none is sent until it is fixed. After the
    rules that keep the debtor out or on the call list anyway (those stand), before those
    that would email them."""
    if not ctx.unread:
        return None
    return ctx.action("skip", unread_text(ctx.unread))


def thank_you(ctx: Context) -> Action | None:
    """Paid in full after a reminder: a thank-you note for what that reminder listed (only
    with `thank_you = true`, once per invoice, and only to an email address)."""
    last = ctx.last
    if ctx.open or not ctx.policy.thank_you or not ctx.email or last is None:
        return None
    if ctx.unread:  # a row of theirs could not be used: it may be unpaid
        return None
    thanked = ctx.history.thanked_invoices
    paid = tuple(i for i in ctx.invoices if i.invoice in last.invoices and i.invoice not in thanked)
    if not paid:
        return None
    return ctx.action(
        "send",
        "paid in full after a reminder: thank-you note",
        tier=last.tier,
        variant="thank_you",
        invoices=paid,
        balance={},
        excluded=(),
    )


def paid(ctx: Context) -> Action | None:
    """Nothing open: skip as paid, or as a credit note when there is nothing but credit."""
    if ctx.open:
        return None
    settled = tuple(i for i in ctx.invoices if i.balance == 0)
    if not settled:  # only credit notes: nothing is paid, nothing is owed
        return ctx.action("skip", CREDIT_NOTE, invoices=ctx.invoices, balance={}, excluded=())
    credit_rows = tuple((i.row, CREDIT_NOTE) for i in ctx.credits)
    return ctx.action("skip", PAID, invoices=settled, balance={}, excluded=credit_rows)


def do_not_contact(ctx: Context) -> Action | None:
    """One open invoice marked do-not-contact keeps the whole debtor out."""
    if not any(i.do_not_contact for i in ctx.open):
        return None
    return ctx.action(
        "skip",
        reason("do not contact", "do_not_contact"),
        invoices=ctx.open,
        balance=totals(ctx.open),
        excluded=ctx.paid_rows,
    )


def all_set_aside(ctx: Context) -> Action | None:
    """Every open invoice is disputed, on hold or promised (see exclusions.SET_ASIDE): skip
    until the first of them may be reminded again."""
    if ctx.contactable:
        return None
    reasons = tuple(dict.fromkeys(s.why for _, s in ctx.set_aside))
    resume = [s.resume for _, s in ctx.set_aside if s.resume is not None]
    return ctx.action(
        "skip",
        reason("; ".join(reasons), "all_of", reasons=reasons),
        invoices=ctx.open,
        balance=totals(ctx.open),
        next_date=min(resume) if resume else None,
    )


def bounced(ctx: Context) -> Action | None:
    """An address in the debtor's cells bounced (the inbox found the server's report): no
    more mail to it; the owner calls, and a changed address cell lifts it."""
    if not ctx.history.bounces:
        return None
    latest = max(ctx.history.bounces, key=lambda b: b.day)
    return ctx.action("manual", bounced_text(latest), call="bounced")


def replied(ctx: Context) -> Action | None:
    """The debtor answered a reminder and the owner has not dealt with it yet: nothing is
    sent. A reply that says it paid puts the debtor on the call list to check."""
    if not ctx.history.replies:
        return None
    latest = max(ctx.history.replies, key=lambda r: r.day)
    paid_hint = any(r.paid_hint for r in ctx.history.replies)
    if paid_hint:
        return ctx.action("manual", replied_text(latest, paid=True), call="check_paid")
    return ctx.action("skip", replied_text(latest, paid=False))


def credit_covers(ctx: Context) -> Action | None:
    """Credit notes that bring the balance below the minimum: nothing is owed."""
    if not ctx.credits:
        return None
    net = totals([*ctx.contactable, *ctx.credits])
    if not below_minimum(net, ctx.policy):
        return None
    return ctx.action(
        "skip", reason("credit notes cover the balance", "credit_covers"), balance=net
    )


def credit_notes(ctx: Context) -> Action | None:
    """Credit notes beside open invoices: what is owed is uncertain, the owner checks."""
    if not ctx.credits:
        return None
    notes = ", ".join(f"{c.invoice} ({c.balance} {c.currency})" for c in ctx.credits)
    return ctx.action(
        "manual",
        f"has credit notes {notes}: confirm the amount owed, then remind by hand or apply "
        f"the credit note in the sheet",
        balance=totals([*ctx.contactable, *ctx.credits]),
        call="credit_note",
    )


def minimum_balance(ctx: Context) -> Action | None:
    """Every currency's balance below `min_balance`: not worth a reminder."""
    if not below_minimum(ctx.totals, ctx.policy):
        return None
    return ctx.action("skip", reason("balance below minimum", "below_minimum"))


def not_yet_due(ctx: Context) -> Action | None:
    """Too young for any enabled tier."""
    if ctx.natural is not None:
        return None
    if ctx.days <= 0:
        when = overdue_text(ctx.days)
        return ctx.action("skip", reason(when, "not_yet_due", when=when))
    text = f"{fmt_days(ctx.days)} overdue: too early for the first reminder"
    return ctx.action("skip", reason(text, "below_first_tier", days=ctx.days))


# -- the tier: narrowing rules ----------------------------------------------------------------


def tier_by_age(ctx: Context) -> Context:
    """The tier for the debt's age. After a reminder: at most one step above the last one's
    tier, and never below it while the same debt is unpaid."""
    natural = ctx.age_tier
    last = ctx.last
    if last is None:
        return replace(ctx, tier=natural, reason=overdue_text(ctx.days))
    ladder = ctx.ladder
    tier = ladder.cap(natural, ladder.step_up(last.tier))
    same_debt = ctx.basis.invoice in last.invoices
    if same_debt and ladder.rank(tier.id) < ladder.rank(last.tier):
        tier = ladder.tier(last.tier) or tier  # the tone never drops for one debt
    reason = f"{fmt_days(ctx.days)} overdue; last reminder '{last.tier}' on {last.day.isoformat()}"
    return replace(ctx, tier=tier, reason=reason)


def broken_promise(ctx: Context) -> Context | None:
    """A promise to pay that passed unpaid: its own message, one step above the last
    reminder (or the age's tier), and by email: a call-list tier gives the final notice."""
    if not ctx.broken:
        return None
    natural = ctx.age_tier
    promised = max(i.promise_date for i in ctx.broken if i.promise_date is not None)
    start = ctx.last.tier if ctx.last else natural.id
    tier = ctx.ladder.step_up(start) or natural
    top = ctx.ladder.final_notice
    if not tier.email and top is not None:
        tier = top
    return replace(
        ctx,
        tier=tier,
        variant="broken_promise",
        reason=f"broken promise: promised {promised.isoformat()}, still unpaid",
    )


def first_contact_cap(ctx: Context) -> Context | None:
    """A first reminder never opens above `first_contact_max` (the debtor is not warned yet)."""
    if ctx.last is not None:
        return None
    tier = ctx.chosen
    capped = ctx.ladder.cap(tier, ctx.ladder.first_contact_max)
    if capped.id == tier.id:
        return None
    reason = ctx.reason
    if ctx.variant == "standard":
        reason += f"; no earlier reminder, so starting at '{capped.id}' rather than '{tier.id}'"
    return replace(ctx, tier=capped, reason=reason)


# -- what stops or changes a reminder ---------------------------------------------------------


def cadence(ctx: Context) -> Action | None:
    """Too soon after the last reminder: `cadence_days`, or `repeat_final_days` to repeat the
    final notice or a call-list tier."""
    last = ctx.last
    if last is None:
        return None
    tier = ctx.chosen
    since = (ctx.today - last.day).days
    wait = ctx.ladder.repeat_days(tier) if tier.id == last.tier else ctx.policy.cadence_days
    if since >= wait:
        return None
    when = last.day + timedelta(days=wait)
    return ctx.action(
        "skip",
        cadence_text(since, last, when),
        tier=last.tier,  # where the debtor stands, not the tier it may rise to
        variant=ctx.variant,
        next_date=when,
        call=ctx.call,
    )


def call_list_tier(ctx: Context) -> Action | None:
    """A tier that sends no email (`email = false`): the owner calls."""
    tier = ctx.chosen
    if tier.email:
        return None
    return ctx.action(
        "manual",
        f"{fmt_days(ctx.days)} overdue: call the customer; consider legal advice",
        tier=tier.id,
        call="overdue",
    )


def no_address(ctx: Context) -> Action | None:
    """No valid email address: the owner calls, at the first phone number the sheet has."""
    if ctx.email is not None:
        return None
    with_phone = next((i for i in ctx.contactable if i.phone), None)
    phone = f": call {with_phone.phone}" if with_phone else ""
    return ctx.action(
        "manual",
        f"no valid email address{phone}",
        tier=ctx.chosen.id,
        variant=ctx.variant,
        call="no_address",
    )


def approval(ctx: Context) -> Action | None:
    """A tier with `approve = true` waits for the owner's approval of this debt."""
    tier = ctx.chosen
    if not tier.approve or ctx.approved:
        return None
    return ctx.action(
        "await_approval",
        _needs_approval(tier.id) + how_to_approve(ctx.approved_column),
        tier=tier.id,
        variant=ctx.variant,
        fees=ctx.fees,
        call=ctx.call,
    )


def _needs_approval(tier: str) -> str:
    """ "the final notice needs your approval: " (a tier the owner configured to approve)."""
    named = "the final notice" if tier == "final" else f"the '{tier}' reminder"
    return f"{named} needs your approval: "


def send_day(ctx: Context) -> Action | None:
    """Not on a day off (the weekend, a public holiday): deferred to the next send day."""
    not_today = why_not_send_day(ctx.today, ctx.policy)
    if not not_today:
        return None
    when = next_send_day(ctx.today, ctx.policy)
    if ctx.today.isoweekday() not in send_days(ctx.policy):
        text = f"not a send day ({not_today}); next send day {when.isoformat()}"
        why = reason(text, "day_off", weekday=ctx.today.isoweekday(), when=when)
    else:  # the holiday's name: the owner's side says it in the owner's language
        name = holiday_of(ctx.today, ctx.policy) or ""
        text = f"not a send day ({name or not_today}); next send day {when.isoformat()}"
        country = ctx.policy.country
        why = reason(text, "holiday", name=name, when=when, day=ctx.today, country=country)
    return ctx.action(
        "defer",
        why,
        tier=ctx.chosen.id,
        variant=ctx.variant,
        fees=ctx.fees,
        call=ctx.call,
        next_date=when,
    )


def send(ctx: Context) -> Action:
    """Nothing stands in the way: send, and say when the next reminder may follow."""
    tier = ctx.chosen
    after = ctx.today + timedelta(days=ctx.ladder.repeat_days(tier))
    return ctx.action(
        "send",
        ctx.reason,
        tier=tier.id,
        variant=ctx.variant,
        fees=ctx.fees,
        call=ctx.call,
        next_date=next_send_day(after, ctx.policy),
    )


RULES: tuple[Rule, ...] = (
    thank_you,  # send: paid in full after a reminder (thank_you = true)
    paid,  # skip: nothing open
    do_not_contact,  # skip: an open invoice says so
    all_set_aside,  # skip: every open invoice disputed, on hold or promised
    bounced,  # manual: an address of the debtor's bounced (call list)
    replied,  # skip: a reply the owner has not dealt with (manual: it says it paid)
    credit_covers,  # skip: credit notes cover the balance
    credit_notes,  # manual: credit notes beside the debt
    minimum_balance,  # skip: below min_balance
    not_yet_due,  # skip: below the first tier
    tier_by_age,  # narrows: the tier for the age, at most one step above the last
    broken_promise,  # narrows: one step up, the broken-promise message
    first_contact_cap,  # narrows: no higher than first_contact_max at first
    cadence,  # skip: too soon after the last reminder
    call_list_tier,  # manual: the tier sends no email
    no_address,  # manual: no valid email address
    unread_rows,  # skip: a row of the debtor's could not be used, what is owed is not known
    approval,  # await_approval: the tier needs the owner's approval
    send_day,  # defer: not a send day
    send,  # send
)
"""The policy, in order. The first rule to return an Action decides."""


def decide(ctx: Context, rules: tuple[Rule, ...] = RULES) -> Action:
    """Walk `rules` in order: narrow the context where a rule narrows it, stop at the first
    action."""
    for rule in rules:
        outcome = rule(ctx)
        if isinstance(outcome, Action):
            return outcome
        if outcome is not None:
            ctx = outcome
    raise LookupError("no rule decided: the last rule must always return an action")
