"""The headers and payment terms of accounting exports (issue 15): each alias maps to the
field it means, and none takes a column meant for another field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from support.workbooks import write_rows
from xlsdun.workbook.coerce import due_from_terms
from xlsdun.workbook.columns import ALIASES, WEAK_ALIASES, map_headers
from xlsdun.workbook.read import read_receivables

# one test per header the issue lists: (header, the field it means)
EXPORT_HEADERS = [
    ("סכום לתשלום", "balance"),  # "amount to pay": what is still owed
    ("ת. פירעון", "due_date"),  # "maturity date", abbreviated
    ("תאריך ערך", "due_date"),  # "value date": the day an export's aging counts from
    ("מספר מסמך", "invoice"),  # "document number"
    ("אסמכתא", "invoice"),  # "reference": the document number in accounting exports
    ("חוב", "balance"),  # "debt"
    ("יתרה לתשלום", "balance"),  # "balance to pay"
    ("טלפון נייד", "phone"),  # "mobile phone"
    ("נייד", "phone"),  # "mobile"
    ("Doc #", "invoice"),
    ("Open amount", "balance"),
    ("Amount due", "balance"),
]


@pytest.mark.parametrize(("header", "field"), EXPORT_HEADERS)
def test_an_export_header_alone_names_its_field(header: str, field: str) -> None:
    assert map_headers(["Customer", header]).fields == {"customer": 0, field: 1}


@pytest.mark.parametrize(("header", "field"), EXPORT_HEADERS)
def test_an_export_header_reads_a_real_sheet(tmp_path: Path, header: str, field: str) -> None:
    """The header in a workbook with the other required columns: its column is read as
    `field` (the value in it is what the invoice gets)."""
    base = {
        "customer": ("Customer", "Acme"),
        "email": ("Email", "a@acme.example.com"),
        "invoice": ("Invoice", "INV-7"),
        "due_date": ("Due date", date(2026, 10, 1)),
        "balance": ("Balance", 100),
        "phone": ("Phone", None),
    }
    value: object = {
        "balance": 321.5,
        "due_date": date(2026, 9, 15),
        "invoice": "DOC-99",
        "phone": "050-1234567",
    }[field]
    columns = {k: v for k, v in base.items() if k != field}
    header_row = [h for h, _ in columns.values()] + [header]
    row = [v for _, v in columns.values()] + [value]
    rec = read_receivables(write_rows(tmp_path / "a.xlsx", [header_row, row]))
    (inv,) = rec.invoices
    got = {
        "balance": inv.balance,
        "due_date": inv.due_date,
        "invoice": inv.invoice,
        "phone": inv.phone,
    }[field]
    expected = Decimal("321.50") if field == "balance" else value
    assert got == expected and rec.findings == ()


def test_the_value_date_gives_way_to_a_due_date() -> None:
    """A sheet with both "תאריך ערך" and a due date column: the due date is the due date
    (the value date may be a payment's), wherever the columns stand."""
    for row in (["לקוח", "תאריך ערך", "תאריך פירעון"], ["לקוח", "תאריך פירעון", "תאריך ערך"]):
        mapping = map_headers(row)
        assert row[mapping.fields["due_date"]] == "תאריך פירעון"


def test_the_reference_gives_way_to_an_invoice_number() -> None:
    for row in (["לקוח", "אסמכתא", "מספר חשבונית"], ["לקוח", "מספר חשבונית", "אסמכתא"]):
        mapping = map_headers(row)
        assert row[mapping.fields["invoice"]] == "מספר חשבונית"
        assert "אסמכתא" in mapping.headers.values()  # kept as an unmapped column


def test_a_configured_column_wins_over_a_weak_alias() -> None:
    mapping = map_headers(["לקוח", "תאריך ערך", "Pay by"], {"due_date": "Pay by"})
    assert mapping.fields["due_date"] == 2


def test_debit_is_not_a_debt() -> None:
    """ "חובה" (debit, the invoice's full amount in a ledger export) is not "חוב" (debt): a
    debit column read as the balance would ask for what was paid already. It is the debit,
    and with the credit beside it makes the amount (accounting.py)."""
    assert map_headers(["לקוח", "חובה", "זכות"]).fields == {"customer": 0, "debit": 1, "credit": 2}


def test_document_number_is_not_the_document() -> None:
    """ "מסמך" alone is the Attachment column (the invoice file); "מספר מסמך" its number."""
    assert map_headers(["מסמך", "מספר מסמך"]).fields == {"attachment": 0, "invoice": 1}


def test_amount_due_is_the_balance_and_amount_the_invoice_total() -> None:
    mapping = map_headers(["Amount", "Amount due", "Due"])
    assert mapping.fields == {"amount": 0, "balance": 1, "due_date": 2}


def test_no_weak_alias_is_also_an_alias() -> None:
    """A weak alias must not be a plain one too, or it would never give way."""
    from xlsdun.workbook.columns import normalize

    plain = {normalize(a) for names in ALIASES.values() for a in names}
    assert not {normalize(a) for names in WEAK_ALIASES.values() for a in names} & plain


# -- payment terms --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("terms", "due"),
    [
        ("Due on receipt", date(2026, 2, 3)),
        ("DUE ON RECEIPT", date(2026, 2, 3)),
        ("מיידי", date(2026, 2, 3)),
        ("שוטף+60", date(2026, 4, 29)),  # end of February + 60 days
        ("שוטף + 60", date(2026, 4, 29)),
        ("שוטף+90", date(2026, 5, 29)),  # end of February + 90 days
        ("שוטף 90 יום", date(2026, 5, 29)),
    ],
)
def test_export_terms(terms: str, due: date) -> None:
    assert due_from_terms(date(2026, 2, 3), terms) == due


@pytest.mark.parametrize(
    ("terms", "due"),
    [
        ("Due on receipt", date(2026, 1, 20)),
        ("מיידי", date(2026, 1, 20)),
        ("שוטף+60", date(2026, 4, 1)),
        ("שוטף+90", date(2026, 5, 1)),
    ],
)
def test_export_terms_make_the_due_date_of_a_sheet(tmp_path: Path, terms: str, due: date) -> None:
    rows = [
        ["לקוח", "דואל", "אסמכתא", "תאריך", "תנאי תשלום", "יתרה לתשלום"],
        ["אקמה", "a@acme.example.com", "7001", date(2026, 1, 20), terms, 100],
    ]
    (inv,) = read_receivables(write_rows(tmp_path / "t.xlsx", rows)).invoices
    assert inv.due_date == due and inv.invoice == "7001"
