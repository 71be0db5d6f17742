"""Helpers shared by the write-back tests: real workbooks built with XlsxWriter, and
ways to compare two workbooks part by part and cell by cell."""

from __future__ import annotations

import zipfile
from datetime import date, timedelta
from pathlib import Path

import python_calamine
import xlsxwriter

SHEET = "Receivables"
HEADERS = ["Customer", "Email", "Invoice", "Due date", "Amount", "Currency", "Balance"]


def build_receivables(path: Path, rows: int = 20, *, rich: bool = True) -> Path:
    """A receivables sheet carrying the parts a writer is most likely to lose."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(SHEET)
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    money = wb.add_format({"num_format": "#,##0.00", "bg_color": "#FFF2CC"})
    for i in range(rows):
        r = i + 1
        amount = 100 + i * 7.5
        ws.write_string(r, 0, f"Customer {i}")
        ws.write_string(r, 1, f"c{i}@example.com")
        ws.write_string(r, 2, f"INV-{1000 + i}")
        ws.write_datetime(r, 3, date(2024, 1, 1) + timedelta(days=i), date_fmt)
        ws.write_number(r, 4, amount, money)
        ws.write_string(r, 5, "ILS")
        ws.write_formula(r, 6, f"=E{r + 1}*1", money, value=amount)
    last = rows
    ws.add_table(0, 0, last, len(HEADERS) - 1, {"columns": [{"header": h} for h in HEADERS]})
    if rich:
        ws.conditional_format(1, 4, last, 4, {"type": "data_bar"})
        ws.data_validation(1, 5, last, 5, {"validate": "list", "source": ["ILS", "USD", "EUR"]})
        ws.add_sparkline(1, 13, {"range": f"{SHEET}!E2:E{last + 1}"})
        ws.write_dynamic_array_formula(
            f"P2:P{last + 1}", f"=_xlfn._xlws.SORT(E2:E{last + 1})", None, 100
        )
        ws.write_comment(1, 0, "Pays late but always pays")
        ws.freeze_panes(1, 0)
        chart = wb.add_chart({"type": "column"})
        chart.add_series({"values": f"={SHEET}!$E$2:$E${last + 1}"})
        ws.insert_chart("R2", chart)
        other = wb.add_worksheet("Notes")
        other.write_string(0, 0, "Untouched sheet")
    wb.close()
    return path


def entries(path: Path) -> dict[str, tuple[int, bytes]]:
    """Every zip entry: name -> (compression type, decompressed bytes)."""
    with zipfile.ZipFile(path) as z:
        return {i.filename: (i.compress_type, z.read(i)) for i in z.infolist()}


def entry_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        return z.namelist()


def changed_entries(before: Path, after: Path) -> set[str]:
    """Names whose content differs, asserting order and compression are kept."""
    old, new = entries(before), entries(after)
    old_names, new_names = entry_names(before), entry_names(after)
    assert new_names[: len(old_names)] == old_names, "zip entry order changed"
    changed = set()
    for name, (kind, data) in old.items():
        assert new[name][0] == kind, f"compression of {name} changed"
        if new[name][1] != data:
            changed.add(name)
    return changed


def grid(path: Path, sheet: str | int = 0) -> dict[tuple[int, int], object]:
    """Non-empty cells by absolute 1-based (row, column), as calamine reads them."""
    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        sh = wb.get_sheet_by_index(sheet) if isinstance(sheet, int) else wb.get_sheet_by_name(sheet)
        data = sh.to_python(skip_empty_area=False)
    finally:
        wb.close()
    return {
        (r + 1, c + 1): value
        for r, line in enumerate(data)
        for c, value in enumerate(line)
        if value != ""
    }


def header_columns(cells: dict[tuple[int, int], object], header_row: int) -> dict[str, int]:
    return {str(v): c for (r, c), v in cells.items() if r == header_row}
