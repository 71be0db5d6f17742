"""The writer's small units on their own: cell values, date formats, log keys, table growth,
the calc chain, and the options `write_back` takes."""

from __future__ import annotations

import dataclasses
import io
import math
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import python_calamine

from support.workbooks import SHEET, build_receivables
from xlsdun.workbook.guard import WorkbookError
from xlsdun.workbook.patch import LogLines, WriteOptions, write_back
from xlsdun.workbook.patch import verify as verify_module
from xlsdun.workbook.patch.calc_chain import prune_calc_chain
from xlsdun.workbook.patch.log_sheet import key_text
from xlsdun.workbook.patch.package import Package
from xlsdun.workbook.patch.styles import is_date_format_code
from xlsdun.workbook.patch.tables import _continuing, _unique
from xlsdun.workbook.patch.values import check_value, clean_text, number_text, serial


@pytest.mark.parametrize(
    ("value", "date1904", "expected"),
    [
        (date(1900, 1, 1), False, 1),
        (date(1900, 2, 28), False, 59),
        (date(1900, 3, 1), False, 61),  # Excel's 29 February 1900 is day 60
        (date(2026, 11, 26), False, 46352),
        (date(2026, 11, 26), True, 46352 - 1462),
        (datetime(2026, 11, 26, 12), False, 46352.5),
        (datetime(2026, 11, 26), False, 46352),
    ],
)
def test_serial_is_excels_day_number(value: date, date1904: bool, expected: float) -> None:
    assert serial(value, date1904) == expected
    assert isinstance(serial(value, date1904), type(expected))


def test_clean_text_drops_what_xml_cannot_carry_and_keeps_escapes_literal() -> None:
    assert clean_text("a\x00b\x1fc\td") == "abc\td"
    assert clean_text("_x0041_") == "_x005F_x0041_"  # else Excel reads an "A"
    assert clean_text("x" * 40_000) == "x" * 32_767


def test_number_text() -> None:
    assert (number_text(7), number_text(2.5), number_text(Decimal("3.10"))) == ("7", "2.5", "3.1")


@pytest.mark.parametrize("value", [None, "x", True, 3, 2.5, Decimal("1.5"), date(2026, 1, 1)])
def test_values_a_cell_can_hold(value: object) -> None:
    check_value(value)


def test_values_no_cell_can_hold() -> None:
    with pytest.raises(ValueError, match="cannot be stored"):
        check_value(math.nan)
    with pytest.raises(ValueError, match="cannot be stored"):
        check_value(Decimal("Infinity"))
    with pytest.raises(TypeError, match="cannot write a list"):
        check_value([1])


@pytest.mark.parametrize(
    ("code", "is_date"),
    [
        ("yyyy-mm-dd", True),
        ("dd/mm/yyyy hh:mm", True),
        ("[h]:mm", True),
        ("0.00", False),
        ("#,##0.00", False),
        ('"days "0', False),  # letters in quotes are text
        ("[Red]0.00", False),
        ("[$-409]0", False),
        ("0;[Red]-0;\\d", False),
    ],
)
def test_date_format_codes(code: str, is_date: bool) -> None:
    assert is_date_format_code(code) is is_date


@pytest.mark.parametrize(
    ("value", "key"),
    [(1.0, "1"), ("1", "1"), (" 12 ", "12"), ("12.0", "12"), ("1e3", "1e3"), ("a:b", "a:b")],
)
def test_a_log_key_is_the_same_as_a_number_or_as_text(value: object, key: str) -> None:
    assert key_text(value) == key


def test_only_columns_that_continue_a_table_join_it() -> None:
    assert _continuing([(5, "A"), (6, "B"), (8, "C")], 4) == ["A", "B"]
    assert _continuing([(6, "A")], 4) == []
    assert _unique("Status", {"status", "status 2"}) == "Status 3"
    assert _unique("New", {"status"}) == "New"


def _package(tmp_path: Path, parts: dict[str, bytes]) -> Package:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    path = tmp_path / "wb.xlsx"
    path.write_bytes(buffer.getvalue())
    return Package.load(path, buffer.getvalue())


CHAIN = b'<calcChain xmlns="x"><c r="A1" i="1"/><c r="A2"/><c r="B1" i="2"/></calcChain>'


def test_a_removed_calc_chain_entry_hands_its_sheet_id_on(tmp_path: Path) -> None:
    package = _package(tmp_path, {"xl/calcChain.xml": CHAIN})
    prune_calc_chain(package, "xl/calcChain.xml", {"1": {"A1"}})
    assert package.read("xl/calcChain.xml") == (
        b'<calcChain xmlns="x"><c r="A2" i="1"/><c r="B1" i="2"/></calcChain>'
    )
    prune_calc_chain(package, None, {"1": {"A2"}})  # no calc chain: nothing to do


def test_a_calc_chain_left_empty_is_refused(tmp_path: Path) -> None:
    package = _package(tmp_path, {"xl/calcChain.xml": CHAIN})
    with pytest.raises(WorkbookError, match="empty calc chain"):
        prune_calc_chain(package, "xl/calcChain.xml", {"1": {"A1", "A2"}, "2": {"B1"}})


def test_options_and_log_lines_are_frozen_values() -> None:
    options = WriteOptions()
    assert (options.state_dir, options.backups, options.expected, options.allow_protected) == (
        None,
        14,
        None,
        False,
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.backups = 0  # type: ignore[misc]
    assert LogLines("Log").header == () and LogLines("Log").rows == ()


def test_without_options_the_backup_goes_beside_the_workbook(tmp_path: Path) -> None:
    path = build_receivables(tmp_path / "wb.xlsx", rows=3, rich=False)
    result = write_back(path, sheet=SHEET, header_row=1, updates={2: {"Reminder status": "x"}})
    assert result.backup is not None and result.backup.parent == tmp_path / ".xlsdun" / "backups"


@pytest.mark.parametrize("name", ["", "  ", "a" * 32, "a/b", "[log]", "what?"])
def test_a_log_sheet_name_excel_refuses_is_a_programmer_error(tmp_path: Path, name: str) -> None:
    path = build_receivables(tmp_path / "wb.xlsx", rows=3, rich=False)
    before = path.read_bytes()
    with pytest.raises(ValueError, match="not a valid Excel sheet name"):
        write_back(path, sheet=SHEET, header_row=1, updates={}, log=LogLines(name, ["Key"]))
    assert path.read_bytes() == before


def test_a_log_line_must_start_with_its_key(tmp_path: Path) -> None:
    path = build_receivables(tmp_path / "wb.xlsx", rows=3, rich=False)
    with pytest.raises(ValueError, match="unique key"):
        write_back(path, sheet=SHEET, header_row=1, updates={}, log=LogLines("Log", rows=[[]]))


def test_log_lines_with_nothing_to_add_leave_a_missing_log_sheet_missing(tmp_path: Path) -> None:
    """No header and no lines: the log sheet is not made, and the write is verified without
    it (it was looked for in the written copy, and the write refused as unverifiable)."""
    path = build_receivables(tmp_path / "wb.xlsx", rows=3, rich=False)
    result = write_back(
        path,
        sheet=SHEET,
        header_row=1,
        updates={2: {"Reminder status": "sent"}},
        log=LogLines("Log"),
        options=WriteOptions(backups=0),
    )
    assert result.written and result.cells_changed == 1 and result.log_rows_added == 0
    with zipfile.ZipFile(path) as zf:
        workbook = zf.read("xl/workbook.xml")
    assert b'name="Log"' not in workbook and b'name="Receivables"' in workbook


def test_verify_reads_back_the_sheets_the_write_opened_unless_big(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """calamine reads the written sheet and log sheet by their names in the workbook (as a
    caller spelled them they may differ), and leaves a sheet over the limit to the XML check."""
    read: list[str] = []
    real = python_calamine.CalamineWorkbook

    class Spy:
        @staticmethod
        def from_path(path: str) -> object:
            book = real.from_path(path)

            class Book:
                def get_sheet_by_name(self, name: str) -> object:
                    read.append(name)
                    return book.get_sheet_by_name(name)

                def close(self) -> None:
                    book.close()

            return Book()

    monkeypatch.setattr(verify_module.python_calamine, "CalamineWorkbook", Spy)
    path = build_receivables(tmp_path / "wb.xlsx", rows=3, rich=False)
    log = LogLines("Reminder log", ["Key"], [["k"]])
    options = WriteOptions(backups=0)
    write_back(path, sheet="receivables", header_row=1, updates={2: {"S": 1}}, log=log)
    assert read == [SHEET, "Reminder log"]
    read.clear()
    monkeypatch.setattr(verify_module, "_CALAMINE_CHECK_BYTES", 100)
    write_back(path, sheet=SHEET, header_row=1, updates={2: {"S": 2}}, options=options)
    assert read == []
