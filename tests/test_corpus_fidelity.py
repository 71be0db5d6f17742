"""write_back over real workbooks saved by Excel, LibreOffice and other producers.

Each file gets two new owned columns on its first sheet; nothing else in it may change:
no other zip entry, no pre-existing cell. Files the writer must refuse (encrypted,
damaged) must be refused with a clear WorkbookError and left as they were.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import warnings
import zipfile
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest
import python_calamine

from support.workbooks import changed_entries, grid, header_columns
from xlsdun.workbook.guard import WorkbookError
from xlsdun.workbook.patch import LogLines, write_back

CORPUS = Path(
    os.environ.get("XLSDUN_CORPUS") or Path(__file__).resolve().parents[2] / "shared" / "corpus"
)
FILES = (
    sorted(p for p in CORPUS.glob("*") if p.suffix.lower() in (".xlsx", ".xlsm"))
    if CORPUS.is_dir()
    else []
)
STATUS, DATE = "Reminder status", "Last reminder"


def allowed_to_change(name: str) -> bool:
    """The sheet being written, styles (a date format) and the sheet's tables."""
    part = name.replace("\\", "/").lstrip("/").lower()
    base = part.rsplit("/", 1)[-1]
    return (
        base == "styles.xml"
        or "/tables/" in f"/{part}"
        or base.startswith("sheet")
        and base.endswith(".xml")
        and "chartsheets" not in part
    )


def readable(path: Path) -> tuple[str, dict[tuple[int, int], object]] | None:
    try:
        wb = python_calamine.CalamineWorkbook.from_path(str(path))
        name = wb.sheet_names[0]
        wb.close()
        return name, grid(path, name)
    except Exception:
        return None


def opens_in_openpyxl(path: Path) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            openpyxl.load_workbook(path)
        except Exception:
            return False
    return True


@pytest.mark.skipif(not FILES, reason=f"corpus not found at {CORPUS}")
@pytest.mark.parametrize("source", FILES, ids=[p.name for p in FILES])
def test_corpus_file(source: Path, tmp_path: Path) -> None:
    work = tmp_path / source.name
    shutil.copyfile(source, work)
    original = source.read_bytes()
    before = readable(source)
    if before is None:
        with pytest.raises(WorkbookError) as info:
            write_back(work, sheet="Sheet1", header_row=1, updates={2: {STATUS: "x"}})
        message = str(info.value)
        assert source.name in message and "Traceback" not in message
        if source.name == "pass_protected.xlsx":
            assert "password-protected" in message
        assert work.read_bytes() == original
        return

    sheet, cells = before
    header_row = min((r for r, _ in cells), default=1)
    data_rows = sorted({r for r, _ in cells if r > header_row}) or [header_row + 1]
    updates = {
        row: {STATUS: f"sent {row}", DATE: date(2024, 1, 1) + timedelta(days=row)}
        for row in data_rows
    }
    result = write_back(work, sheet=sheet, header_row=header_row, updates=updates)
    assert result.columns_added == [STATUS, DATE]
    assert result.cells_changed == 2 * len(data_rows)

    changed = changed_entries(source, work)
    assert all(allowed_to_change(name) for name in changed), changed
    assert sum(1 for n in changed if "sheet" in n.lower() and "styles" not in n) == 1

    after = grid(work, sheet)
    new_columns = header_columns(after, header_row)
    status_col, date_col = new_columns[STATUS], new_columns[DATE]
    assert {k: v for k, v in after.items() if k[1] not in (status_col, date_col)} == cells
    for row in data_rows:
        assert after[(row, status_col)] == f"sent {row}"
        assert after[(row, date_col)] == date(2024, 1, 1) + timedelta(days=row)
    with zipfile.ZipFile(work) as z:
        assert z.testzip() is None

    if opens_in_openpyxl(source):
        assert opens_in_openpyxl(work)

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice and libreoffice_converts(soffice, source, tmp_path / "original"):
        converted, stderr = libreoffice_csv(soffice, work, tmp_path / "result")
        assert converted, stderr
        assert "error" not in stderr.lower(), stderr


def libreoffice_csv(soffice: str, book: Path, folder: Path) -> tuple[bool, str]:
    """Convert with LibreOffice headless (own profile); its exit code is always 0."""
    run = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "csv",
            "--outdir",
            str(folder / "csv"),
            str(book),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return (folder / "csv" / (book.stem + ".csv")).exists(), run.stderr


def libreoffice_converts(soffice: str, book: Path, folder: Path) -> bool:
    """Whether LibreOffice reads the original at all (some corpus files it cannot)."""
    converted, stderr = libreoffice_csv(soffice, book, folder)
    return converted and "error" not in stderr.lower()


@pytest.mark.skipif(not FILES, reason=f"corpus not found at {CORPUS}")
def test_corpus_second_write_changes_only_owned_cells(tmp_path: Path) -> None:
    """A later run finds its own columns again instead of adding them twice."""
    checked = 0
    for source in FILES:
        before = readable(source)
        if before is None:
            continue
        checked += 1
        sheet, cells = before
        header_row = min((r for r, _ in cells), default=1)
        work = tmp_path / source.name
        shutil.copyfile(source, work)
        row = header_row + 1
        write_back(work, sheet=sheet, header_row=header_row, updates={row: {STATUS: "one"}})
        again = write_back(work, sheet=sheet, header_row=header_row, updates={row: {STATUS: "two"}})
        assert again.columns_added == [], source.name
        assert again.cells_changed == 1, source.name
        after = grid(work, sheet)
        assert after[(row, header_columns(after, header_row)[STATUS])] == "two", source.name
    assert checked >= len(FILES) - 2, "the writer takes all but the two files it refuses"


@pytest.mark.skipif(not FILES, reason=f"corpus not found at {CORPUS}")
@pytest.mark.parametrize("source", FILES, ids=[p.name for p in FILES])
def test_corpus_log_sheet(source: Path, tmp_path: Path) -> None:
    """Registering a new sheet works with strict, prefixed, rootless and backslash packages."""
    before = readable(source)
    if before is None:
        pytest.skip("the writer refuses this file (see test_corpus_file)")
    sheet, _ = before
    work = tmp_path / source.name
    shutil.copyfile(source, work)
    log = [["run-1:a", date(2024, 5, 1), "sent"], ["run-1:b", date(2024, 5, 1), "failed"]]
    args = dict(sheet=sheet, header_row=1, updates={})
    result = write_back(work, **args, log=LogLines("Reminder log", ["Key", "Date", "Outcome"], log))
    assert result.log_rows_added == 2
    changed = changed_entries(source, work)
    registry = {"workbook.xml", "workbook.xml.rels", "[content_types].xml", "styles.xml"}
    assert all(n.replace("\\", "/").rsplit("/", 1)[-1].lower() in registry for n in changed)
    wb = python_calamine.CalamineWorkbook.from_path(str(work))
    assert wb.sheet_names[-1] == "Reminder log"
    assert (
        wb.sheet_names[:-1] == python_calamine.CalamineWorkbook.from_path(str(source)).sheet_names
    )
    log_cells = grid(work, "Reminder log")
    assert log_cells[(1, 1)] == "Key" and log_cells[(3, 1)] == "run-1:b"
    assert log_cells[(2, 2)] == date(2024, 5, 1)
    assert write_back(work, **args, log=LogLines("Reminder log", rows=log)).log_rows_added == 0
    if opens_in_openpyxl(source):
        assert opens_in_openpyxl(work)
