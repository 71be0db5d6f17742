"""Reading real workbook files: header detection, aliases, typed values, findings, errors."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from xlsdun.workbook.coerce import due_from_terms, to_date
from xlsdun.workbook.money import to_money
from xlsdun.workbook.read import WorkbookReadError, read_receivables


def make_book(
    path: Path,
    rows: list[list[object]],
    title: str = "Sheet1",
    extra_sheets: dict[str, list[list[object]]] | None = None,
) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    for name, more in (extra_sheets or {}).items():
        other = wb.create_sheet(name)
        for row in more:
            other.append(row)
    wb.save(path)
    return path


HEADER = ["Customer", "Email", "Invoice #", "Due date", "Amount", "Paid", "Currency"]


def test_title_rows_above_header_and_row_numbers(tmp_path: Path) -> None:
    path = make_book(
        tmp_path / "r.xlsx",
        [
            ["Receivables — Acme"],
            [],
            HEADER,
            ["Acme", "a@acme.example.com", "INV-1", datetime(2026, 11, 1), 500, 100, "ILS"],
            ["Beta", "b@beta.example.com", 1002, datetime(2026, 10, 1), 80.5, None, None],
            [],
            ["Total", None, None, None, 580.5, 100, None],
        ],
    )
    rec = read_receivables(path)
    assert rec.sheet.header_row == 3
    assert [i.row for i in rec.invoices] == [4, 5]
    a, b = rec.invoices
    assert a.balance == Decimal("400.00") and a.due_date == date(2026, 11, 1)
    assert b.invoice == "1002" and b.currency == "ILS" and b.balance == Decimal("80.50")
    assert rec.findings == ()


def test_hebrew_headers(tmp_path: Path) -> None:
    path = make_book(
        tmp_path / "he.xlsx",
        [
            ["לקוח", "אימייל", "מספר חשבונית", "תאריך פירעון", "יתרה", "שפה"],
            ["מספרת שירן", "shiran@example.co.il", "1001", "20/10/2026", "₪1,200.50", "עברית"],
        ],
    )
    (inv,) = read_receivables(path).invoices
    assert inv.due_date == date(2026, 10, 20)
    assert inv.balance == Decimal("1200.50") and inv.currency == "ILS"
    assert inv.language == "he"


def test_configured_columns_override_aliases(tmp_path: Path) -> None:
    path = make_book(
        tmp_path / "c.xlsx",
        [
            ["Client", "Mail", "Doc", "Pay by", "Open"],
            ["Acme", "a@acme.example.com", "D1", datetime(2026, 11, 1), 10],
        ],
    )
    rec = read_receivables(
        path, columns={"invoice": "Doc", "due_date": "Pay by", "balance": "Open"}
    )
    assert rec.invoices[0].invoice == "D1"


def test_terms_give_due_dates(tmp_path: Path) -> None:
    assert due_from_terms(date(2026, 1, 15), "Net 30") == date(2026, 2, 14)
    assert due_from_terms(date(2026, 1, 15), "EOM+30") == date(2026, 3, 2)
    assert due_from_terms(date(2026, 2, 3), "שוטף+60") == date(2026, 4, 29)
    assert due_from_terms(date(2026, 2, 3), "שוטף + 30") == date(2026, 3, 30)
    path = make_book(
        tmp_path / "t.xlsx",
        [
            ["Customer", "Email", "Invoice", "Invoice date", "Terms", "Balance"],
            ["Acme", "a@acme.example.com", "1", datetime(2026, 1, 15), "שוטף+30", 10],
            ["Acme", "a@acme.example.com", "2", datetime(2026, 1, 15), "whenever", 10],
        ],
    )
    rec = read_receivables(path)
    assert rec.invoices[0].due_date == date(2026, 3, 2)
    assert [(f.row, f.field) for f in rec.findings] == [(3, "terms")]


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("₪1,200.50", "1200.50", "ILS"),
        ("1.200,50 €", "1200.50", "EUR"),
        ("$ 99", "99.00", "USD"),
        ("1,234", "1234.00", None),
        ("12,5", "12.50", None),
        ("(50)", "-50.00", None),
        ('1200 ש"ח', "1200.00", "ILS"),
    ],
)
def test_money_text(text: str, amount: str, currency: str | None) -> None:
    assert to_money(text) == (Decimal(amount), currency)


def test_dates_text_and_serial() -> None:
    assert to_date("03/04/2026", "DMY") == date(2026, 4, 3)
    assert to_date("03/04/2026", "MDY") == date(2026, 3, 4)
    assert to_date("2026-04-03") == date(2026, 4, 3)
    assert to_date(46000) == date(2025, 12, 9)  # Excel: 45658 is 2025-01-01
    with pytest.raises(ValueError):
        to_date("soon")


def test_row_problems_become_findings_and_the_rest_goes_on(tmp_path: Path) -> None:
    path = make_book(
        tmp_path / "f.xlsx",
        [
            HEADER,
            ["Good", "g@good.example.com", "1", datetime(2026, 11, 1), 10, 0, "ILS"],
            ["Bad date", "b@x.example.com", "2", "someday", 10, 0, "ILS"],
            ["Negative", "n@x.example.com", "3", datetime(2026, 11, 1), 10, 20, "ILS"],
            ["Bad email", "not-an-email", "4", datetime(2026, 11, 1), 10, 0, "ILS"],
            ["Dup", "d@x.example.com", "5", datetime(2026, 11, 1), 10, 0, "ILS"],
            ["Dup", "d@x.example.com", "5", datetime(2026, 11, 2), 10, 0, "ILS"],
            ["Bad amount", "m@x.example.com", "6", datetime(2026, 11, 1), "lots", 0, "ILS"],
        ],
    )
    rec = read_receivables(path)
    assert {i.invoice for i in rec.invoices} == {"1", "3", "4"}
    assert rec.invoices[2].email is None  # kept, so the owner is told to call
    assert rec.invoices[1].balance == Decimal("-10.00")  # a credit: kept, the policy nets it
    problems = {(f.row, f.field) for f in rec.findings}
    assert problems == {
        (3, "due_date"),
        (5, "email"),
        (6, "invoice"),
        (7, "invoice"),
        (8, "amount"),
    }


def test_missing_required_column_names_it_and_the_headers_found(tmp_path: Path) -> None:
    path = make_book(
        tmp_path / "m.xlsx",
        [["Customer", "Email", "Invoice #", "Amount"], ["Acme", "a@x.example.com", "1", 5]],
    )
    with pytest.raises(WorkbookReadError) as err:
        read_receivables(path)
    message = str(err.value)
    assert "m.xlsx" in message and "due_date" in message
    assert "'Customer'" in message and "'Amount'" in message


def test_finds_the_matching_sheet_among_several(tmp_path: Path) -> None:
    path = make_book(
        tmp_path / "s.xlsx",
        [["Notes"], ["nothing here"]],
        title="Notes",
        extra_sheets={
            "AR": [HEADER, ["Acme", "a@x.example.com", "1", datetime(2026, 1, 1), 5, 0, "ILS"]]
        },
    )
    assert read_receivables(path).sheet.sheet == "AR"
    with pytest.raises(WorkbookReadError, match="no sheet named 'Missing'"):
        read_receivables(path, sheet="Missing")


def test_file_level_errors(tmp_path: Path) -> None:
    with pytest.raises(WorkbookReadError, match="not found"):
        read_receivables(tmp_path / "nope.xlsx")
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"this is not a zip")
    with pytest.raises(WorkbookReadError, match="cannot be read"):
        read_receivables(junk)
    enc = tmp_path / "enc.xlsx"
    enc.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with pytest.raises(WorkbookReadError, match="password-protected"):
        read_receivables(enc)


def test_cc_column_and_several_addresses(tmp_path: Path) -> None:
    path = make_book(
        tmp_path / "cc.xlsx",
        [
            ["Customer", "Email", "Invoice", "Due date", "Balance", "CC"],
            [
                "Acme",
                "a@acme.example.com; boss@acme.example.com",
                "1",
                datetime(2026, 10, 1),
                10,
                "books@acme.example.com",
            ],
        ],
    )
    (inv,) = read_receivables(path).invoices
    assert inv.email == "a@acme.example.com"
    assert inv.cc == ("boss@acme.example.com", "books@acme.example.com")


def test_language_and_currency_spellings_become_one_code(tmp_path: Path) -> None:
    path = make_book(
        tmp_path / "names.xlsx",
        [
            ["Customer", "Email", "Invoice", "Due date", "Balance", "Currency", "Language"],
            ["A", "a@x.example.com", "1", datetime(2026, 10, 1), 10, "₪", "עב"],
            ["B", "b@x.example.com", "2", datetime(2026, 10, 1), 10, "nis", "Hebrew"],
            ["C", "c@x.example.com", "3", datetime(2026, 10, 1), 10, "$", "EN"],
            ["D", "d@x.example.com", "4", datetime(2026, 10, 1), 10, "usd", "he-IL"],
            ["E", "e@x.example.com", "5", datetime(2026, 10, 1), 10, None, "something"],
        ],
    )
    got = [
        (i.currency, i.language)
        for i in read_receivables(path, default_language="en", default_currency="EUR").invoices
    ]
    assert got == [("ILS", "he"), ("ILS", "he"), ("USD", "en"), ("USD", "he"), ("EUR", "en")]


def test_an_na_spelling_reads_as_an_empty_cell(tmp_path: Path) -> None:
    """pandas' own NA spellings (the set read_excel and read_csv apply) are empty cells: an
    empty optional field, not text; "nothing" is not one of them, and stays text."""
    from pandas._libs.parsers import STR_NA_VALUES

    spelled = sorted(STR_NA_VALUES - {""})
    rows = [["Customer", "Email", "Invoice", "Due date", "Balance", "Customer ID"]]
    rows += [
        ["Acme", "a@acme.example.com", f"I{i}", "01/10/2026", 5, na] for i, na in enumerate(spelled)
    ]
    rows.append(["Acme", "a@acme.example.com", "last", "01/10/2026", 5, "nothing"])
    path = tmp_path / "na.xlsx"
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    rec = read_receivables(path)
    assert [i.customer_id for i in rec.invoices] == [None] * len(spelled) + ["nothing"]
    assert not rec.findings


@pytest.mark.parametrize(
    "header", ["Contact", "Contact name", "Contact person", "איש קשר", "שם איש קשר"]
)
def test_contact_column_is_read_cleaned_and_bounded(tmp_path: Path, header: str) -> None:
    path = make_book(
        tmp_path / "contact.xlsx",
        [
            ["Customer", "Email", "Invoice", "Due date", "Balance", header],
            ["Acme", "a@acme.example.com", "1", datetime(2026, 10, 1), 10, "  Dana   Levi "],
            ["Acme", "a@acme.example.com", "2", datetime(2026, 10, 1), 10, None],
            ["Beta", "b@beta.example.com", "3", datetime(2026, 10, 1), 10, "x" * 201],
        ],
    )
    rec = read_receivables(path)
    assert [(i.invoice, i.contact) for i in rec.invoices] == [("1", "Dana Levi"), ("2", None)]
    (finding,) = rec.findings
    assert finding.row == 4 and finding.field == "contact"


def test_no_contact_column_reads_none(tmp_path: Path) -> None:
    path = make_book(
        tmp_path / "plain.xlsx",
        [HEADER, ["Acme", "a@x.example.com", "1", datetime(2026, 10, 1), 5, 0, None]],
    )
    (inv,) = read_receivables(path).invoices
    assert inv.contact is None
