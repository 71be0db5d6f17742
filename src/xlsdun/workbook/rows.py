"""The row pass: each data row, its cells converted (convert.py), becomes an Invoice or
findings (the row is skipped, the batch goes on), a chunk at a time.

A row with nothing wrong takes the short path; any other row goes through `row_problems`,
which says what is wrong with it. Invoice numbers used on several rows are findings on each
of those rows once all rows are read.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from itertools import chain
from typing import Any

from ..models import Finding, Invoice, Receivables, SheetInfo, debtor_keys
from ..names import currency_code
from ..problems import cut, problem
from .accounting import CUSTOMER_ROW, Report
from .coerce import due_from_terms
from .columns import normalize
from .convert import DATE_FIELDS, LEDGER_FIELDS, MONEY_FIELDS, TEXT_FIELDS, Body, Chunk, Invalid

# A row, as the row pass reads it: the plain tuple zip() makes of a chunk's columns, read at
# the positions below. Unpacked into 26 names it made a loop no one could read; a NamedTuple
# would name them, but its attribute look-ups took 60% more CPU than these indexes in a loop
# like `take`'s (measured over 200,000 rows).
Row = tuple[Any, ...]
ROW = 0  # the 1-based Excel row number
CUSTOMER, INVOICE = 1, 2  # text or None
INVOICE_DATE, DUE_DATE, HOLD_UNTIL, PROMISE_DATE = 3, 4, 5, 6  # date or None
TERMS = 7  # text or None
AMOUNT, PAID, BALANCE = 8, 9, 10  # (Decimal or None, the currency the cell names or None)
EMAIL = 11  # (first address or None, the other addresses, the cell's text if not valid)
CC = 12  # (the addresses, the cell's text if not valid)
CURRENCY, CUSTOMER_ID, PHONE, PAY_LINK, ATTACHMENT, NOTES = 13, 14, 15, 16, 17, 18  # text
LANGUAGE = 19  # "he" or "en"
DISPUTED, DO_NOT_CONTACT, APPROVED = 20, 21, 22  # bool
LEVEL, LAST = 23, 24  # the sheet's own record of the last reminder: text, date (or None)
CONTACT = 25  # text: the person to greet
DEBIT, CREDIT = 26, 27  # like AMOUNT: an accounting export's columns (amount = debit - credit)
DOC_TYPE = 28  # 1 (an invoice), -1 (a receipt or credit note) or None (accounting.py)
GROUP = 29  # a row without a customer: the customer row above it (`accounting.Group`) or None
# In a chunk where a converter rejected a cell (`Chunk.checked`), a cell may hold an
# `Invalid` instead, and every row goes through `row_problems`.

# The fields whose columns make a row, from position 1 on.
FIELDS: tuple[str, ...] = ("customer", "invoice", "invoice_date", "due_date", "hold_until")
FIELDS += ("promise_date", "terms", "amount", "paid", "balance", "email", "cc", "currency")
FIELDS += ("customer_id", "phone", "pay_link", "attachment", "notes", "language", "disputed")
FIELDS += ("do_not_contact", "approved", "level", "last", "contact")
FIELDS += ("debit", "credit", "doc_type", "group")

_TOTAL = {"total", "totals", "grand total", "sum", "סהכ", "סה כ", "סך הכל", "סך הכול", "סיכום"}
_ZERO = Decimal("0")


def _at(fields: tuple[str, ...]) -> tuple[tuple[int, str], ...]:
    """(row position, field) for a group the converters check, so both use one list."""
    return tuple((FIELDS.index(f) + 1, f) for f in fields)


_TEXTS = _at(TEXT_FIELDS)
_DATES = _at(DATE_FIELDS)
_MONEY = _at(MONEY_FIELDS)
_LEDGER = _at(LEDGER_FIELDS)
_KIND = _at(("doc_type",))

Problems = list[tuple[str, str]]  # (field, what is wrong with it)


def parse_rows(
    chunks: Iterable[Chunk],
    body: Body,
    info: SheetInfo,
    default_currency: str,
    report: Report | None = None,
    shown_once: bool | None = None,
) -> Receivables:
    """Invoices from the converted columns, a chunk at a time, so that a chunk's cells are
    gone before the next is read. `report`: the sheet's accounting layout (accounting.py);
    `shown_once`: whether a customer is named once above its invoices (None: recognised)."""
    found = _RowPass(default_currency)
    for chunk in chunks:
        if report is not None:
            chunk = report.apply(chunk)
        if chunk.owned is not None:  # every row's; a row that is no invoice drops them
            found.owned.update(zip(chunk.rows, chunk.owned, strict=True))
        found.note_numbers(chunk.values.get("invoice", ()))
        columns = [body.column(chunk.values, field) for field in FIELDS]
        found.take(zip(chunk.rows, *columns, strict=False), chunk.checked)  # repeat(): endless
    return found.receivables(info, report, shown_once)


class _RowPass:
    """What the rows gave so far: invoices, findings, the owned cells of each row, and the
    invoice numbers seen (a number on several rows is a finding on each)."""

    def __init__(self, default_currency: str) -> None:
        self.default_currency = default_currency
        self.currency_of: dict[object, str] = {}
        self.invoices: list[Invoice] = []
        self.findings: list[Finding] = []
        self.seen: set[object] = set()
        self.duplicates: set[object] = set()
        self.owned: dict[int, dict[str, object]] = {}
        # a customer named once above its invoices (accounting.py): the rows without one
        # read both ways, until the end says which the sheet is (`_grouped`)
        self.grouped: _RowPass | None = None  # the rows given their customer row's customer
        self.ungrouped: list[Finding] = []  # ... and their findings if they are not
        self.heads: dict[int, list[Finding]] = {}  # rows with a customer and nothing else
        self.used: set[int] = set()  # the customer rows that rows below them belong to

    def take(self, rows: Iterable[Row], checked: bool) -> None:
        """Each row of a chunk: an Invoice, findings, or nothing (a blank or totals row).
        A row that may have something wrong goes through `_looked_at`; a row with nothing
        wrong calls no function: one call per row made the row pass take 18% more CPU
        (measured at 200,000 rows).
        `checked`: a cell of the chunk was rejected, so every row needs the closer look."""
        invoices, currency_of = self.invoices, self.currency_of
        for cells in rows:
            if (
                checked
                or cells[CUSTOMER] is None
                or cells[INVOICE] is None
                or cells[DUE_DATE] is None
                or (cells[BALANCE][0] is None and cells[AMOUNT][0] is None)
            ):
                looked_at = self._looked_at(cells)
                if looked_at is None:
                    continue
                cells = looked_at
            if cells[EMAIL][2] or cells[CC][1]:
                self._bad_addresses(cells, cells[INVOICE])
            (amount, hint), (paid, paid_hint), (balance, balance_hint) = (
                cells[AMOUNT],
                cells[PAID],
                cells[BALANCE],
            )
            if balance is None:
                balance = amount - (paid or _ZERO)
            elif balance == amount:
                balance = amount  # one object for both: Decimals are 104 bytes each
            named = cells[CURRENCY] or hint or paid_hint or balance_hint
            currency = currency_of.get(named)
            if currency is None:
                currency = currency_of[named] = currency_code(named, self.default_currency)
            cc = cells[EMAIL][1] + cells[CC][0]  # the Email cell's other addresses first
            invoices.append(
                Invoice(  # positional, in the field order: faster than keywords
                    cells[ROW],
                    cells[CUSTOMER],
                    cells[INVOICE],
                    cells[DUE_DATE],
                    balance,
                    currency,
                    cells[EMAIL][0],
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
                    tuple(dict.fromkeys(cc)) if cc else (),
                    cells[PAY_LINK],
                    cells[ATTACHMENT],
                    cells[NOTES],
                    cells[LEVEL],
                    cells[LAST],
                    cells[CONTACT],
                )
            )

    def _looked_at(self, cells: Row) -> Row | None:
        """A row that may have something wrong: None if it is no invoice (a blank row, a
        totals row, a note or a subtotal) or has findings; else the row, its due date worked
        out where the sheet has none."""
        invoice = cells[INVOICE]
        if invoice is None and _not_an_invoice(cells[CUSTOMER]):
            self.owned.pop(cells[ROW], None)
            return None
        problems, due = row_problems(cells)
        if not problems:
            return (*cells[:DUE_DATE], due, *cells[DUE_DATE + 1 :])
        if invoice.__class__ is Invalid:  # the finding says so; the number is unknown
            invoice = None
        row, group = cells[ROW], cells[GROUP]
        if group is not None and cells[CUSTOMER] is None and invoice is not None:
            self._in_group(cells, group)
            into = self.ungrouped
        elif invoice is None and _heads_group(cells):
            into = self.heads.setdefault(row, [])
        else:
            into = self.findings
        debtor = _debtor(cells)
        self._bad_addresses(cells, invoice, into, debtor)
        into += [Finding(row, field, problem, invoice, debtor) for field, problem in problems]
        return None

    def _in_group(self, cells: Row, group: tuple[object, ...]) -> None:
        """A row without a customer, read as its customer row's (kept aside in `grouped`)."""
        if self.grouped is None:
            self.grouped = _RowPass(self.default_currency)
            self.grouped.currency_of, self.grouped.owned = self.currency_of, self.owned
        self.used.add(group[0])  # type: ignore[arg-type]
        self.grouped.take([_filled(cells, group)], checked=True)

    def note_numbers(self, numbers: Sequence[object]) -> None:
        """Note a chunk's invoice numbers; one seen before is used on several rows. (Rows
        without a number are no invoice, or have a finding that says so.)"""
        new = set(numbers)
        new.discard(None)
        if len(new) == len(numbers) and self.seen.isdisjoint(new):  # the usual chunk
            self.seen |= new
            return
        for number in numbers:
            if number is None:
                continue
            if number in self.seen:
                self.duplicates.add(number)
            else:
                self.seen.add(number)

    def _bad_addresses(
        self,
        cells: Row,
        invoice: str | None,
        into: list[Finding] | None = None,
        debtor: tuple[str, ...] = (),
    ) -> None:
        """A finding for an Email or Cc cell that is not a valid list of addresses (`debtor`:
        the row is skipped, and this is its debtor's)."""
        for field, bad in (("email", cells[EMAIL][2]), ("cc", cells[CC][1])):
            if bad:
                said = problem(f"bad_{field}", cell=cut(bad))
                (self.findings if into is None else into).append(
                    Finding(cells[ROW], field, said, invoice, debtor)
                )

    def _grouped(self, report: Report | None, shown_once: bool | None) -> bool:
        """Whether the sheet names a customer once above its invoices: as configured, else
        if it has customer subtotals or rows with only a customer that rows below belong to."""
        if shown_once is not None:
            return shown_once
        return report is not None and report.subtotals or bool(self.used & self.heads.keys())

    def _settle_groups(self, report: Report | None, shown_once: bool | None) -> list[str]:
        """The rows read both ways taken one way (`_grouped`); the layout it makes, if any."""
        grouped = self._grouped(report, shown_once)
        if grouped and self.grouped is not None:
            self.invoices += self.grouped.invoices
            self.invoices.sort(key=lambda i: i.row)
            self.findings += self.grouped.findings
        elif not grouped:
            self.findings += self.ungrouped
        heads = []
        for row, found in self.heads.items():
            if grouped and row in self.used:
                heads.append(row)
                self.owned.pop(row, None)
            else:
                self.findings += found
        if report is not None and heads:
            report.ignored[CUSTOMER_ROW] = heads
        return ["customers named once, above their invoices"] if grouped and self.used else []

    def receivables(
        self, info: SheetInfo, report: Report | None = None, shown_once: bool | None = None
    ) -> Receivables:
        """All rows read: the invoices but those whose number is on several rows, and the
        findings in row order."""
        notes = self._settle_groups(report, shown_once)
        if report is not None:
            info = replace(
                info,
                layout=(*info.layout, *notes),
                ignored={kind: tuple(rows) for kind, rows in report.ignored.items()},
            )
        invoices, findings = self.invoices, self.findings
        if self.duplicates:
            findings += _duplicate_findings(invoices, findings, self.duplicates)
            invoices = [i for i in invoices if i.invoice not in self.duplicates]
        findings.sort(key=lambda x: (x.row, x.field))
        findings = [_headed(f, info) for f in findings]
        return Receivables(
            invoices=tuple(invoices), findings=tuple(findings), sheet=info, owned=self.owned
        )


def _headed(finding: Finding, info: SheetInfo) -> Finding:
    """The finding with its column's header as the sheet writes it (the owner's texts name
    the column so, where it is in the owner's script: owner_words.Words.field)."""
    at = info.fields.get(finding.field)
    header = info.headers.get(at) if at is not None else None
    return replace(finding, column=header) if header else finding


def _heads_group(cells: Row) -> bool:
    """A row with a customer and no date and no amount: a customer row above its invoices,
    if rows below it have none (else a row with findings, as it always was)."""
    return (
        cells[CUSTOMER].__class__ is str
        and cells[INVOICE_DATE] is None
        and cells[DUE_DATE] is None
        and all(cells[at] == (None, None) for at in (AMOUNT, PAID, BALANCE, DEBIT, CREDIT))
    )


def _filled(cells: Row, group: tuple[object, ...]) -> Row:
    """A row without a customer given its customer row's customer, and its id, addresses and
    contact person where its own cells are empty."""
    row = list(cells)
    _, customer, customer_id, email, phone, cc, contact = group
    row[CUSTOMER], row[GROUP] = customer, None
    if row[CUSTOMER_ID] is None:
        row[CUSTOMER_ID] = customer_id
    if row[EMAIL] == (None, (), None) and email is not None:
        row[EMAIL] = email
    if row[PHONE] is None:
        row[PHONE] = phone
    if row[CC] == ((), None) and cc is not None:
        row[CC] = cc
    if row[CONTACT] is None:
        row[CONTACT] = contact
    return tuple(row)


def _not_an_invoice(customer: object) -> bool:
    """A row without an invoice number is not an invoice if it has no customer or is a
    totals row ("Total", "סה״כ"): it is a blank row, a note or a subtotal."""
    return customer is None or normalize(customer) in _TOTAL


def _debtor(cells: Row) -> tuple[str, ...]:
    """The keys a skipped row names its debtor by (`debtor_keys`), if the row looks like one
    of their invoices: it has an invoice number, or an amount and a date. A customer's title
    row, a hand-made subtotal or a note holds no one back (its finding is all it gets)."""
    money = any(cells[at] != (None, None) for at in (AMOUNT, BALANCE, DEBIT, CREDIT))
    dated = cells[INVOICE_DATE] is not None or cells[DUE_DATE] is not None
    if cells[INVOICE] is None and not (money and dated):
        return ()

    def text(value: object) -> str | None:
        return value if isinstance(value, str) else None  # an Invalid cell names no one

    email = cells[EMAIL]
    first = email[0] if isinstance(email, tuple) else None
    return debtor_keys(text(cells[CUSTOMER_ID]), text(first), text(cells[CUSTOMER]))


def _duplicate_findings(
    invoices: Iterable[Invoice], skipped: Iterable[Finding], duplicates: Container[object]
) -> list[Finding]:
    """A finding on each row of an invoice number used on several rows, naming the others:
    the rows `skipped` for their own findings included, as they hold the number too."""
    rows_of: dict[object, set[int]] = {}
    for row, number in chain(
        ((i.row, i.invoice) for i in invoices), ((f.row, f.invoice) for f in skipped)
    ):
        if number in duplicates:
            rows_of.setdefault(number, set()).add(row)
    findings = []
    for inv in invoices:
        if inv.invoice in duplicates:
            others = sorted(rows_of[inv.invoice] - {inv.row})
            findings.append(
                Finding(
                    inv.row,
                    "invoice",
                    problem("duplicate_invoice_rows", number=inv.invoice, rows=tuple(others))
                    if len(others) > 1
                    else problem("duplicate_invoice", number=inv.invoice, rows=tuple(others)),
                    inv.invoice,
                    inv.names,
                )
            )
    return findings


def row_problems(cells: Row) -> tuple[Problems, date | None]:
    """What is wrong with a row, as (field, problem) pairs in the order the owner reads them
    (none: the row is an invoice), and its due date: the Due date cell's, else worked out
    from the invoice date and terms."""
    due, no_due = _due(cells)
    problems = [
        *_empty_keys(cells),
        *_rejected(cells, _TEXTS, "text"),
        *_rejected(cells, _DATES, "a date"),
        *no_due,
        *_rejected(cells, _MONEY, "an amount"),
        *_rejected(cells, _LEDGER, "an amount"),
        *_rejected(cells, _KIND, "a document type"),
        *_no_balance(cells),
    ]
    return problems, due


def _empty_keys(cells: Row) -> Problems:
    """Every invoice names its customer and its number."""
    problems: Problems = []
    if cells[CUSTOMER] is None:
        problems.append(("customer", problem("no_customer")))
    if cells[INVOICE] is None:
        problems.append(("invoice", problem("no_invoice_number")))
    return problems


def _rejected(cells: Row, fields: Iterable[tuple[int, str]], what: str) -> Problems:
    """The cells of `fields` their converter rejected: each finding says the cell is not
    `what`, or what the converter said."""
    return [(f, cells[at].says(what)) for at, f in fields if cells[at].__class__ is Invalid]


def _no_balance(cells: Row) -> Problems:
    """An invoice without a balance needs an amount (unless an amount cell was rejected:
    that is said)."""
    money = [cells[at] for at, _ in _MONEY]
    if any(cells[at].__class__ is Invalid for at, _ in (*_MONEY, *_LEDGER)):
        return []
    (amount, _), _, (balance, _) = money
    return [("balance", problem("no_balance"))] if balance is None and amount is None else []


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
        return None, [("due_date", problem("no_due_date"))]
    try:
        due = due_from_terms(invoice_date, terms)
    except OverflowError:
        return None, [("terms", problem("terms_past_9999", cell=cut(terms)))]
    if due is None:
        return None, [("terms", problem("terms_not_understood", cell=cut(terms)))]
    return due, []
