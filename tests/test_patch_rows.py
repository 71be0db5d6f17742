"""Rows the writer creates go in row order, wherever they fall: Excel repairs a sheet otherwise."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
import python_calamine

from xlsdun.workbook import write_back
from xlsdun.workbook.patch import LogLines


def _row_numbers(path: Path, part: str = "xl/worksheets/sheet1.xml") -> list[int]:
    xml = zipfile.ZipFile(path).read(part).decode()
    return [int(n) for n in re.findall(r"<row [^>]*?r=\"(\d+)\"", xml)]


def _cells_in_order(path: Path, part: str = "xl/worksheets/sheet1.xml") -> None:
    xml = zipfile.ZipFile(path).read(part).decode()
    for row in re.findall(r"<row [^>]*>(.*?)</row>", xml, flags=re.S):
        refs = re.findall(r'<c r="([A-Z]+)\d+"', row)
        cols = [sum((ord(ch) - 64) * 26**i for i, ch in enumerate(reversed(r))) for r in refs]
        assert cols == sorted(cols) and len(cols) == len(set(cols))


@pytest.mark.parametrize(
    "rows",
    [{4}, {4, 7}, {2, 4, 6, 9}, {6}, {3, 4}, {1, 4, 8}],
)
def test_new_rows_between_existing_ones_keep_row_order(tmp_path: Path, rows: set[int]) -> None:
    path = tmp_path / "gaps.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Customer", "Amount"])
    ws.append(["a", 1])
    ws.append(["b", 2])
    ws["A5"] = "c"
    ws["A8"] = "d"
    wb.save(path)
    write_back(
        path,
        sheet="Sheet",
        header_row=1,
        updates={r: {"Reminder status": f"row {r}"} for r in rows if r > 1},
    )
    numbers = _row_numbers(path)
    assert numbers == sorted(numbers) and len(numbers) == len(set(numbers))
    _cells_in_order(path)
    grid = python_calamine.CalamineWorkbook.from_path(path).get_sheet_by_index(0).to_python()
    for r in rows - {1}:
        assert grid[r - 1][2] == f"row {r}"


def test_log_sheet_with_a_styled_empty_row_appends_in_order(tmp_path: Path) -> None:
    path = tmp_path / "log.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["Customer", "Amount"])
    wb.active.append(["a", 1])
    log = wb.create_sheet("Reminder log")
    log.append(["Key", "Date"])
    log.append(["1:sent", "2026-11-01"])
    log["B50"].number_format = "yyyy-mm-dd"  # an empty, formatted row far below
    wb.save(path)
    write_back(
        path,
        sheet="Sheet",
        header_row=1,
        updates={2: {"Reminder status": "x"}},
        log=LogLines(
            "Reminder log", ["Key", "Date"], [["2:sent", "2026-11-02"], ["3:sent", "2026-11-03"]]
        ),
    )
    numbers = _row_numbers(path, "xl/worksheets/sheet2.xml")
    assert numbers == sorted(numbers) and len(numbers) == len(set(numbers))
    grid = (
        python_calamine.CalamineWorkbook.from_path(path)
        .get_sheet_by_name("Reminder log")
        .to_python()
    )
    assert [r[0] for r in grid if r and r[0]] == ["Key", "1:sent", "2:sent", "3:sent"]


def test_an_owned_header_spelled_differently_is_found_not_added_again(tmp_path: Path) -> None:
    path = tmp_path / "spelled.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["Customer", "Reminder-Status:"])
    wb.active.append(["a", None])
    wb.save(path)
    result = write_back(path, sheet="Sheet", header_row=1, updates={2: {"Reminder status": "x"}})
    assert result.columns_added == []
    grid = python_calamine.CalamineWorkbook.from_path(path).get_sheet_by_index(0).to_python()
    assert grid == [["Customer", "Reminder-Status:"], ["a", "x"]]
