"""Who gets which reminder today: `plan(receivables, history, today, policy) -> Plan`.

A pure function of its inputs. It never reads the clock, the ledger or the workbook, so
every rule can be tested with plain values and dates chosen around each boundary.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import NotRequired, TypedDict

from .config import PolicyConfig, Tier
from .models import (
    Action,
    CallReason,
    Contact,
    DebtorHistory,
    FeeLine,
    Invoice,
    Plan,
    Receivables,
    Variant,
)

CENT = Decimal("0.01")
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# -- calendar -------------------------------------------------------------------------------


def send_days(policy: PolicyConfig) -> tuple[int, ...]:
    """ISO weekdays on which reminders go out: configured, else the country's working week."""
    if policy.send_days is not None:
        return policy.send_days
    return (7, 1, 2, 3, 4) if policy.country == "IL" else (1, 2, 3, 4, 5)


@lru_cache(maxsize=64)
def holidays_of(country: str, year: int) -> dict[date, str]:
    """The country's public holidays in `year`, from the `holidays` library (imported here:
    with its Hebrew calendar it costs 75 ms, which a run with a cached table never pays)."""
    import holidays as holidays_lib

    try:
        return dict(holidays_lib.country_holidays(country, years=[year]))
    except NotImplementedError:
        return {}


def why_not_send_day(day: date, policy: PolicyConfig) -> str | None:
    """None on a send day; otherwise why not ("Saturday", "Yom Kippur")."""
    if day.isoweekday() not in send_days(policy):
        return _DAY_NAMES[day.weekday()]
    if policy.skip_holidays:
        table = policy.holidays.get(day.year)
        if table is None:
            table = holidays_of(policy.country, day.year)
        name = table.get(day)
        if name:
            return f"public holiday ({name})"
    return None


def next_send_day(day: date, policy: PolicyConfig) -> date:
    """The first send day on or after `day`."""
    for offset in range(0, 30):
        candidate = day + timedelta(days=offset)
        if why_not_send_day(candidate, policy) is None:
            return candidate
    return day


# -- history ---------------------------------------------------------------------------------


def history_from_sheet(
    receivables: Receivables, known: Iterable[str], policy: PolicyConfig
) -> dict[str, DebtorHistory]:
    """Contacts recorded by hand in the sheet's own `Reminder level`/`Last reminder` columns.

    Used only for debtors the ledger knows nothing about (a first run, or a lost ledger), so
    that a customer already warned by hand is not sent a first friendly reminder again.
    """
    known = set(known)
    tier_ids = {t.id for t in policy.ladder}
    found: dict[str, Contact] = {}
    for inv in receivables.invoices:
        key = inv.debtor_key
        if key in known or inv.reminder_level not in tier_ids or inv.last_reminder is None:
            continue
        current = found.get(key)
        if current is None or (inv.last_reminder, _rank(policy, inv.reminder_level)) > (
            current.day,
            _rank(policy, current.tier),
        ):
            found[key] = Contact(day=inv.last_reminder, tier=inv.reminder_level)
    return {k: DebtorHistory(contacts=(c,)) for k, c in found.items()}


# -- the plan --------------------------------------------------------------------------------


def _rank(policy: PolicyConfig, tier_id: str) -> int:
    for i, t in enumerate(policy.ladder):
        if t.id == tier_id:
            return i
    return -1


def _enabled(policy: PolicyConfig) -> list[Tier]:
    return [t for t in policy.ladder if t.enabled]


def natural_tier(days_overdue: int, policy: PolicyConfig) -> Tier | None:
    """The enabled tier whose range covers `days_overdue`; the top tier beyond the last range."""
    enabled = _enabled(policy)
    for tier in enabled:
        if tier.covers(days_overdue):
            return tier
    if enabled and days_overdue > (enabled[-1].max_days or 0) and enabled[-1].max_days is not None:
        return enabled[-1]
    # days between two ranges (a gap in a custom ladder): the highest tier already reached
    below = [t for t in enabled if t.min_days <= days_overdue]
    return below[-1] if below else None


def _cap(tier: Tier, ceiling: Tier | None, policy: PolicyConfig) -> Tier:
    if ceiling is not None and _rank(policy, tier.id) > _rank(policy, ceiling.id):
        return ceiling
    return tier


def _step_up(from_tier_id: str, policy: PolicyConfig) -> Tier | None:
    """The next enabled tier above `from_tier_id` (or that tier itself at the top)."""
    enabled = _enabled(policy)
    rank = _rank(policy, from_tier_id)
    above = [t for t in enabled if _rank(policy, t.id) > rank]
    if above:
        return above[0]
    same = [t for t in enabled if t.id == from_tier_id]
    return same[0] if same else (enabled[-1] if enabled else None)


def _top_email_tier(policy: PolicyConfig) -> Tier | None:
    emailing = [t for t in _enabled(policy) if t.email]
    return emailing[-1] if emailing else None


def _totals(invoices: Iterable[Invoice]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(lambda: Decimal("0"))
    for inv in invoices:
        totals[inv.currency] += inv.balance
    return dict(sorted(totals.items()))


def _below_minimum(totals: dict[str, Decimal], policy: PolicyConfig) -> bool:
    return all(amount < policy.min_balance for amount in totals.values())


def fees_for(
    invoices: tuple[Invoice, ...], tier: Tier, basis: Invoice, today: date, policy: PolicyConfig
) -> tuple[FeeLine, ...]:
    lines: list[FeeLine] = []
    if tier.late_fee > 0:
        lines.append(FeeLine("late_fee", basis.currency, tier.late_fee.quantize(CENT)))
    if policy.late_interest_annual > 0:
        interest: dict[str, Decimal] = defaultdict(lambda: Decimal("0"))
        for inv in invoices:
            days = (today - inv.due_date).days
            if days > 0:
                interest[inv.currency] += inv.balance * policy.late_interest_annual * days / 365
        for currency, amount in sorted(interest.items()):
            amount = amount.quantize(CENT, rounding=ROUND_HALF_UP)
            if amount > 0:
                rate = f"{policy.late_interest_annual * 100:g}%"
                lines.append(FeeLine("interest", currency, amount, rate))
    return tuple(lines)


def _overdue_text(days: int) -> str:
    if days > 0:
        return f"{_fmt_days(days)} overdue"
    return "due today" if days == 0 else f"due in {_fmt_days(-days)}"


def _cadence_text(since: int, last: Contact, when: date) -> str:
    if since > 0:
        done = f"cadence: last reminder ('{last.tier}') {_fmt_days(since)} ago"
    elif since == 0:
        done = f"already reminded today ('{last.tier}')"
    else:
        return f"a reminder is recorded for a later date ({last.day.isoformat()})"
    return f"{done}; next reminder on {when.isoformat()} at the earliest"


def how_to_approve(approved_column: bool, command: str = "'xlsdun approve'") -> str:
    """The owner's two ways to approve (the plan, the summary and the digest say it alike),
    naming the Approved column only if the sheet has one."""
    if approved_column:
        return f"write yes in the Approved column or run {command}"
    return f"run {command} (or add an Approved column to the sheet and write yes in it)"


def _fmt_days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


class _Debtor(TypedDict):
    """The `Action` fields that every action for one debtor shares."""

    debtor: str
    customer: str
    email: str | None
    language: str
    phone: str | None
    cc: tuple[str, ...]
    previous_message_id: str | None
    excluded: NotRequired[tuple[tuple[int, str], ...]]


class _Listed(TypedDict):
    """The invoices an action is about, and their totals."""

    invoices: tuple[Invoice, ...]
    balance: dict[str, Decimal]


def plan_debtor(
    key: str,
    invoices: list[Invoice],
    history: DebtorHistory,
    today: date,
    policy: PolicyConfig,
    *,
    approved_column: bool = True,
) -> Action:
    """The one action for one debtor today (`approved_column`: the sheet has one to approve in)."""
    invoices = sorted(invoices, key=lambda i: (i.due_date, i.invoice, i.row))
    first = invoices[0]
    open_ = [i for i in invoices if i.balance > 0]
    credits = [i for i in invoices if i.balance < 0]
    last = history.last
    base = _Debtor(
        debtor=key,
        customer=first.customer,
        email=next((i.email for i in invoices if i.email), None),
        language=next((i.language for i in invoices if i.language), "en") or "en",
        phone=next((i.phone for i in invoices if i.phone), None),
        cc=tuple(dict.fromkeys(c for i in invoices for c in i.cc)),
        previous_message_id=last.message_id if last else None,
    )

    if not open_:
        paid_after_contact = [
            i.invoice
            for i in invoices
            if last and i.invoice in last.invoices and i.invoice not in history.thanked_invoices
        ]
        if policy.thank_you and paid_after_contact and base["email"]:
            return Action(
                **base,
                kind="send",
                reason="paid in full after a reminder: thank-you note",
                tier=last.tier if last else None,
                variant="thank_you",
                invoices=tuple(i for i in invoices if i.invoice in paid_after_contact),
            )
        paid = tuple(i for i in invoices if i.balance == 0)
        credit_rows = tuple((i.row, "credit note") for i in invoices if i.balance < 0)
        if not paid:  # only credit notes: nothing is paid, nothing is owed
            return Action(**base, kind="skip", reason="credit note", invoices=tuple(invoices))
        base["excluded"] = credit_rows
        return Action(**base, kind="skip", reason="paid", invoices=paid)

    paid_rows = tuple(
        (i.row, "paid" if i.balance == 0 else "credit note") for i in invoices if i.balance <= 0
    )
    base["excluded"] = paid_rows
    if any(i.do_not_contact for i in open_):
        return Action(
            **base,
            kind="skip",
            reason="do not contact",
            invoices=tuple(open_),
            balance=_totals(open_),
        )

    grace = timedelta(days=policy.promise_grace_days)
    excluded: list[tuple[Invoice, str, date | None]] = []
    contactable: list[Invoice] = []
    broken: list[Invoice] = []
    for inv in open_:
        if inv.disputed:
            excluded.append((inv, "disputed", None))
        elif inv.hold_until and today <= inv.hold_until:
            excluded.append(
                (
                    inv,
                    f"on hold until {inv.hold_until.isoformat()}",
                    inv.hold_until + timedelta(days=1),
                )
            )
        elif inv.promise_date and today <= inv.promise_date + grace:
            excluded.append(
                (
                    inv,
                    f"promise date {inv.promise_date.isoformat()}",
                    inv.promise_date + grace + timedelta(days=1),
                )
            )
        else:
            contactable.append(inv)
            if inv.promise_date and not any(
                c.variant == "broken_promise" and c.day > inv.promise_date for c in history.contacts
            ):
                broken.append(inv)
    base["excluded"] = paid_rows + tuple((inv.row, why) for inv, why, _ in excluded)
    if not contactable:
        reasons = list(dict.fromkeys(r for _, r, _ in excluded))
        resume = [d for _, _, d in excluded if d is not None]
        return Action(
            **base,
            kind="skip",
            reason="; ".join(reasons),
            invoices=tuple(open_),
            balance=_totals(open_),
            next_date=min(resume) if resume else None,
        )

    totals = _totals(contactable)
    if credits:
        net = _totals([*contactable, *credits])
        if _below_minimum(net, policy):
            return Action(
                **base,
                kind="skip",
                reason="credit notes cover the balance",
                invoices=tuple(contactable),
                balance=net,
            )
        notes = ", ".join(f"{c.invoice} ({c.balance} {c.currency})" for c in credits)
        return Action(
            **base,
            kind="manual",
            reason=f"has credit notes {notes}: check what is really "
            f"owed, then remind by hand or settle the credit in the sheet",
            invoices=tuple(contactable),
            balance=net,
            call="credit_note",
        )
    if _below_minimum(totals, policy):
        return Action(
            **base,
            kind="skip",
            reason="balance below minimum",
            invoices=tuple(contactable),
            balance=totals,
        )

    if policy.tier_basis == "largest":
        basis = max(contactable, key=lambda i: (i.balance, -i.due_date.toordinal()))
    else:
        basis = contactable[0]
    days = (today - basis.due_date).days
    natural = natural_tier(days, policy)
    common = _Listed(invoices=tuple(contactable), balance=totals)
    if natural is None:
        return Action(
            **base,
            kind="skip",
            reason=f"not yet due ({_overdue_text(days)})"
            if days <= 0
            else f"{_fmt_days(days)} overdue: below the first tier",
            **common,
        )

    variant: Variant = "standard"
    if broken:
        variant = "broken_promise"
        promised = max(i.promise_date for i in broken if i.promise_date is not None)
        start = last.tier if last else natural.id
        tier = _step_up(start, policy) or natural
        top = _top_email_tier(policy)
        if not tier.email and top is not None:
            tier = top
        if last is None:  # the promise was made outside xlsdun: the first-contact cap holds
            tier = _cap(tier, _tier_or_none(policy, policy.first_contact_max), policy)
        reason = f"broken promise: promised {promised.isoformat()}, still unpaid"
    elif last is None:
        tier = _cap(natural, _tier_or_none(policy, policy.first_contact_max), policy)
        reason = _overdue_text(days)
        if tier.id != natural.id:
            reason += f"; first contact, so '{tier.id}' rather than '{natural.id}'"
    else:
        tier = _cap(natural, _step_up(last.tier, policy), policy)
        same_debt = basis.invoice in last.invoices
        if same_debt and _rank(policy, tier.id) < _rank(policy, last.tier):
            tier = _tier_or_none(policy, last.tier) or tier  # the tone never drops for one debt
        reason = f"{_fmt_days(days)} overdue; last reminder '{last.tier}' on {last.day.isoformat()}"

    call: CallReason | None = "overdue" if not natural.email or not tier.email else None
    if last is not None:
        since = (today - last.day).days
        wait = policy.cadence_days
        if tier.id == last.tier == "final" or (tier.id == last.tier and not tier.email):
            wait = max(wait, policy.repeat_final_days)
        if since < wait:
            when = last.day + timedelta(days=wait)
            return Action(
                **base,
                kind="skip",
                tier=last.tier,  # where the debtor stands, not the tier it may rise to
                variant=variant,
                reason=_cadence_text(since, last, when),
                next_date=when,
                call=call,
                **common,
            )

    if not tier.email:
        return Action(
            **base,
            kind="manual",
            tier=tier.id,
            call="overdue",
            reason=f"{_fmt_days(days)} overdue: call the customer; consider legal advice",
            **common,
        )

    if base["email"] is None:
        bad = next((i for i in contactable if i.phone), None)
        phone = f": call {bad.phone}" if bad else ""
        return Action(
            **base,
            kind="manual",
            tier=tier.id,
            variant=variant,
            call="no_address",
            reason=f"no valid email address{phone}",
            **common,
        )

    fees = fees_for(tuple(contactable), tier, basis, today, policy)
    approved = any(i.approved for i in contactable) or any(
        (tier.id, i.invoice) in history.approvals for i in contactable
    )
    if tier.approve and not approved:
        return Action(
            **base,
            kind="await_approval",
            tier=tier.id,
            variant=variant,
            fees=fees,
            call=call,
            reason=f"'{tier.id}' needs your approval: " + how_to_approve(approved_column),
            **common,
        )

    not_today = why_not_send_day(today, policy)
    if not_today:
        when = next_send_day(today, policy)
        return Action(
            **base,
            kind="defer",
            tier=tier.id,
            variant=variant,
            fees=fees,
            call=call,
            reason=f"not a send day ({not_today}); next send day {when.isoformat()}",
            next_date=when,
            **common,
        )

    return Action(
        **base,
        kind="send",
        tier=tier.id,
        variant=variant,
        fees=fees,
        call=call,
        reason=reason,
        next_date=next_send_day(today + timedelta(days=_wait_after(tier, policy)), policy),
        **common,
    )


def _wait_after(tier: Tier, policy: PolicyConfig) -> int:
    """Days until the next reminder after one at `tier` (a final notice repeats more slowly)."""
    if tier.id == "final":
        return max(policy.cadence_days, policy.repeat_final_days)
    return policy.cadence_days


def _tier_or_none(policy: PolicyConfig, tier_id: str) -> Tier | None:
    try:
        return policy.tier(tier_id)
    except KeyError:
        return None


def plan(
    receivables: Receivables,
    history: Mapping[str, DebtorHistory],
    today: date,
    policy: PolicyConfig,
) -> Plan:
    """Decide, for every debtor in the receivables, what to do today and why."""
    groups: dict[str, list[Invoice]] = defaultdict(list)
    for inv in receivables.invoices:
        groups[inv.debtor_key].append(inv)
    empty = DebtorHistory()
    sheet = receivables.sheet
    approved_column = sheet is None or "approved" in sheet.fields
    actions = [
        plan_debtor(
            key, invs, history.get(key, empty), today, policy, approved_column=approved_column
        )
        for key, invs in groups.items()
    ]
    actions.sort(key=lambda a: (a.customer.casefold(), a.debtor))
    return Plan(
        today=today,
        actions=tuple(actions),
        findings=receivables.findings,
        send_day=why_not_send_day(today, policy) is None,
        next_send_day=next_send_day(today, policy),
        approved_column=approved_column,
        contacted_today=sum(
            1 for key in groups if (h := history.get(key)) and h.last and h.last.day == today
        ),
    )
