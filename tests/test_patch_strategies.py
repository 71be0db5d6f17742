"""The one sheet editor and its two row strategies: the whole sheet as an lxml tree
(`TreeRows`) and the streamed sheet (`StreamRows`, the daily path). Whichever holds the rows,
the editor must read the same sheet and write the same cells; and the streamed path's text
for a new cell must be what the editor builds as an element."""

from __future__ import annotations

import re
import shutil
import warnings
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from lxml import etree

from support.workbooks import SHEET, build_receivables, grid, write_rows
from xlsdun.workbook.patch import LogLines, WriteOptions, write_back
from xlsdun.workbook.patch import workbook as workbook_module
from xlsdun.workbook.patch.package import Package
from xlsdun.workbook.patch.row_text import RowText
from xlsdun.workbook.patch.sheet import SheetEditor
from xlsdun.workbook.patch.stream_rows import NotStreamable, StreamRows, layout
from xlsdun.workbook.patch.tree_rows import TreeRows
from xlsdun.workbook.patch.workbook import WorkbookEdit

SHEET_PART = "xl/worksheets/sheet1.xml"


def _book(path: Path) -> WorkbookEdit:
    return WorkbookEdit(Package.load(path, path.read_bytes()), path)


def _editor(path: Path, kind: str, book: WorkbookEdit | None = None) -> SheetEditor:
    """An editor of the first sheet with the strategy named `kind`, on its own package."""
    book = book or _book(path)
    entry = book.find_sheet(SHEET)
    assert entry is not None
    part = entry.rel.target
    content = book.package.read(part)
    if kind == "tree":
        rows: TreeRows | StreamRows = TreeRows(content, part, path)
    else:
        found = layout(content)
        assert found is not None
        rows = StreamRows(content, part, book.context, found)
    return SheetEditor(entry.name, part, book.context, rows)


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return build_receivables(tmp_path / "wb.xlsx", rows=12)


def test_both_strategies_read_the_same_sheet(workbook: Path) -> None:
    tree, stream = _editor(workbook, "tree"), _editor(workbook, "stream")

    def texts(editor: SheetEditor) -> list[tuple[int, list[str | None]]]:
        return [
            (n, [editor.cell_text(c) for _, c in editor.cells(row, n)])
            for n, row in editor.iter_rows()
        ]

    assert texts(tree) == texts(stream)
    assert tree.occupied_columns_after(7) == stream.occupied_columns_after(7) == {16}
    assert tree.rows.array_areas() == stream.rows.array_areas() == [(16, 2, 16, 13)]
    for editor in (tree, stream):
        row = editor.row(3, create=False)
        assert row is not None
        cell = editor.find_cell(row, 3, 16, create=False)
        assert cell is not None
        assert editor.blocking_formula(cell, 3, 16) == ("P3 is part of the array formula in P2:P13")
        assert editor.protected is False


def test_only_the_stream_keeps_values_for_the_write(workbook: Path) -> None:
    tree, stream = _editor(workbook, "tree"), _editor(workbook, "stream")
    columns = {"Reminder status": 8}
    assert tree.defer(3, {"Reminder status": "x"}, columns) is False  # the tree takes them now
    assert stream.defer(3, {"Reminder status": "x"}, columns) is True
    assert stream.rows.pending and not tree.rows.pending
    assert stream.row(4, create=False) is not None  # read: now an element
    assert stream.defer(4, {"Reminder status": "x"}, columns) is False
    assert stream.extent == (8, 3, 8, 3)


def test_both_strategies_write_the_same_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The daily write through the stream and the same write forced onto the tree."""
    source = build_receivables(tmp_path / "source.xlsx", rows=30)
    updates: dict[int, dict[str, object]] = {
        r: {"Reminder status": f"sent {r}", "Last reminder": date(2026, 11, r % 28 + 1)}
        for r in range(2, 40, 3)  # rows past the last one too
    }
    updates[4] = {"Customer": "Renamed", "Reminder level": 2}  # an existing cell
    log = LogLines(
        "Reminder log", ["Key", "Date"], [[f"{k}:sent", date(2026, 11, 26)] for k in range(5)]
    )
    written = {}
    for kind in ("stream", "tree"):
        path = tmp_path / f"{kind}.xlsx"
        shutil.copyfile(source, path)
        with monkeypatch.context() as patched:
            if kind == "tree":
                patched.setattr(workbook_module, "layout", lambda content: None)
            written[kind] = write_back(
                path,
                sheet=SHEET,
                header_row=1,
                updates=updates,
                log=log,
                options=WriteOptions(backups=0),
            )
    counts = {
        kind: (r.cells_changed, r.columns_added, r.log_rows_added, r.written)
        for kind, r in written.items()
    }
    assert (
        counts["stream"]
        == counts["tree"]
        == (28, ["Reminder status", "Last reminder", "Reminder level"], 5, True)
    )
    stream, tree = tmp_path / "stream.xlsx", tmp_path / "tree.xlsx"
    for sheet in (SHEET, "Reminder log"):
        assert grid(stream, sheet) == grid(tree, sheet)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl does not read sparklines
        a, b = openpyxl.load_workbook(stream)[SHEET], openpyxl.load_workbook(tree)[SHEET]
    assert [[c.number_format for c in row] for row in a.iter_rows()] == [
        [c.number_format for c in row] for row in b.iter_rows()
    ]
    assert a.tables["Table1"].ref == b.tables["Table1"].ref
    assert a.dimensions == b.dimensions


def test_new_cells_as_text_are_what_the_editor_builds(workbook: Path) -> None:
    """`RowText` writes new cells without lxml; it must write what the element path does."""
    book = _book(workbook)
    tree = _editor(workbook, "tree", book)
    items: list[tuple[int, object]] = [
        (1, "  padded "),
        (2, "a&b<c>d\r\ne"),
        (3, "_x0041_ \x01"),
        (4, True),
        (5, 7),
        (6, 2.5),
        (7, Decimal("3.10")),
        (8, date(2026, 11, 26)),
        (9, datetime(2026, 11, 26, 9, 30)),
        (10, datetime(2026, 11, 26)),
        (11, date(1899, 12, 1)),  # before Excel's first day: its ISO text
        (12, None),
        (13, "שלום"),
    ]
    assert tree.set_cells(100, items) == 12
    row = tree.row(100, create=False)
    assert row is not None
    element = re.sub(rb' xmlns(:\w+)?="[^"]*"', b"", etree.tostring(row, encoding="UTF-8"))
    text, count = RowText("", book.context).new_row(100, items)
    assert (text, count) == (element, 12)


def test_a_row_is_appended_to_as_text_with_its_spans_widened(workbook: Path) -> None:
    book = _book(workbook)
    chunk = b'<row r="3" spans="1:7"><c r="A3"><v>1</v></c></row>'
    text, count = RowText("", book.context).appended(chunk, 3, [(8, "x"), (9, None)])
    assert count == 1  # the spans cover the columns written to, as the element path's do
    assert text == (
        b'<row r="3" spans="1:9"><c r="A3"><v>1</v></c>'
        b'<c r="H3" t="inlineStr"><is><t>x</t></is></c></row>'
    )
    empty = b'<row r="4" spans="1:7"/>'
    assert RowText("", book.context).appended(empty, 4, [(9, 1)])[0] == (
        b'<row r="4" spans="1:9"><c r="I4"><v>1</v></c></row>'
    )


@pytest.mark.parametrize(
    "rows",
    [
        b"<row r='1'/><!-- a note --><row r='2'/>",
        b"<row r='1'><c r='A1' t='inlineStr'><is><t><![CDATA[x]]></t></is></c></row>",
        b"<row r='1'/><?pi here?>",
    ],
)
def test_the_scan_refuses_what_it_cannot_read_safely(rows: bytes) -> None:
    sheet = b"<worksheet><sheetData>" + rows + b"</sheetData></worksheet>"
    assert layout(sheet) is None


def test_rows_out_of_order_take_the_tree_path(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "wb.xlsx", [["Customer"], ["a"], ["b"]])
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    sheet = parts[SHEET_PART]
    first, second = re.findall(rb"<row r=\"[23]\".*?</row>", sheet)
    parts[SHEET_PART] = sheet.replace(first + second, second + first)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    book = _book(path)
    content = book.package.read(SHEET_PART)
    found = layout(content)
    assert found is not None  # nothing the layout scan refuses...
    with pytest.raises(NotStreamable):  # ...but the row index does
        StreamRows(content, SHEET_PART, book.context, found)
    entry = book.find_sheet(SHEET)
    assert entry is not None
    assert isinstance(book.open_sheet(entry).rows, TreeRows)
    write_back(path, sheet=SHEET, header_row=1, updates={3: {"Reminder status": "x"}})
    assert grid(path, SHEET)[(3, 2)] == "x"
