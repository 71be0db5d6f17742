"""The guards around write_back: a workbook open elsewhere, saved meanwhile, protected,
encrypted or failing verification is never written, and backups rotate privately."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest
import xlsxwriter

from support.workbooks import SHEET, build_receivables, grid
from xlsdun.workbook.guard import (
    OLE2_MAGIC,
    WorkbookChanged,
    WorkbookError,
    WorkbookLocked,
    atomic_replace,
    fingerprint,
    is_encrypted,
    open_elsewhere,
    rotate_backups,
)
from xlsdun.workbook.patch import WriteOptions, write_back

UPDATE = {2: {"Reminder status": "sent"}}


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return build_receivables(tmp_path / "receivables.xlsx", 5, rich=False)


def test_excel_owner_file_means_locked(workbook: Path) -> None:
    original = workbook.read_bytes()
    (workbook.parent / f"~${workbook.name}").write_bytes(b"owner")
    assert "Excel" in (open_elsewhere(workbook) or "")
    with pytest.raises(WorkbookLocked, match="Close the workbook in Excel") as info:
        write_back(workbook, sheet=SHEET, header_row=1, updates=UPDATE)
    assert workbook.name in str(info.value)
    assert workbook.read_bytes() == original


def test_libreoffice_lock_means_locked(workbook: Path) -> None:
    original = workbook.read_bytes()
    (workbook.parent / f".~lock.{workbook.name}#").write_text("user,host")
    with pytest.raises(WorkbookLocked, match="LibreOffice"):
        write_back(workbook, sheet=SHEET, header_row=1, updates=UPDATE)
    assert workbook.read_bytes() == original


def test_not_open_anywhere(workbook: Path) -> None:
    assert open_elsewhere(workbook) is None


def test_saved_after_reading_means_changed(workbook: Path) -> None:
    seen = fingerprint(workbook)
    time.sleep(0.01)
    build_receivables(workbook, 6, rich=False)
    changed = workbook.read_bytes()
    with pytest.raises(WorkbookChanged, match="next run"):
        write_back(
            workbook, sheet=SHEET, header_row=1, updates=UPDATE, options=WriteOptions(expected=seen)
        )
    assert workbook.read_bytes() == changed


def test_matching_fingerprint_writes(workbook: Path) -> None:
    result = write_back(
        workbook,
        sheet=SHEET,
        header_row=1,
        updates=UPDATE,
        options=WriteOptions(expected=fingerprint(workbook)),
    )
    assert result.cells_changed == 1


def test_backups_rotate_and_are_private(workbook: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    originals = []
    for run in range(3):
        originals.append(workbook.read_bytes())
        result = write_back(
            workbook,
            sheet=SHEET,
            header_row=1,
            updates={2: {"Reminder status": f"run {run}"}},
            options=WriteOptions(state_dir=state, backups=2),
        )
        assert result.backup is not None and result.backup.read_bytes() == originals[-1]
    kept = sorted((state / "backups").iterdir())
    assert [p.read_bytes() for p in kept] == originals[1:]
    if os.name != "nt":
        assert stat.S_IMODE((state / "backups").stat().st_mode) == 0o700
        assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in kept)
    assert all(p.suffix == ".xlsx" for p in kept)


def test_rotate_backups_keeps_newest(workbook: Path, tmp_path: Path) -> None:
    made = [rotate_backups(workbook, tmp_path / "s", keep=3) for _ in range(5)]
    assert sorted((tmp_path / "s" / "backups").iterdir()) == made[-3:]


def protected_workbook(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Sheet1")
    ws.write_row(0, 0, ["Invoice", "Amount"])
    ws.write_row(1, 0, ["A-1", 10])
    ws.protect()
    wb.close()
    return path


def test_protected_sheet_refused_unless_allowed(tmp_path: Path) -> None:
    path = protected_workbook(tmp_path / "locked.xlsx")
    original = path.read_bytes()
    with pytest.raises(WorkbookError, match="protected") as info:
        write_back(path, sheet="Sheet1", header_row=1, updates=UPDATE)
    assert "locked.xlsx" in str(info.value) and "Sheet1" in str(info.value)
    assert path.read_bytes() == original
    result = write_back(
        path,
        sheet="Sheet1",
        header_row=1,
        updates=UPDATE,
        options=WriteOptions(allow_protected=True),
    )
    assert result.cells_changed == 1
    assert grid(path, "Sheet1")[(2, 3)] == "sent"


def test_encrypted_workbook_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret.xlsx"
    path.write_bytes(OLE2_MAGIC + b"\0" * 1024)
    assert is_encrypted(path)
    with pytest.raises(WorkbookError, match="password-protected"):
        write_back(path, sheet="Sheet1", header_row=1, updates=UPDATE)
    assert not is_encrypted(build_receivables(tmp_path / "plain.xlsx", 1, rich=False))


def test_not_a_workbook_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.xlsx"
    path.write_text("just text")
    with pytest.raises(WorkbookError, match="notes.xlsx is damaged or not an .xlsx"):
        write_back(path, sheet="Sheet1", header_row=1, updates=UPDATE)
    with pytest.raises(WorkbookError, match="was not found"):
        write_back(tmp_path / "missing.xlsx", sheet="Sheet1", header_row=1, updates=UPDATE)


def test_failed_verification_leaves_original_and_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    path.write_bytes(b"original")

    def verify(_tmp: Path) -> None:
        raise WorkbookError("verification failed")

    with pytest.raises(WorkbookError):
        atomic_replace(path, lambda f: f.write(b"new"), verify=verify)
    assert path.read_bytes() == b"original"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]


def test_atomic_replace_keeps_permissions(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    path.write_bytes(b"original")
    os.chmod(path, 0o640)
    atomic_replace(path, lambda f: f.write(b"new"))
    assert path.read_bytes() == b"new"
    if os.name != "nt":
        assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_symlinked_workbook_stays_a_symlink(workbook: Path, tmp_path: Path) -> None:
    if os.name == "nt":
        pytest.skip("symlinks need privileges on Windows")
    link = tmp_path / "link.xlsx"
    link.symlink_to(workbook)
    write_back(link, sheet=SHEET, header_row=1, updates=UPDATE)
    assert link.is_symlink()
    assert grid(workbook, SHEET)[(2, 8)] == "sent"
