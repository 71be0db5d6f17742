"""Deterministic receivables workbooks for the benchmark, shaped like a real bookkeeper's sheet.

A title above the header row, number and date formats, a `Balance` formula column with
cached values (what Excel writes, and what pandas/calamine read), a data-bar rule on the
balances, frozen panes and an Excel Table over the data. About five invoices per debtor, two
in five debtors Hebrew, most with an overdue open invoice, so a run on `TODAY` sends about
one message per debtor.

Written with XlsxWriter (fixed document properties, seeded randomness): the same `n` always
gives a byte-identical file, so timings compare across runs.

`generate_csv` writes the same invoices as a CSV export (UTF-8 with a byte-order mark, as
Excel's "CSV UTF-8" saves it): the title, the header, dates as DD/MM/YYYY, amounts as text
with thousands separators, the balance as its value.

Usage:  python benchmarks/gen.py N OUT.xlsx|OUT.csv
"""

from __future__ import annotations

import csv
import io
import random
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import xlsxwriter

TODAY = date(2026, 11, 26)  # a Thursday: a send day in Israel, no public holiday
SHEET = "Receivables"
HEADERS = (
    "Customer",
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
    "Notes",
)
HEADER_ROW = 3  # 1-based Excel row of the headers (a title and a blank row above)
INVOICES_PER_DEBTOR = 5

_EN_FIRST = (
    "Northwind",
    "Blue Cedar",
    "Atlas",
    "Harbor Light",
    "Fjord",
    "Oakridge",
    "Silverline",
    "Meridian",
    "Pinecrest",
    "Brightwave",
    "Coastal",
    "Sunrise",
    "Granite",
    "Maple",
    "Riverside",
    "Summit",
    "Lakeview",
    "Ironwood",
)
_EN_KIND = (
    "Interiors Ltd",
    "Catering",
    "Software Inc.",
    "Dental Clinic",
    "Design AB",
    "Property Management",
    "Fitness Studio",
    "Print House",
    "Architects",
    "Media Productions",
    "Pharmacy",
    "Yoga Studio",
    "Logistics",
    "Bakery",
)
_HE_FIRST = (
    "מכולת",
    "מספרת",
    "נגרות",
    "קפה",
    'משרד רו"ח',
    "מאפיית",
    "סטודיו",
    "גלריה",
    "מוסך",
    "אולמי",
    "עמותת",
    "פלאפל",
    "מרפאת",
    "חנות",
)
_HE_NAME = (
    "השכונה",
    "שירן",
    "אבו-חצירא",
    "לנדוור",
    "גולדברג",
    "האחים כהן",
    "נועה לוי",
    "בית מרים",
    "האחים עזרא",
    "הדר",
    "יד לקהילה",
    "הדקל",
    "השרון",
    "הגליל",
)
_NOTES = (
    "",
    "",
    "",
    "",
    "Paid part by bank transfer",
    "עבודת חשמל במפעל",
    "Promised by phone",
    "תחזוקת בניין - רבעון 2",
)


def debtors_for(n_invoices: int) -> int:
    return max(n_invoices // INVOICES_PER_DEBTOR, 1)


def _rows(n_invoices: int, seed: int = 8) -> list[tuple]:
    """One tuple per invoice, in the order a bookkeeper appends them (by invoice date)."""
    rng = random.Random(seed)
    n_debtors = debtors_for(n_invoices)
    debtors = []
    for d in range(n_debtors):
        hebrew = rng.random() < 0.4
        if hebrew:
            name = f"{rng.choice(_HE_FIRST)} {rng.choice(_HE_NAME)} {d + 1}"
            email = f"office{d + 1}@example.co.il"
        else:
            name = f"{rng.choice(_EN_FIRST)} {rng.choice(_EN_KIND)} {d + 1}"
            email = f"accounts{d + 1}@example.com"
        currency = "ILS" if hebrew or rng.random() < 0.7 else rng.choice(("USD", "EUR"))
        phone = f"0{rng.randint(2, 9)}-{rng.randint(5_000_000, 9_999_999)}"
        debtors.append((name, email, phone, "he" if hebrew else "en", currency))
    lines = []
    for i in range(n_invoices):
        d = i % n_debtors
        k = i // n_debtors  # the debtor's k-th invoice: older ones are more often paid
        days = rng.randint(-25, 45) if k else rng.randint(2, 58)  # the first is overdue
        amount = round(rng.uniform(150, 25_000), 2)
        paid = amount if k and rng.random() < 0.45 else 0.0
        if not paid and rng.random() < 0.15:
            paid = round(amount * rng.choice((0.25, 0.5)), 2)
        terms = rng.choice((30, 30, 30, 45, 60))
        due = TODAY - timedelta(days=days)
        lines.append((due - timedelta(days=terms), d, due, amount, paid, rng.choice(_NOTES)))
    lines.sort(key=lambda line: (line[0], line[1]))
    rows = []
    for number, (invoice_date, d, due, amount, paid, notes) in enumerate(lines, start=10_001):
        name, email, phone, language, currency = debtors[d]
        rows.append(
            (
                name,
                email,
                phone,
                language,
                f"INV-{number}",
                invoice_date,
                due,
                amount,
                paid,
                currency,
                notes,
            )
        )
    return rows


def generate(n_invoices: int, out: str | Path) -> Path:
    """Write the workbook with `n_invoices` invoice rows to `out` and return its path."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = _rows(n_invoices)
    wb = xlsxwriter.Workbook(str(out), {"strings_to_numbers": False})
    wb.set_properties(
        {"title": "Receivables", "author": "xlsdun bench", "created": datetime(2026, 1, 1)}
    )
    ws = wb.add_worksheet(SHEET)
    title = wb.add_format({"bold": True, "font_size": 14})
    datef = wb.add_format({"num_format": "dd/mm/yyyy"})
    money = wb.add_format({"num_format": "#,##0.00"})
    ws.write(0, 0, "Receivables — Bench Co Ltd", title)
    first = HEADER_ROW  # 0-based index of the first data row
    last = first + len(rows) - 1
    for r, (name, email, phone, lang, inv, idate, due, amount, paid, cur, notes) in enumerate(
        rows, start=first
    ):
        ws.write_string(r, 0, name)
        ws.write_string(r, 1, email)
        ws.write_string(r, 2, phone)
        ws.write_string(r, 3, lang)
        ws.write_string(r, 4, inv)
        ws.write_datetime(r, 5, datetime.combine(idate, datetime.min.time()), datef)
        ws.write_datetime(r, 6, datetime.combine(due, datetime.min.time()), datef)
        ws.write_number(r, 7, amount, money)
        ws.write_number(r, 8, paid, money)
        ws.write_formula(r, 9, f"=H{r + 1}-I{r + 1}", money, round(amount - paid, 2))
        ws.write_string(r, 10, cur)
        if notes:
            ws.write_string(r, 11, notes)
    ws.add_table(
        HEADER_ROW - 1,
        0,
        last,
        len(HEADERS) - 1,
        {
            "name": "Invoices",
            "style": "Table Style Medium 2",
            "columns": [{"header": h} for h in HEADERS],
        },
    )
    ws.conditional_format(first, 9, last, 9, {"type": "data_bar", "bar_color": "#63BE7B"})
    ws.freeze_panes(HEADER_ROW, 1)
    for col, width in enumerate((34, 30, 14, 9, 11, 12, 12, 12, 12, 12, 9, 30)):
        ws.set_column(col, col, width)
    wb.close()
    return out


def generate_csv(n_invoices: int, out: str | Path) -> Path:
    """The same invoices as `generate`'s workbook, as a CSV export, to `out`."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerows([["Receivables — Bench Co Ltd"], [], list(HEADERS)])
    for name, email, phone, lang, inv, idate, due, amount, paid, cur, notes in _rows(n_invoices):
        writer.writerow(
            (
                name,
                email,
                phone,
                lang,
                inv,
                idate.strftime("%d/%m/%Y"),
                due.strftime("%d/%m/%Y"),
                f"{amount:,.2f}",
                f"{paid:,.2f}",
                f"{round(amount - paid, 2):,.2f}",
                cur,
                notes,
            )
        )
    out.write_bytes(text.getvalue().encode("utf-8-sig"))
    return out


if __name__ == "__main__":
    make = generate_csv if sys.argv[2].lower().endswith(".csv") else generate
    make(int(sys.argv[1]), sys.argv[2])
