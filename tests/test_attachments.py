"""Invoice attachments from the sheet: attached when present; a missing file is the owner's job."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from sample_setup import copy_sample
from xlsdun.cli import main
from xlsdun.workbook import write_back


def test_missing_attachment_fails_that_debtor_then_a_same_day_rerun_sends(tmp_path: Path) -> None:
    copy_sample(tmp_path)
    book = tmp_path / "receivables.xlsx"
    sheet = pd.read_excel(book, sheet_name="Receivables", header=3, engine="calamine")
    rows = [int(i) + 5 for i in sheet.index[sheet["Customer"] == "Blue Cedar Catering"]]
    write_back(
        book,
        sheet="Receivables",
        header_row=4,
        updates={r: {"Attachment": "invoices/INV-1079.pdf"} for r in rows},
    )
    args = ["run", "--config", str(tmp_path / "xlsdun.toml"), "--today", "2026-11-26", "--json"]

    first = CliRunner().invoke(main, args)
    assert first.exit_code == 1  # a delivery failed: the owner must act
    import json

    outcome = {d["customer"]: d for d in json.loads(first.stdout)["debtors"]}
    assert outcome["Blue Cedar Catering"]["outcome"] == "failed"
    assert "INV-1079.pdf" in outcome["Blue Cedar Catering"]["detail"]
    assert outcome["Atlas Software Inc."]["outcome"] == "written_to_outbox"  # the run went on
    status = pd.read_excel(book, sheet_name="Receivables", header=3, engine="calamine")
    text = status.loc[status["Invoice #"] == "INV-1079", "Reminder status"].iloc[0]
    assert text.startswith("Failed: attachment missing")

    (tmp_path / "invoices").mkdir()
    (tmp_path / "invoices" / "INV-1079.pdf").write_bytes(b"%PDF-1.4 invoice\n")
    second = CliRunner().invoke(main, args)
    assert second.exit_code == 0, second.stderr
    outcome = {d["customer"]: d for d in json.loads(second.stdout)["debtors"]}
    assert outcome["Blue Cedar Catering"]["outcome"] == "written_to_outbox"
    emls = [p for p in (tmp_path / "outbox").rglob("*.eml") if "Blue-Cedar" in p.name]
    assert len(emls) == 1
    msg = email.message_from_bytes(emls[0].read_bytes(), policy=email.policy.default)
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_filename() == "INV-1079.pdf"
    assert attachment.get_content() == b"%PDF-1.4 invoice\n"
    # everyone else was not sent twice
    assert len([p for p in (tmp_path / "outbox").rglob("*.eml") if "digest" not in p.name]) == 14


def test_dry_run_and_preview_show_a_missing_attachment_without_stopping(tmp_path: Path) -> None:
    copy_sample(tmp_path)
    book = tmp_path / "receivables.xlsx"
    sheet = pd.read_excel(book, sheet_name="Receivables", header=3, engine="calamine")
    row = int(sheet.index[sheet["Invoice #"] == "INV-1079"][0]) + 5
    write_back(
        book, sheet="Receivables", header_row=4, updates={row: {"Attachment": "missing.pdf"}}
    )
    toml = str(tmp_path / "xlsdun.toml")
    dry = CliRunner().invoke(
        main, ["run", "--dry-run", "--config", toml, "--today", "2026-11-26", "--json"]
    )
    assert dry.exit_code == 1
    outcome = {d["customer"]: d for d in json.loads(dry.stdout)["debtors"]}
    assert "missing.pdf" in outcome["Blue Cedar Catering"]["detail"]
    assert outcome["Atlas Software Inc."]["outcome"] == "skipped"  # rendered, not sent
    shown = CliRunner().invoke(main, ["preview", "--config", toml, "--today", "2026-11-26"])
    assert shown.exit_code == 0, shown.stderr
    index = (tmp_path / ".xlsdun" / "preview" / "2026-11-26" / "index.html").read_text("utf-8")
    assert "Will not be sent" in index and "missing.pdf" in index
