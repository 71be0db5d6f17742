"""Each step of the reader alone (issue 13 split workbook/read.py): the cell values
(coerce.py, money.py), the converters (convert.py), the rows from calamine (grid.py), where
the receivables are (locate.py) and the row pass (rows.py) with its rules one by one. The
whole reader is tested through real workbooks in test_read*.py."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from itertools import islice
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from xlsdun.models import Receivables, SheetInfo
from xlsdun.workbook import rows as rows_mod
from xlsdun.workbook.coerce import all_emails, split_emails
from xlsdun.workbook.convert import Body, Chunk, Converter, Invalid
from xlsdun.workbook.grid import Grid
from xlsdun.workbook.locate import find_header, locate, no_receivables
from xlsdun.workbook.money import _currency_named, _separators, to_money
from xlsdun.workbook.opening import PackageCheck, WorkbookReadError
from xlsdun.workbook.rows import FIELDS, parse_rows, row_problems

D = Decimal


# -- cell values ----------------------------------------------------------------------------------


def test_all_emails_gives_every_address_of_a_cc_cell_or_none() -> None:
    assert all_emails("a@x.example, b@x.example") == (("a@x.example", "b@x.example"), None)
    assert all_emails(None) == ((), None)
    assert all_emails("not an address") == ((), "not an address")
    first, rest, bad = split_emails("a@x.example; b@x.example")
    assert all_emails("a@x.example; b@x.example") == ((first, *rest), bad)


@pytest.mark.parametrize(
    ("text", "currency", "left"),
    [
        ("₪1,200", "ILS", "1,200"),
        ("100 NIS", "ILS", "100 "),
        ("$5 EUR", "EUR", "5 "),  # a code wins over a symbol
        ("1,200", None, "1,200"),
    ],
)
def test_currency_named_takes_the_currency_out_of_an_amount(
    text: str, currency: str | None, left: str
) -> None:
    assert _currency_named(text) == (left, currency)


@pytest.mark.parametrize(
    ("text", "decimal_comma", "separators"),
    [
        ("1,234.50", False, (".", ",")),  # both: the later one is the decimal separator
        ("1.234,50", False, (",", ".")),
        ("12,50", False, (",", ".")),  # one, with one or two digits after it: decimal
        ("1,234", False, (".", ",")),  # else the locale says
        ("1,234", True, (",", ".")),
        ("1.234", True, (",", ".")),
        ("1 234", False, (".", " ")),  # a space is only ever a thousands separator
        ("1,234,567", False, (".", ",")),  # twice: a thousands separator
    ],
)
def test_separators_of_a_number(
    text: str, decimal_comma: bool, separators: tuple[str, str]
) -> None:
    assert _separators(text, decimal_comma) == separators


def test_to_money_with_the_separators_and_the_currency() -> None:
    assert to_money("₪1.234,50") == (D("1234.50"), "ILS")
    assert to_money("1,234", decimal_comma=True) == (D("1.23"), None)
    with pytest.raises(ValueError):
        to_money("1,2,3")


# -- converters -----------------------------------------------------------------------------------


def _date(value: object) -> date:
    if value == "bad":
        raise ValueError("no date")
    return date(2026, 1, 1)


def test_a_converter_turns_a_rejected_cell_into_an_invalid_a_lenient_one_into_empty() -> None:
    strict, lenient = Converter(_date), Converter(_date, lenient=True)
    found = strict.column(["bad", "ok", "bad"])
    assert isinstance(found[0], Invalid) and found[0] is found[2]  # once per distinct value
    assert found[0].says("a date") == "'bad' is not a date"
    assert found[1] == date(2026, 1, 1) and strict.invalid
    assert lenient.column(["bad", "ok"]) == [None, date(2026, 1, 1)]


def _body(fields: Sequence[str], owned: Sequence[str] = ()) -> Body:
    columns = {f: i for i, f in enumerate(fields)}
    owned_at = {k: len(fields) + i for i, k in enumerate(owned)}
    return Body(columns, owned_at, date_order="DMY", decimal_comma=False, default_language="en")


def test_the_body_converts_a_chunk_and_says_when_a_cell_was_rejected(tmp_path: Path) -> None:
    path = tmp_path / "b.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "AR"
    for row in (
        ["Customer", "Amount", "Reminder level", "Last reminder"],
        ["Acme", 10.0, "Friendly", "not a date"],
        ["Beta", "ten", 1.0, datetime(2026, 10, 1)],
        ["Gamma", 5.0, None, None],
    ):
        sheet.append(row)
    sheet.row_dimensions[4].hidden = True
    book.save(path)
    grid = Grid(CalamineWorkbook.from_path(str(path)), path, "AR")
    grid.head(1)
    body = _body(("customer", "amount"), owned=("level", "last"))
    (chunk,) = body.chunks(grid, 1, None, frozenset({4}))
    assert isinstance(chunk, Chunk)
    assert list(chunk.rows) == [2, 3]  # Excel's numbers, the hidden row 4 left out
    assert chunk.values["customer"] == ["Acme", "Beta"]
    assert chunk.values["amount"][0] == (D("10.00"), None)
    assert isinstance(chunk.values["amount"][1], Invalid) and chunk.checked
    assert chunk.values["level"] == ["friendly", "1"]
    assert chunk.values["last"] == [None, date(2026, 10, 1)]  # unreadable: unknown
    assert chunk.owned == [
        {"level": "Friendly", "last": "not a date"},
        {"level": 1, "last": datetime(2026, 10, 1)},  # as pandas' read_excel gives them
    ]
    assert list(islice(body.column(chunk.values, "paid"), 2)) == [(None, None)] * 2  # none


# -- rows from calamine and where the receivables are ---------------------------------------------


def _book(path: Path, sheets: dict[str, list[list[object]]], hidden: Sequence[str] = ()) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        if name in hidden:
            sheet.sheet_state = "hidden"
    book.save(path)
    return path


HEADER = ["Customer", "Email", "Invoice", "Due date", "Balance"]
ROW = ["Acme", "a@acme.example.com", "INV-1", datetime(2026, 11, 1), 100.0]


def test_the_grid_pads_the_head_to_absolute_columns_and_reads_na_as_empty(
    tmp_path: Path,
) -> None:
    path = tmp_path / "g.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "AR"
    sheet["C2"], sheet["D2"], sheet["C3"] = "Customer", "N/A", "Acme"
    book.save(path)
    grid = Grid(CalamineWorkbook.from_path(str(path)), path, "AR")
    assert grid.first_column == 2 and grid.extent == (3, 4)
    assert grid.head(2) == [[None] * 4, [None, None, "Customer", None]]
    assert [(first, rows) for first, rows in grid.chunks(2)] == [(2, [["Acme", ""]])]


def _locate(path: Path, tried: list[str], **where: object) -> object:
    book = CalamineWorkbook.from_path(str(path))
    options = {"sheet": None, "header_row": None, "columns": None, **where}
    return locate(book, PackageCheck(path, None), path, tried=tried, **options)  # type: ignore[arg-type]


def test_locate_takes_the_first_visible_sheet_with_the_columns(tmp_path: Path) -> None:
    path = _book(
        tmp_path / "l.xlsx",
        {"Notes": [["Nothing", "here"]], "AR": [["Receivables"], [], HEADER, ROW]},
    )
    tried: list[str] = []
    found = _locate(path, tried)
    assert found is not None and found.name == "AR" and found.header_index == 2  # type: ignore[attr-defined]
    assert tried == ["'Notes' (no header row recognised; its first rows read: 'Nothing | here')"]


def test_locate_names_a_hidden_sheet_that_has_the_columns(tmp_path: Path) -> None:
    path = _book(tmp_path / "h.xlsx", {"Notes": [["x"]], "Old": [HEADER, ROW]}, hidden=["Old"])
    with pytest.raises(WorkbookReadError, match="sheet 'Old' has the columns .* hidden"):
        _locate(path, [])
    with pytest.raises(WorkbookReadError, match="sheet 'Old' has the columns"):
        _locate(path, [], header_row=1)  # the header row is given for the visible sheets
    tried: list[str] = []
    assert _locate(path, tried, sheet="Notes") is None  # a named sheet: no other is looked at
    assert tried == ["'Notes' (no header row recognised; its first rows read: 'x')"]


def test_locate_refuses_a_sheet_or_header_row_that_is_not_there(tmp_path: Path) -> None:
    path = _book(tmp_path / "n.xlsx", {"AR": [HEADER, ROW]})
    with pytest.raises(WorkbookReadError, match=r"no sheet named 'Nope'\. Sheets found: AR"):
        _locate(path, [], sheet="Nope")
    book = CalamineWorkbook.from_path(str(path))
    with pytest.raises(WorkbookReadError, match="header row 99 is past the last row"):
        find_header(book, path, "AR", 99, None, [])


def test_no_receivables_says_what_each_sheet_looked_like(tmp_path: Path) -> None:
    error = no_receivables(tmp_path / "x.xlsx", ["'A' (no header row recognised)", "'B' row 1"])
    assert "Looked at: 'A' (no header row recognised); 'B' row 1." in str(error)
    assert "'customer', 'customer name', 'client'" in str(error)


# -- the row pass ---------------------------------------------------------------------------------


def test_the_row_positions_name_the_fields() -> None:
    """A row is a plain tuple read at named positions: each name is its field's position."""
    positions = {
        name: value
        for name, value in vars(rows_mod).items()
        if name.isupper() and isinstance(value, int) and name not in ("ROW",)
    }
    assert rows_mod.ROW == 0
    assert {name.lower(): value for name, value in positions.items()} == {
        field: at for at, field in enumerate(FIELDS, start=1)
    }


CLEAN = {
    "customer": "Acme",
    "invoice": "INV-1",
    "invoice_date": None,
    "due_date": date(2026, 11, 1),
    "hold_until": None,
    "promise_date": None,
    "terms": None,
    "amount": (D("100.00"), None),
    "paid": (None, None),
    "balance": (None, None),
    "email": ("a@acme.example.com", (), None),
    "cc": ((), None),
    "currency": None,
    "customer_id": None,
    "phone": None,
    "pay_link": None,
    "attachment": None,
    "notes": None,
    "language": "en",
    "disputed": False,
    "do_not_contact": False,
    "approved": False,
    "level": None,
    "last": None,
    "contact": None,
    "debit": (None, None),
    "credit": (None, None),
    "doc_type": None,
    "group": None,
}


def _row(row: int = 2, **cells: object) -> tuple[object, ...]:
    values = {**CLEAN, **cells}
    return (row, *(values[field] for field in FIELDS))


def _invalid(raw: object, problem: str | None = None) -> Invalid:
    return Invalid(raw, problem)


def test_a_clean_row_has_no_problem_and_its_own_due_date() -> None:
    assert row_problems(_row()) == ([], date(2026, 11, 1))


@pytest.mark.parametrize(
    ("cells", "problems", "due"),
    [
        (
            {"customer": None, "invoice": None},
            [("customer", "customer name is empty"), ("invoice", "invoice number is empty")],
            date(2026, 11, 1),
        ),
        (
            {"phone": _invalid("x" * 50, "too long"), "notes": _invalid("n")},
            [("phone", "too long"), ("notes", "'n' is not text")],
            date(2026, 11, 1),
        ),
        (
            {"due_date": None, "invoice_date": date(2026, 10, 1), "terms": "Net 30"},
            [],
            date(2026, 10, 31),
        ),
        (
            {"due_date": None, "invoice_date": date(2026, 10, 1), "terms": "someday"},
            [("terms", "payment terms 'someday' not understood")],
            None,
        ),
        (
            {"due_date": None, "invoice_date": date(9999, 12, 1), "terms": "Net 60"},
            [("terms", "the invoice date plus 'Net 60' is past the year 9999")],
            None,
        ),
        (
            {"due_date": None, "invoice_date": _invalid("1/1/1"), "terms": "Net 30"},
            [
                ("invoice_date", "'1/1/1' is not a date"),
                ("due_date", "no due date (and no invoice date + terms)"),
            ],
            None,
        ),
        (  # a rejected due date is said once, not again as missing
            {"due_date": _invalid("32/13/2026")},
            [("due_date", "'32/13/2026' is not a date")],
            None,
        ),
        (
            {"amount": (None, None)},
            [("balance", "no balance (and no amount)")],
            date(2026, 11, 1),
        ),
        (  # a rejected amount is said, not the missing balance
            {"amount": _invalid("abc")},
            [("amount", "'abc' is not an amount")],
            date(2026, 11, 1),
        ),
    ],
)
def test_each_rule_of_a_row(
    cells: dict[str, object], problems: list[tuple[str, str]], due: date | None
) -> None:
    assert row_problems(_row(**cells)) == (problems, due)


def test_the_problems_come_in_the_order_the_owner_reads_them() -> None:
    row = _row(
        customer=None,
        terms=_invalid("t"),
        hold_until=_invalid("h"),
        due_date=None,
        paid=_invalid("p"),
    )
    problems, _ = row_problems(row)
    assert [field for field, _ in problems] == ["customer", "terms", "hold_until", "paid"]


def _parse(
    chunks: list[list[tuple[object, ...]]], owned: bool = False, checked: bool = False
) -> Receivables:
    """The row pass over chunks of rows given as tuples (`_row`)."""
    body = _body(FIELDS)
    info = SheetInfo(path="x.xlsx", sheet="AR", header_row=1, headers={}, fields={})
    made = []
    for rows in chunks:
        values = {field: [r[at] for r in rows] for at, field in enumerate(FIELDS, start=1)}
        cells = [{"status": f"row {r[0]}"} for r in rows] if owned else None
        made.append(Chunk([r[0] for r in rows], values, cells, checked))  # type: ignore[misc]
    return parse_rows(made, body, info, "ILS")


def test_the_row_pass_makes_invoices_and_skips_blank_and_totals_rows() -> None:
    found = _parse(
        [
            [
                _row(2),
                _row(3, invoice=None, customer=None),  # blank
                _row(4, invoice=None, customer="Total"),
                _row(5, invoice="INV-2", balance=(D("60.00"), None), paid=(D("40.00"), None)),
            ]
        ],
        owned=True,
    )
    assert [i.row for i in found.invoices] == [2, 5]
    assert found.invoices[1].balance == D("60.00") and found.invoices[1].amount == D("100.00")
    assert found.findings == ()
    assert found.owned == {2: {"status": "row 2"}, 5: {"status": "row 5"}}


def test_the_row_pass_works_out_money_currency_and_copies() -> None:
    (one, two) = _parse(
        [
            [
                _row(2, paid=(D("30.00"), None), amount=(D("100.00"), "USD")),
                _row(
                    3,
                    invoice="INV-2",
                    currency="EUR",
                    amount=(D("5.00"), "USD"),
                    email=("a@x.example", ("b@x.example",), None),
                    cc=(("b@x.example", "c@x.example"), None),
                ),
            ]
        ]
    ).invoices
    assert (one.balance, one.currency, one.cc) == (D("70.00"), "USD", ())
    assert (two.balance, two.currency) == (D("5.00"), "EUR")  # the Currency cell first
    assert two.email == "a@x.example" and two.cc == ("b@x.example", "c@x.example")


def test_a_row_with_a_problem_becomes_findings_and_others_go_on() -> None:
    found = _parse(
        [
            [
                _row(2, email=(None, (), "not an address"), amount=_invalid("abc")),
                _row(
                    3, invoice="INV-2", due_date=None, terms="Net 30", invoice_date=date(2026, 1, 1)
                ),
                _row(4, invoice="INV-3", cc=((), "bad cc"), last=date(2026, 10, 1)),
            ]
        ],
        checked=True,
    )
    assert [(f.row, f.field, f.problem) for f in found.findings] == [
        (2, "amount", "'abc' is not an amount"),
        (2, "email", "invalid email address 'not an address'"),
        (4, "cc", "invalid cc address 'bad cc'"),
    ]
    assert [(i.row, i.due_date) for i in found.invoices] == [
        (3, date(2026, 1, 31)),
        (4, date(2026, 11, 1)),
    ]
    assert found.invoices[1].last_reminder == date(2026, 10, 1)


def test_an_invoice_number_on_several_rows_is_a_finding_on_each() -> None:
    """Across chunks too; the rows with other numbers go on."""
    found = _parse(
        [
            [_row(2, invoice="A"), _row(3, invoice="B")],
            [_row(4, invoice="A"), _row(5, invoice="C")],
            [_row(6, invoice="C"), _row(7, invoice="A")],
        ]
    )
    assert [i.row for i in found.invoices] == [3]
    assert [(f.row, f.problem) for f in found.findings] == [
        (2, "duplicate invoice number 'A' (also in rows 4, 7)"),
        (4, "duplicate invoice number 'A' (also in rows 2, 7)"),
        (5, "duplicate invoice number 'C' (also in row 6)"),
        (6, "duplicate invoice number 'C' (also in row 5)"),
        (7, "duplicate invoice number 'A' (also in rows 2, 4)"),
    ]


def test_the_same_invoice_number_twice_in_one_chunk_with_blank_rows() -> None:
    found = _parse([[_row(2), _row(3, invoice=None, customer=None), _row(4), _row(5, invoice="Z")]])
    assert [i.row for i in found.invoices] == [5]
    assert {f.row for f in found.findings} == {2, 4}


def test_a_finding_names_the_invoice_number_only_when_it_was_read() -> None:
    """A rejected Invoice cell leaves a finding's invoice empty, never the rejected cell."""
    found = _parse(
        [
            [
                _row(2, invoice=_invalid("x" * 200, "too long"), email=(None, (), "bad")),
                _row(3, invoice="INV-3", amount=_invalid("abc")),
            ]
        ],
        checked=True,
    )
    assert [(f.row, f.field, f.invoice) for f in found.findings] == [
        (2, "email", None),
        (2, "invoice", None),
        (3, "amount", "INV-3"),
    ]


def test_an_invoice_number_shared_with_a_skipped_row_names_that_row() -> None:
    """A row skipped for its own findings still holds the number: the invoice that shares it
    is a duplicate that names it (it read "(also in row )")."""
    found = _parse(
        [
            [_row(2, invoice="A", amount=_invalid("abc"), email=(None, (), "bad"))],
            [_row(3, invoice="B"), _row(4, invoice="A")],
        ],
        checked=True,
    )
    assert [i.row for i in found.invoices] == [3]
    assert [(f.row, f.field, f.problem) for f in found.findings] == [
        (2, "amount", "'abc' is not an amount"),
        (2, "email", "invalid email address 'bad'"),
        (4, "invoice", "duplicate invoice number 'A' (also in row 2)"),
    ]


# -- dates a column at a time (series.dates) --------------------------------------------------

DATE_CASES = [
    "26/11/2026",
    "3/4/2026",
    "26.11.2026",
    "26-11-26",
    "1/1/99",
    "2026-11-26",
    "2026/4/3",
    "2026-11-26T10:30:00",
    "2026-11-26 anything",
    "26 Nov 2026",
    "November 26, 2026",
    "Nov 26 2026",
    " 26/11/2026 ",
    "31/02/2026",
    "32/13/2026",
    "1/1/1899",
    "0001-01-01",
    "soon",
    "#N/A",
    "",
    46000.0,
    46000.75,
    1.0,
    0.5,
    3e6,
    45,
    datetime(2026, 11, 26, 15, 0),
    date(2026, 11, 26),
    datetime(1850, 1, 1),
    True,
]


@pytest.mark.parametrize("order", ["DMY", "MDY", "YMD"])
def test_the_column_path_reads_a_date_as_the_cell_path_does(order: str) -> None:
    """pandas reads the usual forms (to_datetime: serials, each explicit format); whatever it
    takes must be what `to_date` makes of the cell, and what it leaves goes to `to_date`."""
    import pandas as pd

    from xlsdun.workbook.coerce import to_date
    from xlsdun.workbook.series import LEFT, dates

    values = pd.Series(DATE_CASES, dtype=object)
    taken = 0
    for cell, found in zip(DATE_CASES, dates(values, order), strict=True):
        if found is LEFT:
            continue
        taken += 1
        assert found == to_date(cell, order), cell
    assert taken >= 14  # the usual forms are pandas' work, not left to the cell path


@pytest.mark.parametrize("bulk_from", [1, 1_000])
def test_a_date_column_keeps_its_findings_whichever_path(
    monkeypatch: pytest.MonkeyPatch, bulk_from: int
) -> None:
    """Through the converter, a date before 1900 and a non-date keep their words, whether
    the column went to pandas first (`_BULK_FROM`: 1) or straight to the cell path."""
    from functools import partial

    from xlsdun.workbook import convert
    from xlsdun.workbook.coerce import to_date
    from xlsdun.workbook.series import dates

    monkeypatch.setattr(convert, "_BULK_FROM", bulk_from)
    converter = Converter(partial(to_date, date_order="DMY"), partial(dates, date_order="DMY"))
    found = converter.column(["1/1/1899", "soon", "26/11/2026", datetime(1850, 1, 1), 46000.0])
    assert [f.says("a date") if isinstance(f, Invalid) else f for f in found] == [
        "'1/1/1899' is a date before 1900; check the year",
        "'soon' is not a date",
        date(2026, 11, 26),
        "'1850-01-01' is a date before 1900; check the year",
        date(2025, 12, 9),
    ]
