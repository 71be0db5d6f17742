"""Real-world sheet layouts: Excel Tables, hidden rows, merged titles, read-only formats."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from click.testing import CliRunner

from support.sample_setup import SAMPLE
from xlsdun.cli import main
from xlsdun.workbook.layout import hidden_rows, sheet_tables
from xlsdun.workbook.read import read_receivables
from xlsdun.workbook.sidecar import sidecar_path

HEADER = ["Customer", "Email", "Invoice", "Due date", "Balance"]


def test_excel_table_is_the_range(tmp_path: Path) -> None:
    path = tmp_path / "table.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("AR")
    dates = book.add_format({"num_format": "dd/mm/yyyy"})
    sheet.merge_range("A1:E1", "Receivables — Acme Ltd", book.add_format({"bold": True}))
    data = [
        ["Acme", "a@acme.example.com", "INV-1", datetime(2026, 10, 1), 100],
        ["Beta", "b@beta.example.com", "INV-2", datetime(2026, 11, 1), 250],
    ]
    sheet.add_table(
        "A3:E6",
        {
            "name": "Receivables",
            "columns": [{"header": h} for h in HEADER[:4]]
            + [{"header": "Balance", "total_function": "sum"}],
            "total_row": True,
        },
    )
    for r, row in enumerate(data, start=3):
        for c, value in enumerate(row):
            if isinstance(value, datetime):
                sheet.write_datetime(r, c, value, dates)
            else:
                sheet.write(r, c, value)
    # Below the table: a note that looks like an invoice row, which must not be read as one.
    sheet.write_row(8, 0, ["Gamma", "g@gamma.example.com", "INV-9", "see notes", 999])
    book.close()

    (table,) = sheet_tables(path, "AR")
    assert (table.first_row, table.last_row, table.first_col, table.last_col) == (3, 5, 0, 4)
    rec = read_receivables(path)
    assert rec.sheet.header_row == 3
    assert [i.invoice for i in rec.invoices] == ["INV-1", "INV-2"]
    assert rec.findings == ()
    assert rec.invoices[0].due_date == date(2026, 10, 1)


def test_hidden_rows_are_configurable(tmp_path: Path) -> None:
    path = tmp_path / "hidden.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(["Acme", "a@acme.example.com", "1", datetime(2026, 10, 1), 10])
    ws.append(["Old", "o@old.example.com", "2", datetime(2025, 1, 1), 10])
    ws.row_dimensions[3].hidden = True
    wb.save(path)
    assert hidden_rows(path, "Sheet") == {3}
    assert len(read_receivables(path).invoices) == 2
    assert [i.invoice for i in read_receivables(path, include_hidden_rows=False).invoices] == ["1"]


def _ods_demo(tmp_path: Path) -> Path:
    sheet = pd.read_excel(
        SAMPLE / "receivables.xlsx", sheet_name="Receivables", header=3, engine="calamine"
    )
    sheet = sheet[sheet["Invoice #"].notna()].drop(columns=["Balance"])
    with pd.ExcelWriter(tmp_path / "receivables.ods", engine="odf") as writer:
        sheet.to_excel(writer, sheet_name="Receivables", index=False)
    shutil.copy(SAMPLE / "xlsdun.toml", tmp_path / "xlsdun.toml")
    toml = tmp_path / "xlsdun.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace("receivables.xlsx", "receivables.ods"),
        encoding="utf-8",
    )
    return tmp_path / "receivables.ods"


def test_read_only_format_gets_a_sidecar(tmp_path: Path) -> None:
    ods = _ods_demo(tmp_path)
    before = ods.read_bytes()
    args = ["run", "--config", str(tmp_path / "xlsdun.toml"), "--today", "2026-11-26"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.stderr
    assert "receivables.xlsdun.xlsx" in result.stdout
    assert ods.read_bytes() == before
    side = sidecar_path(ods)
    outcomes = pd.read_excel(side, sheet_name="Outcomes", engine="calamine")
    statuses = dict(zip(outcomes["Customer"], outcomes["Reminder status"], strict=False))
    assert statuses["Blue Cedar Catering"] == "In outbox: friendly reminder"
    assert statuses["Pinecrest Architects"] == "Paid"
    log = pd.read_excel(side, sheet_name="Reminder log", engine="calamine")
    assert len(log) == 14
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0 and "Nothing new to send today" in again.stdout
    assert len(pd.read_excel(side, sheet_name="Reminder log", engine="calamine")) == 14


def test_sidecar_open_in_excel_keeps_outcomes_for_next_run(tmp_path: Path) -> None:
    ods = _ods_demo(tmp_path)
    lock = ods.with_name("~$receivables.xlsdun.xlsx")
    args = ["run", "--config", str(tmp_path / "xlsdun.toml"), "--today", "2026-11-26"]
    CliRunner().invoke(main, args)
    lock.write_bytes(b"owner")
    shutil.copy(sidecar_path(ods), tmp_path / "copy.xlsx")
    result = CliRunner().invoke(main, [*args[:-1], "2026-11-29", "--force"])
    assert result.exit_code == 3
    lock.unlink()
    result = CliRunner().invoke(main, [*args[:-1], "2026-11-29", "--force"])
    assert result.exit_code == 0
    log = pd.read_excel(sidecar_path(ods), sheet_name="Reminder log", engine="calamine")
    assert len(log) > 14  # the 2026-11-29 sends, written once the file was closed


@pytest.mark.parametrize("suffix", [".xlsx", ".ods"])
def test_merged_title_and_trailing_blank_rows(tmp_path: Path, suffix: str) -> None:
    frame = pd.DataFrame(
        [
            ["Acme", "a@acme.example.com", "1", "01/10/2026", "₪1,200.50"],
            ["", "", "", "", ""],
            ["", "", "", "", ""],
        ],
        columns=HEADER,
    )
    path = tmp_path / f"t{suffix}"
    engine = "odf" if suffix == ".ods" else "openpyxl"
    with pd.ExcelWriter(path, engine=engine) as writer:
        frame.to_excel(writer, sheet_name="AR", index=False, startrow=2)
    rec = read_receivables(path)
    assert rec.sheet.header_row == 3
    assert [(i.invoice, str(i.balance), i.due_date) for i in rec.invoices] == [
        ("1", "1200.50", date(2026, 10, 1))
    ]


def test_protected_sheet_stops_before_anything_is_sent(tmp_path: Path) -> None:
    for name in ("receivables.xlsx", "xlsdun.toml"):
        shutil.copy(SAMPLE / name, tmp_path / name)
    wb = openpyxl.Workbook()  # a protected copy of a small receivables sheet
    ws = wb.active
    ws.title = "Receivables"
    ws.append(HEADER)
    ws.append(["Acme", "a@acme.example.com", "INV-1", datetime(2026, 10, 1), 100])
    ws.protection.sheet = True
    wb.save(tmp_path / "receivables.xlsx")
    before = (tmp_path / "receivables.xlsx").read_bytes()
    result = CliRunner().invoke(
        main, ["run", "--config", str(tmp_path / "xlsdun.toml"), "--today", "2026-11-26"]
    )
    assert result.exit_code == 2
    assert "protected" in result.stderr and "allow_protected_sheet" in result.stderr
    assert not (tmp_path / "outbox").exists()
    assert (tmp_path / "receivables.xlsx").read_bytes() == before


def _padded(tmp_path: Path, part: str, tail: bytes = b"\0\0", *, table: bool = False) -> Path:
    """A small receivables workbook whose `part` ends in bytes lxml rejects (calamine reads on)."""
    import io
    import zipfile

    source = tmp_path / "source.xlsx"
    book = xlsxwriter.Workbook(source)
    sheet = book.add_worksheet("AR")
    rows = [
        HEADER,
        ["Acme", "a@acme.example.com", "INV-1", "2026-10-01", 100],
        ["Beta", "b@beta.example.com", "INV-2", "2026-10-02", 50],
    ]
    for r, row in enumerate(rows):
        sheet.write_row(r, 0, row)
    if table:
        sheet.add_table("A1:E3", {"columns": [{"header": h} for h in HEADER]})
    sheet.set_row(2, None, None, {"hidden": True})
    book.close()
    out = tmp_path / f"padded-{part.replace('/', '_')}.xlsx"
    with zipfile.ZipFile(io.BytesIO(source.read_bytes())) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info.filename, data + tail if info.filename == part else data)
    return out


def test_a_root_relationship_part_the_writer_rejects_is_refused_before_sending(
    tmp_path: Path,
) -> None:
    """calamine reads past the bytes lxml rejects, but the write-back parses that part and
    refuses it: the read says so, before a reminder goes out (one rule, limits.py)."""
    from xlsdun.workbook import write_back
    from xlsdun.workbook.guard import WorkbookError
    from xlsdun.workbook.read import WorkbookReadError

    path = _padded(tmp_path, "_rels/.rels", table=True)
    assert [t.name for t in sheet_tables(path, "AR")] == ["Table1"]  # layout reads on
    with pytest.raises(
        WorkbookReadError, match=r"part '_rels/.rels' inside it is damaged.*save it again"
    ):
        read_receivables(path)
    with pytest.raises(WorkbookError, match="damaged part _rels/.rels"):
        write_back(path, sheet="AR", header_row=1, updates={2: {"Reminder status": "sent"}})


def test_a_damaged_table_or_sheet_part_is_a_clear_error(tmp_path: Path) -> None:
    from xlsdun.workbook.read import WorkbookReadError

    with pytest.raises(WorkbookReadError, match=r"sheet 'AR': cannot read its Excel Tables"):
        read_receivables(_padded(tmp_path, "xl/tables/table1.xml", b"<junk", table=True))
    broken = _padded(tmp_path, "xl/worksheets/sheet1.xml")
    assert len(read_receivables(broken).invoices) == 2  # hidden rows not asked for: fine
    with pytest.raises(
        WorkbookReadError, match=r"cannot read which rows are hidden.*save it again"
    ):
        read_receivables(broken, include_hidden_rows=False)


EXCEL_PROTECTION = (
    b'<sheetProtection algorithmName="SHA-512" hashValue="'
    + b"A" * 88
    + b'" saltValue="'
    + b"B" * 24
    + b'" spinCount="100000" sheet="1" objects="1" scenarios="1"/>'
)


@pytest.mark.parametrize(
    ("element", "protected"),
    [
        (b'<sheetProtection sheet="1" objects="1"/>', True),
        (b'<sheetProtection sheet="true"/>', True),
        (b'<sheetProtection objects="1" scenarios="1"/>', False),  # `sheet` defaults to false
        (b'<sheetProtection sheet="0" objects="1"/>', False),
        (EXCEL_PROTECTION, True),  # as Excel writes it: `sheet` after 200 bytes of hash
    ],
)
@pytest.mark.parametrize("chunk", [1 << 20, 97, 131, 211])  # small: the element is cut
def test_the_run_and_the_writer_agree_on_sheet_protection(
    tmp_path: Path, element: bytes, protected: bool, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the run's one pass over the sheet sees (spread.py) is what the writer refuses,
    also when a chunk boundary falls inside the element (it was missed there)."""
    import io
    import zipfile

    from xlsdun.workbook import spread, write_back
    from xlsdun.workbook.guard import WorkbookError
    from xlsdun.workbook.layout import sheet_spreads
    from xlsdun.workbook.patch import WriteOptions

    monkeypatch.setattr(spread, "_CHUNK", chunk)

    book = openpyxl.Workbook()
    book.active.append(["Customer", "Amount"])
    book.active.append(["Acme", 10])
    plain = io.BytesIO()
    book.save(plain)
    path = tmp_path / "protected.xlsx"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", b"</sheetData>" + element)
            dst.writestr(info.filename, data)
    assert sheet_spreads(path)["Sheet"].protected is protected
    update = {"sheet": "Sheet", "header_row": 1, "updates": {2: {"Reminder status": "x"}}}
    if protected:
        with pytest.raises(WorkbookError, match="protected"):
            write_back(path, options=WriteOptions(backups=0), **update)  # type: ignore[arg-type]
    else:
        write_back(path, options=WriteOptions(backups=0), **update)  # type: ignore[arg-type]


def test_a_link_planted_in_the_sidecars_place_is_replaced_not_followed(tmp_path: Path) -> None:
    """The sidecar is xlsdun's own file: a symlink named like it (a folder someone sent)
    made the run overwrite the link's target with the sidecar's bytes."""
    ods = _ods_demo(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    sidecar_path(ods).symlink_to(victim)
    args = ["run", "--config", str(tmp_path / "xlsdun.toml"), "--today", "2026-11-26"]
    assert CliRunner().invoke(main, args).exit_code == 0
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert not sidecar_path(ods).is_symlink()
    assert pd.read_excel(sidecar_path(ods), sheet_name="Outcomes", engine="calamine").shape[0]
