"""Hostile and real-world workbooks on the read side (issue 12).

Zip bombs, doubled and damaged parts, sheets the write-back could not write, absurd cells,
headers people really use, wrong paths: each is found before a message is sent, with exit
2 and words that say what to do, or is a finding for its row while the rest go out.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tracemalloc
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import python_calamine

from support.sample_setup import (
    SAMPLE,
    TODAY,
    bench_sample,
    copy_sample,
    debtors,
    invoke,
    make_workbook,
    run_cli,
)
from support.workbooks import (
    SHEET,
    Deflated,
    Formula,
    encrypted_xls,
    repack,
    with_bomb,
    write_rows,
    write_sheets,
)
from xlsdun.models import Receivables
from xlsdun.workbook import write_back
from xlsdun.workbook.cellerrors import error_cells
from xlsdun.workbook.coerce import MAX_LENGTH
from xlsdun.workbook.columns import MAX_HEADER, map_headers
from xlsdun.workbook.guard import WorkbookError, rotate_backups
from xlsdun.workbook.limits import (
    MAX_RATIO,
    RATIO_FROM_BYTES,
    damaged_part,
    directory_problem,
)
from xlsdun.workbook.money import to_money
from xlsdun.workbook.read import WorkbookReadError, read_receivables

BOOK = SAMPLE / "receivables.xlsx"
SHEET_PART = "xl/worksheets/sheet1.xml"
CORPUS = Path(
    os.environ.get("XLSDUN_CORPUS") or Path(__file__).resolve().parents[2] / "shared" / "corpus"
)
HEADER = ["Customer", "Email", "Invoice", "Due date", "Balance"]
DAY = date.fromisoformat(TODAY)


def sample_with(folder: Path, change=None, extra=()) -> Path:  # type: ignore[no-untyped-def]
    """The sample config and workbook in `folder`, some parts of the workbook changed."""
    copy_sample(folder)
    repack(BOOK, folder / "receivables.xlsx", change, extra)
    return folder


def refused_before_sending(folder: Path, *words: str) -> str:
    """`xlsdun run` stops with exit 2 and these words; nothing sent, the workbook untouched."""
    before = (folder / "receivables.xlsx").read_bytes()
    code, _, err = invoke("run", "--config", str(folder / "xlsdun.toml"), "--today", TODAY)
    assert code == 2, err
    assert not (folder / "outbox").exists(), "a reminder was written before the refusal"
    assert (folder / "receivables.xlsx").read_bytes() == before
    assert "Traceback" not in err and "unexpected" not in err
    for word in words:
        assert word in " ".join(err.split()), err
    return err


def run_json(folder: Path) -> tuple[int, dict]:
    code, out, err = invoke(
        "run", "--config", str(folder / "xlsdun.toml"), "--today", TODAY, "--json"
    )
    return code, json.loads(out) if out.strip() else {"stderr": err}


# -- item 6: zip bombs, doubled and damaged parts -----------------------------------------


@pytest.mark.parametrize(
    "part",
    [
        SHEET_PART,
        "xl/sharedStrings.xml",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "docProps/app.xml",
    ],
)
def test_a_zip_bomb_is_refused_before_anything_is_unpacked(tmp_path: Path, part: str) -> None:
    """A part that unpacks to over 100 times its size (here 300 MB from 0.3 MB) is a bomb:
    `check` and `run` say which part, from the zip's directory alone."""
    copy_sample(tmp_path)
    with_bomb(BOOK, tmp_path / "receivables.xlsx", part, 300_000_000)
    assert (tmp_path / "receivables.xlsx").stat().st_size < 1_000_000
    code, _, err = invoke("check", "--config", str(tmp_path / "xlsdun.toml"))
    assert code == 2, err
    assert f"part '{part}'" in err and "times its size" in err and "sent nothing" in err
    refused_before_sending(tmp_path, f"part '{part}'", "do not open it")


def test_check_on_a_3_gb_bomb_stays_small_in_memory(tmp_path: Path) -> None:
    """A 3 MB workbook whose shared strings unpack to 3 GB: `check` used to hold all of it
    (3 GB, exit 0); now it reads the zip's directory and stops, far below 300 MB."""
    if not Path("/proc/self/status").exists():
        pytest.skip("peak memory is read from /proc/self/status (VmHWM)")
    copy_sample(tmp_path)
    with_bomb(BOOK, tmp_path / "receivables.xlsx", "xl/sharedStrings.xml", 3_000_000_000)
    assert (tmp_path / "receivables.xlsx").stat().st_size < 4_000_000
    child = (
        "import sys\n"
        "from xlsdun.cli import main\n"
        "try:\n"
        f"    main(['check', '--config', {str(tmp_path / 'xlsdun.toml')!r}])\n"
        "except SystemExit as stop:\n"
        "    code = stop.code\n"
        "peak = next(l for l in open('/proc/self/status') if l.startswith('VmHWM:'))\n"
        "print(code, int(peak.split()[1]) // 1024)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, timeout=300
    )
    code, peak_mb = done.stdout.split()
    assert code == "2", done.stderr
    assert "would unpack to 2,861 MB" in done.stderr
    assert int(peak_mb) < 300, f"check peaked at {peak_mb} MB"


def test_two_parts_of_one_name_are_refused_by_the_run_and_the_writer_alike(
    tmp_path: Path,
) -> None:
    """The second copy of the sheet carried another amount; calamine read it and the
    reminder said so, then the writer refused the file every day (exit 3)."""
    with zipfile.ZipFile(BOOK) as z:
        other = z.read(SHEET_PART).replace(b"<v>22500</v>", b"<v>99999</v>")
    folder = sample_with(tmp_path / "run", extra=[(SHEET_PART, other)])
    refused_before_sending(folder, f"two parts named '{SHEET_PART}'")
    with pytest.raises(WorkbookError, match=f"two parts named '{SHEET_PART}'"):
        write_back(
            folder / "receivables.xlsx",
            sheet="Receivables",
            header_row=4,
            updates={5: {"Reminder status": "x"}},
        )
    # the names of parts are case-insensitive: a differently cased copy is the same part
    upper = sample_with(tmp_path / "upper", extra=[(SHEET_PART.upper(), other)])
    refused_before_sending(upper, "two parts named")


def test_a_part_that_does_not_unpack_to_what_the_zip_says_is_found_before_sending(
    tmp_path: Path,
) -> None:
    """calamine reads a sheet with a wrong CRC-32; the writer refused it after sending."""

    def bad_crc(content: bytes) -> Deflated:
        good = Deflated.of(content)
        return Deflated(good.data, good.size, good.crc ^ 1)

    folder = sample_with(tmp_path, {SHEET_PART: bad_crc})
    assert python_calamine.CalamineWorkbook.from_path(str(folder / "receivables.xlsx"))
    refused_before_sending(folder, f"part '{SHEET_PART}' inside it is damaged", "save it again")


def test_a_damaged_sheet_is_refused_before_calamine_loads_it(tmp_path: Path) -> None:
    """A sheet whose last block fails its CRC was measured without that block, and calamine,
    which checks no CRC, then read a far cell there and aborted the process (exit 134)."""
    far = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'

    def far_and_bad_crc(content: bytes) -> Deflated:
        good = Deflated.of(content.replace(b"</sheetData>", far))
        return Deflated(good.data, good.size, good.crc ^ 1)

    folder = sample_with(tmp_path, {SHEET_PART: far_and_bad_crc})
    config = str(folder / "xlsdun.toml")
    code, _, err = run_cli("run", "--config", config, "--today", TODAY, memory=2 << 30)
    assert code == 2, err[-2000:]
    assert f"part '{SHEET_PART}' inside it is damaged" in " ".join(err.split())
    assert not (folder / "outbox").exists()


def test_a_row_past_excels_last_is_found_before_sending(tmp_path: Path) -> None:
    """A row numbered 1,048,577 was read and mailed; then the writer refused it (exit 1)."""
    path = write_rows(
        tmp_path / "receivables.xlsx",
        [HEADER, ["Acme", "a@acme.example.com", "INV-1", date(2026, 10, 1), 100]],
        sheet="Receivables",
    )
    far = (
        b'<row r="1048577"><c r="A1048577" t="inlineStr"><is><t>Beta</t></is></c>'
        b'<c r="C1048577" t="inlineStr"><is><t>INV-2</t></is></c></row></sheetData>'
    )
    repack(path, path, {SHEET_PART: lambda c: c.replace(b"</sheetData>", far)})
    copy_sample(tmp_path / "x")
    (tmp_path / "x" / "receivables.xlsx").write_bytes(path.read_bytes())
    refused_before_sending(tmp_path / "x", "row 1,048,577", "Excel's last row 1,048,576")


def test_a_column_past_xfd_is_found_before_sending(tmp_path: Path) -> None:
    folder = sample_with(tmp_path, {SHEET_PART: _header_cell_at("XFE", row=2)})
    refused_before_sending(folder, "column 16,385", "column XFD")


def _header_cell_at(column: str, row: int = 4):  # type: ignore[no-untyped-def]
    cell = f'<c r="{column}{row}" t="inlineStr"><is><t>far</t></is></c>'.encode()

    def change(content: bytes) -> bytes:
        at = content.index(b"</row>", content.index(f'<row r="{row}"'.encode()))
        return content[:at] + cell + content[at:]

    return change


def test_no_free_column_for_xlsduns_own_is_found_before_sending(tmp_path: Path) -> None:
    """A header in XFD (Excel's last column) leaves no room right of it for the columns
    xlsdun adds: the writer said so after sending ("no free column left")."""
    folder = sample_with(tmp_path, {SHEET_PART: _header_cell_at("XFD")})
    refused_before_sending(folder, "no free column left", "XFD")


def test_a_stray_cell_in_xfd_still_leaves_room_as_the_writer_sees_it(tmp_path: Path) -> None:
    """Not a header: the writer adds its columns right of the headers and skips the used
    column, so the read must not refuse this sheet (the check counts column by column)."""
    folder = sample_with(tmp_path, {SHEET_PART: _header_cell_at("XFD", row=2)})
    code, report = run_json(folder)
    assert code == 0, report
    assert report["workbook_written"] is True


def _zip_directory(path: Path) -> tuple[list[zipfile.ZipInfo], int]:
    with zipfile.ZipFile(path) as z:
        return z.infolist(), path.stat().st_size


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")
def test_no_real_workbook_of_the_corpus_is_refused_by_the_package_checks() -> None:
    """The writer takes every corpus file calamine reads; so must the checks before sending."""
    checked = 0
    for path in sorted(CORPUS.glob("*.xls*")):
        try:
            python_calamine.CalamineWorkbook.from_path(str(path)).close()
        except Exception:
            continue  # refused by the reader and the writer alike (encrypted, damaged)
        assert directory_problem(*_zip_directory(path)) is None, path.name
        assert damaged_part(path) is None, path.name
        checked += 1
    assert checked >= 44


@pytest.mark.parametrize(
    "invoices",
    [
        20_000,
        pytest.param(
            200_000,
            marks=pytest.mark.skipif(
                not os.environ.get("XLSDUN_BENCH_SIZE"),
                reason="generating 200,000 invoices takes 20 s: set XLSDUN_BENCH_SIZE=1",
            ),
        ),
    ],
)
def test_the_benchmark_workbook_passes_the_package_checks(tmp_path: Path, invoices: int) -> None:
    """A big real sheet compresses 5-30 times; the limits sit far above it."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks import gen

    path = gen.generate(invoices, tmp_path / "bench.xlsx")
    infos, size = _zip_directory(path)
    assert directory_problem(infos, size) is None
    assert damaged_part(path) is None
    sheet = max(infos, key=lambda i: i.file_size)
    assert sheet.file_size < MAX_RATIO * sheet.compress_size / 5
    if invoices >= 200_000:
        assert sheet.file_size > RATIO_FROM_BYTES  # the ratio rule applies to it


# -- item 7: an absurd amount is a finding for its row ------------------------------------


def test_an_absurd_amount_is_a_finding_and_the_others_are_reminded(tmp_path: Path) -> None:
    """1e27 (a number) and 29 nines (text) stopped the whole batch with an unexpected
    InvalidOperation (exit 1, nobody reminded)."""
    copy_sample(tmp_path)
    book = openpyxl.load_workbook(tmp_path / "receivables.xlsx")
    sheet = book["Receivables"]
    sheet["K5"] = 1e27  # K: Balance
    sheet["K6"] = "99999999999999999999999999999"
    sheet["I7"], sheet["K7"] = 1e30, None  # I: Amount; the balance worked out from it
    book.save(tmp_path / "receivables.xlsx")
    code, report = run_json(tmp_path)
    assert code == 0, report
    problems = {(f["row"], f["field"]): f["problem"] for f in report["findings"]}
    assert "not a plausible amount" in problems[(5, "balance")]
    assert "'1e+27'" in problems[(5, "balance")]
    assert "'99999999999999999999999999999'" in problems[(6, "balance")]
    assert "not a plausible amount" in problems[(7, "amount")]
    assert len(list((tmp_path / "outbox").rglob("*.eml"))) >= 10
    status = openpyxl.load_workbook(tmp_path / "receivables.xlsx")["Receivables"]
    headers = {cell.value: cell.column_letter for cell in status[4]}
    assert "plausible amount" in str(status[f"{headers['Reminder status']}5"].value)


# -- length caps, control characters, dates ----------------------------------------------


def test_overlong_fields_are_findings_for_their_rows_only(tmp_path: Path) -> None:
    """A 5 MB invoice number became a 7 MB subject (a cell Excel itself writes holds up to
    32,767 characters); a 1,500-character address gave header lines over 998 characters.
    Now each is a finding, quoted short."""
    rows = [
        HEADER + ["Notes", "Phone"],
        ["Acme", "a@acme.example.com", "I" * 32_767, date(2026, 10, 1), 100],  # Excel's most
        ["C" * 201, "b@beta.example.com", "INV-2", date(2026, 10, 1), 100],
        ["Gamma", "g@gamma.example.com", "INV-3", date(2026, 10, 1), 100, "n" * 2001],
        ["Delta", "x" * 1_500 + "@delta.example.com", "INV-4", date(2026, 10, 1), 100],
        ["Eps", "e@eps.example.com", "INV-5", date(2026, 10, 1), 100, None, "0" * 41],
        ["Fine", "f@fine.example.com", "INV-6", date(2026, 10, 1), 100, "n" * 2000, "050"],
    ]
    rec = read_receivables(write_rows(tmp_path / "long.xlsx", rows))
    found = {(f.row, f.field): f.problem for f in rec.findings}
    assert set(found) == {(2, "invoice"), (3, "customer"), (5, "email"), (6, "phone")}
    assert "32,767 characters long (xlsdun takes at most 100)" in found[(2, "invoice")]
    assert "(xlsdun takes at most 200)" in found[(3, "customer")]
    assert all(len(problem) < 200 for problem in found.values())
    # the long address is an invalid one: the debtor is kept, for the call list
    assert [i.invoice for i in rec.invoices] == ["INV-3", "INV-4", "INV-6"]
    assert rec.invoices[1].email is None
    assert MAX_LENGTH["notes"] == 2000


def test_a_long_note_is_cut_and_the_invoice_is_reminded(tmp_path: Path) -> None:
    """Notes are never sent, yet a note over 2,000 characters skipped the whole invoice:
    now it is cut to 2,000 (the last one "…"), with no finding, and the debtor is reminded."""
    copy_sample(tmp_path)
    book = openpyxl.load_workbook(tmp_path / "receivables.xlsx")
    sheet = book["Receivables"]
    headers = {cell.value: cell.column_letter for cell in sheet[4]}
    sheet[f"{headers['Notes']}5"] = "Called twice; promised to pay after the audit. " * 100
    customer = sheet[f"{headers['Customer']}5"].value
    book.save(tmp_path / "receivables.xlsx")
    rec = read_receivables(tmp_path / "receivables.xlsx", sheet="Receivables")
    assert not rec.findings
    (inv,) = [i for i in rec.invoices if i.row == 5]
    assert len(inv.notes) == 2000 and inv.notes.endswith(
        "after the audit. Called twice; promised to…"
    )
    code, report = run_json(tmp_path)
    assert not report["findings"], report["findings"]
    sent = {d["customer"]: d["outcome"] for d in report["debtors"]}
    assert sent[customer] == "written_to_outbox"


def test_control_characters_never_leave_the_reader(tmp_path: Path) -> None:
    rows = [
        HEADER + ["Notes"],
        [
            "Ac\x00me\x1b[31m Ltd\x7f",
            "a@acme.example.com",
            "INV\x07-1",
            date(2026, 10, 1),
            5,
            "a\x9bb",
        ],
    ]
    (inv,) = read_receivables(write_rows(tmp_path / "ctl.xlsx", rows)).invoices
    assert (inv.customer, inv.invoice, inv.notes) == ("Acme[31m Ltd", "INV-1", "ab")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("01/01/0001", "before 1900"),
        ("0001-01-01", "before 1900"),
        ("1/1/1899", "before 1900"),
        ("01/01/26", date(2026, 1, 1)),
        ("01/01/2026", date(2026, 1, 1)),
        (0.5, "is not a date"),
    ],
)
def test_a_four_digit_year_is_taken_as_written(tmp_path: Path, cell: object, expected) -> None:  # type: ignore[no-untyped-def]
    """'01/01/0001' was read as 2001-01-01 ("9460 days overdue")."""
    rows = [HEADER, ["Acme", "a@acme.example.com", "INV-1", cell, 100]]
    rec = read_receivables(write_rows(tmp_path / "d.xlsx", rows))
    if isinstance(expected, date):
        assert rec.invoices[0].due_date == expected
    else:
        (finding,) = rec.findings
        assert finding.field == "due_date" and expected in finding.problem


def test_an_excel_date_serial_below_1_is_a_finding(tmp_path: Path) -> None:
    """A date-formatted 0 is no day (calamine reads it as a time of day)."""
    path = write_rows(tmp_path / "s.xlsx", [HEADER, ["Acme", "a@x.example.com", "I-1", 0, 5]])
    book = openpyxl.load_workbook(path)
    book.active["D2"].number_format = "dd/mm/yyyy"
    book.save(path)
    (finding,) = read_receivables(path).findings
    assert finding.field == "due_date" and "is not a date" in finding.problem


# -- encrypted .xls -------------------------------------------------------------------------


def test_an_encrypted_xls_gets_the_advice_to_save_an_unprotected_copy(tmp_path: Path) -> None:
    path = encrypted_xls(tmp_path / "locked.xls")
    with pytest.raises(WorkbookReadError) as error:
        read_receivables(path)
    message = str(error.value)
    assert "password-protected" in message and "save a copy without a password" in message
    assert "PasswordError" not in message


@pytest.mark.skipif(not (CORPUS / "pass_protected.xlsx").exists(), reason="corpus not found")
def test_an_encrypted_xlsb_gets_the_same_advice(tmp_path: Path) -> None:
    """An encrypted .xlsb is an OLE2 file too, not a zip (it got calamine's zip error)."""
    path = tmp_path / "locked.xlsb"
    path.write_bytes((CORPUS / "pass_protected.xlsx").read_bytes())
    with pytest.raises(WorkbookReadError, match="password-protected"):
        read_receivables(path)


# -- headers people use ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("סכום לתשלום", "balance"),
        ("חוב", "balance"),
        ("Open amount", "balance"),
        ("ת. פירעון", "due_date"),
        ("ת.פירעון", "due_date"),
        ("מספר מסמך", "invoice"),
        ("Doc #", "invoice"),
        ("טלפון נייד", "phone"),
    ],
)
def test_headers_people_use_are_recognised(header: str, field: str) -> None:
    assert map_headers([header]).fields == {field: 0}


def test_garbled_headers_match_nothing() -> None:
    """Hebrew headers of a CSV imported with the wrong encoding must not map by chance."""
    from xlsdun.workbook.columns import ALIASES

    for names in ALIASES.values():
        for name in names:
            garbled = name.encode("utf-8").decode("cp1252", errors="replace")
            if garbled != name:
                assert map_headers([garbled]).fields == {}, (name, garbled)


@pytest.mark.parametrize("terms", ["Due on receipt", "מיידי", "Immediate", "COD", "C.O.D."])
def test_terms_due_on_receipt_are_due_on_the_invoice_date(tmp_path: Path, terms: str) -> None:
    rows = [
        ["Customer", "Email", "Invoice", "Invoice date", "Terms", "Balance"],
        ["Acme", "a@acme.example.com", "INV-1", date(2026, 10, 1), terms, 100],
    ]
    (inv,) = read_receivables(write_rows(tmp_path / "t.xlsx", rows)).invoices
    assert inv.due_date == date(2026, 10, 1)


def test_the_columns_xlsdun_did_not_map_are_on_the_sheet_info(tmp_path: Path) -> None:
    """An unrecognised phone column silently left a no-email debtor off the call list."""
    rows = [
        HEADER + ["Mobile no.", "Region", "Reminder status"],
        ["Acme", "a@acme.example.com", "INV-1", date(2026, 10, 1), 5, "050", "North", None],
    ]
    rec = read_receivables(
        write_rows(tmp_path / "u.xlsx", rows), owned_columns={"status": "Reminder status"}
    )
    assert rec.sheet.unmapped == {5: "Mobile no.", 6: "Region"}


def test_no_header_row_shows_what_was_seen_and_spots_a_wrong_encoding(tmp_path: Path) -> None:
    for encoding in ("cp1252", "cp1255", "latin-1"):  # Excel in English, in Hebrew, others
        garbled = [h.encode().decode(encoding, "replace") for h in ("לקוח", "מייל", "חשבונית")]
        path = write_rows(tmp_path / "csv.xlsx", [garbled, ["Acme", "a@x.example.com", "1"]])
        with pytest.raises(WorkbookReadError) as error:
            read_receivables(path)
        message = str(error.value)
        assert "its first rows read: " in message, encoding
        assert "UTF-8 as the encoding" in message, encoding
    plain = write_rows(tmp_path / "plain.xlsx", [["Client code", "Mail box"], ["A1", "x"]])
    with pytest.raises(WorkbookReadError) as error:
        read_receivables(plain)
    assert "'Client code | Mail box'" in str(error.value)
    assert "encoding" not in str(error.value)


# -- wrong paths and a replaced workbook -----------------------------------------------------


def _point_config_at(folder: Path, target: Path) -> Path:
    config = folder / "xlsdun.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            'path = "receivables.xlsx"', f'path = "{target.as_posix()}"'
        ),
        encoding="utf-8",
    )
    return config


@pytest.mark.parametrize("command", ["check", "run"])
def test_a_folder_as_the_workbook_is_exit_2(tmp_path: Path, command: str) -> None:
    """It was "unexpected IsADirectoryError", exit 1."""
    copy_sample(tmp_path)
    (tmp_path / "books.xlsx").mkdir()
    config = _point_config_at(tmp_path, tmp_path / "books.xlsx")
    dated = ["--today", TODAY] if command == "run" else []  # check takes no date
    code, _, err = invoke(command, "--config", str(config), *dated)
    assert code == 2, err
    assert "is a folder, not a workbook file" in err and "workbook.path" in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
@pytest.mark.parametrize("command", ["check", "run", "doctor"])
def test_a_named_pipe_as_the_workbook_does_not_hang(tmp_path: Path, command: str) -> None:
    copy_sample(tmp_path)
    os.mkfifo(tmp_path / "pipe.xlsx")
    config = _point_config_at(tmp_path, tmp_path / "pipe.xlsx")
    dated = ["--today", TODAY] if command == "run" else []  # check and doctor take no date
    done = subprocess.run(
        [sys.executable, "-m", "xlsdun", command, "--config", str(config), *dated],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode in (1, 2) if command == "doctor" else done.returncode == 2
    assert "not an ordinary file" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


def test_a_workbook_replaced_by_a_text_file_names_the_latest_backup(tmp_path: Path) -> None:
    copy_sample(tmp_path)
    book = tmp_path / "receivables.xlsx"
    backups = tmp_path / ".xlsdun" / "backups"
    rotate_backups(book, tmp_path / ".xlsdun", keep=3)
    latest = rotate_backups(book, tmp_path / ".xlsdun", keep=3)
    book.write_text("Customer,Email\nAcme,a@acme.example.com\n", encoding="utf-8")
    with pytest.raises(WorkbookReadError) as error:
        read_receivables(book, backups_dir=backups)
    message = " ".join(str(error.value).split())
    assert "cannot be read as a workbook" in message
    assert f"latest backup of it is {latest}" in message
    assert "copy that file over receivables.xlsx" in message
    with pytest.raises(WorkbookReadError) as error:  # without the folder: no backup named
        read_receivables(book)
    assert "backup" not in str(error.value)


def test_a_missing_workbook_names_the_latest_backup_too(tmp_path: Path) -> None:
    copy_sample(tmp_path)
    latest = rotate_backups(tmp_path / "receivables.xlsx", tmp_path / ".xlsdun", keep=3)
    (tmp_path / "receivables.xlsx").unlink()
    with pytest.raises(WorkbookReadError, match="workbook not found.*latest backup"):
        read_receivables(tmp_path / "receivables.xlsx", backups_dir=latest.parent)


def test_a_datetime_cell_in_a_text_column_is_text(tmp_path: Path) -> None:
    """A date typed into the invoice column is that date's text, as before."""
    rows = [HEADER, ["Acme", "a@acme.example.com", datetime(2026, 1, 2), date(2026, 10, 1), 5]]
    (inv,) = read_receivables(write_rows(tmp_path / "dt.xlsx", rows)).invoices
    assert inv.invoice == "2026-01-02"


# -- cells spread far apart: calamine would ask for the whole rectangle and abort ------------

FAR_CELLS = {
    "a value in XFD1048576": b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
    "an empty text in XFD1048576": (
        b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t></t></is></c></row>'
    ),
    "a value in XFD3000 (1.6 GB)": b'<row r="3000"><c r="XFD3000"><v>1</v></c></row>',
    "the reference not first": b'<row r="900000"><c s="0" r="ZZ900000"><v>1</v></c></row>',
    "a namespace prefix": b'<row r="900000"><x:c xmlns:x="urn:x" r="ZZ900000"><x:v>1</x:v></x:c></row>',
    "no reference, a far row": b'<row r="1048576">' + b"<c><v>1</v></c>" * 20 + b"</row>",
}


def _with_row(sample: Path, out: Path, row: bytes) -> Path:
    return repack(
        sample,
        out,
        {"xl/worksheets/sheet1.xml": lambda x: x.replace(b"</sheetData>", row + b"</sheetData>")},
    )


@pytest.mark.parametrize("what", list(FAR_CELLS))
def test_cells_spread_far_apart_stop_the_run_before_calamine_reads_them(
    tmp_path: Path, what: str
) -> None:
    """A 5 KB workbook with a value in XFD1048576 made calamine ask for 550 GB and abort
    every command (exit 134, nothing in the log). Run in a child process under a memory cap,
    so a regression cannot take the machine with it."""
    copy_sample(tmp_path)
    book = tmp_path / "receivables.xlsx"
    _with_row(SAMPLE / "receivables.xlsx", book, FAR_CELLS[what])
    for command in ("check", "run"):
        config = str(tmp_path / "xlsdun.toml")
        dated = ["--today", TODAY] if command == "run" else []  # check takes no date
        code, _, err = run_cli(command, "--config", config, *dated, memory=2 << 30)
        assert code == 2, (what, command, err[-2000:])
        assert "cells spread over" in err and "Ctrl+End" in err
        assert "Traceback" not in err
    assert not (tmp_path / "outbox").exists()


def test_a_far_cell_with_no_value_is_not_counted(tmp_path: Path) -> None:
    """Formatting alone far away (`<c r="XFD9" s="1"/>`): calamine leaves it out, and so does
    the measurement; and a wide but honest sheet (columns past Z) reads."""
    book = _with_row(
        SAMPLE / "receivables.xlsx",
        tmp_path / "r.xlsx",
        b'<row r="1048576"><c r="XFD1048576" s="0"/></row>',
    )
    assert read_receivables(book, sheet="Receivables").invoices
    wide = write_rows(tmp_path / "wide.xlsx", [[f"h{i}" for i in range(40)], list(range(40))])
    from xlsdun.workbook.layout import sheet_spreads

    (measured,) = sheet_spreads(wide).values()
    assert measured.problem is None and measured.clean and not measured.errors


# -- issue 12, an adversarial trial: amounts, error values, hidden sheets, huge cells, phones --


@pytest.mark.parametrize(
    "text",
    ["1,2,3", "12,34,56", "1_000", "1e5", "1E+5", "(-50)", "(500", "500)", "1.2.3", "1 2 3"]
    + ["12,34,567.00", "1,234.5.6", "Infinity", "٣٠٠", "--5", "5-"],
)
def test_a_text_amount_that_is_not_exactly_a_number_is_refused(text: str) -> None:
    """ "1,2,3" was 123, "12,34,56" 123456, "1_000" 1000 (Decimal takes underscores), "1e5"
    100000: xlsdun sent amounts nobody wrote."""
    with pytest.raises(ValueError, match=re.escape(f"{text!r} is not an amount")):
        to_money(text)
    with pytest.raises(ValueError, match=re.escape(f"{text!r} is not an amount")):
        to_money(text, decimal_comma=True)


@pytest.mark.parametrize(
    ("text", "decimal_comma", "amount", "currency"),
    [
        ("₪1,200.50", False, "1200.50", "ILS"),
        ("1.200,50 ₪", False, "1200.50", "ILS"),
        ("NIS 300", False, "300.00", "ILS"),
        ("(500.00)", False, "-500.00", None),
        ("-50", False, "-50.00", None),
        ("1200", False, "1200.00", None),
        ("1.200", False, "1.20", None),  # the period is the decimal point in ILS
        ("1.200", True, "1200.00", None),
        ("1,234,567.89", False, "1234567.89", None),
        ("1.234.567,89", True, "1234567.89", None),
        ("1 234,50", True, "1234.50", None),
        ("1\u202f234.50", False, "1234.50", None),
        ("12,50", True, "12.50", None),
        ("12.5", True, "12.50", None),  # was 125: a lone period before one digit is no group
        ("\u200f1,200 ש״ח\u200f", False, "1200.00", "ILS"),
        ("\u2066- 1,200.50 $\u2069", False, "-1200.50", "USD"),
    ],
)
def test_text_amounts_people_write_are_read(
    text: str, decimal_comma: bool, amount: str, currency: str | None
) -> None:
    assert to_money(text, decimal_comma) == (Decimal(amount), currency)


def test_a_text_amount_that_is_not_exactly_a_number_is_a_finding_in_a_run(tmp_path: Path) -> None:
    rows = debtors(5, DAY)
    for row, text in zip(rows, ["1,2,3", "1_000", "1e5", "12,34,56", "₪1,200.50"], strict=True):
        row["Balance"] = text
    make_workbook(tmp_path, rows)
    code, report = run_json(tmp_path)
    assert code == 0, report
    problems = {f["row"]: f["problem"] for f in report["findings"] if f["field"] == "balance"}
    assert problems == {
        2: "'1,2,3' is not an amount",
        3: "'1_000' is not an amount",
        4: "'1e5' is not an amount",
        5: "'12,34,56' is not an amount",
    }
    sent = [d["customer"] for d in report["debtors"] if d["outcome"] == "written_to_outbox"]
    assert sent == ["Customer 0004"]
    (message,) = (tmp_path / "outbox" / TODAY).glob("*.eml")
    assert "1,200.50" in message.read_text("utf-8", "replace")


ERRORS = ["#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!"]


def _errors_sheet(path: Path) -> Path:
    """Each of Excel's error values in an amount or a date column, as Excel writes them."""
    header = ["Customer", "Email", "Invoice", "Invoice date", "Terms", "Due date"]
    header += ["Amount", "Paid", "Balance", "Notes", "Promise date"]
    due, issued = date(2026, 10, 1), date(2026, 9, 1)
    rows: list[list[object]] = [header]
    for n, error in enumerate(ERRORS):
        cell = Formula("=1/0", error)
        rows.append(
            [f"Debtor {n}", f"d{n}@example.com", f"INV-{n}", issued, "Net 30", due]
            + [100, 0, 100, None]
        )
        rows[-1][[8, 5, 7, 8, 5, 8, 7][n]] = cell  # balance, due date, paid, ...
    rows.append(["Fine", "f@example.com", "INV-F", issued, "Net 30", due, 100, 0, 100])
    rows[-1].append(Formula("=#REF!", "#REF!"))  # an error in Notes changes nothing,
    rows[-1].append(Formula("=VLOOKUP(A9,X:Y,2)", "#N/A"))  # nor in an optional date
    rows.append(["Typed", "t@example.com", "INV-T", issued, "Net 30", due, 100, 0, "#N/A"])
    return write_rows(path, rows)


def test_an_excel_error_in_an_amount_or_date_is_a_finding_that_names_it(tmp_path: Path) -> None:
    """calamine reads an error cell as an empty one: a "#DIV/0!" balance was "no balance
    (and no amount)", a "#N/A" due date was worked out from the terms instead, and a
    "#VALUE!" in Paid let the whole amount stand as the balance."""
    book = _errors_sheet(tmp_path / "errors.xlsx")
    cells = python_calamine.CalamineWorkbook.from_path(str(book)).get_sheet_by_name(SHEET)
    assert cells.to_python()[1][8] == ""  # what calamine makes of "#DIV/0!"
    rec = read_receivables(book)
    found = {(f.row, f.field): f.problem for f in rec.findings}
    fields = ["balance", "due_date", "paid", "balance", "due_date", "balance", "paid"]
    what = {"balance": "an amount", "paid": "an amount", "due_date": "a date"}
    expected = {
        (n + 2, field): f"'{error}' is an Excel error (the cell's formula could not be "
        f"calculated), not {what[field]}"
        for n, (error, field) in enumerate(zip(ERRORS, fields, strict=True))
    }
    expected[(10, "balance")] = expected[(3, "due_date")].replace("a date", "an amount")
    assert found == expected
    assert [i.invoice for i in rec.invoices] == ["INV-F"]


def test_error_values_written_other_ways_are_found_too(tmp_path: Path) -> None:
    """A sheet whose cells carry no reference, or whose text reads `t="e"`, is walked with
    lxml, cells placed as calamine places them."""
    book = _errors_sheet(tmp_path / "errors.xlsx")
    expected = error_cells(book, SHEET_PART)
    assert expected[2] == {8: "#DIV/0!"} and expected[9] == {9: "#REF!", 10: "#N/A"}
    assert 8 not in expected.get(10, {})  # the typed "#N/A" is text, not an error value

    def no_references(xml: bytes) -> bytes:
        return re.sub(rb'<c r="[A-Z]+[0-9]+"', b"<c", xml)

    def text_like_an_error(xml: bytes) -> bytes:
        cell = b'<c r="Z1" t="inlineStr"><is><t>t="e"</t></is></c>'
        return xml.replace(b"</row>", cell + b"</row>", 1)

    for change in (no_references, text_like_an_error):
        odd = repack(book, tmp_path / f"{change.__name__}.xlsx", {SHEET_PART: change})
        assert error_cells(odd, SHEET_PART) == expected, change.__name__
        found = {(f.row, f.field) for f in read_receivables(odd).findings}
        assert (2, "balance") in found and (3, "due_date") in found


def test_error_values_are_found_while_calamine_reads_and_cost_the_read_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sheet pass notes whether error values are there at all; a sheet with none (the
    benchmark workbook) is never read again for them."""
    from xlsdun.workbook import opening
    from xlsdun.workbook.layout import sheet_spreads

    book = bench_sample(tmp_path, 2000).parent / "receivables.xlsx"
    assert not sheet_spreads(book)["Receivables"].errors

    def never(*_: object) -> dict:
        raise AssertionError("error_cells ran on a sheet the pass saw no error value on")

    monkeypatch.setattr(opening, "error_cells", never)
    rec = read_receivables(book)
    assert len(rec.invoices) == 2000 and not rec.findings
    assert error_cells(book, SHEET_PART) == {}


def _two_sheets(path: Path, *, hidden: str = "hidden") -> Path:
    """An archive copy (hidden) before the live sheet: the old balance is 999."""
    archive = [HEADER, ["Old Co", "old@example.com", "INV-OLD", date(2026, 1, 1), 999]]
    live = [HEADER, ["Acme", "a@acme.example.com", "INV-1", date(2026, 10, 1), 120]]
    return write_sheets(path, {"Archive": archive, "Receivables": live}, **{hidden: ["Archive"]})


@pytest.mark.parametrize("how", ["hidden", "very_hidden"])
def test_a_hidden_sheet_is_not_chosen_unless_named(tmp_path: Path, how: str) -> None:
    """With no `workbook.sheet`, the first sheet with the columns won even when hidden (an
    archive or a template copy), and its debtors were reminded."""
    book = _two_sheets(tmp_path / "two.xlsx", hidden=how)
    rec = read_receivables(book)
    assert rec.sheet.sheet == "Receivables" and [i.invoice for i in rec.invoices] == ["INV-1"]
    named = read_receivables(book, sheet="Archive")  # named in the config: used
    assert [i.invoice for i in named.invoices] == ["INV-OLD"]


def test_only_a_hidden_sheet_with_the_columns_says_how_to_use_it(tmp_path: Path) -> None:
    copy_sample(tmp_path)
    config = tmp_path / "xlsdun.toml"
    config.write_text(config.read_text("utf-8").replace('sheet = "Receivables"\n', ""), "utf-8")
    archive = [HEADER, ["Old Co", "old@example.com", "INV-OLD", date(2026, 1, 1), 999]]
    cover = [["Receivables, see the archive"], ["nothing here"]]
    write_sheets(
        tmp_path / "receivables.xlsx", {"Cover": cover, "Archive": archive}, hidden=["Archive"]
    )
    err = refused_before_sending(
        tmp_path, "sheet 'Archive' has the columns xlsdun needs, but it is hidden"
    )
    assert 'workbook.sheet = "Archive"' in err and "'Cover' (no header row recognised" in err


def _huge_cell_book(path: Path, size: int, where: str) -> Path:
    """The sample layout with one cell of `size` characters that do not compress much (a
    packed part is within the zip limits), as a title above the header or a header cell."""
    header = HEADER + ["Notes"]
    rows: list[list[object]] = [["HUGE"], header]
    rows.append(["Acme", "a@acme.example.com", "INV-1", date(2026, 10, 1), 120, "n" * 3000])
    if where == "header":
        rows[0] = ["Title"]
        rows[1] = [*header, "HUGE"]
    book = write_rows(path.with_suffix(".small.xlsx"), rows)
    text = os.urandom(size // 2).hex().encode()  # 2:1 at best

    def grow(xml: bytes) -> bytes:
        return xml.replace(b">HUGE<", b">" + text + b"<")

    return repack(book, path, {"xl/sharedStrings.xml": grow})


def _read_traced(book: Path) -> tuple[Receivables, int]:
    """The receivables, and the most Python memory the read held at once (tracemalloc)."""
    tracemalloc.start()
    try:
        rec = read_receivables(book)
        return rec, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("where", ["title", "header"])
def test_a_huge_cell_above_or_in_the_header_row_costs_no_memory(tmp_path: Path, where: str) -> None:
    """One 900 MB text cell (within the zip limits) made header detection case-fold and
    match the whole of it: 3.7 GB, then MemoryError. Here 40 MB: what the reader allocates
    beyond calamine's own copy of it stays small, and the cell is a header of nothing."""
    size = 40_000_000
    book = _huge_cell_book(tmp_path / "huge.xlsx", size, where)
    rec, peak = _read_traced(book)
    assert peak < size + 10_000_000, f"{peak / 1e6:.0f} MB for a {size / 1e6:.0f} MB cell"
    (inv,) = rec.invoices
    assert inv.invoice == "INV-1" and len(inv.notes or "") == MAX_LENGTH["notes"]
    assert all(len(h) <= MAX_HEADER + 1 for h in rec.sheet.headers.values())


def test_a_huge_cell_in_a_field_is_a_finding_without_reading_it_whole(tmp_path: Path) -> None:
    rows = [HEADER, ["Acme", "a@acme.example.com", "HUGE", date(2026, 10, 1), 5]]
    rows.append(["Beta", "b@beta.example.com", "INV-2", date(2026, 10, 1), "HUGE"])
    rows.append(["Gamma", "HUGE", "INV-3", date(2026, 10, 1), 7])
    small = write_rows(tmp_path / "small.xlsx", rows)
    text = os.urandom(20_000_000).hex().encode()
    book = repack(
        small, tmp_path / "huge.xlsx", {"xl/sharedStrings.xml": lambda x: x.replace(b"HUGE", text)}
    )
    rec, peak = _read_traced(book)
    assert peak < 3 * 40_000_000 + 10_000_000, f"{peak / 1e6:.0f} MB for three 40 MB cells"
    found = {(f.row, f.field): f.problem for f in rec.findings}
    assert "is 40,000,000 characters long" in found[(2, "invoice")]
    assert "is 40,000,000 characters long" in found[(3, "balance")]
    assert "invalid email address" in found[(4, "email")]
    assert all(len(problem) < 200 for problem in found.values())


def test_direction_controls_never_stay_in_a_phone_number(tmp_path: Path) -> None:
    """U+202E in a Phone cell reversed the number in the call list and its tel: link; an
    invisible mark broke the link. Other text keeps its marks (a Hebrew name may need them;
    messages isolate them)."""
    rows = debtors(4, DAY)
    for row in rows:
        row.pop("Email")
    rows[0]["Phone"] = "\u202e050-1234567"
    rows[1]["Phone"] = "\u200f03-555-0142\u200f ext 12"
    rows[2]["Phone"] = "\u2066+972 3 555 0142\u2069\u200b"
    rows[3]["Phone"] = "\u200e\u202c"
    rows[3]["Customer"] = "\u200fשלום בע״מ\u200f"
    make_workbook(tmp_path, rows)
    rec = read_receivables(tmp_path / "receivables.xlsx")
    phones = [i.phone for i in rec.invoices]
    assert phones == ["050-1234567", "03-555-0142 ext 12", "+972 3 555 0142", None]
    assert rec.invoices[3].customer == "\u200fשלום בע״מ\u200f"
    code, report = run_json(tmp_path)
    assert code == 0, report
    html = next((tmp_path / ".xlsdun" / "reports").glob("*.html")).read_text("utf-8")
    assert 'href="tel:+972501234567"' in html and "\u202e" not in html
