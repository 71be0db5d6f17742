"""The owned cells the write-back is asked to change: stable from run to run, in column order."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from xlsdun import policy
from xlsdun.config import OWNED_COLUMNS_DEFAULT as OWNED
from xlsdun.config import PolicyConfig
from xlsdun.models import Contact, DebtorHistory, Finding, Invoice, Receivables
from xlsdun.sheetview import action_status, owned_updates

TODAY = date(2026, 10, 15)
KEY_OF = {header: key for key, header in OWNED.items()}


def _apply(owned: dict[int, dict[str, object]], updates: dict[int, dict[str, object]]) -> dict:
    """The sheet's owned cells after the write-back wrote `updates` (as the reader reads them)."""
    after = {row: dict(cells) for row, cells in owned.items()}
    for row, cells in updates.items():
        after.setdefault(row, {}).update({KEY_OF[h]: v for h, v in cells.items()})
    return after


def test_a_debtor_with_a_disputed_and_a_held_invoice_settles_after_one_write() -> None:
    """Both invoices are the skip action's and also its excluded ones: the excluded wording
    wins, and once the sheet says it, nothing is rewritten (it used to flip every day)."""
    invoices = (
        Invoice(
            2, "Acme", "INV-1", date(2026, 9, 1), Decimal("100"), "ILS", "a@acme.com", disputed=True
        ),
        Invoice(
            3,
            "Acme",
            "INV-2",
            date(2026, 9, 2),
            Decimal("50"),
            "ILS",
            "a@acme.com",
            hold_until=date(2026, 10, 30),
        ),
    )
    plan = policy.plan(Receivables(invoices=invoices), {}, TODAY, PolicyConfig())
    owned: dict[int, dict[str, object]] = {}
    first = owned_updates(Receivables(invoices, owned=owned), plan, {}, {}, OWNED)
    assert {row: cells[OWNED["status"]] for row, cells in first.items()} == {
        2: "Not sent: disputed",
        3: "Not sent: on hold until 30 Oct 2026",  # the owner's date form
    }
    owned = _apply(owned, first)
    for _ in range(3):
        assert owned_updates(Receivables(invoices, owned=owned), plan, {}, {}, OWNED) == {}


def test_new_columns_come_in_their_order_even_when_the_first_row_has_a_finding() -> None:
    invoices = (
        Invoice(2, "Acme", "INV-1", date(2026, 9, 1), Decimal("100"), "ILS", "a@acme.com"),
        Invoice(
            3,
            "Beta",
            "INV-2",
            date(2026, 9, 10),
            Decimal("50"),
            "ILS",
            "b@beta.com",
            hold_until=date(2026, 10, 20),
        ),
    )
    history = {
        "email:a@acme.com": DebtorHistory(contacts=(Contact(date(2026, 10, 1), "friendly"),))
    }
    receivables = Receivables(
        invoices=invoices, findings=(Finding(2, "cc", "invalid cc address 'x'", "INV-1"),)
    )
    plan = policy.plan(receivables, history, TODAY, PolicyConfig())
    updates = owned_updates(receivables, plan, history, {}, OWNED)
    headers = list(dict.fromkeys(h for cells in updates.values() for h in cells))
    assert headers == [OWNED[k] for k in ("status", "last", "level", "count", "next")]
    assert "(cc: invalid cc address 'x')" in str(updates[2][OWNED["status"]])


def test_paid_and_credit_note_rows_get_a_status_and_no_reminder_cells() -> None:
    """A paid invoice's row got Reminder level, Last reminder and Next reminder; a negative
    amount said "Paid" (issue 12)."""
    from xlsdun.config import default_policy

    def row(n: int, balance: str, who: str = "a@acme.com") -> Invoice:
        return Invoice(n, "Acme", f"INV-{n}", date(2026, 9, 1), Decimal(balance), "ILS", who)

    history = {"email:a@acme.com": DebtorHistory(contacts=(Contact(date(2026, 10, 1), "direct"),))}
    stale = {key: "old" for key in ("last", "level", "count", "next")}  # cells written earlier
    owned = {2: dict(stale), 3: dict(stale), 4: {}}
    receivables = Receivables(
        (row(2, "0"), row(3, "-500", "b@beta.com"), row(4, "120")), owned=owned
    )
    plan = policy.plan(receivables, history, TODAY, default_policy())
    updates = owned_updates(receivables, plan, history, {}, OWNED)
    blank = {OWNED[k]: None for k in ("last", "level", "count", "next")}
    assert updates[2] == {OWNED["status"]: "Paid", **blank}
    assert updates[3] == {OWNED["status"]: "Credit note", **blank}
    assert updates[4][OWNED["level"]] == "direct" and updates[4][OWNED["next"]] is not None
    mixed = Receivables((row(5, "0"), row(6, "-80")), owned={5: dict(stale), 6: dict(stale)})
    plan = policy.plan(mixed, {}, TODAY, default_policy())
    updates = owned_updates(mixed, plan, {}, {}, OWNED)
    assert (updates[5][OWNED["status"]], updates[6][OWNED["status"]]) == ("Paid", "Credit note")


def test_several_findings_on_a_row_are_all_in_its_status_once() -> None:
    """A skipped row lists its findings after "Skipped:"; a row that is also a debtor's invoice
    keeps its own status and gets each finding in brackets. Written once, they stay."""
    invoices = (Invoice(2, "Acme", "INV-1", date(2026, 9, 1), Decimal("100"), "ILS", "a@acme.com"),)
    findings = (
        Finding(5, "due_date", "not a date", "INV-9"),
        Finding(2, "cc", "invalid cc address 'x'", "INV-1"),
        Finding(5, "amount", "not a number", "INV-9"),
        Finding(2, "phone", "not a phone number", "INV-1"),
    )
    receivables = Receivables(invoices=invoices, findings=findings)
    plan = policy.plan(receivables, {}, TODAY, PolicyConfig())
    updates = owned_updates(receivables, plan, {}, {}, OWNED)
    assert list(updates) == [2, 5]
    assert updates[5] == {OWNED["status"]: "Skipped: due_date: not a date; amount: not a number"}
    status = action_status(plan.actions[0], None)
    assert updates[2][OWNED["status"]] == (
        f"{status} (cc: invalid cc address 'x') (phone: not a phone number)"
    )
    owned = _apply({}, updates)
    again = Receivables(invoices=invoices, findings=findings, owned=owned)
    assert owned_updates(again, plan, {}, {}, OWNED) == {}
