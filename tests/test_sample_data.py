"""The sample workbook and config the demo and the docs rely on.

The workbook must be exactly what sample_data/make_sample.py makes, read cleanly with
pandas + calamine (formula cells carry cached values), and keep the scenario the demo
(`--today 2026-11-26`) is written against.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
SCRIPT = SAMPLE / "make_sample.py"
WORKBOOK = SAMPLE / "receivables.xlsx"
CONFIG = SAMPLE / "xlsdun.toml"
TODAY = date(2026, 11, 26)
HEBREW = re.compile(r"[\u0590-\u05FF]")

HEADERS = [
    "Customer",
    "Contact",
    "Email",
    "Phone",
    "Language",
    "Invoice #",
    "Invoice date",
    "Due date",
    "Amount",
    "Paid",
    "Balance",
    "Currency",
    "Hold until",
    "Promise date",
    "Disputed",
    "Do not contact",
    "Approved",
    "Notes",
    "Reminder level",
    "Last reminder",
]


def make(out: Path) -> bytes:
    subprocess.run([sys.executable, str(SCRIPT), str(out)], check=True, capture_output=True)
    return out.read_bytes()


@pytest.fixture(scope="module")
def sheet() -> pd.DataFrame:
    return pd.read_excel(WORKBOOK, sheet_name="Receivables", header=3, engine="calamine")


@pytest.fixture(scope="module")
def invoices(sheet: pd.DataFrame) -> pd.DataFrame:
    return sheet[sheet["Invoice #"].notna()].copy()


def test_script_is_deterministic_and_matches_the_committed_workbook(tmp_path: Path) -> None:
    first = make(tmp_path / "a.xlsx")
    second = make(tmp_path / "sub" / "b.xlsx")
    assert first == second, "two runs of make_sample.py differ"
    assert first == WORKBOOK.read_bytes(), (
        "sample_data/receivables.xlsx is not what make_sample.py makes: "
        "run `python sample_data/make_sample.py` and commit the result"
    )


def test_header_row_and_columns(sheet: pd.DataFrame) -> None:
    assert list(sheet.columns) == HEADERS


def test_balance_has_cached_values_equal_to_amount_minus_paid(invoices: pd.DataFrame) -> None:
    assert invoices["Balance"].notna().all(), "a Balance formula has no cached value"
    assert invoices["Amount"].notna().all() and invoices["Paid"].notna().all()
    diff = (invoices["Amount"] - invoices["Paid"] - invoices["Balance"]).abs()
    assert (diff < 0.005).all()


def test_size_and_mix_of_customers(invoices: pd.DataFrame) -> None:
    names = set(invoices["Customer"])
    assert len(names) >= 20
    assert len(invoices) >= 50
    assert any(HEBREW.search(n) for n in names), "no Hebrew customer names"
    assert any(not HEBREW.search(n) for n in names), "no English customer names"
    assert set(invoices["Language"]) == {"he", "en"}
    assert set(invoices["Currency"]) == {"ILS", "USD", "EUR"}
    assert invoices["Invoice #"].is_unique
    for email in invoices["Email"].dropna():
        assert email.endswith(("@example.com", "@example.co.il")), email
    # Every customer is one debtor: a customer has one email (or none) throughout.
    assert (invoices.groupby("Customer")["Email"].nunique(dropna=False) == 1).all()


def test_dates_are_real_dates(invoices: pd.DataFrame) -> None:
    for name in ("Invoice date", "Due date"):
        assert pd.api.types.is_datetime64_any_dtype(invoices[name]), name
        assert invoices[name].notna().all(), name
    for name in ("Hold until", "Promise date", "Last reminder"):
        assert pd.api.types.is_datetime64_any_dtype(invoices[name]), name


def test_totals_row_after_one_blank_row(sheet: pd.DataFrame, invoices: pd.DataFrame) -> None:
    last = invoices.index.max()
    assert sheet.loc[last + 1].isna().all(), "no blank row between invoices and totals"
    total = sheet.loc[last + 2]
    assert total["Customer"] == "Total"
    assert len(sheet) == last + 3, "rows after the totals row"
    ils = invoices[invoices["Currency"] == "ILS"]
    for name in ("Amount", "Paid", "Balance"):
        assert total[name] == pytest.approx(ils[name].sum(), abs=0.005), name


def test_looks_like_a_kept_sheet() -> None:
    wb = openpyxl.load_workbook(WORKBOOK)
    assert wb.sheetnames == ["Receivables", "Notes"]
    ws = wb["Receivables"]
    assert "A1:T1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["A1"].font.b and ws["A1"].font.sz > 11
    assert ws["A2"].value.startswith("Updated by the bookkeeper")
    assert ws["A3"].value is None
    assert ws["A4"].font.b and ws["A4"].border.bottom.style
    assert ws.freeze_panes == "B5"
    assert ws.auto_filter.ref.startswith("A4:T")
    assert ws["G5"].number_format == "dd/mm/yyyy"
    assert ws["I5"].number_format == "#,##0.00"
    assert ws["K5"].value == "=I5-J5"
    assert any(c.value for c in wb["Notes"]["A"])


def _oldest_open_days(invoices: pd.DataFrame) -> dict[str, int]:
    open_ = invoices[invoices["Balance"] > 0]
    oldest = open_.groupby("Customer")["Due date"].min()
    return {name: (TODAY - due.date()).days for name, due in oldest.items()}


# The scenario the demo output is written against: customer -> days overdue of the oldest
# open invoice on 2026-11-26 (negative: due in that many days). Change it together with
# the demo's expected output.
SCENARIO = {
    "Northwind Interiors Ltd": -2,  # courtesy
    "מכולת השכונה - יוסי ובניו": 0,  # courtesy, due today
    "Blue Cedar Catering": 10,  # friendly
    "מספרת שירן": 7,  # friendly
    "Atlas Software Inc.": 9,  # friendly, USD
    "Harbor Light Dental Clinic": 20,  # direct
    'נגרות אבו-חצירא בע"מ': 22,  # direct
    "Fjord Design AB": 17,  # direct, EUR
    "Oakridge Property Management": 37,  # plan, first contact
    "קפה לנדוור רמת השרון": 42,  # plan, 4 open invoices
    "Silverline Fitness Studio": 77,  # first contact capped at plan
    "משרד רו\"ח גולדברג ושות'": 67,  # final, approved
    "Meridian Print House": 72,  # final, awaiting approval
    "מאפיית האחים כהן": 108,  # escalate
    'קבוצת נדל"ן השרון': 115,  # first seen at 90+: plan + call list
    "סטודיו נועה לוי לעיצוב": 12,  # cadence hold
    "גלריה בית מרים": -6,  # not yet due
    "מוסך האחים עזרא": 31,  # on hold
    "Brightwave Media Productions": 40,  # disputed
    "אולמי הדר אירועים": 25,  # promise in the future
    "Coastal Pharmacy Herzliya": 19,  # broken promise
    "עמותת יד לקהילה": 45,  # do not contact
    "פלאפל הדקל": 18,  # no email
    "Sunrise Yoga Studio": 33,  # 0.50 left
}


def test_demo_scenario(invoices: pd.DataFrame) -> None:
    assert _oldest_open_days(invoices) == SCENARIO
    by = invoices.groupby("Customer")
    assert (by.get_group("Pinecrest Architects")["Balance"] == 0).all()
    assert by.get_group("Sunrise Yoga Studio")["Balance"].sum() == pytest.approx(0.5)
    assert by.get_group("פלאפל הדקל")["Email"].isna().all()
    assert (by.get_group("קפה לנדוור רמת השרון")["Balance"] > 0).sum() == 4

    def first_open(name: str) -> pd.Series:
        rows = by.get_group(name)
        return rows[rows["Balance"] > 0].sort_values("Due date").iloc[0]

    final_sent = first_open("משרד רו\"ח גולדברג ושות'")
    assert (final_sent["Reminder level"], final_sent["Approved"]) == ("plan", "yes")
    assert final_sent["Last reminder"].date() == date(2026, 11, 12)
    awaiting = first_open("Meridian Print House")
    assert awaiting["Reminder level"] == "plan" and pd.isna(awaiting["Approved"])
    assert awaiting["Last reminder"].date() == date(2026, 11, 10)
    escalate = first_open("מאפיית האחים כהן")
    assert escalate["Reminder level"] == "final"
    assert escalate["Last reminder"].date() == date(2026, 11, 5)
    cadence = first_open("סטודיו נועה לוי לעיצוב")
    assert cadence["Reminder level"] == "friendly"
    assert cadence["Last reminder"].date() == date(2026, 11, 23)
    assert first_open("מוסך האחים עזרא")["Hold until"].date() == date(2026, 12, 10)
    assert first_open("Brightwave Media Productions")["Disputed"] == "yes"
    assert first_open("אולמי הדר אירועים")["Promise date"].date() == date(2026, 12, 5)
    assert first_open("Coastal Pharmacy Herzliya")["Promise date"].date() == date(2026, 11, 20)
    assert first_open("עמותת יד לקהילה")["Do not contact"] == "x"
    # Only the named customers carry the bookkeeper's history or the special flags.
    flagged = invoices[invoices["Reminder level"].notna()]["Customer"].unique()
    assert set(flagged) == {
        "משרד רו\"ח גולדברג ושות'",
        "Meridian Print House",
        "מאפיית האחים כהן",
        "סטודיו נועה לוי לעיצוב",
    }


def test_config_parses_and_names_the_workbook() -> None:
    data = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    assert data["state_dir"] == ".xlsdun"
    assert data["workbook"]["path"] == "receivables.xlsx"
    assert (CONFIG.parent / data["workbook"]["path"]).is_file()
    assert data["workbook"]["sheet"] == "Receivables"
    assert data["delivery"]["backend"] == "outbox"
    assert data["locale"]["language"] == "he"
    assert {"id": "courtesy", "enabled": True} in data["policy"]["ladder"]
    assert data["sender"]["email"].endswith("@example.co.il")


def test_config_loads_with_xlsdun() -> None:
    from xlsdun import config

    cfg = config.load(CONFIG)  # rejects unknown keys
    assert cfg.workbook.path == (SAMPLE / "receivables.xlsx").resolve()
    assert cfg.delivery.backend == "outbox"
    assert cfg.policy.tier("courtesy").enabled
