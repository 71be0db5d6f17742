"""write_back on workbooks that carry what a writer most easily loses: tables, data bars,
validation, sparklines, dynamic arrays, comments, charts and cached formula values."""

from __future__ import annotations

import re
import warnings
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import python_calamine
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from support.workbooks import (
    HEADERS,
    SHEET,
    build_receivables,
    changed_entries,
    grid,
    header_columns,
)
from xlsdun.workbook.guard import WorkbookError
from xlsdun.workbook.patch import LogLines, WriteOptions, write_back

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
OWNED = ["Reminder status", "Last reminder", "Reminders sent", "Reminder level", "Next reminder"]
ROWS = 20


def owned_values(row: int) -> dict[str, object]:
    return {
        "Reminder status": f"sent #{row}",
        "Last reminder": date(2024, 3, row),
        "Reminders sent": row,
        "Reminder level": "friendly" if row % 2 else "direct",
        "Next reminder": date(2024, 4, row),
    }


@pytest.fixture
def receivables(tmp_path: Path) -> tuple[Path, Path]:
    original = build_receivables(tmp_path / "original.xlsx", ROWS)
    work = tmp_path / "receivables.xlsx"
    work.write_bytes(original.read_bytes())
    return original, work


def sheet_xml(path: Path, part: str = "xl/worksheets/sheet1.xml") -> etree._Element:
    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read(part))


def test_rich_receivables_round_trip(receivables: tuple[Path, Path], tmp_path: Path) -> None:
    original, work = receivables
    updates = {row: owned_values(row) for row in range(2, ROWS + 2)}
    log = [[f"run1:{row}", datetime(2024, 3, 1, 9, 30), "sent", row] for row in range(2, 5)]
    result = write_back(
        work,
        sheet=SHEET,
        header_row=1,
        updates=updates,
        log=LogLines("Reminder log", ["Key", "When", "Outcome", "Row"], log),
        options=WriteOptions(state_dir=tmp_path / "state"),
    )
    assert result.columns_added == OWNED
    assert result.cells_changed == ROWS * len(OWNED)
    assert result.log_rows_added == 3
    assert result.backup is not None and result.backup.read_bytes() == original.read_bytes()

    allowed = {
        "xl/worksheets/sheet1.xml",
        "xl/styles.xml",
        "xl/tables/table1.xml",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "[Content_Types].xml",
    }
    assert changed_entries(original, work) <= allowed

    before, after = grid(original, SHEET), grid(work, SHEET)
    columns = header_columns(after, 1)
    new_columns = {columns[h] for h in OWNED}
    assert new_columns == set(range(len(HEADERS) + 1, len(HEADERS) + 6))
    assert {k: v for k, v in after.items() if k[1] not in new_columns} == before
    for row in range(2, ROWS + 2):
        for header, value in owned_values(row).items():
            got = after[(row, columns[header])]
            assert got == value or (isinstance(value, int) and got == float(value))

    old_root, new_root = sheet_xml(original), sheet_xml(work)
    balance = HEADERS.index("Balance")
    for row in range(2, ROWS + 2):
        ref = f"{chr(65 + balance)}{row}"
        old_cell = old_root.find(f".//{NS}c[@r='{ref}']")
        new_cell = new_root.find(f".//{NS}c[@r='{ref}']")
        assert new_cell.findtext(f"{NS}f") == old_cell.findtext(f"{NS}f") is not None
        assert new_cell.findtext(f"{NS}v") == old_cell.findtext(f"{NS}v") is not None
    anchor = new_root.find(f".//{NS}c[@r='P2']")
    assert anchor.get("cm") == "1" and anchor.find(f"{NS}f").get("t") == "array"
    assert new_root.find(f"{NS}dimension").get("ref").endswith(f"{ROWS + 1}")

    frame = pd.read_excel(work, sheet_name=SHEET, engine="calamine")
    assert frame["Balance"].notna().all()
    assert list(frame.columns[: len(HEADERS) + 5]) == HEADERS + OWNED

    with zipfile.ZipFile(work) as z:
        table = etree.fromstring(z.read("xl/tables/table1.xml"))
    assert table.get("ref") == f"A1:L{ROWS + 1}"
    assert table.find(f"{NS}autoFilter").get("ref") == f"A1:L{ROWS + 1}"
    table_columns = table.find(f"{NS}tableColumns")
    names = [c.get("name") for c in table_columns]
    ids = [c.get("id") for c in table_columns]
    assert names == HEADERS + OWNED
    assert len(set(ids)) == len(ids) and len({n.casefold() for n in names}) == len(names)
    assert table_columns.get("count") == str(len(names))
    assert [after[(1, c)] for c in range(1, 13)] == names

    log_cells = grid(work, "Reminder log")
    assert log_cells[(1, 1)] == "Key" and log_cells[(4, 1)] == "run1:4"
    assert log_cells[(2, 2)] == datetime(2024, 3, 1, 9, 30)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = openpyxl.load_workbook(work)
    assert loaded.sheetnames == [SHEET, "Notes", "Reminder log"]
    assert loaded[SHEET].tables["Table1"].ref == f"A1:L{ROWS + 1}"


def test_log_rows_are_idempotent(receivables: tuple[Path, Path]) -> None:
    _, work = receivables
    log = [[f"run1:{row}", "sent"] for row in range(2, 5)]
    args = dict(sheet=SHEET, header_row=1, updates={})
    first = write_back(work, **args, log=LogLines("Reminder log", ["Key", "Outcome"], log))
    assert first.log_rows_added == 3
    snapshot = work.read_bytes()
    again = write_back(work, **args, log=LogLines("Reminder log", ["Key", "Outcome"], log))
    assert again.log_rows_added == 0
    assert work.read_bytes() == snapshot, "a write with nothing new must not rewrite the file"
    more = write_back(work, **args, log=LogLines("Reminder log", rows=[*log, ["run2:2", "failed"]]))
    assert more.log_rows_added == 1
    cells = grid(work, "Reminder log")
    assert max(r for r, _ in cells) == 5
    assert cells[(5, 1)] == "run2:2"


def test_second_run_overwrites_owned_cells_in_place(receivables: tuple[Path, Path]) -> None:
    _, work = receivables
    write_back(work, sheet=SHEET, header_row=1, updates={2: owned_values(2), 3: owned_values(3)})
    result = write_back(
        work,
        sheet=SHEET,
        header_row=1,
        updates={2: {"  reminder   STATUS ": "paid", "Next reminder": None}, 3: owned_values(3)},
    )
    assert result.columns_added == []
    assert result.cells_changed == 2
    cells = grid(work, SHEET)
    columns = header_columns(cells, 1)
    assert cells[(2, columns["Reminder status"])] == "paid"
    assert (2, columns["Next reminder"]) not in cells
    assert cells[(3, columns["Next reminder"])] == date(2024, 4, 3)
    assert list(columns).count("Reminder status") == 1


def test_rows_below_the_last_row_are_created(receivables: tuple[Path, Path]) -> None:
    _, work = receivables
    far = ROWS + 50
    write_back(work, sheet=SHEET, header_row=1, updates={far: {"Reminder status": "late"}})
    cells = grid(work, SHEET)
    assert cells[(far, header_columns(cells, 1)["Reminder status"])] == "late"
    root = sheet_xml(work)
    numbers = [int(r.get("r")) for r in root.iter(f"{NS}row")]
    assert numbers == sorted(numbers) and far in numbers
    assert root.find(f"{NS}dimension").get("ref").endswith(str(far))


INJECTION = [
    '=HYPERLINK("http://evil.example","click")',
    "<script>alert(1)</script> & co",
    "bell\x00\x07 and nul",
    "שלום, החשבונית באיחור",
    "   leading and trailing   ",
    "line one\nline two\r\nthree",
    "_x0041_ is not A",
    "+SUM(1,2)",
    "@cmd",
]


def expected_text(value: str) -> str:
    return re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f]", "", value)


def test_text_is_data_never_a_formula(receivables: tuple[Path, Path]) -> None:
    _, work = receivables
    updates = {row: {"Notes": value} for row, value in enumerate(INJECTION, start=2)}
    write_back(work, sheet=SHEET, header_row=1, updates=updates)
    cells = grid(work, SHEET)
    column = header_columns(cells, 1)["Notes"]
    for row, value in enumerate(INJECTION, start=2):
        assert cells[(row, column)] == expected_text(value)
    root = sheet_xml(work)
    letter = chr(64 + column)
    for row in range(2, len(INJECTION) + 2):
        cell = root.find(f".//{NS}c[@r='{letter}{row}']")
        assert cell.get("t") == "inlineStr" and cell.find(f"{NS}f") is None


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40))
def test_any_text_reads_back(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    folder = tmp_path_factory.mktemp("text")
    work = build_receivables(folder / "wb.xlsx", 2, rich=False)
    write_back(work, sheet=SHEET, header_row=1, updates={2: {"Notes": text}})
    cells = grid(work, SHEET)
    wanted = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "", text)
    assert cells.get((2, len(HEADERS) + 1), "") == wanted


def test_value_types(tmp_path: Path) -> None:
    work = build_receivables(tmp_path / "wb.xlsx", 3, rich=False)
    values = {
        "Int": 42,
        "Float": 0.1,
        "Decimal": Decimal("1234.56"),
        "Bool": True,
        "Date": date(2024, 2, 29),
        "Stamp": datetime(2024, 2, 29, 13, 45),
    }
    write_back(work, sheet=SHEET, header_row=1, updates={2: values})
    cells = grid(work, SHEET)
    columns = header_columns(cells, 1)
    got = {header: cells[(2, columns[header])] for header in values}
    assert got == {
        "Int": 42.0,
        "Float": 0.1,
        "Decimal": 1234.56,
        "Bool": True,
        "Date": date(2024, 2, 29),
        "Stamp": datetime(2024, 2, 29, 13, 45),
    }
    with pytest.raises(TypeError):
        write_back(work, sheet=SHEET, header_row=1, updates={2: {"Bad": object()}})
    with pytest.raises(ValueError):
        write_back(work, sheet=SHEET, header_row=1, updates={2: {"Bad": float("nan")}})


def test_dates_respect_the_1904_system(tmp_path: Path) -> None:
    path = tmp_path / "mac.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"date_1904": True})
    ws = wb.add_worksheet("Sheet1")
    ws.write_row(0, 0, ["Invoice", "Due"])
    ws.write_row(1, 0, ["A-1", 1])
    wb.close()
    write_back(
        path, sheet="Sheet1", header_row=1, updates={2: {"Last reminder": date(2024, 5, 17)}}
    )
    cells = grid(path, "Sheet1")
    assert cells[(2, 3)] == date(2024, 5, 17)


def test_new_column_skips_data_without_a_header(tmp_path: Path) -> None:
    path = tmp_path / "loose.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Sheet1")
    ws.write_row(0, 0, ["Invoice", "Amount"])
    ws.write_row(1, 0, ["A-1", 10, "note without header"])
    wb.close()
    write_back(path, sheet="Sheet1", header_row=1, updates={2: {"Reminder status": "sent"}})
    cells = grid(path, "Sheet1")
    assert cells[(2, 3)] == "note without header"
    assert cells[(1, 4)] == "Reminder status" and cells[(2, 4)] == "sent"


def test_unknown_sheet_is_a_clear_error(receivables: tuple[Path, Path]) -> None:
    original, work = receivables
    with pytest.raises(WorkbookError, match="no sheet 'Invoices'.*'Receivables'"):
        write_back(work, sheet="Invoices", header_row=1, updates={2: {"Reminder status": "x"}})
    assert work.read_bytes() == original.read_bytes()


def test_array_formula_cells_are_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "array.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Sheet1")
    ws.write_row(0, 0, ["Amount", "Reminder status"])
    ws.write_column(1, 0, [1, 2, 3])
    ws.write_array_formula("B2:B4", "{=A2:A4*2}", None, 2)
    wb.close()
    original = path.read_bytes()
    with pytest.raises(WorkbookError, match="array formula"):
        write_back(path, sheet="Sheet1", header_row=1, updates={3: {"Reminder status": "x"}})
    assert path.read_bytes() == original


def test_calamine_reads_every_written_sheet(receivables: tuple[Path, Path]) -> None:
    _, work = receivables
    write_back(
        work,
        sheet=SHEET,
        header_row=1,
        updates={2: owned_values(2)},
        log=LogLines("Reminder log", ["Key"], [["k"]]),
    )
    wb = python_calamine.CalamineWorkbook.from_path(str(work))
    assert wb.sheet_names == [SHEET, "Notes", "Reminder log"]
