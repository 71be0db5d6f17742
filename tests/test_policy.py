"""The tone ladder, cadence and exclusions, with dates chosen around each boundary."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from xlsdun.config import default_policy
from xlsdun.models import Contact, DebtorHistory, Invoice, Receivables
from xlsdun.policy import history_from_sheet, natural_tier, plan, why_not_send_day

TODAY = date(2026, 11, 26)  # a Thursday: a send day in Israel and elsewhere
POLICY = default_policy()


def inv(days_overdue: int = 10, **kw: object) -> Invoice:
    base: dict[str, object] = dict(
        row=kw.pop("row", 5),
        customer="Acme Ltd",
        invoice=kw.pop("invoice", "INV-1"),
        due_date=TODAY - timedelta(days=days_overdue),
        balance=Decimal("100.00"),
        currency="ILS",
        email="pay@acme.example.com",
        language="en",
    )
    base.update(kw)
    return Invoice(**base)  # type: ignore[arg-type]


def one(
    *invoices: Invoice, history: DebtorHistory | None = None, today: date = TODAY, policy=POLICY
):
    hist = {invoices[0].debtor_key: history} if history else {}
    p = plan(Receivables(invoices=invoices), hist, today, policy)
    assert len(p.actions) == 1
    return p.actions[0]


def contacted(tier: str, days_ago: int, variant: str = "standard") -> DebtorHistory:
    return DebtorHistory(
        contacts=(
            Contact(
                day=TODAY - timedelta(days=days_ago),
                tier=tier,
                variant=variant,
                message_id="<m1@acme>",
            ),
        )
    )


@pytest.mark.parametrize(
    ("days", "tier"),
    [
        (0, None),
        (1, "friendly"),
        (14, "friendly"),
        (15, "direct"),
        (29, "direct"),
        (30, "plan"),
        (59, "plan"),
        (60, "final"),
        (89, "final"),
        (90, "escalate"),
        (400, "escalate"),
    ],
)
def test_natural_tier_boundaries(days: int, tier: str | None) -> None:
    found = natural_tier(days, POLICY)
    assert (found.id if found else None) == tier


@pytest.mark.parametrize(
    ("days", "kind", "tier"),
    [
        (-4, "skip", None),
        (-3, "skip", None),  # courtesy is off by default
        (0, "skip", None),
        (1, "send", "friendly"),
        (14, "send", "friendly"),
        (15, "send", "direct"),
        (29, "send", "direct"),
        (30, "send", "plan"),
        (59, "send", "plan"),
        (60, "send", "plan"),  # first contact never above plan
        (89, "send", "plan"),
        (90, "send", "plan"),  # ... and on the call list too
    ],
)
def test_first_contact(days: int, kind: str, tier: str | None) -> None:
    action = one(inv(days))
    assert (action.kind, action.tier) == (kind, tier)
    assert action.call_list == (days >= 90)


def test_courtesy_when_enabled() -> None:
    policy = replace(
        POLICY,
        ladder=tuple(replace(t, enabled=True) if t.id == "courtesy" else t for t in POLICY.ladder),
    )
    assert one(inv(-3), policy=policy).tier == "courtesy"
    assert one(inv(0), policy=policy).tier == "courtesy"
    assert one(inv(-4), policy=policy).kind == "skip"


@pytest.mark.parametrize(
    ("last", "days_overdue", "expected"),
    [
        ("friendly", 40, "direct"),  # rises at most one tier
        ("direct", 40, "plan"),
        ("plan", 70, "final"),
        ("friendly", 70, "direct"),
        ("final", 95, "escalate"),
        ("friendly", 12, "friendly"),  # same tier again after the cadence
    ],
)
def test_later_contacts_rise_one_tier(last: str, days_overdue: int, expected: str) -> None:
    action = one(inv(days_overdue, approved=True), history=contacted(last, 7))
    assert action.tier == expected


@pytest.mark.parametrize(
    ("days_ago", "kind"), [(0, "skip"), (6, "skip"), (7, "send"), (30, "send")]
)
def test_cadence(days_ago: int, kind: str) -> None:
    action = one(inv(20), history=contacted("friendly", days_ago))
    assert action.kind == kind
    if kind == "skip":
        assert action.next_date == TODAY - timedelta(days=days_ago) + timedelta(days=7)
        assert "between reminders" in action.reason or "today" in action.reason


@pytest.mark.parametrize(("days_ago", "kind"), [(13, "skip"), (14, "await_approval")])
def test_final_repeats_every_14_days(days_ago: int, kind: str) -> None:
    action = one(inv(80), history=contacted("final", days_ago))
    assert action.kind == kind


def test_final_needs_approval_and_approved_column_sends() -> None:
    assert one(inv(70), history=contacted("plan", 10)).kind == "await_approval"
    assert one(inv(70, approved=True), history=contacted("plan", 10)).kind == "send"
    approved = DebtorHistory(
        contacts=contacted("plan", 10).contacts, approvals=frozenset({("final", "INV-1")})
    )
    assert one(inv(70), history=approved).kind == "send"
    # an approval is for that debt: a new debt at the final tier needs a new one
    assert one(inv(70, invoice="INV-2"), history=approved).kind == "await_approval"


def test_escalate_is_manual_call() -> None:
    action = one(inv(120), history=contacted("final", 20))
    assert (action.kind, action.tier, action.call_list) == ("manual", "escalate", True)


@pytest.mark.parametrize(
    ("kw", "reason"),
    [
        ({"balance": Decimal("0")}, "paid"),
        ({"do_not_contact": True}, "do not contact"),
        ({"disputed": True}, "disputed"),
        ({"hold_until": TODAY}, "on hold until 2026-11-26"),
        ({"hold_until": TODAY + timedelta(days=14)}, "on hold until 2026-12-10"),
        ({"promise_date": TODAY + timedelta(days=9)}, "promised to pay by 2026-12-05"),
        ({"promise_date": TODAY - timedelta(days=2)}, "promised to pay by 2026-11-24"),  # in grace
        ({"balance": Decimal("0.99")}, "balance below minimum"),
    ],
)
def test_exclusions(kw: dict, reason: str) -> None:
    action = one(inv(20, **kw))
    assert action.kind == "skip"
    assert action.reason == reason


def test_hold_ends_the_day_after() -> None:
    assert one(inv(20, hold_until=TODAY - timedelta(days=1))).kind == "send"


def test_broken_promise_escalates_one_tier_with_its_variant() -> None:
    action = one(inv(20, promise_date=TODAY - timedelta(days=3)), history=contacted("direct", 10))
    assert (action.kind, action.tier, action.variant) == ("send", "plan", "broken_promise")
    # once the broken-promise reminder went out, the next one is a normal reminder
    after = DebtorHistory(contacts=(Contact(TODAY - timedelta(days=8), "plan", "broken_promise"),))
    action = one(inv(20, promise_date=TODAY - timedelta(days=15)), history=after)
    assert action.variant == "standard"


def test_missing_email_goes_to_call_list() -> None:
    action = one(inv(20, email=None, phone="050-1234567"))
    assert (action.kind, action.call_list) == ("manual", True)
    assert "050-1234567" in action.reason


def test_one_action_per_debtor_with_all_open_invoices_and_oldest_decides() -> None:
    invoices = (
        inv(40, invoice="A", row=5),
        inv(5, invoice="B", row=6),
        inv(-3, invoice="C", row=7),
        inv(70, invoice="D", row=8, balance=Decimal("0")),
    )
    action = one(*invoices)
    assert action.tier == "plan"
    assert action.invoice_ids == ("A", "B", "C")
    assert action.balance == {"ILS": Decimal("300.00")}
    assert action.excluded == ((8, "paid"),)


def test_largest_basis() -> None:
    policy = replace(POLICY, tier_basis="largest")
    invoices = (inv(40, invoice="A", row=5), inv(5, invoice="B", row=6, balance=Decimal("900")))
    assert one(*invoices, policy=policy).tier == "friendly"


def test_currencies_never_summed_together() -> None:
    action = one(inv(10, invoice="A"), inv(10, invoice="B", currency="USD", balance=Decimal("5")))
    assert action.balance == {"ILS": Decimal("100.00"), "USD": Decimal("5")}


def test_not_a_send_day_defers_and_names_the_next() -> None:
    saturday = date(2026, 11, 28)
    assert why_not_send_day(saturday, POLICY) == "Saturday"
    action = one(inv(10), today=saturday)
    assert action.kind == "defer"
    assert "2026-11-29" in action.reason  # Sunday is a working day in Israel
    us = replace(POLICY, country="US")
    assert one(inv(10), today=saturday, policy=us).reason.endswith("2026-11-30")


def test_public_holiday_is_not_a_send_day() -> None:
    assert "Yom Kippur" in (why_not_send_day(date(2026, 9, 21), POLICY) or "")


def test_fees_are_separate_lines() -> None:
    policy = replace(
        POLICY,
        late_interest_annual=Decimal("0.0365"),
        ladder=tuple(
            replace(t, late_fee=Decimal("25")) if t.id == "direct" else t for t in POLICY.ladder
        ),
    )
    action = one(inv(20, balance=Decimal("1000")), policy=policy)
    fees = {f.label: f.amount for f in action.fees}
    assert fees == {"late_fee": Decimal("25.00"), "interest": Decimal("2.00")}
    assert action.balance == {"ILS": Decimal("1000")}


def test_sheet_history_used_only_for_unknown_debtors() -> None:
    rec = Receivables(
        invoices=(inv(70, reminder_level="plan", last_reminder=TODAY - timedelta(days=9)),)
    )
    found = history_from_sheet(rec, (), POLICY)
    assert found[rec.invoices[0].debtor_key].last == Contact(TODAY - timedelta(days=9), "plan")
    assert history_from_sheet(rec, {rec.invoices[0].debtor_key}, POLICY) == {}


def test_plan_is_pure_and_independent_of_today_clock() -> None:
    rec = Receivables(invoices=(inv(20),))
    assert plan(rec, {}, TODAY, POLICY) == plan(rec, {}, TODAY, POLICY)


def test_tone_never_drops_for_the_same_debt_and_broken_promise_is_said_once() -> None:
    promised = TODAY - timedelta(days=12)
    first = Contact(TODAY - timedelta(days=7), "plan", "broken_promise", "<m@x>", ("INV-1",))
    action = one(inv(26, promise_date=promised), history=DebtorHistory(contacts=(first,)))
    assert (action.tier, action.variant) == ("plan", "standard")
    later = Contact(TODAY - timedelta(days=7), "plan", "standard", "<m2@x>", ("INV-1",))
    both = DebtorHistory(contacts=(first, later))
    action = one(inv(26, promise_date=promised), history=both)
    assert (action.tier, action.variant) == ("plan", "standard")


def test_a_new_younger_debt_starts_low_again() -> None:
    old = Contact(TODAY - timedelta(days=10), "plan", "standard", "<m@x>", ("OLD-1",))
    action = one(inv(5, invoice="NEW-1"), history=DebtorHistory(contacts=(old,)))
    assert action.tier == "friendly"


def test_catch_up_after_missed_days_sends_one_reminder() -> None:
    # last reminder 30 days ago, machine off since: one reminder today, one tier up, not four
    action = one(inv(45), history=contacted("friendly", 30))
    assert (action.kind, action.tier) == ("send", "direct")


def test_thank_you_only_when_enabled_and_after_a_reminder() -> None:
    paid = inv(20, balance=Decimal("0"))
    reminded = DebtorHistory(
        contacts=(Contact(TODAY - timedelta(days=5), "direct", "standard", "<m@x>", ("INV-1",)),)
    )
    assert one(paid, history=reminded).reason == "paid"
    policy = replace(POLICY, thank_you=True)
    action = one(paid, history=reminded, policy=policy)
    assert (action.kind, action.variant) == ("send", "thank_you")
    thanked = replace(reminded, thanked_invoices=frozenset({"INV-1"}))
    assert one(paid, history=thanked, policy=policy).kind == "skip"
    assert one(paid, policy=policy).kind == "skip"  # never reminded: nothing to thank for


def test_grouping_by_customer_id_over_email() -> None:
    a = inv(20, invoice="A", customer_id="C-7", email="one@acme.example.com")
    b = inv(20, invoice="B", customer_id="C-7", email="two@acme.example.com", row=6)
    p = plan(Receivables(invoices=(a, b)), {}, TODAY, POLICY)
    assert len(p.actions) == 1 and p.actions[0].invoice_ids == ("A", "B")


@pytest.mark.parametrize(("days", "tier"), [(6, "direct"), (20, "plan"), (70, "plan")])
def test_broken_promise_on_a_first_contact_keeps_the_first_contact_cap(
    days: int, tier: str
) -> None:
    action = one(inv(days, promise_date=TODAY - timedelta(days=5), approved=True))
    assert (action.tier, action.variant) == (tier, "broken_promise")


def test_credit_notes_are_never_ignored() -> None:
    invoice = inv(20, invoice="I1", balance=Decimal("1000"))
    full_credit = inv(5, invoice="CN1", balance=Decimal("-1000"), row=6)
    action = one(invoice, full_credit)
    assert (action.kind, action.reason) == ("skip", "credit notes cover the balance")
    assert dict(action.excluded)[6] == "credit note"
    part = inv(5, invoice="CN2", balance=Decimal("-300"), row=6)
    action = one(invoice, part)
    assert action.kind == "manual" and "CN2" in action.reason
    assert action.balance == {"ILS": Decimal("700")}


# -- issue 12: what the plan says about credit notes, approvals and repeat runs ---------------


def test_a_credit_note_debtor_is_called_about_the_credit_not_as_90_days_overdue() -> None:
    """59 days overdue with a credit note: on the call list *because of the credit*, which
    the digest must not call "90+ days overdue" with legal talking points."""
    action = one(inv(59), inv(20, invoice="CN-1", balance=Decimal("-30.00"), row=6))
    assert (action.kind, action.call) == ("manual", "credit_note")
    assert one(inv(120)).call == "overdue"
    assert one(inv(20, email=None)).call == "no_address"
    assert one(inv(20)).call is None and not one(inv(20)).call_list


def test_a_debtor_with_only_credit_notes_is_a_credit_note_not_paid() -> None:
    action = one(inv(10, balance=Decimal("-500.00")))
    assert (action.kind, action.reason) == ("skip", "credit note")
    mixed = one(inv(10, balance=Decimal("0")), inv(5, invoice="CN", row=6, balance=Decimal("-5")))
    assert (mixed.reason, mixed.excluded) == ("paid", ((6, "credit note"),))


def test_approval_wording_names_the_approved_column_only_if_the_sheet_has_one() -> None:
    from xlsdun.models import SheetInfo

    def sheet(*fields: str) -> SheetInfo:
        return SheetInfo("x.xlsx", "S", 1, {}, {f: i for i, f in enumerate(fields)})

    invoices = (inv(65),)
    history = {invoices[0].debtor_key: contacted("plan", 8)}
    with_column = plan(Receivables(invoices, sheet=sheet("approved")), history, TODAY, POLICY)
    without = plan(Receivables(invoices, sheet=sheet("customer")), history, TODAY, POLICY)
    assert with_column.actions[0].kind == "await_approval"
    assert "Approved column" in with_column.actions[0].reason
    assert "run 'xlsdun approve'" in without.actions[0].reason
    assert "write yes in the Approved column" not in without.actions[0].reason
    assert (with_column.approved_column, without.approved_column) == (True, False)


def test_a_repeat_run_shows_the_tier_that_was_sent_not_the_next_one() -> None:
    """Sent 'plan' today; the rerun's table said "final … already reminded today"."""
    action = one(inv(75), history=contacted("plan", 0))
    assert (action.kind, action.tier) == ("skip", "plan")
    assert "already reminded today (plan)" in action.reason
    assert "next on 2026-12-03" in action.reason
    later = one(inv(75), history=contacted("plan", 3))
    assert later.tier == "plan" and "3 days ago" in later.reason
    counted = plan(
        Receivables((inv(75),)), {inv(75).debtor_key: contacted("plan", 0)}, TODAY, POLICY
    )
    assert counted.contacted_today == 1
