"""Accounting-style layouts: what a report exported from accounting software puts around its
invoice rows, recognised so that it is neither an invoice nor a finding (`Report`).

Israeli bookkeeping programs (and most others) export open items as a printed report: title
and report-parameter rows above the header (locate.py finds the header below them), the
header and the title repeated at the top of every page, a subtotal under each customer
("סה״כ ללקוח", "Total for customer") and a grand total, debit and credit columns (חובה /
זכות) instead of a balance, a document type (חשבונית מס, קבלה, זיכוי) on each row, and the
customer named once above its invoices. `Report.apply` works on a converted chunk's columns
(convert.py) before the row pass (rows.py): the page furniture and total rows leave the
chunk, counted by kind for `xlsdun check`; the debit and credit become the amount; a receipt
or credit note's amounts become negative (a credit, as the policy treats credit notes); and
each row without a customer is given the customer row above it (`group`), which the row
pass uses only if the sheet is laid out that way (rows.py decides, at the end).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import cast

from .columns import normalize
from .convert import Chunk, Invalid

SUBTOTAL, GRAND_TOTAL, TOTAL = "customer subtotal", "grand total", "total"
PAGE_HEADER, PAGE_TITLE, CUSTOMER_ROW = "repeated header", "page title", "customer heading"
_ENDS_GROUP = frozenset((SUBTOTAL, GRAND_TOTAL, TOTAL))

# Total labels, normalized (columns.normalize: "סה״כ" is "סה כ"). Hebrew: any text that
# starts with "סה״כ" / "סך הכל" is one (no business name does); English: only phrasings no
# business name has ("Total Energies" is a customer, "Total for Total Energies" a subtotal).
_BARE: frozenset[str] = frozenset(
    ("total", "totals", "sum", "סה כ", "סהכ", "סך הכל", "סך הכול", "סיכום")
)
_GRAND: tuple[str, ...] = (
    "grand total",
    "report total",
    "total report",
    "סה כ כללי",
    "סהכ כללי",
    "סך הכל כללי",
)
_GRAND += ("סך הכול כללי", "סה כ לדוח", "סה כ דוח", "סיכום כללי")
_SUB: tuple[str, ...] = (
    "total for",
    "totals for",
    "subtotal",
    "sub total",
    "customer total",
    "client total",
)
_SUB += ("account total", "total customer", "total client", "total account", "balance for")
_SUB += ("סה כ ", "סהכ ", "סך הכל ", "סך הכול ", "סיכום ל", "יתרה ל")
_PAGE = re.compile(r"^(page|עמוד|דף)\s*\d+(\s*(of|/|מתוך)\s*\d+)?$", re.IGNORECASE)
_ZERO = Decimal(0)
Group = tuple[object, ...]  # (row, customer, customer_id, email, phone, cc, contact) of a row
Money = tuple[Decimal | None, str | None]  # an amount cell converted (money.to_money)
_GROUP_FIELDS = ("customer", "customer_id", "email", "phone", "cc", "contact")


def total_kind(text: object) -> str | None:
    """Whether a cell's text labels a total row, and which: a customer's subtotal, the grand
    total, or a bare "Total" (either)."""
    if text.__class__ is not str:
        return None
    key = normalize(text)
    if key in _BARE:
        return TOTAL
    if any(key == g or key.startswith(g + " ") for g in _GRAND):
        return GRAND_TOTAL
    return SUBTOTAL if key.startswith(_SUB) else None


class Report:
    """A sheet's accounting layout, applied to each converted chunk (`apply`); what it left
    out, by kind, in `ignored` (1-based rows)."""

    def __init__(
        self,
        fields: Mapping[str, int],
        headers: Mapping[int, str],
        titles: Iterable[str],
        fill: bool,
    ) -> None:
        def heading(field: str) -> str | None:
            at = fields.get(field)
            text = headers.get(at) if at is not None else None
            return " ".join(text.split()) if text else None

        self.header = (heading("customer"), heading("invoice"))
        self.titles = frozenset(titles) - {None, ""}
        self.dates = [f for f in ("due_date", "invoice_date") if f in fields]
        self.ledger = "debit" in fields or "credit" in fields
        self.signed = "doc_type" in fields
        self.fill = fill and "customer" in fields
        self.ignored: dict[str, list[int]] = {}
        self.carry: Group | None = None  # the customer row the next rows without one belong to

    @property
    def subtotals(self) -> bool:
        """Whether the sheet has customer subtotal rows: a report grouped by customer."""
        return SUBTOTAL in self.ignored

    def apply(self, chunk: Chunk) -> Chunk:
        """The chunk without its page furniture and total rows, its amounts from the debit,
        credit and document type, and each row's customer row (`group`) where it has none."""
        values = chunk.values
        skip = self._furniture(values)
        for index, kind in skip.items():
            self.ignored.setdefault(kind, []).append(chunk.rows[index])
        if self.fill:
            groups = self._groups(chunk.rows, values, skip)
            if groups is not None:
                values["group"] = list(groups)
        if skip:
            chunk = _without(chunk, skip)
            values = chunk.values
        if self.ledger:
            values["amount"] = _net(values.get("debit"), values.get("credit"), len(chunk.rows))
        if self.signed:
            _signed(values)
        return chunk

    def _furniture(self, values: Mapping[str, Sequence[object]]) -> dict[int, str]:
        """The rows (0-based in the chunk) that are page furniture or totals, and which: only
        rows without an invoice number or without a date are looked at (C-speed scans find
        them), so a sheet of ordinary invoices costs nothing here."""
        invoices = values.get("invoice", ())
        customers = values.get("customer", ())
        ids = values.get("customer_id", ())  # a page's title may sit in the first column
        head_customer, head_invoice = self.header
        looked: set[int] = set()
        for column in (invoices, *(values[f] for f in self.dates if f in values)):
            if None in column:
                looked.update(i for i, v in enumerate(column) if v is None)
        if head_invoice is not None and head_invoice in invoices:
            looked.update(i for i, v in enumerate(invoices) if v == head_invoice)
        found: dict[int, str] = {}
        for i in sorted(looked):
            label = customers[i] if customers else None
            if label is None and ids:
                label = ids[i]
            kind = self._kind(label, invoices[i], head_customer)
            if kind is not None:
                found[i] = kind
        return found

    def _kind(self, customer: object, invoice: object, head_customer: str | None) -> str | None:
        if invoice is not None and invoice == self.header[1]:
            return PAGE_HEADER if customer in (head_customer, None) else None
        if invoice is not None:
            return total_kind(invoice)
        kind = total_kind(customer)
        if (
            kind is None
            and customer.__class__ is str
            and (customer in self.titles or _PAGE.match(customer))
        ):
            return PAGE_TITLE
        return kind

    def _groups(
        self, rows: Sequence[int], values: Mapping[str, Sequence[object]], skip: Mapping[int, str]
    ) -> list[Group | None] | None:
        """Each row's customer row (the last row above it with a customer, up to a total
        row), for the rows without a customer; None if the chunk has none such."""
        customers = values.get("customer", ())
        carry, last = self.carry, None
        if None not in customers:
            for i in reversed(range(len(customers))):
                if i not in skip:
                    self.carry = self._group(rows, values, i)
                    break
                if skip[i] in _ENDS_GROUP:
                    self.carry = None
                    break
            return None
        groups: list[Group | None] = []
        for i, customer in enumerate(customers):
            kind = skip.get(i)
            if kind is not None:
                if kind in _ENDS_GROUP:
                    carry, last = None, None
            elif customer is None:
                if last is not None:
                    carry, last = self._group(rows, values, last), None
            elif customer.__class__ is str:
                last = i
            else:  # a rejected customer cell (a finding) is no one's group
                carry, last = None, None
            groups.append(carry if customer is None else None)
        self.carry = self._group(rows, values, last) if last is not None else carry
        return groups

    @staticmethod
    def _group(rows: Sequence[int], values: Mapping[str, Sequence[object]], i: int) -> Group:
        return (rows[i], *(values[f][i] if f in values else None for f in _GROUP_FIELDS))


def _without(chunk: Chunk, skip: Mapping[int, str]) -> Chunk:
    """The chunk without the rows `skip` names."""
    keep = [i for i in range(len(chunk.rows)) if i not in skip]

    def kept(column: Sequence[object]) -> list[object]:
        return [column[i] for i in keep]

    return chunk._replace(
        rows=[chunk.rows[i] for i in keep],
        values={key: kept(column) for key, column in chunk.values.items()},
        owned=None if chunk.owned is None else [chunk.owned[i] for i in keep],
    )


def _net(debits: Sequence[object] | None, credits: Sequence[object] | None, n: int) -> list[object]:
    """Each row's amount: its debit less its credit (None if both are empty or one was
    rejected: that cell's finding says why)."""
    empty = (None, None)
    amounts: list[object] = []
    for debit, credit in zip(debits or (empty,) * n, credits or (empty,) * n, strict=True):
        if debit.__class__ is Invalid or credit.__class__ is Invalid:
            amounts.append(empty)
            continue
        plus, hint = cast(Money, debit)
        minus, other = cast(Money, credit)
        if plus is None and minus is None:
            amounts.append(empty)
        else:
            amounts.append(((plus or _ZERO) - (minus or _ZERO), hint or other))
    return amounts


def _signed(values: dict[str, list[object]]) -> None:
    """A receipt's or credit note's amount and balance as negative: what it takes from the
    customer's debt (whichever sign the export wrote it with)."""
    signs = values.get("doc_type", ())
    if -1 not in signs:
        return
    for key in ("amount", "balance"):
        column = values.get(key)
        if column is None:
            continue
        values[key] = [
            _negative(cell) if sign == -1 else cell
            for cell, sign in zip(column, signs, strict=True)
        ]


def _negative(cell: object) -> object:
    if cell.__class__ is Invalid:
        return cell
    amount, hint = cast(Money, cell)
    return cell if amount is None else (-abs(amount), hint)
