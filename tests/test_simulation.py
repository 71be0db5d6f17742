"""120 days of the real pipeline on the sample workbook, one run per calendar day.

The expected tiers per debtor are written out in full: day offsets from 2026-11-26 (a
Thursday). Send days in Israel are Sunday–Thursday; cadence is 7 days, the final notice
repeats every 14 days and needs approval; first contact never opens above `plan`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from support.sample_setup import copy_sample
from xlsdun import config as config_mod
from xlsdun.cli import main
from xlsdun.engine import run_once
from xlsdun.workbook import write_back

START = date(2026, 11, 26)
PAYMENTS = {14: "Blue Cedar Catering", 40: "Harbor Light Dental Clinic"}  # paid in full that day
APPROVE = {30: "Oakridge Property Management"}  # the owner approves the final notice (a Saturday)

EXPECTED: dict[str, list[tuple[int, str]]] = {
    "Atlas Software Inc.": [
        (0, "friendly"),
        (7, "direct"),
        (14, "direct"),
        (21, "plan"),
        (28, "plan"),
        (35, "plan"),
        (42, "plan"),
        (49, "plan"),
    ],
    # paid on day 14: never contacted again
    "Blue Cedar Catering": [(0, "friendly"), (7, "direct")],
    # broken promise once (one tier up from direct), then the tone stays at plan
    "Coastal Pharmacy Herzliya": [
        (0, "plan*"),
        (7, "plan"),
        (14, "plan"),
        (21, "plan"),
        (28, "plan"),
        (35, "plan"),
    ],
    "Fjord Design AB": [
        (0, "direct"),
        (7, "direct"),
        (14, "plan"),
        (21, "plan"),
        (28, "plan"),
        (35, "plan"),
        (42, "plan"),
    ],
    "Harbor Light Dental Clinic": [
        (0, "direct"),
        (7, "direct"),
        (14, "plan"),
        (21, "plan"),
        (28, "plan"),
        (35, "plan"),
    ],
    "Northwind Interiors Ltd": [
        (0, "courtesy"),
        (7, "friendly"),
        (14, "friendly"),
        (21, "direct"),
        (28, "direct"),
        (35, "plan"),
        (42, "plan"),
        (49, "plan"),
        (56, "plan"),
    ],
    # approved on Saturday (day 30): final on Sunday, repeated after 14 days, then the call list
    "Oakridge Property Management": [
        (0, "plan"),
        (7, "plan"),
        (14, "plan"),
        (21, "plan"),
        (31, "final"),
        (45, "final"),
    ],
    # 77 days overdue at first contact: plan; then the final notice waits for approval
    "Silverline Fitness Studio": [(0, "plan")],
    # not yet due at the start: courtesy on day 3 (Sunday, due in 3 days), then up the ladder
    "גלריה בית מרים": [
        (3, "courtesy"),
        (10, "friendly"),
        (17, "friendly"),
        (24, "direct"),
        (31, "direct"),
        (38, "plan"),
        (45, "plan"),
        (52, "plan"),
        (59, "plan"),
    ],
    # promised to pay by 2026-12-05; two days' grace; broken on Tuesday 2026-12-08: one
    # "you promised" message (a first contact, so no higher than plan), then normal reminders
    "אולמי הדר אירועים": [(12, "plan*"), (19, "plan"), (26, "plan"), (33, "plan")],
    # on hold until 2026-12-10; Friday and Saturday are not send days: first contact Sunday
    "מוסך האחים עזרא": [(17, "plan"), (24, "plan")],
    "מכולת השכונה - יוסי ובניו": [
        (0, "courtesy"),
        (7, "friendly"),
        (14, "friendly"),
        (21, "direct"),
        (28, "direct"),
        (35, "plan"),
        (42, "plan"),
        (49, "plan"),
        (56, "plan"),
    ],
    "מספרת שירן": [
        (0, "friendly"),
        (7, "friendly"),
        (14, "direct"),
        (21, "direct"),
        (28, "plan"),
        (35, "plan"),
        (42, "plan"),
        (49, "plan"),
    ],
    # approved final: repeated after 14 days; at 90+ days the call list takes over
    "משרד רו\"ח גולדברג ושות'": [(0, "final"), (14, "final")],
    'נגרות אבו-חצירא בע"מ': [
        (0, "direct"),
        (7, "direct"),
        (14, "plan"),
        (21, "plan"),
        (28, "plan"),
        (35, "plan"),
    ],
    # reminded by hand on 2026-11-23 (the sheet's own record): next one 7 days later, Monday
    "סטודיו נועה לוי לעיצוב": [
        (4, "direct"),
        (11, "direct"),
        (18, "plan"),
        (25, "plan"),
        (32, "plan"),
        (39, "plan"),
        (46, "plan"),
    ],
    'קבוצת נדל"ן השרון': [(0, "plan")],
    "קפה לנדוור רמת השרון": [(0, "plan"), (7, "plan"), (14, "plan")],
}


def _pay(book: Path, customer: str) -> None:
    sheet = pd.read_excel(book, sheet_name="Receivables", header=3, engine="calamine")
    updates = {
        int(index) + 5: {"Paid": float(row["Amount"]), "Balance": 0.0}
        for index, row in sheet.iterrows()
        if row["Customer"] == customer and row["Balance"] > 0
    }
    assert updates
    write_back(book, sheet="Receivables", header_row=4, updates=updates)


def test_120_days_of_the_sample_workbook(tmp_path: Path) -> None:
    copy_sample(tmp_path)
    cfg = config_mod.load(tmp_path / "xlsdun.toml")
    seen: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for n in range(120):
        day = START + timedelta(days=n)
        if n in PAYMENTS:
            _pay(tmp_path / "receivables.xlsx", PAYMENTS[n])
        if n in APPROVE:
            result = CliRunner().invoke(
                main,
                [
                    "approve",
                    APPROVE[n],
                    "--config",
                    str(tmp_path / "xlsdun.toml"),
                    "--today",
                    day.isoformat(),
                ],
            )
            assert result.exit_code == 0, result.stderr
        report = run_once(cfg, day)
        assert report.exit_code == 0, report.notes
        for delivery in report.deliveries:
            assert delivery.outcome == "written_to_outbox"
            action = delivery.action
            seen[action.customer].append(
                (n, action.tier + ("*" if action.variant == "broken_promise" else ""))
            )
    assert dict(seen) == EXPECTED
    emls = list((tmp_path / "outbox").rglob("*.eml"))
    sent = [e for e in emls if not e.name.startswith("digest")]
    assert len(sent) == sum(len(v) for v in EXPECTED.values())
    log = pd.read_excel(tmp_path / "receivables.xlsx", sheet_name="Reminder log", engine="calamine")
    assert len(log) == len(sent)
