"""The inbox's two policy rules, pure: a reply pauses the debtor (a "paid" reply puts them
on the call list), a bounced address in their cells puts them on the call list; what the
sheet says (do not contact, hold, promise, paid) comes first; and the sheet can handle a
reply with a new Promise date or Hold until."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from xlsdun.config import default_policy
from xlsdun.inbox.facts import bounced_by_debtor, by_debtor, sheet_handled
from xlsdun.models import Bounce, DebtorHistory, Invoice, Receivables, Reply
from xlsdun.policy import plan

TODAY = date(2026, 11, 26)
POLICY = default_policy()
REPLY = Reply(date(2026, 11, 24), "We will pay on 15 December.", promise_hint=date(2026, 12, 15))
BOUNCE = Bounce("pay@acme.example.com", "550 5.1.1 User unknown", date(2026, 11, 20))


def inv(days: int = 20, **kw: object) -> Invoice:
    values: dict[str, object] = {
        "row": 2,
        "customer": "Acme",
        "invoice": "INV-1",
        "due_date": TODAY - timedelta(days=days),
        "balance": Decimal("100"),
        "currency": "ILS",
        "email": "pay@acme.example.com",
    }
    values.update(kw)
    return Invoice(**values)  # type: ignore[arg-type]


def action(history: DebtorHistory, *invoices: Invoice):  # type: ignore[no-untyped-def]
    found = plan(
        Receivables(tuple(invoices or (inv(),))),
        {"email:pay@acme.example.com": history},
        TODAY,
        POLICY,
    )
    return found.actions[0]


def test_a_reply_pauses_the_debtor_with_its_first_line() -> None:
    a = action(DebtorHistory(replies=(REPLY,)))
    assert (a.kind, a.call) == ("skip", None)
    assert a.reason == "replied on 24 Nov: We will pay on 15 December."
    assert action(DebtorHistory()).kind == "send"  # the same debtor without it


def test_a_reply_that_says_it_paid_is_a_call_to_check() -> None:
    paid = Reply(date(2026, 11, 25), "שילמתי אתמול", paid_hint=True)
    a = action(DebtorHistory(replies=(REPLY, paid)))
    assert (a.kind, a.call) == ("manual", "check_paid")
    assert a.reason == "replied on 25 Nov: שילמתי אתמול; check whether paid"


def test_a_bounced_address_goes_on_the_call_list_with_the_servers_reason() -> None:
    a = action(DebtorHistory(bounces=(BOUNCE,), replies=(REPLY,)))
    assert (a.kind, a.call) == ("manual", "bounced")
    assert a.reason == "address bounced: 550 5.1.1 User unknown"


def test_the_sheet_comes_first() -> None:
    history = DebtorHistory(bounces=(BOUNCE,), replies=(REPLY,))
    assert action(history, inv(do_not_contact=True)).reason == "do not contact"
    assert action(history, inv(balance=Decimal("0"))).reason == "paid"
    held = action(history, inv(hold_until=TODAY + timedelta(days=5)))
    assert held.kind == "skip" and held.reason.startswith("on hold")


def test_only_the_addresses_the_cells_hold_now_count() -> None:
    bad = {BOUNCE.address: BOUNCE}
    groups = by_debtor([inv(), inv(invoice="INV-2", customer="Other", email="new@other.example")])
    assert bounced_by_debtor(groups, bad) == {"email:pay@acme.example.com": (BOUNCE,)}
    changed = by_debtor([inv(email="accounts@acme.example.com")])
    assert bounced_by_debtor(changed, bad) == {}  # the cell changed: mail resumes
    cc = by_debtor([inv(email="accounts@acme.example.com", cc=(BOUNCE.address,))])
    assert bounced_by_debtor(cc, bad) == {"email:accounts@acme.example.com": (BOUNCE,)}


def test_a_new_promise_date_or_hold_in_the_sheet_handles_the_reply() -> None:
    held_before = date(2026, 12, 1)
    reply = Reply(REPLY.day, REPLY.first_line, sheet_dates=frozenset({held_before}))
    assert sheet_handled([reply], [inv(hold_until=held_before)]) is None  # there already
    assert sheet_handled([reply], [inv(promise_date=date(2026, 11, 20))]) is None  # before it
    assert sheet_handled([reply], [inv(promise_date=date(2026, 12, 15))]) == "sheet: Promise date"
    assert sheet_handled([reply], [inv(hold_until=date(2026, 12, 2))]) == "sheet: Hold until"
