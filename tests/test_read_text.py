"""CSV and text exports as the workbook (issue 15): the encodings and delimiters exports
come in, the same rows and findings as a sheet, a clear stop for a file in the wrong
encoding, and outcomes in the sidecar, never in the export."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from support.sample_setup import SAMPLE, TODAY, copy_sample, invoke
from support.workbooks import write_rows
from xlsdun import config as config_mod
from xlsdun.config import ConfigError
from xlsdun.workbook import textfile
from xlsdun.workbook.read import WorkbookReadError, read_receivables
from xlsdun.workbook.sidecar import sidecar_path

ROWS = [
    ["דוח יתרות פתוחות", "", "", "", "", ""],
    ["", "", "", "", "", ""],
    ["לקוח", "דואל", "אסמכתא", "תאריך ערך", "יתרה לתשלום", "מטבע"],
    ['אקמה בע"מ', "a@acme.example.com", "7001", "15/10/2026", "1,200.50", "₪"],
    ["ביתא; שירותים", "b@beta.example.com", "7002", "01/11/2026", "300", ""],
    ["Gamma Ltd", "g@gamma.example.com", "7003", "03/04/2026", "N/A", "USD"],
    ["", "", "", "", "", ""],
    ['סה"כ', "", "", "", "1,500.50", ""],
]


def csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    """Rows as an export writes them: a field with the delimiter, a quote or a line break
    quoted."""

    def field(value: str) -> str:
        if any(c in value for c in (delimiter, '"', "\n")):
            return '"' + value.replace('"', '""') + '"'
        return value

    return "".join(delimiter.join(map(field, row)) + "\r\n" for row in rows)


def write(path: Path, rows: list[list[str]], encoding: str, delimiter: str = ",") -> Path:
    path.write_bytes(csv_text(rows, delimiter).encode(encoding))
    return path


def seen(path: Path, **kwargs: object) -> list[tuple[object, ...]]:
    rec = read_receivables(path, **kwargs)  # type: ignore[arg-type]
    return [(i.row, i.customer, i.invoice, i.due_date, i.balance, i.currency) for i in rec.invoices]


EXPECTED = [
    (4, 'אקמה בע"מ', "7001", date(2026, 10, 15), Decimal("1200.50"), "ILS"),
    (5, "ביתא; שירותים", "7002", date(2026, 11, 1), Decimal("300.00"), "ILS"),
]


@pytest.mark.parametrize(
    ("name", "encoding", "delimiter", "configured"),
    [
        ("utf8.csv", "utf-8", ",", None),
        ("bom.csv", "utf-8-sig", ",", None),
        ("semicolon.csv", "utf-8", ";", None),
        ("unicode.txt", "utf-16", "\t", None),  # Excel's "Unicode text": a BOM, tabs
        ("hebrew-windows.csv", "cp1255", ",", "windows-1255"),
        ("hebrew-windows.txt", "cp1255", "\t", "cp1255"),
    ],
)
def test_an_export_reads_like_a_sheet(
    tmp_path: Path, name: str, encoding: str, delimiter: str, configured: str | None
) -> None:
    """The same rows in each encoding and delimiter: the same invoices, row numbers as Excel
    shows them, the title and totals rows no invoices; "N/A" is an empty balance, a finding
    as on a sheet."""
    path = write(tmp_path / name, ROWS, encoding, delimiter)
    rec = read_receivables(path, encoding=configured)
    got = [(i.row, i.customer, i.invoice, i.due_date, i.balance, i.currency) for i in rec.invoices]
    assert got == EXPECTED
    assert rec.sheet is not None and rec.sheet.read_only and rec.sheet.header_row == 3
    assert [(f.row, f.field) for f in rec.findings] == [(6, "balance")]


def test_findings_are_the_sheets_findings(tmp_path: Path) -> None:
    """Every row-level finding is what the same cells, as text in a sheet, give."""
    rows = [
        ["Customer", "Email", "Invoice", "Due date", "Balance", "Terms", "Invoice date"],
        ["Acme", "a@acme.example.com", "1", "31/02/2026", "10", "", ""],
        ["Acme", "not an address", "2", "01/02/2026", "12,5,0", "", ""],
        ["", "c@c.example.com", "3", "01/02/2026", "5", "", ""],
        ["Dup", "d@d.example.com", "4", "01/02/2026", "5", "", ""],
        ["Dup", "d@d.example.com", "4", "01/02/2026", "6", "", ""],
        ["Terms", "t@t.example.com", "5", "", "7", "שוטף+60", "20/01/2026"],
        ["Error", "e@e.example.com", "6", "#N/A", "8", "", ""],
        ["Long", "l@l.example.com", "7", "01/02/2026", "9", "", ""],
    ]
    rows[-1][0] = "x" * 300
    sheet = read_receivables(write_rows(tmp_path / "s.xlsx", rows))
    text = read_receivables(write(tmp_path / "s.csv", rows, "utf-8"))
    assert text.findings == sheet.findings and len(text.findings) >= 6
    assert text.invoices == sheet.invoices


@pytest.mark.parametrize(("order", "due"), [("DMY", date(2026, 4, 3)), ("MDY", date(2026, 3, 4))])
def test_dates_in_the_configured_order(tmp_path: Path, order: str, due: date) -> None:
    path = write(
        tmp_path / "d.csv",
        ROWS[2:3] + [["G", "g@g.example.com", "1", "03/04/2026", "5", ""]],
        "utf-8",
    )
    (inv,) = read_receivables(path, date_order=order).invoices
    assert inv.due_date == due


def test_decimal_commas_with_semicolons(tmp_path: Path) -> None:
    rows = [ROWS[2], ["A", "a@a.example.com", "1", "01/10/2026", "1.200,50", "EUR"]]
    path = write(tmp_path / "eu.csv", rows, "utf-8", ";")
    (inv,) = read_receivables(path).invoices
    assert inv.balance == Decimal("1200.50") and inv.currency == "EUR"


def test_ragged_rows_and_quoted_line_breaks(tmp_path: Path) -> None:
    """A title row of one field, a data row with more fields than the header, a name with a
    line break in quotes: all read, the extra field ignored."""
    text = (
        "Receivables\n"
        "Customer,Email,Invoice,Due date,Balance\n"
        '"Acme\nIndustries",a@acme.example.com,1,01/10/2026,100,extra,more\n'
        "Beta,b@beta.example.com,2,01/10/2026,50\n"
    )
    path = tmp_path / "r.csv"
    path.write_text(text, "utf-8")
    rec = read_receivables(path)
    assert [(i.row, i.customer, i.balance) for i in rec.invoices] == [
        (3, "Acme Industries", Decimal("100.00")),
        (4, "Beta", Decimal("50.00")),
    ]


@pytest.mark.parametrize(
    ("lines", "suffix", "delimiter"),
    [
        (["Title", "a,b,c", "1,2,3"], ".csv", ","),
        (["Title", "a;b;c", "1;2,5;3", "4;5,25;6"], ".csv", ";"),  # decimal commas
        (["a\tb\tc", "1\t2\t3"], ".txt", "\t"),
        (['"x, y";b;c', "1;2;3"], ".csv", ";"),  # a comma in quotes splits nothing
        (["one column"], ".txt", "\t"),  # nothing splits: the file's kind decides
        (["one column"], ".csv", ","),
    ],
)
def test_the_delimiter_is_sniffed(lines: list[str], suffix: str, delimiter: str) -> None:
    assert textfile.sniff_delimiter("\n".join(lines), suffix) == delimiter


# -- the wrong encoding -----------------------------------------------------------------------


def test_windows_1255_read_as_utf8_stops_with_the_fix(tmp_path: Path) -> None:
    path = write(tmp_path / "he.csv", ROWS, "cp1255")
    with pytest.raises(WorkbookReadError) as error:
        read_receivables(path)
    message = str(error.value)
    assert "line 1 is not UTF-8" in message and "sent nothing" in message
    assert "'דוח יתרות פתוחות,,,,,'" in message  # what the line says in Windows-1255
    assert 'set encoding = "windows-1255" under [workbook]' in message


def test_utf8_read_as_windows_1255_names_utf8(tmp_path: Path) -> None:
    path = write(tmp_path / "he.csv", ROWS, "utf-8")
    with pytest.raises(WorkbookReadError) as error:
        read_receivables(path, encoding="cp1255")
    message = str(error.value)
    assert "line 3 is not windows-1255" in message
    assert "As utf-8 it reads 'לקוח,דואל,אסמכתא,תאריך ערך,יתרה לתשלום,מטבע'" in message
    assert "remove 'encoding' from [workbook]" in message


def test_utf8_read_as_latin1_is_garbled_and_names_utf8(tmp_path: Path) -> None:
    path = write(tmp_path / "he.csv", ROWS, "utf-8")
    with pytest.raises(WorkbookReadError) as error:
        read_receivables(path, encoding="iso8859-1")
    message = str(error.value)
    assert "line 1 reads garbled as latin-1" in message and "×" in message
    assert "As utf-8 it reads 'דוח יתרות פתוחות,,,,,'" in message


def test_mojibake_in_a_utf8_file_stops_the_read(tmp_path: Path) -> None:
    """Text garbled before it was saved ("×—×©×‘×•×Ÿ" for "חשבון") would go into an email:
    the line is shown, and the fix is a new export (no encoding setting undoes it)."""
    rows = [r[:] for r in ROWS]
    rows[4][0] = "חשבון".encode().decode("cp1252", errors="replace")
    path = write(tmp_path / "m.csv", rows, "utf-8")
    with pytest.raises(WorkbookReadError) as error:
        read_receivables(path)
    message = str(error.value)
    assert "line 5 reads garbled as UTF-8" in message and rows[4][0][:6] in message
    assert "export it again" in message


def test_utf16_without_its_mark_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "u.txt"
    path.write_bytes(csv_text(ROWS, "\t").encode("utf-16-le"))
    with pytest.raises(WorkbookReadError, match='encoding = "utf-16-le"'):
        read_receivables(path)
    assert seen(path, encoding="utf-16-le") == EXPECTED


def test_a_byte_order_mark_wins_over_the_key(tmp_path: Path) -> None:
    path = write(tmp_path / "b.csv", ROWS, "utf-8-sig")
    assert seen(path, encoding="cp1255") == EXPECTED


def test_a_huge_file_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "big.csv", ROWS, "utf-8")
    monkeypatch.setattr(textfile, "MAX_TEXT_BYTES", 100)
    with pytest.raises(WorkbookReadError, match="reads text exports of up to"):
        read_receivables(path)


def test_an_empty_file_has_no_receivables(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(WorkbookReadError, match="no header row recognised"):
        read_receivables(path)


# -- the config key ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "codec"),
    [("Windows-1255", "cp1255"), ("cp1255", "cp1255"), ("UTF8", "utf-8"), ("Unicode", "utf-16")],
)
def test_the_encoding_key(tmp_path: Path, written: str, codec: str) -> None:
    config = copy_sample(tmp_path)
    text = config.read_text("utf-8").replace(
        "[workbook]\n", f'[workbook]\nencoding = "{written}"\n'
    )
    config.write_text(text, "utf-8")
    assert config_mod.load(config).workbook.encoding == codec


@pytest.mark.parametrize("written", ["rot13", "base64", "klingon", "iso-8859-8"])
def test_an_encoding_key_xlsdun_does_not_read_is_exit_2(tmp_path: Path, written: str) -> None:
    config = copy_sample(tmp_path)
    text = config.read_text("utf-8").replace(
        "[workbook]\n", f'[workbook]\nencoding = "{written}"\n'
    )
    config.write_text(text, "utf-8")
    with pytest.raises(ConfigError) as error:
        config_mod.load(config)
    assert error.value.exit_code == 2
    assert "workbook.encoding" in str(error.value) and '"windows-1255"' in str(error.value)


# -- the whole run ----------------------------------------------------------------------------


def sample_as_csv(folder: Path, encoding: str = "utf-8-sig", delimiter: str = ",") -> Path:
    """The sample workbook exported as a CSV (dates as the owner's Excel shows them), with
    its config pointing at it; the config."""
    config = copy_sample(folder)
    frame = pd.read_excel(
        folder / "receivables.xlsx", sheet_name="Receivables", header=3, engine="calamine"
    )
    for column in frame.columns:
        if str(frame[column].dtype).startswith("datetime"):
            frame[column] = frame[column].dt.strftime("%d/%m/%Y")
    frame.to_csv(folder / "receivables.csv", index=False, encoding=encoding, sep=delimiter)
    text = config.read_text("utf-8").replace(
        'path = "receivables.xlsx"', 'path = "receivables.csv"'
    )
    config.write_text(text.replace('sheet = "Receivables"\n', ""), "utf-8")
    return config


def test_the_sample_as_csv_plans_as_the_workbook(tmp_path: Path) -> None:
    """The sample, exported to CSV: the same plan, debtor for debtor, and the same findings
    (row numbers aside: the export has no title rows)."""
    sheet_config = copy_sample(tmp_path / "sheet")
    text_config = sample_as_csv(tmp_path / "text")
    plans = []
    for config in (sheet_config, text_config):
        code, out, err = invoke("plan", "--config", str(config), "--today", TODAY, "--json")
        assert code == 0, err
        plans.append(json.loads(out))
    sheet, text = plans
    assert len(sheet["debtors"]) > 10
    assert text["debtors"] == sheet["debtors"]
    assert [f["problem"] for f in text["findings"]] == [f["problem"] for f in sheet["findings"]]


def test_a_run_on_a_csv_writes_the_sidecar_and_leaves_the_export(tmp_path: Path) -> None:
    config = sample_as_csv(tmp_path, encoding="cp1255", delimiter=";")
    text = config.read_text("utf-8").replace(
        "[workbook]\n", '[workbook]\nencoding = "windows-1255"\n'
    )
    config.write_text(text, "utf-8")
    export = tmp_path / "receivables.csv"
    before = export.read_bytes()
    code, out, err = invoke("run", "--config", str(config), "--today", TODAY, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert sum(d["outcome"] == "written_to_outbox" for d in report["debtors"]) >= 10
    assert export.read_bytes() == before
    outcomes = pd.read_excel(sidecar_path(export), sheet_name="Outcomes", engine="calamine")
    assert outcomes.columns[0] == "Row in receivables.csv"
    assert outcomes["Reminder status"].notna().sum() >= 10


def test_a_run_on_a_wrong_encoding_sends_nothing(tmp_path: Path) -> None:
    config = sample_as_csv(tmp_path, encoding="cp1255")
    code, _, err = invoke("run", "--config", str(config), "--today", TODAY)
    assert code == 2 and "windows-1255" in err and "Traceback" not in err
    assert not (tmp_path / "outbox").exists() or not any((tmp_path / "outbox").rglob("*.eml"))
    assert not sidecar_path(tmp_path / "receivables.csv").exists()


def test_the_config_dataclass_carries_the_encoding() -> None:
    cfg = config_mod.load(SAMPLE / "xlsdun.toml")
    assert cfg.workbook.encoding is None
    assert replace(cfg.workbook, encoding="cp1255").encoding == "cp1255"


# -- the sample export ------------------------------------------------------------------------

EXPORT = SAMPLE / "open_invoices.csv"


def test_the_sample_export_is_what_its_script_makes(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = tmp_path / "export.csv"
    script = SAMPLE / "make_export.py"
    subprocess.run([sys.executable, str(script), str(out)], check=True, capture_output=True)
    assert out.read_bytes() == EXPORT.read_bytes()
    assert EXPORT.read_bytes().startswith("דוח".encode("cp1255"))  # Windows-1255, no mark


def test_the_sample_export_reads_every_invoice(tmp_path: Path) -> None:
    """Every column of the export is mapped by the aliases alone, every invoice read; the
    due date comes from the value date, else from the terms."""
    rec = read_receivables(EXPORT, encoding="cp1255")
    assert rec.findings == () and rec.sheet is not None and rec.sheet.unmapped == {}
    by_doc = {i.invoice: i for i in rec.invoices}
    assert len(by_doc) == 7 and {i.customer_id for i in rec.invoices} >= {"20011", "20031"}
    assert by_doc["31051"].due_date == date(2026, 11, 16)  # the value date
    assert by_doc["31102"].due_date == date(2026, 11, 14)  # "מיידי": the invoice date
    assert by_doc["31125"].due_date == date(2027, 2, 28)  # "שוטף+90" from 21/11/2026
    assert by_doc["30922"].balance == Decimal("6435.00") and by_doc["30870"].currency == "USD"
    assert by_doc["30922"].customer == 'מוסך הדר בע"מ' and by_doc["31051"].phone == "050-7001122"
    with pytest.raises(WorkbookReadError, match='set encoding = "windows-1255"'):
        read_receivables(EXPORT)


def test_excel_text_cells_read_as_excel_shows_them(tmp_path: Path) -> None:
    """="0501234567" is how exports keep a leading zero: the text, as Excel shows it."""
    text = (
        "Customer,Email,Invoice,Due date,Balance,Phone\n"
        'Acme,a@acme.example.com,="00123",01/10/2026,100,="0501234567"\n'
        '"=""Beta""",b@beta.example.com,"=""00124""",01/10/2026,50,\n'
    )
    path = tmp_path / "x.csv"
    path.write_text(text, "utf-8")
    a, b = read_receivables(path).invoices
    assert (a.invoice, a.phone) == ("00123", "0501234567")
    assert (b.customer, b.invoice) == ("Beta", "00124")


def test_a_huge_cell_is_the_rows_finding_not_the_files(tmp_path: Path) -> None:
    """The csv module refuses a field over 128 KB; a cell past Excel's 32,767 characters is
    a finding for its row (or cut, in Notes), as on a sheet, and the other rows are read."""
    rows = [
        ["Customer", "Email", "Invoice", "Due date", "Balance", "Notes"],
        ["x" * 200_000, "a@a.example.com", "1", "01/10/2026", "5", ""],
        ["Beta", "b@b.example.com", "2", "01/10/2026", "5", "n" * 200_000],
    ]
    rec = read_receivables(write(tmp_path / "h.csv", rows, "utf-8"))
    assert [(f.row, f.field) for f in rec.findings] == [(2, "customer")]
    (inv,) = rec.invoices
    assert inv.customer == "Beta" and inv.notes is not None and len(inv.notes) <= 2_000


def test_no_header_says_what_the_file_holds(tmp_path: Path) -> None:
    path = tmp_path / "n.csv"
    path.write_text("Name,Age\nDana,41\n", "utf-8")
    with pytest.raises(WorkbookReadError) as error:
        read_receivables(path)
    message = str(error.value)
    assert "no header row has the columns xlsdun needs" in message and "Dana" in message


# -- amounts written the plain way, a column at a time (series.text_amounts) -----------------

PLAIN_CASES = [
    "₪1,200.50",
    "1.200,50 ₪",
    "NIS 300",
    "nis 300",
    "NIS300",
    "300 NIS",
    "300NIS",
    "(500.00)",
    "(-5)",
    "(500",
    "-0",
    "(0.00)",
    "1,234",
    "12,50",
    "1.200",
    "1.005",
    "1,000,000,000,000",
    "999999999999",
    "0012",
    "$3,200.00",
    "USD(100)",
    "₪ NIS 300",
    "+5",
    "1 200",
    "#N/A",
    "1,2,3",
    "1_000",
    "1e5",
    ".5",
    "5.",
    "٣٠٠",
    "\u200f₪100",
]


def _plain(text: str, decimal_comma: bool = False) -> tuple[Decimal, str | None] | None:
    """What the column path makes of one text amount: (amount, currency), or None if it
    leaves it to the cell path."""
    from xlsdun.workbook.series import LEFT, text_amounts

    (found,) = text_amounts(pd.Series([text], dtype=object), decimal_comma)
    return None if found is LEFT else found  # type: ignore[no-any-return]


def test_the_column_path_takes_the_plain_amounts_itself() -> None:
    """Not everything left to the cell path: the plain forms are read by pandas."""
    assert _plain("₪1,200.50") == (Decimal("1200.50"), "ILS")
    assert _plain("(500.00)") == (Decimal("-500.00"), None)
    assert _plain("300 NIS") == (Decimal("300.00"), "ILS")
    assert _plain("1.200,50 €", decimal_comma=True) == (Decimal("1200.50"), "EUR")
    assert _plain("1 200") is None and _plain("(-5)") is None  # the cell path's findings


@pytest.mark.parametrize("text", PLAIN_CASES)
def test_a_plain_amount_reads_as_to_money_reads_it(text: str) -> None:
    """The column path takes a text only if it reads it exactly as the cell path does; any
    other text is left to the cell path (None), whose finding it then gets."""
    from xlsdun.workbook.money import to_money

    found = _plain(text)
    if found is not None:
        amount, currency = to_money(text)
        assert (str(found[0]), found[1]) == (str(amount), currency)


@given(st.text(alphabet="0123456789,.()- ₪$€NIS", max_size=16))
@settings(max_examples=400, deadline=None)
def test_plain_text_amounts_never_disagree_with_to_money(text: str) -> None:
    from xlsdun.workbook.money import to_money

    for decimal_comma in (False, True):
        found = _plain(text, decimal_comma)
        if found is None:
            continue
        amount, currency = to_money(text, decimal_comma)  # raises if the cell path refuses it
        assert (str(found[0]), found[1]) == (str(amount), currency)


@pytest.mark.parametrize("bulk_from", [1, 1_000])
def test_a_csv_export_takes_plain_amounts_in_bulk_and_others_cell_by_cell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bulk_from: int
) -> None:
    """The same findings, in the same words, whichever path an amount took: a column of a
    few values goes to the cell path, unless `_BULK_FROM` sends it to pandas first."""
    from xlsdun.workbook import convert

    monkeypatch.setattr(convert, "_BULK_FROM", bulk_from)
    text = (
        "Customer,Email,Invoice,Due date,Balance\n"
        'Acme,a@acme.example.com,1,01/10/2026,"₪1,200.50"\n'
        "Acme,a@acme.example.com,2,01/10/2026,1 200\n"
        "Acme,a@acme.example.com,3,01/10/2026,(-5)\n"
        "Acme,a@acme.example.com,4,01/10/2026,#DIV/0!\n"
        "Acme,a@acme.example.com,5,01/10/2026,\n"
        "Acme,a@acme.example.com,6,01/10/2026,(300)\n"
    )
    path = tmp_path / "ar.csv"
    path.write_text(text, encoding="utf-8")
    rec = read_receivables(path)
    assert [(i.invoice, str(i.balance)) for i in rec.invoices] == [
        ("1", "1200.50"),
        ("2", "1200.00"),
        ("6", "-300.00"),
    ]
    assert [(f.row, f.problem) for f in rec.findings] == [
        (4, "'(-5)' is not an amount"),
        (
            5,
            "'#DIV/0!' is an Excel error (the cell's formula could not be calculated), not "
            "an amount",
        ),
        (6, "no balance (and no amount)"),
    ]


def test_the_sidecar_is_written_without_a_scan_per_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """openpyxl's `max_row` (and `ws[n]`, which asks `max_column`) scan every cell written so
    far: once per row they made the sidecar quadratic (a 20,000-invoice CSV's took minutes).
    Its dates keep their format."""
    from openpyxl.worksheet.worksheet import Worksheet

    from xlsdun.workbook.sidecar import write_sidecar

    scans = []

    def counted(name: str) -> property:
        scan = getattr(Worksheet, name)

        def counting(self: Worksheet) -> int:
            scans.append(name)
            return scan.fget(self)

        return property(counting)

    source = tmp_path / "ar.csv"
    source.write_text("x", encoding="utf-8")
    rows = {n: (f"Customer {n}", f"INV-{n}") for n in range(2, 302)}
    owned = {n: {"Last reminder": date(2026, 11, 26)} for n in rows}
    with monkeypatch.context() as patched:
        patched.setattr(Worksheet, "max_row", counted("max_row"))
        patched.setattr(Worksheet, "max_column", counted("max_column"))
        out = write_sidecar(
            source,
            rows=rows,
            owned=owned,
            owned_headers=["Last reminder"],
            log_sheet="Reminder log",
            log_header=["When"],
            log_rows=[],
        )
    assert len(scans) < 20  # saving asks a few times; once a row was 600 scans
    import openpyxl

    sheet = openpyxl.load_workbook(out)["Outcomes"]
    assert sheet.max_row == 301 and sheet["D301"].number_format == "yyyy-mm-dd"
    assert sheet["C2"].value == "INV-2" and sheet["D2"].value.date() == date(2026, 11, 26)
