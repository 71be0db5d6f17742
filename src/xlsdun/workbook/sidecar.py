"""Outcomes for workbooks xlsdun can read but not patch (.xls, .xlsb, .ods): a sidecar file.

`NAME.xlsdun.xlsx` beside the original holds one row per invoice row of the source (its row
number, customer, invoice) with the owned columns, and the Reminder log. The sidecar is
xlsdun's own file, so it is rebuilt whole from the ledger on every run (openpyxl is fine
for a new workbook) and replaced atomically.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

from .guard import WorkbookLocked, atomic_replace, open_elsewhere


def sidecar_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(f"{path.stem}.xlsdun.xlsx")


def write_sidecar(
    source: str | Path,
    *,
    rows: Mapping[int, tuple[str, str]],
    owned: Mapping[int, Mapping[str, object]],
    owned_headers: Sequence[str],
    log_sheet: str,
    log_header: Sequence[str],
    log_rows: Sequence[Sequence[object]],
) -> Path:
    """Rebuild the sidecar for `source`; `rows` maps a source row to (customer, invoice)."""
    target = sidecar_path(source)
    if target.is_symlink():  # xlsdun's own file: a link in its place is never followed
        target.unlink()
    reason = open_elsewhere(target) if target.exists() else None
    if reason:
        raise WorkbookLocked(
            f"{target.name}: {reason}. Close it; the outcomes are kept and will be written on "
            f"the next run."
        )
    import openpyxl  # here: the daily run asks only for sidecar_path, and openpyxl's import
    from openpyxl.styles import Font  # alone cost 0.09 s of every run (make bench)

    book = openpyxl.Workbook()
    sheet = book.worksheets[0]  # the new workbook's one sheet, its active one
    sheet.title = "Outcomes"
    header = ["Row in " + Path(source).name, "Customer", "Invoice", *owned_headers]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    # the row's dates formatted through `cell()`, a look-up: `sheet[sheet.max_row]` scanned
    # every cell written so far, twice, for each row (20,000 rows took minutes)
    for at, number in enumerate(sorted(set(rows) | set(owned)), start=2):
        customer, invoice = rows.get(number, ("", ""))
        values = owned.get(number, {})
        cells = [number, customer, invoice, *(values.get(h) for h in owned_headers)]
        sheet.append(cells)
        for column, value in enumerate(cells, start=1):
            if hasattr(value, "year"):
                sheet.cell(row=at, column=column).number_format = "yyyy-mm-dd"
    log = book.create_sheet(log_sheet)
    log.append(list(log_header))
    for line in log_rows:
        log.append(list(line))
    sheet.freeze_panes = "A2"

    def write(fh: BinaryIO) -> None:
        book.save(fh)

    atomic_replace(target, write)
    return target
