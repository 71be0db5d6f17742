"""The append-only log sheet: lines added below the last one, each once (by its key)."""

from __future__ import annotations

from .model import LogLines, WriteResult
from .new_sheet import add_sheet
from .sheet import SheetEditor
from .workbook import WorkbookEdit


def append_log(
    book: WorkbookEdit, log: LogLines, allow_protected: bool, result: WriteResult
) -> None:
    """Append the lines whose key (first value) is not in column A yet; the header first
    into a sheet that holds nothing. The sheet is added to the workbook if missing."""
    entry = book.find_sheet(log.sheet)
    if entry is None:
        entry = add_sheet(book, log.sheet, right_to_left=log.right_to_left)
    edit = book.open_sheet(entry)
    book.refuse_protected(edit, allow_protected)
    keys, last = _keys_and_last_row(edit)
    if last == 0 and log.header:
        for column, value in enumerate(log.header, start=1):
            edit.set_value(1, column, value)
        last = 1
    for line in log.rows:
        key = key_text(line[0])
        if key in keys:
            continue
        keys.add(key)
        last += 1
        if not edit.defer(last, line, None):
            edit.set_row(last, list(enumerate(line, start=1)))
        result.log_rows_added += 1


def _keys_and_last_row(edit: SheetEditor) -> tuple[set[str], int]:
    """The keys in column A, and the number of the last row that holds anything."""
    keys: set[str] = set()
    last = 0
    for number, row in edit.iter_rows():
        cells = edit.cells(row, number)
        if any(edit.has_content(cell) for _, cell in cells):
            last = number
        first = next((cell for column, cell in cells if column == 1), None)
        if first is not None:
            text = edit.cell_text(first)
            if text is not None:
                keys.add(key_text(text))
    return keys, last


def key_text(value: object) -> str:
    """A key as text, the same whether the cell holds it as a number or as text."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() and "e" not in text.lower() else text
