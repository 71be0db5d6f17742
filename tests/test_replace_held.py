"""A workbook another process holds (issue 17): on Windows, Excel, a sync client (OneDrive,
Dropbox) or an antivirus makes the final rename fail with PermissionError. xlsdun retries
briefly; still refused, the run ends with exit 3 and nothing lost: the next run writes the
same outcomes. A cloud placeholder that is not downloaded is named as such."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest

from support.sample_setup import TODAY, copy_sample, invoke
from xlsdun.workbook import guard
from xlsdun.workbook.guard import WorkbookLocked, file_problem, replace_retrying


def _refusing(times: int, calls: list[Path]) -> Any:
    """A rename that refuses the first `times` renames onto a workbook (.xlsx)."""
    real = guard._rename

    def rename(tmp: Path, target: Path) -> None:
        calls.append(target)
        if target.suffix == ".xlsx" and len(calls) <= times:
            raise PermissionError(13, "The process cannot access the file")
        real(tmp, target)

    return rename


def _pair(folder: Path) -> tuple[Path, Path]:
    """A new copy and the workbook it replaces."""
    tmp, target = folder / "new", folder / "book.xlsx"
    tmp.write_bytes(b"new")
    target.write_bytes(b"old")
    return tmp, target


def test_a_brief_hold_is_waited_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Path] = []
    monkeypatch.setattr(guard, "REPLACE_RETRY_DELAYS", (0, 0, 0))
    monkeypatch.setattr(guard, "_rename", _refusing(2, calls))
    tmp, target = _pair(tmp_path)
    replace_retrying(tmp, target)
    assert target.read_bytes() == b"new" and len(calls) == 3


def test_a_lasting_hold_is_a_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Path] = []
    monkeypatch.setattr(guard, "REPLACE_RETRY_DELAYS", (0, 0))
    monkeypatch.setattr(guard, "_rename", _refusing(99, calls))
    tmp, target = _pair(tmp_path)
    with pytest.raises(WorkbookLocked, match="OneDrive") as info:
        replace_retrying(tmp, target)
    assert info.value.exit_code == 3
    assert target.read_bytes() == b"old" and len(calls) == 3


def _statuses(folder: Path) -> list[str]:
    frame = pd.read_excel(folder / "receivables.xlsx", engine="calamine", header=3)
    return [str(v) for v in frame["Reminder status"].dropna()]


def test_run_ends_exit_3_and_the_next_run_writes_what_was_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toml = copy_sample(tmp_path)
    before = (tmp_path / "receivables.xlsx").read_bytes()
    monkeypatch.setattr(guard, "REPLACE_RETRY_DELAYS", (0, 0))
    monkeypatch.setattr(guard, "_rename", _refusing(10**6, []))
    code, out, err = invoke("run", "--config", str(toml), "--today", TODAY)
    assert code == 3, err
    said = " ".join((out + err).split())
    assert "could not be replaced" in said and "kept" in said, said
    assert (tmp_path / "receivables.xlsx").read_bytes() == before  # untouched
    sent = sorted((tmp_path / "outbox").rglob("*.eml"))
    assert sent
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".receivables.xlsx")]
    assert leftovers == []  # no temp file left beside the workbook

    monkeypatch.undo()
    code, out, err = invoke("run", "--config", str(toml), "--today", TODAY)
    assert code == 0, err
    assert sorted((tmp_path / "outbox").rglob("*.eml")) == sent  # nothing sent twice
    control = tmp_path / "control"  # the same run, with nothing holding the workbook
    copy_sample(control)
    code, _, err = invoke("run", "--config", str(control / "xlsdun.toml"), "--today", TODAY)
    assert code == 0, err
    assert _statuses(tmp_path) == _statuses(control)
    assert any(s.startswith("In outbox") for s in _statuses(tmp_path))


def test_icloud_placeholder_is_named(tmp_path: Path) -> None:
    toml = copy_sample(tmp_path)
    book = tmp_path / "receivables.xlsx"
    book.rename(tmp_path / ".receivables.xlsx.icloud")
    assert "iCloud Drive" in (file_problem(book) or "")
    code, _, err = invoke("check", "--config", str(toml))
    assert code == 2 and "Download Now" in err, err


@pytest.mark.parametrize("attributes", [0x1000, 0x40000, 0x400000])
def test_windows_online_only_attributes_are_named(attributes: int) -> None:
    st: Any = SimpleNamespace(st_file_attributes=attributes)
    assert "not downloaded" in (guard._online_only(st) or "")
    assert guard._online_only(SimpleNamespace(st_file_attributes=0x20)) is None  # type: ignore[arg-type]
