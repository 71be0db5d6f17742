"""The reader converts a sheet a chunk of rows at a time, each column's distinct values once
per chunk (pandas.factorize); neither may change what it reads. Each workbook here is read
with tiny chunks and must give exactly what one big chunk gives."""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from xlsdun.models import Receivables
from xlsdun.workbook import grid
from xlsdun.workbook.read import read_receivables

OWNED = {"status": "Reminder status", "level": "Reminder level", "last": "Last reminder"}
HEADER = ["Customer", "Email", "Invoice", "Due date", "Amount", "Paid", "Disputed"]
HEADER += ["Reminder status", "Reminder level", "Last reminder"]

# Cells chosen to collide as dict keys (1 == 1.0 == True, 0 == False), to repeat from row to
# row, and to be rejected (text that is no amount, TRUE in an amount column, infinity).
AMOUNTS = [1.0, True, 1, "1,234.50 ₪", 0.0, False, "abc", math.inf, 250.5, float("nan")]
DISPUTED = [True, 1.0, 0, "yes", None, False, 1, "N/A", "", 0.0]
LEVELS = ["Friendly", None, "friendly ", "FINAL", 1.0, True, "N/A", None, "direct", ""]
LASTS = [datetime(2026, 10, 1), "not a date", None, 45_000.0, True, None, "", "NULL", None, 1.0]


def _workbook(path: Path, *, rows: int, first_row: int = 4, first_col: int = 3) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "AR"
    sheet.cell(row=1, column=first_col, value="Receivables")
    for c, text in enumerate(HEADER):
        sheet.cell(row=first_row, column=first_col + c, value=text)
    for k in range(rows):
        r = first_row + 1 + k
        values = [
            f"Customer {k % 7}" if k % 11 else None,
            f"c{k % 7}@example.com" if k % 13 else "not an address",
            f"INV-{k}" if k % 17 else f"INV-{k - 1}",  # a few duplicate numbers
            date(2026, 9, 1 + k % 28) if k % 19 else "32/13/2026",
            AMOUNTS[k % len(AMOUNTS)],
            0.5 * (k % 3),
            DISPUTED[k % len(DISPUTED)],
            "Sent" if k % 2 else None,
            LEVELS[k % len(LEVELS)],
            LASTS[k % len(LASTS)],
        ]
        for c, value in enumerate(values):
            sheet.cell(row=r, column=first_col + c, value=value)
        if k % 23 == 5:
            sheet.row_dimensions[r].hidden = True
    book.save(path)
    return path


def _read(path: Path, **kwargs: object) -> Receivables:
    return read_receivables(path, owned_columns=OWNED, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("hidden", [True, False])
def test_tiny_chunks_read_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hidden: bool
) -> None:
    path = _workbook(tmp_path / "mixed.xlsx", rows=240)
    whole = _read(path, include_hidden_rows=hidden)
    monkeypatch.setattr(grid, "_CHUNK", 7)
    chunked = _read(path, include_hidden_rows=hidden)
    assert chunked == whole
    assert chunked.owned == whole.owned
    assert len(whole.invoices) > 80 and len(whole.findings) > 50


def test_colliding_keys_keep_their_own_meaning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(grid, "_CHUNK", 3)
    rec = _read(_workbook(tmp_path / "keys.xlsx", rows=60))
    by_row = {i.row: i for i in rec.invoices}
    problems = {(f.row, f.field): f.problem for f in rec.findings}
    first = 5  # the first data row: header on row 4
    assert set(by_row) | {row for row, _ in problems} == set(range(first, first + 60))
    assert len(by_row) >= 20, "enough rows are invoices for the checks below to mean something"
    for k in range(1, 60):
        row = first + k
        amount = AMOUNTS[k % len(AMOUNTS)]
        if row not in by_row:
            continue
        inv = by_row[row]
        if amount is True or amount is False:
            pytest.fail(f"row {row}: a TRUE/FALSE amount was read as {inv.amount}")
        if isinstance(amount, float) and math.isfinite(amount):
            assert inv.amount == Decimal(f"{amount:.2f}")
        assert inv.disputed == (DISPUTED[k % len(DISPUTED)] in (True, 1.0, 1, "yes"))
    rejected = [r for (r, field) in problems if field == "amount"]
    assert rejected, "TRUE, text and infinity in the amount column are findings"
    for row in rejected:
        assert AMOUNTS[(row - first) % len(AMOUNTS)] in (True, False, "abc", math.inf)
    # the sheet's own reminder record: text casefolded, TRUE/1.0 read as text, dates as dates
    levels = {(r - first) % len(LEVELS): i.reminder_level for r, i in by_row.items()}
    expected = {0: "friendly", 2: "friendly", 3: "final", 4: "1", 5: "true", 6: None, 8: "direct"}
    assert {0, 2, 3, 4, 8} <= set(levels)  # 1, 5, 6, 7: rows whose amount is rejected
    assert {k: levels[k] for k in expected if k in levels} == {
        k: v for k, v in expected.items() if k in levels
    }
    # the cells as they are, for the write-back's comparison: TRUE stays TRUE, 1.0 is 1
    for row, cells in rec.owned.items():
        raw = LEVELS[(row - first) % len(LEVELS)]
        if raw is True or raw == 1.0:
            assert type(cells["level"]) is (bool if raw is True else int), (row, cells)
    lasts = {(r - first) % len(LASTS): i.last_reminder for r, i in by_row.items()}
    assert lasts.get(0) == date(2026, 10, 1)
    assert lasts.get(1) is None  # "not a date" in an owned column: not a finding, just unknown


def test_rows_keep_their_sheet_numbers_wherever_the_data_starts(tmp_path: Path) -> None:
    for first_row, first_col in ((1, 1), (6, 4), (30, 1)):
        path = _workbook(
            tmp_path / f"at-{first_row}-{first_col}.xlsx",
            rows=9,
            first_row=first_row,
            first_col=first_col,
        )
        rec = _read(path, header_row=first_row)
        assert rec.sheet.header_row == first_row
        assert min(i.row for i in rec.invoices) >= first_row + 1
        sheet = openpyxl.load_workbook(path).active
        for inv in rec.invoices:
            assert sheet.cell(row=inv.row, column=first_col + 2).value == inv.invoice


def test_owned_cells_that_compare_equal_stay_apart(tmp_path: Path) -> None:
    """1.0, 1 and TRUE are equal in Python but not in the sheet: rows whose owned cells
    differ only so must not share their record of what the sheet holds."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for k, level in enumerate([1.0, True, 1.0, True, 0.0, False]):
        sheet.append(
            [
                "Acme",
                "a@acme.example.com",
                f"INV-{k}",
                date(2026, 9, 1),
                10.0,
                0.0,
                None,
                "Sent",
                level,
                None,
            ]
        )
    book.save(tmp_path / "equal.xlsx")
    rec = _read(tmp_path / "equal.xlsx")
    levels = [rec.owned[row]["level"] for row in range(2, 8)]
    assert [type(v) for v in levels] == [int, bool, int, bool, int, bool]
    assert levels == [1, True, 1, True, 0, False]


def test_a_wide_sheet_is_read_in_fewer_rows_at_a_time_with_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two hundred columns of monthly figures beside the receivables: chunks shrink so that
    a chunk holds about as many cells as a narrow sheet's, and only the columns read are
    transposed."""
    path = tmp_path / "wide.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([*HEADER[:5], *(f"M{m}" for m in range(200))])
    for k in range(700):
        sheet.append(
            [
                f"Customer {k % 9}",
                f"c{k % 9}@example.com",
                f"INV-{k}",
                date(2026, 9, 1 + k % 28),
                10.0 + k,
                *range(200),
            ]
        )
    book.save(path)

    seen: list[int] = []
    real = grid.Grid.__init__

    def spy(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        real(self, *args, **kwargs)
        seen.append(self.chunk)

    monkeypatch.setattr(grid.Grid, "__init__", spy)
    narrow = read_receivables(path)
    monkeypatch.setattr(grid, "_CHUNK_CELLS", 1 << 30)
    whole = read_receivables(path)
    assert seen[0] < 700 <= seen[1]  # several chunks, then one
    assert narrow == whole and len(whole.invoices) == 700
