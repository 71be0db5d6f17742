"""Each policy rule alone, on a context built by hand; the ladder's derived properties; a
renamed ladder. (test_policy.py tests the rules together, through `plan`.)"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from xlsdun.config import PolicyConfig, Tier, default_policy
from xlsdun.models import Action, Contact, DebtorHistory, Invoice, Receivables
from xlsdun.policy import Context, context_for, plan, rules
from xlsdun.policy.exclusions import (
    SET_ASIDE,
    SetAside,
    broken_promise,
    disputed,
    on_hold,
    promised,
    set_aside,
)
from xlsdun.policy.ladder import Ladder, natural_tier
from xlsdun.render import envelope

TODAY = date(2026, 11, 26)  # a Thursday: a send day in Israel
SATURDAY = date(2026, 11, 28)
POLICY = default_policy()


def inv(days_overdue: int = 20, **kw: object) -> Invoice:
    fields: dict[str, object] = dict(
        row=5,
        customer="Acme Ltd",
        invoice="INV-1",
        due_date=TODAY - timedelta(days=days_overdue),
        balance=Decimal("100.00"),
        currency="ILS",
        email="pay@acme.example.com",
        language="en",
    )
    fields.update(kw)
    return Invoice(**fields)  # type: ignore[arg-type]


def contact(tier: str, days_ago: int, variant: str = "standard", *invoices: str) -> Contact:
    return Contact(TODAY - timedelta(days=days_ago), tier, variant, "<m1@acme>", invoices)  # type: ignore[arg-type]


def ctx(
    *invoices: Invoice,
    history: DebtorHistory | None = None,
    today: date = TODAY,
    policy: PolicyConfig = POLICY,
    **narrowed: object,
) -> Context:
    """The context of one debtor; `narrowed` sets what the tier rules would have chosen
    (`tier` by id)."""
    built = context_for(
        "email:pay@acme.example.com",
        list(invoices or (inv(),)),
        history or DebtorHistory(),
        today,
        policy,
    )
    if isinstance(narrowed.get("tier"), str):
        narrowed["tier"] = policy.tier(str(narrowed["tier"]))
    return replace(built, **narrowed)  # type: ignore[arg-type]


def history(*contacts: Contact, **kw: object) -> DebtorHistory:
    return DebtorHistory(contacts=contacts, **kw)  # type: ignore[arg-type]


# -- the order --------------------------------------------------------------------------------


def test_the_rules_read_as_one_list_in_order() -> None:
    assert [r.__name__ for r in rules.RULES] == [
        "thank_you",
        "paid",
        "do_not_contact",
        "all_set_aside",
        "bounced",
        "replied",
        "credit_covers",
        "credit_notes",
        "minimum_balance",
        "not_yet_due",
        "tier_by_age",
        "broken_promise",
        "first_contact_cap",
        "cadence",
        "call_list_tier",
        "no_address",
        "unread_rows",
        "approval",
        "send_day",
        "send",
    ]


def test_decide_narrows_then_stops_at_the_first_action() -> None:
    seen: list[str] = []

    def narrow(c: Context) -> Context:
        seen.append("narrow")
        return replace(c, reason="narrowed")

    def passes(c: Context) -> None:
        seen.append("passes")

    def acts(c: Context) -> Action:
        seen.append("acts")
        return c.action("skip", c.reason)

    def never(c: Context) -> Action:
        raise AssertionError("after the first action")

    action = rules.decide(ctx(), (passes, narrow, acts, never))
    assert (action.reason, seen) == ("narrowed", ["passes", "narrow", "acts"])
    with pytest.raises(LookupError):
        rules.decide(ctx(), (passes,))


# -- the context ------------------------------------------------------------------------------


def test_context_sorts_the_invoices_and_works_out_the_facts_once() -> None:
    c = ctx(
        inv(5, invoice="B", row=7, phone="050-1", cc=("cc@acme.example.com",)),
        inv(40, invoice="A", row=6, language=None),
        inv(60, invoice="P", row=8, balance=Decimal("0")),
        inv(10, invoice="CN", row=9, balance=Decimal("-10")),
        inv(30, invoice="D", row=10, disputed=True),
        history=history(contact("direct", 3)),
    )
    assert [i.invoice for i in c.invoices] == ["P", "A", "D", "CN", "B"]
    assert [i.invoice for i in c.open] == ["A", "D", "B"]
    assert [i.invoice for i in c.contactable] == ["A", "B"]
    assert [i.invoice for i in c.credits] == ["CN"]
    assert c.paid_rows == ((8, "paid"), (9, "credit note"))
    assert c.excluded == ((8, "paid"), (9, "credit note"), (10, "disputed"))
    assert c.totals == {"ILS": Decimal("200.00")}
    assert (c.basis.invoice, c.days, c.natural and c.natural.id) == ("A", 40, "plan")
    assert (c.language, c.phone, c.cc) == ("en", "050-1", ("cc@acme.example.com",))
    assert c.last == contact("direct", 3)
    with pytest.raises(LookupError):
        c.chosen  # noqa: B018 - no tier rule has run


def test_context_basis_largest() -> None:
    policy = replace(POLICY, tier_basis="largest")
    c = ctx(inv(40, invoice="A"), inv(5, invoice="B", balance=Decimal("900")), policy=policy)
    assert (c.basis.invoice, c.natural and c.natural.id) == ("B", "friendly")


def test_an_action_lists_the_contactable_invoices_unless_told() -> None:
    c = ctx(inv(20, invoice="A"), inv(20, invoice="P", row=6, balance=Decimal("0")))
    action = c.action("skip", "why")
    assert action.invoice_ids == ("A",) and action.balance == {"ILS": Decimal("100.00")}
    assert action.excluded == ((6, "paid"),) and action.previous_message_id is None
    other = c.action("skip", "why", invoices=(), balance={}, excluded=())
    assert (other.invoices, other.balance, other.excluded) == ((), {}, ())


# -- the invoice rules (exclusions.SET_ASIDE) -------------------------------------------------


def test_disputed() -> None:
    assert disputed(inv(disputed=True), TODAY, POLICY) == SetAside("disputed")
    assert disputed(inv(), TODAY, POLICY) is None


def test_on_hold_until_and_including_the_day() -> None:
    held = inv(hold_until=TODAY)
    assert on_hold(held, TODAY, POLICY) == SetAside("on hold until 2026-11-26", date(2026, 11, 27))
    assert on_hold(held, TODAY + timedelta(days=1), POLICY) is None
    assert on_hold(inv(), TODAY, POLICY) is None


def test_promised_holds_through_the_grace_days() -> None:
    promise = inv(promise_date=TODAY - timedelta(days=2))  # grace: 2 days
    assert promised(promise, TODAY, POLICY) == SetAside(
        "promised to pay by 2026-11-24", TODAY + timedelta(1)
    )
    assert promised(promise, TODAY + timedelta(days=1), POLICY) is None
    assert promised(inv(), TODAY, POLICY) is None


def test_the_first_invoice_rule_gives_the_reason() -> None:
    assert [r.__name__ for r in SET_ASIDE] == ["disputed", "on_hold", "promised"]
    both = inv(disputed=True, hold_until=TODAY)
    assert set_aside(both, TODAY, POLICY) == SetAside("disputed")
    assert set_aside(inv(), TODAY, POLICY) is None


def test_broken_promise_until_answered_by_its_reminder() -> None:
    late = inv(promise_date=TODAY - timedelta(days=5))
    assert broken_promise(late, DebtorHistory())
    assert not broken_promise(inv(), DebtorHistory())
    answered = history(contact("plan", 1, "broken_promise"))
    assert not broken_promise(late, answered)
    before = history(contact("plan", 9, "broken_promise"))  # before the promise: not an answer
    assert broken_promise(late, before)


# -- nothing to remind of ---------------------------------------------------------------------


def test_thank_you() -> None:
    paid = inv(balance=Decimal("0"))
    reminded = history(contact("direct", 5, "standard", "INV-1"))
    on = replace(POLICY, thank_you=True)
    action = rules.thank_you(ctx(paid, history=reminded, policy=on))
    assert action is not None
    assert (action.kind, action.tier, action.variant) == ("send", "direct", "thank_you")
    assert action.invoice_ids == ("INV-1",) and action.excluded == ()
    assert rules.thank_you(ctx(paid, history=reminded)) is None  # off by default
    thanked = replace(reminded, thanked_invoices=frozenset({"INV-1"}))
    assert rules.thank_you(ctx(paid, history=thanked, policy=on)) is None
    assert rules.thank_you(ctx(paid, policy=on)) is None  # never reminded
    assert rules.thank_you(ctx(replace(paid, email=None), history=reminded, policy=on)) is None
    assert rules.thank_you(ctx(inv(), history=reminded, policy=on)) is None  # still open


def test_paid() -> None:
    action = rules.paid(
        ctx(inv(balance=Decimal("0")), inv(invoice="CN", row=6, balance=Decimal("-5")))
    )
    assert action is not None
    assert (action.kind, action.reason, action.invoice_ids) == ("skip", "paid", ("INV-1",))
    assert action.excluded == ((6, "credit note"),)
    only_credit = rules.paid(ctx(inv(balance=Decimal("-5"))))
    assert only_credit is not None and only_credit.reason == "credit note"
    assert rules.paid(ctx(inv())) is None


def test_do_not_contact() -> None:
    c = ctx(inv(do_not_contact=True), inv(invoice="P", row=6, balance=Decimal("0")))
    action = rules.do_not_contact(c)
    assert action is not None
    assert (action.kind, action.reason, action.excluded) == (
        "skip",
        "do not contact",
        ((6, "paid"),),
    )
    assert rules.do_not_contact(ctx(inv())) is None
    # on a paid invoice the flag holds nothing back (the paid rule has that debtor)
    assert rules.do_not_contact(ctx(inv(balance=Decimal("0"), do_not_contact=True))) is None


def test_all_set_aside() -> None:
    c = ctx(
        inv(invoice="A", disputed=True),
        inv(invoice="B", row=6, hold_until=TODAY + timedelta(days=1)),
        inv(invoice="C", row=7, promise_date=TODAY),
        inv(invoice="D", row=8, disputed=True),
    )
    action = rules.all_set_aside(c)
    assert action is not None
    assert action.reason == "disputed; on hold until 2026-11-27; promised to pay by 2026-11-26"
    assert action.next_date == TODAY + timedelta(days=2)  # the hold ends before the grace
    assert action.invoice_ids == ("A", "B", "C", "D")
    assert rules.all_set_aside(ctx(inv(disputed=True), inv(invoice="B", row=6))) is None


def test_credit_covers() -> None:
    c = ctx(inv(balance=Decimal("100")), inv(invoice="CN", row=6, balance=Decimal("-100")))
    action = rules.credit_covers(c)
    assert action is not None
    assert (action.kind, action.reason) == ("skip", "credit notes cover the balance")
    part = ctx(inv(balance=Decimal("100")), inv(invoice="CN", row=6, balance=Decimal("-30")))
    assert rules.credit_covers(part) is None
    assert rules.credit_covers(ctx(inv())) is None


def test_credit_notes() -> None:
    c = ctx(inv(balance=Decimal("100")), inv(invoice="CN", row=6, balance=Decimal("-30")))
    action = rules.credit_notes(c)
    assert action is not None
    assert (action.kind, action.call, action.balance) == ("manual", "credit_note", {"ILS": 70})
    assert action.reason.startswith("has credit notes CN (-30 ILS): confirm the amount owed")
    assert rules.credit_notes(ctx(inv())) is None


def test_minimum_balance() -> None:
    action = rules.minimum_balance(ctx(inv(balance=Decimal("0.99"))))
    assert action is not None and action.reason == "balance below minimum"
    assert rules.minimum_balance(ctx(inv(balance=Decimal("1.00")))) is None
    # one currency above the minimum is enough
    usd = inv(invoice="U", row=6, currency="USD", balance=Decimal("5"))
    assert rules.minimum_balance(ctx(inv(balance=Decimal("0.5")), usd)) is None


def test_not_yet_due() -> None:
    action = rules.not_yet_due(ctx(inv(-2)))
    assert action is not None and action.reason == "due in 2 days"
    late_start = replace(
        POLICY,
        ladder=tuple(replace(t, min_days=5) if t.id == "friendly" else t for t in POLICY.ladder),
    )
    action = rules.not_yet_due(ctx(inv(3), policy=late_start))
    assert (
        action is not None and action.reason == "3 days overdue: too early for the first reminder"
    )
    assert rules.not_yet_due(ctx(inv(1))) is None


# -- the tier ---------------------------------------------------------------------------------


def test_tier_by_age_first_contact() -> None:
    c = rules.tier_by_age(ctx(inv(70)))
    assert (c.chosen.id, c.reason) == ("final", "70 days overdue")  # capped by the next rule


def test_tier_by_age_rises_at_most_one_step_and_never_drops_for_one_debt() -> None:
    c = rules.tier_by_age(ctx(inv(70), history=history(contact("friendly", 7))))
    assert c.chosen.id == "direct"
    assert c.reason == "70 days overdue; last reminder 'friendly' on 2026-11-19"
    same_debt = history(contact("plan", 10, "standard", "INV-1"))
    assert rules.tier_by_age(ctx(inv(5), history=same_debt)).chosen.id == "plan"
    new_debt = history(contact("plan", 10, "standard", "OLD"))
    assert rules.tier_by_age(ctx(inv(5), history=new_debt)).chosen.id == "friendly"


def test_broken_promise_rule() -> None:
    late = inv(20, promise_date=TODAY - timedelta(days=5))
    c = rules.broken_promise(ctx(late, history=history(contact("direct", 10)), tier="direct"))
    assert c is not None
    assert (c.chosen.id, c.variant) == ("plan", "broken_promise")
    assert c.reason == "broken promise: promised 2026-11-21, still unpaid"
    # one step above a final notice is the call list: a broken promise is still emailed
    c = rules.broken_promise(ctx(late, history=history(contact("final", 20)), tier="final"))
    assert c is not None and c.chosen.id == "final"
    assert rules.broken_promise(ctx(inv(20), tier="direct")) is None


def test_first_contact_cap() -> None:
    c = rules.first_contact_cap(ctx(inv(95), tier="escalate", reason="95 days overdue"))
    assert c is not None and c.chosen.id == "plan"
    assert (
        c.reason
        == "95 days overdue; no earlier reminder, so starting at 'plan' rather than 'escalate'"
    )
    broken = ctx(inv(70), tier="final", variant="broken_promise", reason="broken promise")
    c = rules.first_contact_cap(broken)
    assert c is not None and (c.chosen.id, c.reason) == ("plan", "broken promise")
    assert rules.first_contact_cap(ctx(inv(20), tier="direct")) is None
    later = ctx(inv(70), history=history(contact("plan", 7)), tier="final")
    assert rules.first_contact_cap(later) is None


# -- what stops or changes a reminder ---------------------------------------------------------


def test_cadence() -> None:
    c = ctx(inv(40), history=history(contact("friendly", 6)), tier="direct")
    action = rules.cadence(c)
    assert action is not None
    assert (action.kind, action.tier, action.next_date) == (
        "skip",
        "friendly",
        TODAY + timedelta(1),
    )
    assert action.reason.startswith("waiting between reminders: last one (friendly) 6 days ago")
    assert (
        rules.cadence(
            replace(c, history=history(contact("friendly", 7)), last=contact("friendly", 7))
        )
        is None
    )
    assert rules.cadence(ctx(inv(40), tier="plan")) is None  # first contact


def test_cadence_repeats_the_final_notice_and_the_call_list_slower() -> None:
    final = ctx(inv(80), history=history(contact("final", 13)), tier="final")
    action = rules.cadence(final)
    assert action is not None and action.next_date == TODAY + timedelta(days=1)
    assert rules.cadence(replace(final, last=contact("final", 14))) is None
    called = ctx(inv(120), history=history(contact("escalate", 10)), tier="escalate")
    action = rules.cadence(called)
    assert action is not None and action.call == "overdue"


def test_call_list_tier() -> None:
    action = rules.call_list_tier(ctx(inv(120), tier="escalate"))
    assert action is not None
    assert (action.kind, action.tier, action.call) == ("manual", "escalate", "overdue")
    assert action.reason == "120 days overdue: call the customer; consider legal advice"
    assert rules.call_list_tier(ctx(inv(70), tier="final")) is None


def test_no_address() -> None:
    c = ctx(inv(20, email=None, phone="050-1234567"), tier="direct")
    action = rules.no_address(c)
    assert action is not None
    assert (action.kind, action.call, action.tier) == ("manual", "no_address", "direct")
    assert action.reason == "no valid email address: call 050-1234567"
    assert rules.no_address(ctx(inv(20), tier="direct")) is None


def test_approval() -> None:
    c = ctx(inv(70), tier="final")
    action = rules.approval(c)
    assert action is not None and action.kind == "await_approval"
    assert action.reason.startswith(
        "the final notice needs your approval: write yes in the Approved"
    )
    assert rules.approval(ctx(inv(70, approved=True), tier="final")) is None
    by_command = history(contact("plan", 10), approvals=frozenset({("final", "INV-1")}))
    assert rules.approval(ctx(inv(70), history=by_command, tier="final")) is None
    assert rules.approval(ctx(inv(40), tier="plan")) is None


def test_send_day() -> None:
    action = rules.send_day(ctx(inv(20), today=SATURDAY, tier="direct"))
    assert action is not None
    assert (action.kind, action.next_date) == ("defer", date(2026, 11, 29))
    assert action.reason == "not a send day (Saturday); next send day 2026-11-29"
    assert rules.send_day(ctx(inv(20), tier="direct")) is None


def test_send() -> None:
    action = rules.send(ctx(inv(20), tier="direct", reason="20 days overdue"))
    assert (action.kind, action.tier, action.reason) == ("send", "direct", "20 days overdue")
    assert action.next_date == date(2026, 12, 3)  # in cadence_days, a Thursday
    final = rules.send(ctx(inv(70, approved=True), tier="final", reason="r"))
    assert final.next_date == date(2026, 12, 10)  # the final notice: in repeat_final_days


def test_a_send_carries_the_thread_of_its_debt() -> None:
    """References: the earlier reminders about these invoices, oldest first, then the last
    one; a reminder about another debt is not part of this thread; only a send has one."""
    older = [
        Contact(TODAY - timedelta(days=d), "friendly", "standard", f"<{mid}@acme>", invs)
        for d, mid, invs in ((30, "a", ("INV-1",)), (20, "b", ("INV-9",)), (10, "c", ()))
    ]
    context = ctx(inv(40), history=history(*older), tier="direct", reason="r")
    action = rules.send(context)
    assert action.thread == ("<a@acme>", "<c@acme>")
    assert context.action("skip", "paid").thread == ()
    parent = envelope.message_id(action.previous_message_id)
    assert envelope.references(action.thread, parent) == ["a@acme", "c@acme"]
    # the last reminder was about another debt: the chain still ends with it, the parent
    other = ctx(inv(40), history=history(*older[:2]), tier="direct", reason="r")
    action = rules.send(other)
    assert (action.thread, action.previous_message_id) == (("<a@acme>",), "<b@acme>")
    parent = envelope.message_id(action.previous_message_id)
    assert envelope.references(action.thread, parent) == ["a@acme", "b@acme"]


def test_a_send_names_its_earlier_reminders_by_day_and_its_first_subject() -> None:
    """`earlier`: the days of the reminders about these invoices (a hand-kept one, naming
    no invoice, included), oldest first and each once, never today's; `first_subject`: the
    first known subject of the thread (older sends have none)."""
    older = [
        Contact(TODAY - timedelta(days=30), "friendly", "standard", "<a@acme>", ("INV-1",)),
        Contact(TODAY - timedelta(days=25), "friendly", "standard", "<x@acme>", ("INV-9",)),
        Contact(TODAY - timedelta(days=20), "direct", "standard", "<b@acme>", ("INV-1",), "S1"),
        Contact(TODAY - timedelta(days=20), "direct", "standard", None, ()),
        Contact(TODAY - timedelta(days=10), "plan", "standard", "<c@acme>", (), "S2"),
        Contact(TODAY, "plan", "standard", "<d@acme>", ("INV-1",), "S3"),
    ]
    action = rules.send(ctx(inv(40), history=history(*older), tier="plan", reason="r"))
    days = (30, 20, 10)
    assert action.earlier == tuple(TODAY - timedelta(days=d) for d in days)
    assert action.first_subject == "S1"
    # no earlier reminder about this debt: nothing to name, no subject to follow
    alone = rules.send(ctx(inv(40), history=history(older[1]), tier="plan", reason="r"))
    assert (alone.earlier, alone.first_subject) == ((), None)
    assert ctx(inv(40), history=history(*older)).action("skip", "paid").earlier == ()


def test_the_contact_is_the_first_one_the_debtors_invoices_name() -> None:
    rows = (
        inv(40, invoice="A", contact=None),
        inv(30, invoice="B", contact="  "),
        inv(20, invoice="C", contact="Dana"),
        inv(10, invoice="D", contact="Avi"),
    )
    assert rules.send(ctx(*rows, tier="direct", reason="r")).contact == "Dana"
    assert rules.send(ctx(inv(40), tier="direct", reason="r")).contact is None


# -- the ladder's shape, not its names --------------------------------------------------------


def test_ladder_properties_of_the_default_ladder() -> None:
    ladder = Ladder.of(POLICY)
    assert ladder.final_notice == POLICY.tier("final")
    assert ladder.first_contact_max == POLICY.tier("plan")
    assert [ladder.repeat_days(POLICY.tier(t)) for t in ("plan", "final", "escalate")] == [
        7,
        14,
        14,
    ]
    assert ladder.step_up("friendly") == POLICY.tier("direct")
    assert ladder.step_up("escalate") == POLICY.tier("escalate")  # the top stays the top
    assert ladder.step_up("courtesy") == POLICY.tier("friendly")  # a disabled tier, too
    assert ladder.cap(POLICY.tier("final"), POLICY.tier("plan")) == POLICY.tier("plan")
    assert ladder.cap(POLICY.tier("direct"), POLICY.tier("plan")) == POLICY.tier("direct")
    assert (ladder.rank("courtesy"), ladder.rank("escalate"), ladder.rank("panic")) == (0, 5, -1)
    no_escalate = replace(
        POLICY, ladder=tuple(replace(t, enabled=t.id != "escalate") for t in POLICY.ladder)
    )
    assert (natural_tier(200, no_escalate) or POLICY.tier("plan")).id == "final"


RENAMED = PolicyConfig(
    ladder=(
        Tier("gentle", 1, 20),
        Tier("firm", 21, 40),
        Tier("last-word", 41, 70, approve=True),
        Tier("phone", 71, None, email=False),
    ),
    first_contact_max="firm",
    cadence_days=5,
    repeat_final_days=21,
)


def one(
    invoice: Invoice, hist: DebtorHistory | None = None, policy: PolicyConfig = RENAMED
) -> Action:
    found = plan(Receivables((invoice,)), {invoice.debtor_key: hist} if hist else {}, TODAY, policy)
    return found.actions[0]


def test_a_renamed_ladder_behaves_as_its_shape_says() -> None:
    """No tier id is special: the last tier that emails is the final notice (it repeats
    every repeat_final_days), a tier without email is the call list, first contact opens at
    first_contact_max, and a broken promise past the emails gets the final notice."""
    final = Ladder.of(RENAMED).final_notice
    assert final is not None and final.id == "last-word"
    assert (one(inv(10)).tier, one(inv(30)).tier, one(inv(60)).tier) == ("gentle", "firm", "firm")
    # the final notice: approval, then a repeat only after repeat_final_days
    sent = one(inv(60, approved=True), history(contact("firm", 5)))
    assert (sent.kind, sent.tier, sent.next_date) == ("send", "last-word", date(2026, 12, 17))
    again = one(inv(65, approved=True), history(contact("last-word", 20)))
    assert (again.kind, again.next_date) == ("skip", date(2026, 11, 27))
    assert one(inv(65, approved=True), history(contact("last-word", 21))).kind == "send"
    assert one(inv(60), history(contact("firm", 5))).kind == "await_approval"
    # a lower tier repeats after cadence_days
    assert one(inv(30), history(contact("firm", 5))).kind == "send"
    # past the emails: the call list
    called = one(inv(100), history(contact("last-word", 30)))
    assert (called.kind, called.tier, called.call) == ("manual", "phone", "overdue")
    first = one(inv(100))
    assert (first.kind, first.tier, first.call) == ("send", "firm", "overdue")
    broken = one(
        inv(100, promise_date=TODAY - timedelta(days=9), approved=True),
        history(contact("last-word", 30)),
    )
    assert (broken.kind, broken.tier, broken.variant) == ("send", "last-word", "broken_promise")


# -- a row of the debtor's that could not be read -----------------------------------------


def test_a_debtor_with_an_unread_row_gets_no_email_until_it_is_fixed() -> None:
    """What a reminder would say leaves the unread row's invoice out, so no email goes, not
    even a thank-you for paying the rows that could be read; the call list and "do not
    contact" stand as they were; the reason names the rows and is keyed for the owner."""
    owing = ctx(inv(balance=Decimal("900")), unread=(7,))
    action = rules.unread_rows(owing)
    assert action is not None and action.kind == "skip"
    assert action.reason == (
        "this customer's row 7 could not be used; once it is fixed, the reminder will go out on "
        "the next run"
    )
    assert getattr(action.reason, "key", "") == "unread_row"
    two = rules.unread_rows(ctx(inv(balance=Decimal("900")), unread=(7, 9)))
    assert two is not None and getattr(two.reason, "key", "") == "unread_rows"
    assert str(two.reason).startswith("this customer's rows 7, 9 could not be used; once they")
    assert rules.decide(owing).kind == "skip"
    assert rules.decide(ctx(inv(balance=Decimal("900")))).kind == "send"
    # paid after a reminder, but a row could not be used: no thank-you (it may be unpaid)
    thanked = replace(POLICY, thank_you=True)
    reminded = history(contact("friendly", 5, "standard", "INV-1"))
    paid = ctx(inv(balance=Decimal("0")), history=reminded, policy=thanked)
    assert rules.thank_you(paid) is not None
    assert rules.thank_you(replace(paid, unread=(7,))) is None
    # the call list and "do not contact" are what they were
    no_mail = ctx(inv(email=None, phone="050-1234567"), unread=(7,))
    assert rules.decide(no_mail).call == "no_address"
    assert rules.decide(ctx(inv(do_not_contact=True), unread=(7,))).kind == "skip"
    assert rules.decide(ctx(inv(do_not_contact=True), unread=(7,))).reason != action.reason
