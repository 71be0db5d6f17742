"""The outbox backend on its own: numbering, the index, and what crash recovery may trust."""

from __future__ import annotations

import csv
from email.message import EmailMessage
from pathlib import Path

from xlsdun.deliver.outbox import OutboxBackend, inert


def message(n: int) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Accounts <accounts@example.co.il>"
    msg["To"] = f"Customer {n} <c{n}@example.com>"
    msg["Subject"] = f"Reminder {n}"
    msg["Message-ID"] = f"<m{n}@example.co.il>"
    msg["Date"] = "Thu, 26 Nov 2026 09:00:00 +0200"
    msg.set_content("hello")
    return msg


def test_files_numbered_index_written_and_found_by_message_id(tmp_path: Path) -> None:
    box = OutboxBackend(tmp_path / "outbox", "2026-11-26")
    box.open()
    results = [box.send(message(n)) for n in range(3)]
    box.close()
    names = sorted(Path(r.path).name for r in results)
    assert [n[:5] for n in names] == ["0001-", "0002-", "0003-"]
    rows = list(csv.DictReader((tmp_path / "outbox" / "index.csv").open(encoding="utf-8")))
    assert [r["message_id"] for r in rows] == [
        "<m0@example.co.il>",
        "<m1@example.co.il>",
        "<m2@example.co.il>",
    ]
    again = OutboxBackend(tmp_path / "outbox", "2026-11-26")
    assert again.find("<m1@example.co.il>") == results[1].path
    assert again.find("<nope@example.co.il>") is None
    again.open()
    assert Path(again.send(message(9)).path).name.startswith("0004-")  # numbering goes on


def test_a_temp_file_left_by_a_crash_is_not_a_delivered_message(tmp_path: Path) -> None:
    folder = tmp_path / "outbox" / "2026-11-26"
    folder.mkdir(parents=True)
    (folder / ".tmp-999-0001-Customer.eml").write_bytes(message(1).as_bytes())
    box = OutboxBackend(tmp_path / "outbox", "2026-11-26")
    assert box.find("<m1@example.co.il>") is None  # recovery must not count it as written
    box.open()
    assert not list(folder.glob(".tmp-*"))  # cleaned up
    assert Path(box.send(message(1)).path).name.startswith("0001-")


def index_row(tmp_path: Path, msg: EmailMessage) -> dict[str, str]:
    """The one row of index.csv after `msg` alone is written to a new outbox."""
    box = OutboxBackend(tmp_path / "outbox", "2026-11-26")
    box.open()
    box.send(msg)
    box.close()
    (row,) = csv.DictReader((tmp_path / "outbox" / "index.csv").open(encoding="utf-8"))
    return row


def test_index_fields_that_look_like_formulas_stay_text(tmp_path: Path) -> None:
    """A customer named "=cmd|' /C calc'!A0" began a formula in index.csv, which the owner
    opens in Excel."""
    msg = message(1)
    del msg["To"], msg["Subject"]
    msg["To"] = "\"=cmd|' /C calc'!A0\" <c1@example.com>"
    msg["Subject"] = "+SUM(1,2) -2 @x"
    row = index_row(tmp_path, msg)
    assert row["to"].startswith("'=cmd") and row["subject"] == "'+SUM(1,2) -2 @x"
    assert row["message_id"] == "<m1@example.co.il>"


def test_index_fields_with_a_space_or_full_width_sign_before_a_formula_stay_text(
    tmp_path: Path,
) -> None:
    """The outbox's index and the plan file share one rule (text.starts_formula): a leading
    space or the full-width "＝" still starts a formula in Excel."""
    msg = message(1)
    del msg["Subject"]
    msg["Subject"] = "  =HYPERLINK(1)"
    row = index_row(tmp_path, msg)
    assert row["subject"] == "'  =HYPERLINK(1)"
    assert inert("＝1+1") == "'＝1+1" and inert("Total = 3") == "Total = 3"
