"""A big sheet is read from a memory-mapped temporary file whose pages are given back as the
writer sweeps over it. That path must write exactly what the in-memory path writes; here
"big" is made tiny so that every sweep crosses many release steps."""

from __future__ import annotations

import gc
import mmap
import shutil
import zipfile
from datetime import date
from pathlib import Path

import pytest

from support.workbooks import build_receivables, entries
from xlsdun import speedups
from xlsdun.workbook import write_back
from xlsdun.workbook.guard import WorkbookError
from xlsdun.workbook.patch import LogLines, WriteOptions, package, stream_rows
from xlsdun.workbook.patch import mapped as mapped_sheet

LOG = ["Key", "Date", "Customer"]


def _write(path: Path, state: Path) -> None:
    write_back(
        path,
        sheet="Receivables",
        header_row=1,
        updates={
            r: {"Reminder status": f"Sent {r}", "Last reminder": date(2026, 11, r % 28 + 1)}
            for r in range(2, 300, 3)
        }
        | {5: {"Customer": "Renamed"}},  # an existing cell: that row goes through lxml
        log=LogLines(
            "Reminder log",
            LOG,
            [[f"{k}:sent", date(2026, 11, 26), f"Customer {k}"] for k in range(200)],
        ),
        options=WriteOptions(state_dir=state, backups=0),
    )


@pytest.mark.skipif(
    not speedups.enabled("mmap"),
    reason="XLSDUN_PORTABLE: the sheet is read into memory, not mapped",
)
def test_mapped_sheet_writes_what_the_in_memory_path_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = build_receivables(tmp_path / "source.xlsx", rows=400)
    plain, mapped = tmp_path / "plain.xlsx", tmp_path / "mapped.xlsx"
    shutil.copyfile(source, plain)
    shutil.copyfile(source, mapped)
    _write(plain, tmp_path / "state-plain")

    released: list[tuple[int, int]] = []
    real_madvise = mmap.mmap.madvise

    class Spy(mmap.mmap):
        def madvise(self, option: int, start: int = 0, length: int = 0) -> None:
            released.append((start, length))
            real_madvise(self, option, start, length)

    monkeypatch.setattr(package.mmap, "mmap", Spy)
    monkeypatch.setattr(package, "_MAP_BYTES", 1024)
    monkeypatch.setattr(mapped_sheet, "_RELEASE_STEP", mmap.PAGESIZE)
    monkeypatch.setattr(stream_rows, "_SPOOL_BYTES", 1024)
    _write(mapped, tmp_path / "state-mapped")

    assert len(released) > 20, "the sweeps gave pages back as they went"
    before, after = entries(plain), entries(mapped)
    assert before.keys() == after.keys()
    for name in before:
        if name != "docProps/core.xml":
            assert after[name] == before[name], name
    # nothing is left behind in the state folder (the temporary files are unnamed)
    assert not [p for p in (tmp_path / "state-mapped").rglob("*") if p.is_file()]


def test_a_damaged_big_sheet_is_refused_and_the_workbook_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = build_receivables(tmp_path / "bad.xlsx", rows=50, rich=False)
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(b"</sheetData>", b"</sheetDat>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    original = path.read_bytes()
    monkeypatch.setattr(package, "_MAP_BYTES", 1024)
    with pytest.raises(WorkbookError, match="damaged|cannot|not"):
        _write(path, tmp_path / "state")
    assert path.read_bytes() == original


def test_an_error_while_writing_a_mapped_sheet_closes_the_mapping(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The temporary copy of a big sheet goes with the failed write, not with some later
    garbage collection (it is 100 MB at 200,000 rows)."""
    if not Path("/proc/self/maps").exists():
        pytest.skip("needs /proc")
    path = build_receivables(tmp_path / "wb.xlsx", rows=400)
    original = path.read_bytes()
    monkeypatch.setattr(package, "_MAP_BYTES", 1024)
    calls = {"n": 0}
    real = stream_rows.StreamRows._element_row

    def failing(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise WorkbookError("injected")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(stream_rows.StreamRows, "_element_row", failing)
    state = tmp_path / "state"
    gc_was = gc.isenabled()
    gc.disable()  # the mapping must go without the cyclic collector's help
    try:
        with pytest.raises(WorkbookError, match="injected"):
            write_back(
                path,
                sheet="Receivables",
                header_row=1,
                updates={r: {"Customer": f"Renamed {r}"} for r in range(2, 40)},
                options=WriteOptions(state_dir=state, backups=0),
            )
        maps = Path("/proc/self/maps").read_text()
    finally:
        if gc_was:
            gc.enable()
    assert calls["n"] == 3
    assert str(state) not in maps
    assert path.read_bytes() == original
