"""The owned cells: headers matched (or added as new columns at the right), then each row's
values written or kept for the streamed write."""

from __future__ import annotations

from ..columns import normalize
from ..guard import WorkbookError
from ..limits import next_free_column
from .model import Updates, WriteResult
from .sheet import SheetEditor
from .tables import extend_tables
from .workbook import WorkbookEdit


def apply_updates(
    book: WorkbookEdit,
    sheet: str,
    header_row: int,
    updates: Updates,
    allow_protected: bool,
    result: WriteResult,
) -> None:
    """Write ``updates`` ({row: {header: value}}) into the sheet named ``sheet``."""
    entry = book.find_sheet(sheet)
    if entry is None:
        names = ", ".join(f"'{e.name}'" for e in book.sheet_entries())
        raise WorkbookError(
            f"{book.path.name} has no sheet '{sheet}' (it has {names}). Set [workbook] "
            "sheet to one of these."
        )
    edit = book.open_sheet(entry)
    book.refuse_protected(edit, allow_protected)
    if not updates:
        return
    edit.count_into = result
    columns, added = _columns_for(edit, header_row, updates)
    result.columns_added.extend(text for _, text in added)
    if added:
        extend_tables(book.package, edit, header_row, added, updates)
    for number in sorted(updates):
        if edit.defer(number, updates[number], columns):
            continue
        by_column = {columns[header]: value for header, value in updates[number].items()}
        items = sorted(by_column.items(), key=lambda item: item[0])
        if items:
            result.cells_changed += edit.set_row(number, items)


def _columns_for(
    edit: SheetEditor, header_row: int, updates: Updates
) -> tuple[dict[str, int], list[tuple[int, str]]]:
    """Map each wanted header (as given) to its column, adding missing ones at the right."""
    found, last_header, left_style = _header_row(edit, header_row)
    occupied: set[int] | None = None
    next_column = last_header + 1
    columns: dict[str, int] = {}
    added: list[tuple[int, str]] = []
    wanted = dict.fromkeys(header for cells in updates.values() for header in cells)
    for header in wanted:
        key = normalize(header)
        if key in found:
            columns[header] = found[key]
            continue
        if occupied is None:
            occupied = edit.occupied_columns_after(last_header)
        free = next_free_column(next_column, occupied)  # the rule the reader checks
        if free is None:
            raise WorkbookError(f"{edit.ctx.path.name}: no free column left for '{header}'.")
        next_column = free
        text = " ".join(str(header).split())
        style = _header_style(edit, header_row, next_column, left_style)
        edit.set_value(header_row, next_column, text, style=style)
        columns[header] = found[key] = next_column
        added.append((next_column, text))
        next_column += 1
    return columns, added


def _header_row(edit: SheetEditor, header_row: int) -> tuple[dict[str, int], int, str | None]:
    """The headers already there (normalized -> column), the last one's column and style."""
    found: dict[str, int] = {}
    row = edit.row(header_row, create=False)
    last_header = 0
    if row is not None:
        for column, cell in edit.cells(row, header_row):
            text = edit.cell_text(cell)
            if text is not None and text.strip():
                found.setdefault(normalize(text), column)
                last_header = max(last_header, column)
    left_style: str | None = None
    if row is not None and last_header:
        left = edit.find_cell(row, header_row, last_header, create=False)
        left_style = left.get("s") if left is not None else None
    return found, last_header, left_style


def _header_style(
    edit: SheetEditor, header_row: int, column: int, fallback: str | None
) -> str | None:
    """Keep a pre-formatted header cell's style, else take its left neighbour's."""
    row = edit.row(header_row, create=False)
    if row is None:
        return fallback
    for candidate in (column, column - 1):
        cell = edit.find_cell(row, header_row, candidate, create=False) if candidate else None
        if cell is not None and cell.get("s") is not None:
            return cell.get("s")
    return fallback
