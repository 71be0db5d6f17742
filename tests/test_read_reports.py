"""Accounting-style reports (workbook/accounting.py): page furniture, subtotals, debit and
credit, document types and customers named once, in .xlsx and CSV; and what a sheet typed
by hand keeps (a forgotten name is still a finding, never someone else's debt)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest

from support.sample_setup import SAMPLE, invoke
from support.workbooks import write_rows
from xlsdun.workbook.accounting import GRAND_TOTAL, SUBTOTAL, TOTAL, total_kind
from xlsdun.workbook.read import read_receivables

D = Decimal
LEDGER = SAMPLE / "customer_ledger.xlsx"
OPEN_ITEMS = SAMPLE / "open_items.csv"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_reports", SAMPLE / "make_reports.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REPORTS = _script()


def test_the_sample_reports_are_what_their_script_makes(tmp_path: Path) -> None:
    script = SAMPLE / "make_reports.py"
    subprocess.run([sys.executable, str(script), str(tmp_path)], check=True, capture_output=True)
    assert (tmp_path / LEDGER.name).read_bytes() == LEDGER.read_bytes()
    assert (tmp_path / OPEN_ITEMS.name).read_bytes() == OPEN_ITEMS.read_bytes()


def test_the_hebrew_ledger_reads_every_document_and_nothing_else() -> None:
    """Each document is read with its customer row's name, key and address; a receipt or
    credit note (credit column) is a negative balance; the running balance is not read."""
    rec = read_receivables(LEDGER)
    assert rec.findings == ()
    expected = {
        str(number): (name, key, email, D(debit or 0) - D(credit or 0), issued - overdue)
        for key, name, email, documents in REPORTS.LEDGER
        for _, number, issued, overdue, debit, credit in documents
    }
    got = {
        i.invoice: (
            i.customer,
            i.customer_id,
            i.email,
            i.balance,
            (i.due_date - i.invoice_date).days,
        )
        for i in rec.invoices
        if i.invoice_date is not None
    }
    assert got == {k: (*v[:4], v[4]) for k, v in expected.items()}
    assert len(rec.invoices) == 10
    assert {i.invoice: i.balance for i in rec.invoices if i.balance < 0} == {
        "7012": D("-1000.00"),  # קבלה
        "30990": D("-870.00"),  # זיכוי
    }
    assert all(i.currency == "ILS" for i in rec.invoices)


def test_the_ledger_layout_is_named_and_its_furniture_counted() -> None:
    info = read_receivables(LEDGER).sheet
    assert info is not None and info.header_row == 4
    assert {k: len(v) for k, v in info.ignored.items()} == {
        "customer subtotal": 3,
        "grand total": 1,
        "page title": 4,  # the title and "עמוד N" above each repeated header
        "repeated header": 2,
        "customer heading": 3,
    }
    assert info.ignored["customer heading"] == (5, 10, 20)
    assert "balance" not in info.fields and "יתרה" in info.unmapped.values()
    text = " | ".join(info.layout)
    assert "rows 1-3" in text and "'חובה' − 'זכות'" in text and "'סוג מסמך'" in text
    assert "running balance" in text and "customers named once" in text


def test_the_english_csv_report_reads_every_document() -> None:
    """Customer and address on the first document only, subtotals under each: the rows
    below belong to it. Amounts written every which way; a receipt and a credit note reduce."""
    rec = read_receivables(OPEN_ITEMS)
    assert rec.findings == ()
    got = {i.invoice: (i.customer, i.email, i.balance, i.currency) for i in rec.invoices}
    assert got == {
        "INV-1041": ("Acme Industries Ltd", "ap@acme.example.com", D("1200.50"), "ILS"),
        "INV-1063": ("Acme Industries Ltd", "ap@acme.example.com", D("1200.50"), "ILS"),
        "RC-220": ("Acme Industries Ltd", "ap@acme.example.com", D("-500.00"), "ILS"),
        "INV-1050": ("Total Energies Ltd", "billing@total.example.com", D("300.00"), "ILS"),
        "CN-18": ("Total Energies Ltd", "billing@total.example.com", D("-120.00"), "ILS"),
        "INV-1077": ("Levant Trading", "ap@levant.example.com", D("3200.00"), "USD"),
    }
    assert rec.sheet is not None
    assert rec.sheet.ignored == {"customer subtotal": (8, 11, 13), "grand total": (14,)}
    due = {i.invoice: i.due_date for i in rec.invoices}
    assert due["INV-1041"] == REPORTS.TODAY - timedelta(days=15)


def test_check_says_which_layout_and_what_it_ignored(tmp_path: Path) -> None:
    (tmp_path / LEDGER.name).write_bytes(LEDGER.read_bytes())
    config = tmp_path / "xlsdun.toml"
    config.write_text(
        (SAMPLE / "xlsdun.toml").read_text("utf-8").replace("receivables.xlsx", LEDGER.name),
        "utf-8",
    )
    config.write_text(
        "\n".join(line for line in config.read_text("utf-8").splitlines() if "sheet =" not in line),
        "utf-8",
    )
    code, out, err = invoke("check", "--config", str(config))
    assert code == 0, err
    assert "layout: debit and credit columns ('חובה' − 'זכות') as the amount" in out
    assert "ignored: 3 customer subtotal row(s) (row 9, 19, 26)" in out
    assert "ignored: 2 repeated header row(s)" in out and "row 9: " not in out
    code, out, _ = invoke("check", "--config", str(config), "--json")
    result = json.loads(out)
    assert result["ignored"]["grand total"] == [27] and result["findings"] == []
    assert any("customers named once" in note for note in result["layout"])


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Total for customer Acme", SUBTOTAL),
        ("Subtotal", SUBTOTAL),
        ("סה״כ ללקוח 20011", SUBTOTAL),
        ('סה"כ לחשבון', SUBTOTAL),
        ("Grand total", GRAND_TOTAL),
        ("סה״כ כללי", GRAND_TOTAL),
        ("Total", TOTAL),
        ('סה"כ', TOTAL),
        ("Total Energies Ltd", None),  # a customer
        ("Totally Fresh", None),
        ("Acme", None),
        (None, None),
    ],
)
def test_total_labels(text: str | None, kind: str | None) -> None:
    assert total_kind(text) == kind


HEADER = ["Customer", "Email", "Invoice", "Due date", "Balance"]


def _sheet(tmp_path: Path, rows: list[list[object]], header: list[str] = HEADER) -> Path:
    path = tmp_path / "ar.xlsx"
    write_rows(path, [header, *rows], "AR")
    return path


def test_a_forgotten_name_on_a_typed_sheet_is_still_a_finding(tmp_path: Path) -> None:
    """No subtotal, no customer heading: a row without a name is not the row above's debt."""
    path = _sheet(
        tmp_path,
        [
            ["Acme", "a@acme.example.com", "INV-1", date(2026, 10, 1), 100],
            [None, "b@beta.example.com", "INV-2", date(2026, 10, 2), 200],
            [None, None, "INV-3", date(2026, 10, 3), 300],
        ],
    )
    rec = read_receivables(path)
    assert [i.invoice for i in rec.invoices] == ["INV-1"]
    assert [(f.row, f.problem) for f in rec.findings if f.field == "customer"] == [
        (3, "customer name is empty"),
        (4, "customer name is empty"),
    ]
    assert rec.sheet is not None and rec.sheet.ignored == {}
    # told that the sheet names a customer once, the rows below are its
    rec = read_receivables(path, customer_shown_once=True)
    assert [(i.invoice, i.customer, i.email) for i in rec.invoices] == [
        ("INV-1", "Acme", "a@acme.example.com"),
        ("INV-2", "Acme", "b@beta.example.com"),  # its own address stays
        ("INV-3", "Acme", "a@acme.example.com"),
    ]
    assert rec.findings == ()


def test_a_customer_heading_row_is_recognised_and_can_be_refused(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["Acme", "a@acme.example.com", None, None, None],
        [None, None, "INV-1", date(2026, 10, 1), 100],
        [None, None, "INV-2", date(2026, 10, 2), 200],
        ["Beta", "b@beta.example.com", None, None, None],
        [None, None, "INV-3", date(2026, 10, 3), 300],
        ["Gamma", "g@gamma.example.com", None, None, None],  # nothing below it: a finding
    ]
    path = _sheet(tmp_path, rows)
    rec = read_receivables(path)
    assert [(i.invoice, i.customer) for i in rec.invoices] == [
        ("INV-1", "Acme"),
        ("INV-2", "Acme"),
        ("INV-3", "Beta"),
    ]
    assert [(f.row, f.field) for f in rec.findings] == [
        (7, "balance"),
        (7, "due_date"),
        (7, "invoice"),
    ]
    assert rec.sheet is not None and rec.sheet.ignored == {"customer heading": (2, 5)}
    rec = read_receivables(path, customer_shown_once=False)
    assert rec.invoices == ()
    assert {f.row for f in rec.findings if f.problem == "customer name is empty"} == {3, 4, 6}


def test_a_subtotal_ends_the_customer(tmp_path: Path) -> None:
    """After "Total for customer", a row without a name belongs to no one: a finding."""
    path = _sheet(
        tmp_path,
        [
            ["Acme", "a@acme.example.com", "INV-1", date(2026, 10, 1), 100],
            [None, None, "INV-2", date(2026, 10, 2), 200],
            ["Total for customer Acme", None, None, None, 300],
            [None, None, "INV-3", date(2026, 10, 3), 300],
        ],
    )
    rec = read_receivables(path)
    assert [(i.invoice, i.customer) for i in rec.invoices] == [("INV-1", "Acme"), ("INV-2", "Acme")]
    assert [(f.row, f.problem) for f in rec.findings] == [(5, "customer name is empty")]


def test_debit_and_credit_make_the_amount_unless_a_balance_is_named(tmp_path: Path) -> None:
    header = ["Customer", "Email", "Invoice", "Due date", "Debit", "Credit", "Balance"]
    rows: list[list[object]] = [
        ["Acme", "a@acme.example.com", "INV-1", date(2026, 10, 1), 1000, None, 1000],
        ["Acme", "a@acme.example.com", "INV-2", date(2026, 10, 2), 500, 200, 1300],
        ["Acme", "a@acme.example.com", "RC-1", date(2026, 10, 3), None, 300, 1000],
        ["Beta", "b@beta.example.com", "INV-3", date(2026, 10, 3), "lots", None, 40],
    ]
    path = _sheet(tmp_path, rows, header)
    rec = read_receivables(path)
    assert [(i.invoice, i.balance) for i in rec.invoices] == [
        ("INV-1", D("1000.00")),
        ("INV-2", D("300.00")),
        ("RC-1", D("-300.00")),
    ]
    assert [(f.row, f.field, f.problem) for f in rec.findings] == [
        (5, "debit", "'lots' is not an amount")
    ]
    rec = read_receivables(path, columns={"balance": "Balance"})  # named: used as before
    assert [i.balance for i in rec.invoices] == [D("1000.00"), D("1300.00"), D("1000.00")]
    assert [f.field for f in rec.findings] == ["debit"]  # a rejected cell is one all the same


def test_document_types_sign_the_amount(tmp_path: Path) -> None:
    header = ["Customer", "Email", "Invoice", "Due date", "Amount", "סוג מסמך"]
    rows: list[list[object]] = [
        ["Acme", "a@acme.example.com", "1", date(2026, 10, 1), 1000, "חשבונית מס"],
        ["Acme", "a@acme.example.com", "2", date(2026, 10, 1), 400, "קבלה"],
        ["Acme", "a@acme.example.com", "3", date(2026, 10, 1), -50, "זיכוי"],
        ["Acme", "a@acme.example.com", "4", date(2026, 10, 1), 70, "חשבון עסקה"],
        ["Acme", "a@acme.example.com", "5", date(2026, 10, 1), 80, None],
        ["Acme", "a@acme.example.com", "6", date(2026, 10, 1), 90, "הצעת מחיר"],
    ]
    rec = read_receivables(_sheet(tmp_path, rows, header))
    assert [(i.invoice, i.balance) for i in rec.invoices] == [
        ("1", D("1000.00")),
        ("2", D("-400.00")),
        ("3", D("-50.00")),
        ("4", D("70.00")),
        ("5", D("80.00")),
    ]
    assert [(f.row, f.field, f.problem) for f in rec.findings] == [
        (
            7,
            "doc_type",
            "document type 'הצעת מחיר' is not an invoice, a receipt or a credit note "
            "(חשבונית, קבלה, זיכוי)",
        )
    ]


def test_the_config_key_reaches_the_reader(tmp_path: Path) -> None:
    from xlsdun import config as config_mod

    text = '[workbook]\npath = "ar.xlsx"\ncustomer_shown_once = true\n'
    text += '[sender]\nname = "A"\nemail = "a@b.example.com"\n'
    (tmp_path / "x.toml").write_text(text, "utf-8")
    assert config_mod.load(tmp_path / "x.toml").workbook.customer_shown_once is True
    (tmp_path / "x.toml").write_text(text.replace("true", '"yes"'), "utf-8")
    with pytest.raises(config_mod.ConfigError, match="customer_shown_once' must be true or false"):
        config_mod.load(tmp_path / "x.toml")


def test_the_ledger_as_a_windows_1255_csv_reads_the_same(tmp_path: Path) -> None:
    """The same report exported as text (Hebrew Windows, amounts with separators, dates as
    text): the same documents, furniture and findings as from the workbook."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in REPORTS.paged(REPORTS.ledger_rows()):
        writer.writerow(
            [
                c.strftime("%d/%m/%Y")
                if isinstance(c, date)
                else f"{c:,.2f}"
                if isinstance(c, float)
                else c
                for c in row
            ]
        )
    path = tmp_path / "ledger.csv"
    path.write_bytes(out.getvalue().encode("cp1255"))
    text = read_receivables(path, encoding="cp1255")
    book = read_receivables(LEDGER)
    assert text.findings == book.findings == ()

    def seen(rec: object) -> list[tuple[object, ...]]:
        return [
            (i.row, i.customer, i.invoice, i.due_date, i.balance, i.email)
            for i in rec.invoices  # type: ignore[attr-defined]
        ]

    assert seen(text) == seen(book)
    assert text.sheet is not None and book.sheet is not None
    assert text.sheet.ignored == book.sheet.ignored


def test_a_customer_headings_contact_and_phone_carry_down(tmp_path: Path) -> None:
    header = ["Customer", "Email", "Phone", "Contact", "Invoice", "Due date", "Balance"]
    rows: list[list[object]] = [
        ["Acme", "a@acme.example.com", "050-1234567", "Dana", None, None, None],
        [None, None, None, None, "INV-1", date(2026, 10, 1), 100],
        [None, None, None, "Avi", "INV-2", date(2026, 10, 2), 200],
    ]
    rec = read_receivables(_sheet(tmp_path, rows, header))
    assert [(i.invoice, i.customer, i.phone, i.contact) for i in rec.invoices] == [
        ("INV-1", "Acme", "050-1234567", "Dana"),
        ("INV-2", "Acme", "050-1234567", "Avi"),  # its own contact stays
    ]
