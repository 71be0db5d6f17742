"""Invariants of the policy over random receivables and histories (hypothesis)."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from xlsdun.config import default_policy
from xlsdun.models import TIER_ORDER, Action, Contact, DebtorHistory, Invoice, Receivables
from xlsdun.policy import RULES, context_for, plan

TODAY = date(2026, 11, 26)
POLICY = default_policy()
DEBTORS = [
    ("Acme", "a@acme.example.com"),
    ("בית קפה", "cafe@example.co.il"),
    ("Beta", "b@beta.example.com"),
    ("No Mail", None),
]


@st.composite
def invoices(draw: st.DrawFn) -> tuple[Invoice, ...]:
    count = draw(st.integers(1, 12))
    result = []
    for n in range(count):
        customer, email = draw(st.sampled_from(DEBTORS))
        result.append(
            Invoice(
                row=n + 2,
                customer=customer,
                invoice=f"INV-{n}",
                due_date=TODAY - timedelta(days=draw(st.integers(-10, 200))),
                balance=draw(
                    st.sampled_from(
                        [Decimal("0"), Decimal("0.5"), Decimal("120"), Decimal("4999.99")]
                    )
                ),
                currency=draw(st.sampled_from(["ILS", "ILS", "USD"])),
                email=email,
                disputed=draw(st.booleans()) and draw(st.booleans()),
                do_not_contact=draw(st.integers(0, 9)) == 0,
                approved=draw(st.booleans()),
                hold_until=draw(
                    st.none() | st.dates(TODAY - timedelta(days=20), TODAY + timedelta(days=20))
                ),
                promise_date=draw(
                    st.none() | st.dates(TODAY - timedelta(days=20), TODAY + timedelta(days=20))
                ),
            )
        )
    return tuple(result)


@st.composite
def histories(draw: st.DrawFn) -> dict[str, DebtorHistory]:
    result = {}
    for _, email in DEBTORS:
        if email and draw(st.booleans()):
            key = f"email:{email}"
            days_ago = draw(st.integers(0, 60))
            tier = draw(st.sampled_from(TIER_ORDER[1:5]))
            result[key] = DebtorHistory(contacts=(Contact(TODAY - timedelta(days=days_ago), tier),))
    return result


def rank(tier: str) -> int:
    return TIER_ORDER.index(tier)


@settings(max_examples=300, deadline=None)
@given(invoices(), histories())
def test_one_action_per_debtor(invs: tuple[Invoice, ...], hist: dict) -> None:
    p = plan(Receivables(invoices=invs), hist, TODAY, POLICY)
    keys = [a.debtor for a in p.actions]
    assert len(keys) == len(set(keys)) == len({i.debtor_key for i in invs})
    # a debtor left to the owner always says why (the summaries count calls by `call` alone)
    assert all(a.call is not None for a in p.actions if a.kind == "manual")


@settings(max_examples=300, deadline=None)
@given(invoices(), histories())
def test_no_send_to_excluded_paid_held_promised_or_disputed(invs, hist) -> None:
    grace = timedelta(days=POLICY.promise_grace_days)
    p = plan(Receivables(invoices=invs), hist, TODAY, POLICY)
    for action in p.actions:
        if action.kind not in ("send", "await_approval", "defer"):
            continue
        mine = [i for i in invs if i.debtor_key == action.debtor]
        assert not any(i.do_not_contact and i.balance > 0 for i in mine)
        assert action.email is not None
        for i in action.invoices:
            assert i.balance > 0 and not i.disputed
            assert not (i.hold_until and i.hold_until >= TODAY)
            assert not (i.promise_date and i.promise_date + grace >= TODAY)
        assert any(total >= POLICY.min_balance for total in action.balance.values())


_LONG_OVERDUE = tuple(
    Invoice(
        2 + k,
        name,
        f"INV-L{k}",
        TODAY - timedelta(days=75),
        Decimal("4999.99"),
        "ILS",
        email,
        approved=True,
    )
    for k, (name, email) in enumerate(DEBTORS[:2])
)


@settings(max_examples=300, deadline=None)
@given(invoices(), histories())
@example(_LONG_OVERDUE, {})  # approved, never contacted, 75 days overdue: the cap must hold
@example(
    _LONG_OVERDUE,
    {f"email:{DEBTORS[0][1]}": DebtorHistory((Contact(TODAY - timedelta(days=20), "friendly"),))},
)
def test_tiers_rise_at_most_one_step_and_first_contact_at_most_plan(invs, hist) -> None:
    p = plan(Receivables(invoices=invs), hist, TODAY, POLICY)
    for action in p.actions:
        if action.kind not in ("send", "await_approval"):  # both carry the tier they would send
            continue
        last = hist.get(action.debtor).last if action.debtor in hist else None
        if last is None:
            assert rank(action.tier) <= rank("plan")
        else:
            assert rank(action.tier) <= rank(last.tier) + 1


@settings(max_examples=300, deadline=None)
@given(invoices(), histories())
def test_replaying_the_day_with_recorded_history_plans_nothing_new(invs, hist) -> None:
    rec = Receivables(invoices=invs)
    first = plan(rec, hist, TODAY, POLICY)
    recorded = dict(hist)
    for action in first.sends:
        before = recorded.get(action.debtor, DebtorHistory())
        contact = Contact(TODAY, action.tier, action.variant, "<id@x>", action.invoice_ids)
        recorded[action.debtor] = replace(before, contacts=before.contacts + (contact,))
    again = plan(rec, recorded, TODAY, POLICY)
    assert again.sends == ()


@settings(max_examples=200, deadline=None)
@given(invoices(), histories(), st.randoms(use_true_random=False))
def test_plan_does_not_depend_on_row_order(invs, hist, rnd) -> None:
    shuffled = list(invs)
    rnd.shuffle(shuffled)
    a = plan(Receivables(invoices=invs), hist, TODAY, POLICY)
    b = plan(Receivables(invoices=tuple(shuffled)), hist, TODAY, POLICY)
    assert a == b


@settings(max_examples=200, deadline=None)
@given(invoices(), histories())
def test_plan_leaves_its_inputs_as_they_were(invs, hist) -> None:
    """`Invoice` is not frozen (building 200,000 frozen ones cost a tenth of the read), so
    the policy's purity is checked here instead: planning changes no invoice."""
    before = copy.deepcopy((invs, hist))
    plan(Receivables(invoices=invs), hist, TODAY, POLICY)
    plan(Receivables(invoices=invs), hist, TODAY + timedelta(days=9), POLICY)
    assert (invs, hist) == before


@settings(max_examples=200, deadline=None)
@given(invoices(), histories())
def test_no_rule_changes_the_context_it_is_given(invs, hist) -> None:
    """`Context` is not frozen (that cost a tenth of the plan), so this checks that each rule
    leaves the context it is given as it was: a narrowing rule returns a new one."""
    groups: dict[str, list[Invoice]] = {}
    for i in invs:
        groups.setdefault(i.debtor_key, []).append(i)
    for key, mine in groups.items():
        ctx = context_for(key, mine, hist.get(key, DebtorHistory()), TODAY, POLICY)
        for rule in RULES:
            before = copy.deepcopy(ctx)
            outcome = rule(ctx)
            assert ctx == before, rule.__name__
            if isinstance(outcome, Action):
                break
            if outcome is not None:
                ctx = outcome
