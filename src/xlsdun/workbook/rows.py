"""The row pass: each data row, its cells converted (convert.py), becomes an Invoice or
findings (the row is skipped, the batch goes on), a chunk at a time.

A row with nothing wrong takes the short path; any other row goes through `row_problems`,
which says what is wrong with it. Invoice numbers used on several rows are findings on each
of those rows once all rows are read.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from ..models import Finding, Invoice, Receivables, SheetInfo
from ..names import currency_code
from .coerce import due_from_terms, shown
from .columns import normalize
from .convert import Body, Chunk, Invalid

# A row, as the row pass reads it: the plain tuple zip() makes of a chunk's columns, read at
# the positions below. A NamedTuple's attribute look-ups made the short path 60% slower than
# a tuple's constant index (CPU time, 200,000 rows), and unpacking it into 26 names made a
# loop no one could read.
Row = tuple[Any, ...]
ROW, OWNED = 0, 1  # the 1-based Excel row number; the owned cells ({key: value}) or None
CUSTOMER, INVOICE = 2, 3  # text or None
INVOICE_DATE, DUE_DATE, HOLD_UNTIL, PROMISE_DATE = 4, 5, 6, 7  # date or None
TERMS = 8  # text or None
AMOUNT, PAID, BALANCE = 9, 10, 11  # (Decimal or None, the currency the cell names or None)
EMAIL, CC = 12, 13  # (first address, the other addresses, the cell's text if not valid)
CURRENCY, CUSTOMER_ID, PHONE, PAY_LINK, ATTACHMENT, NOTES = 14, 15, 16, 17, 18, 19  # text
LANGUAGE = 20  # "he" or "en"
DISPUTED, DO_NOT_CONTACT, APPROVED = 21, 22, 23  # bool
LEVEL, LAST = 24, 25  # the sheet's own record of the last reminder: text; date or None
# Any converted cell may be an `Invalid` instead in a chunk where one was rejected
# (`Chunk.checked`): every row of that chunk goes through `row_problems`.

# The fields whose columns make a row, from position 2 on.
FIELDS: tuple[str, ...] = (
    "customer",
    "invoice",
    "invoice_date",
    "due_date",
    "hold_until",
    "promise_date",
)
FIELDS += ("terms", "amount", "paid", "balance", "email", "cc", "currency", "customer_id")
FIELDS += ("phone", "pay_link", "attachment", "notes", "language", "disputed")
FIELDS += ("do_not_contact", "approved", "level", "last")

_TOTAL = {"total", "totals", "grand total", "sum", "סהכ", "סה כ", "סך הכל", "סך הכול", "סיכום"}
_ZERO = Decimal("0")
_TEXTS: tuple[tuple[int, str], ...] = (
    (CUSTOMER, "customer"),
    (INVOICE, "invoice"),
    (TERMS, "terms"),
)
_TEXTS += ((CURRENCY, "currency"), (CUSTOMER_ID, "customer_id"), (PHONE, "phone"))
_TEXTS += ((PAY_LINK, "pay_link"), (ATTACHMENT, "attachment"), (NOTES, "notes"))
_DATES: tuple[tuple[int, str], ...] = ((INVOICE_DATE, "invoice_date"), (DUE_DATE, "due_date"))
_DATES += ((HOLD_UNTIL, "hold_until"), (PROMISE_DATE, "promise_date"))
_MONEY = ((AMOUNT, "amount"), (PAID, "paid"), (BALANCE, "balance"))

Problems = list[tuple[str, str]]  # (field, what is wrong with it)


def parse_rows(
    chunks: Iterable[Chunk], body: Body, info: SheetInfo, default_currency: str
) -> Receivables:
    """Invoices from the converted columns, a chunk at a time, so that a chunk's cells are
    gone before the next is read."""
    rows = _RowPass(default_currency)
    for chunk in chunks:
        columns = [body.column(chunk.values, field) for field in FIELDS]
        rows.take(
            zip(chunk.rows, chunk.owned, *columns, strict=False), chunk.checked
        )  # repeat(): endless
    return rows.receivables(info)


class _RowPass:
    """What the rows gave so far: invoices, findings, the owned cells of each row, and the
    invoice numbers seen (a number on several rows is a finding on each)."""

    def __init__(self, default_currency: str) -> None:
        self.default_currency = default_currency
        self.currency_of: dict[object, str] = {}
        self.invoices: list[Invoice] = []
        self.findings: list[Finding] = []
        self.seen: dict[str, int] = {}
        self.duplicates: set[str] = set()
        self.owned: dict[int, dict[str, object]] = {}

    def take(self, rows: Iterable[Row], checked: bool) -> None:
        """Each row of a chunk; `checked`: a cell of the chunk was rejected, so every row
        needs a closer look."""
        invoices, seen, owned = self.invoices, self.seen, self.owned
        for cells in rows:
            invoice = cells[INVOICE]
            if invoice is None and _not_an_invoice(cells[CUSTOMER]):
                continue  # a blank row, a totals row, a note or a subtotal: not an invoice
            row = cells[ROW]
            if cells[OWNED] is not None:
                owned[row] = cells[OWNED]
            if cells[EMAIL][2] or cells[CC][2]:
                self._bad_addresses(cells)
            if invoice is not None and seen.setdefault(invoice, row) != row:
                self.duplicates.add(invoice)
            if (
                checked
                or cells[CUSTOMER] is None
                or invoice is None
                or cells[DUE_DATE] is None
                or (cells[BALANCE][0] is None and cells[AMOUNT][0] is None)
            ):
                self._look_closer(cells)
                continue
            (amount, hint), (paid, paid_hint), (balance, balance_hint) = (
                cells[AMOUNT],
                cells[PAID],
                cells[BALANCE],
            )
            if balance is None:
                balance = amount - (paid or _ZERO)
            elif balance == amount:
                balance = amount  # one object for both: Decimals are 104 bytes each
            hinted = hint or paid_hint or balance_hint
            invoices.append(self._invoice(cells, cells[DUE_DATE], amount, balance, hinted))

    def _bad_addresses(self, cells: Row) -> None:
        """A finding for an Email or Cc cell that is not a valid list of addresses."""
        for position, field in ((EMAIL, "email"), (CC, "cc")):
            bad = cells[position][2]
            if bad:
                problem = f"invalid {field} address {shown(bad)}"
                self.findings.append(Finding(cells[ROW], field, problem, cells[INVOICE]))

    def _look_closer(self, cells: Row) -> None:
        """A row that may have something wrong: its findings, or its Invoice."""
        checked = row_problems(cells)
        if checked.problems:
            row, invoice = cells[ROW], cells[INVOICE]
            self.findings += [Finding(row, f, problem, invoice) for f, problem in checked.problems]
            return
        due, balance = checked.due, checked.balance
        assert due is not None and balance is not None  # else a finding says it is missing
        self.invoices.append(self._invoice(cells, due, checked.amount, balance, checked.hinted))

    def _invoice(
        self,
        cells: Row,
        due: date,
        amount: Decimal | None,
        balance: Decimal,
        hinted: str | None,
    ) -> Invoice:
        """The row's Invoice, with its due date and money worked out; its currency is the
        Currency cell's, else the one its amounts name, else the default."""
        named = cells[CURRENCY] or hinted
        currency = self.currency_of.get(named)
        if currency is None:
            currency = self.currency_of[named] = currency_code(named, self.default_currency)
        email, cc_more, _ = cells[EMAIL]
        cc_first, cc_rest, _ = cells[CC]
        cc = ((cc_first,) if cc_first else ()) + cc_rest
        last = cells[LAST]
        return Invoice(  # positional, in the field order: faster than keywords
            cells[ROW],
            cells[CUSTOMER],
            cells[INVOICE],
            due,
            balance,
            currency,
            email,
            cells[INVOICE_DATE],
            amount,
            cells[CUSTOMER_ID],
            cells[LANGUAGE],
            cells[PHONE],
            cells[HOLD_UNTIL],
            cells[PROMISE_DATE],
            cells[DISPUTED],
            cells[DO_NOT_CONTACT],
            cells[APPROVED],
            tuple(dict.fromkeys(cc_more + cc)) if cc_more or cc else (),
            cells[PAY_LINK],
            cells[ATTACHMENT],
            cells[NOTES],
            cells[LEVEL],
            None if last.__class__ is Invalid else last,
        )

    def receivables(self, info: SheetInfo) -> Receivables:
        """All rows read: the invoices but those whose number is on several rows, and the
        findings in row order."""
        invoices, findings = self.invoices, self.findings
        if self.duplicates:
            findings += _duplicate_findings(invoices, self.duplicates)
            invoices = [i for i in invoices if i.invoice not in self.duplicates]
        findings.sort(key=lambda x: (x.row, x.field))
        return Receivables(
            invoices=tuple(invoices), findings=tuple(findings), sheet=info, owned=self.owned
        )


def _not_an_invoice(customer: object) -> bool:
    """A row without an invoice number is not an invoice if it has no customer or is a
    totals row ("Total", "סה״כ"): it is a blank row, a note or a subtotal."""
    return customer is None or normalize(customer) in _TOTAL


def _duplicate_findings(invoices: Iterable[Invoice], duplicates: set[str]) -> list[Finding]:
    """A finding on each row of an invoice number used on several rows, naming the others."""
    rows_of: dict[str, list[int]] = {}
    for inv in invoices:
        if inv.invoice in duplicates:
            rows_of.setdefault(inv.invoice, []).append(inv.row)
    findings = []
    for inv in invoices:
        if inv.invoice in duplicates:
            others = [r for r in rows_of[inv.invoice] if r != inv.row]
            findings.append(
                Finding(
                    inv.row,
                    "invoice",
                    f"duplicate invoice number {inv.invoice!r} (also in row "
                    f"{', '.join(map(str, others))})",
                    inv.invoice,
                )
            )
    return findings


class Checked(NamedTuple):
    """A row looked at closely (`row_problems`)."""

    problems: Problems  # in the order the owner reads them; none: the row is an invoice
    due: date | None  # the Due date cell's, else worked out from the invoice date and terms
    amount: Decimal | None
    balance: Decimal | None  # the Balance cell's, else the amount less what was paid
    hinted: str | None  # the first currency the amount cells name


def row_problems(cells: Row) -> Checked:
    """What is wrong with a row, as (field, problem) pairs, with its due date and money
    worked out where the sheet leaves them to xlsdun."""
    problems: Problems = []
    if cells[CUSTOMER] is None:
        problems.append(("customer", "customer name is empty"))
    if cells[INVOICE] is None:
        problems.append(("invoice", "invoice number is empty"))
    problems += _rejected(cells, _TEXTS, "text")
    problems += _rejected(cells, _DATES, "a date")
    due, due_problem = _due(cells)
    problems += due_problem
    money_problems = _rejected(cells, _MONEY, "an amount")
    problems += money_problems
    (amount, paid, balance), hinted = _amounts(cells)
    if balance is None and amount is not None:
        balance = amount - (paid or _ZERO)
    elif balance is None and not money_problems:
        problems.append(("balance", "no balance (and no amount)"))
    return Checked(problems, due, amount, balance, hinted)


def _rejected(cells: Row, fields: Iterable[tuple[int, str]], what: str) -> Problems:
    """The cells of `fields` their converter rejected, each with what its finding says."""
    return [(field, cells[at].says(what)) for at, field in fields if cells[at].__class__ is Invalid]


def _due(cells: Row) -> tuple[date | None, Problems]:
    """The due date, worked out from the invoice date and terms where the sheet has none,
    and what stops that (nothing if the Due date or Terms cell was rejected: that is said)."""
    due, terms = cells[DUE_DATE], cells[TERMS]
    if due.__class__ is Invalid:
        return None, []
    if due is not None or terms.__class__ is Invalid:
        return due, []
    invoice_date = cells[INVOICE_DATE]
    if invoice_date.__class__ is Invalid:
        invoice_date = None
    if not (invoice_date and terms):
        return None, [("due_date", "no due date (and no invoice date + terms)")]
    try:
        due = due_from_terms(invoice_date, terms)
    except OverflowError:
        return None, [("terms", f"the invoice date plus {shown(terms)} is past the year 9999")]
    if due is None:
        return None, [("terms", f"payment terms {shown(terms)} not understood")]
    return due, []


def _amounts(cells: Row) -> tuple[list[Decimal | None], str | None]:
    """The amount, paid and balance (None where rejected), and the first currency their
    cells name."""
    amounts: list[Decimal | None] = []
    hinted = None
    for at, _ in _MONEY:
        value = cells[at]
        if value.__class__ is Invalid:
            amounts.append(None)
        else:
            amount, hint = value
            amounts.append(amount)
            hinted = hinted or hint
    return amounts, hinted
