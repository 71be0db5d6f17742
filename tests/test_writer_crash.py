"""Kill the writer at random moments: the workbook must always be whole.

A child process rewrites a 5,000-row workbook in a loop and is SIGKILLed ~15 times at
seeded random moments. After every kill the file at the workbook's path is either the
original bytes or a complete new workbook that calamine reads to the last row; leftover
temp files are clearly named and the next write_back removes them.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import python_calamine

from support.workbooks import SHEET, build_receivables
from xlsdun.workbook.patch import write_back

ROWS = 5_000
KILLS = 15
CHILD = """
import sys
from datetime import date
from xlsdun.workbook.patch import LogLines, WriteOptions, write_back

path, state, run = sys.argv[1], sys.argv[2], int(sys.argv[3])
print("ready", flush=True)
while True:
    run += 1
    updates = {{row: {{"Reminder status": f"pass {{run}}", "Last reminder": date(2024, 1, 1 + run % 28)}}
               for row in range(2, {rows} + 2)}}
    write_back(path, sheet="{sheet}", header_row=1, updates=updates,
               log=LogLines("Reminder log", ["Key", "Outcome"], [[f"pass-{{run}}", "sent"]]),
               options=WriteOptions(state_dir=state, backups=2))
"""


def assert_whole(path: Path, original: bytes) -> bool:
    """True if a new workbook is in place, False if it is still the original."""
    data = path.read_bytes()
    if data == original:
        return False
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    rows = wb.get_sheet_by_name(SHEET).to_python()
    assert len(rows) == ROWS + 1
    status = rows[0].index("Reminder status")
    passes = {line[status] for line in rows[1:]}
    assert len(passes) == 1 and next(iter(passes)).startswith("pass "), passes
    wb.close()
    return True


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL is POSIX")
def test_killed_writer_never_leaves_a_broken_workbook(tmp_path: Path) -> None:
    folder = tmp_path / "books"
    folder.mkdir()
    path = build_receivables(folder / "receivables.xlsx", ROWS, rich=False)
    original = path.read_bytes()
    state = tmp_path / "state"
    temp_name = re.compile(rf"^\.{re.escape(path.name)}\.xlsdun-tmp-\d+-[0-9a-f]+$")
    child = CHILD.format(rows=ROWS, sheet=SHEET)
    rng = random.Random(20240517)
    replaced = 0
    for kill in range(KILLS):
        proc = subprocess.Popen(
            [sys.executable, "-c", child, str(path), str(state), str(kill * 1000)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        try:
            proc.wait(timeout=rng.uniform(0.05, 0.9))
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""
        replaced += assert_whole(path, original)
        for leftover in folder.iterdir():
            assert (
                leftover == path or leftover.name == ".xlsdun" or temp_name.match(leftover.name)
            ), leftover.name
    assert replaced, "no kill landed after a completed write; the test proved nothing"

    write_back(path, sheet=SHEET, header_row=1, updates={2: {"Reminder status": "final"}})
    assert sorted(p.name for p in folder.iterdir()) == [".xlsdun", path.name]  # + backups
    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    rows = wb.get_sheet_by_name(SHEET).to_python()
    assert len(rows) == ROWS + 1 and rows[1][rows[0].index("Reminder status")] == "final"
