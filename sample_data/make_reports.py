"""Write two sample accounting-style reports of open items, as bookkeeping software exports them.

Usage:  python sample_data/make_reports.py [FOLDER]      (default: sample_data/)

Made up from scratch (no program's real file), deterministic (no clock, no randomness):

- `customer_ledger.xlsx`, a Hebrew report ("כרטסת לקוחות - חובות פתוחים"): a title and the
  report's parameters above the header; each customer on a row of its own (account key,
  name, e-mail) above its documents, whose name cells are blank; a document type column
  (חשבונית מס, חשבון עסקה, קבלה, זיכוי); debit and credit columns (חובה / זכות) and a
  running balance (יתרה); "סה״כ ללקוח" under each customer and "סה״כ כללי" at the end; and,
  as printed, the title, the page number and the header again every `PAGE` rows.
- `open_items.csv`, an English report as UTF-8 with a byte-order mark: a title above the
  header; the customer and e-mail on its first document only; Invoice / Receipt / Credit
  note; one "Open amount" column written every which way ("₪1,200.50", "(500.00)",
  "NIS 300"); "Total for customer ..." under each customer and a "Grand total".

tests/test_read_reports.py reads both and checks every invoice against the tables below.
"""

from __future__ import annotations

import csv
import io
import sys
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import xlsxwriter

TODAY = date(2026, 11, 26)  # the demo date, as for receivables.xlsx
PAGE = 8  # rows a printed page holds, header included
TITLE = 'מוסך הדר בע"מ - כרטסת לקוחות - חובות פתוחים'
PARAMETERS = ("מתאריך: 01/01/2026", "עד תאריך: 26/11/2026", "מטבע: ש״ח")
HEADER = ("מפתח חשבון", "שם חשבון", 'דוא"ל', "סוג מסמך", "אסמכתא", "תאריך", "ת. ערך")
HEADER += ("חובה", "זכות", "יתרה")

# customer key, name, e-mail, and its documents: (type, number, days since issued, days
# overdue, debit, credit)
LEDGER: tuple[tuple[str, str, str, tuple[tuple[str, int, int, int, str, str], ...]], ...] = (
    (
        "20011",
        "גן ירק השרון",
        "office@ganyarok.example.co.il",
        (
            ("חשבונית מס", 31051, 40, 10, "4680.00", ""),
            ("חשבונית מס", 31077, 25, -5, "1170.00", ""),
            ("קבלה", 7012, 8, 0, "", "1000.00"),
        ),
    ),
    (
        "20014",
        'מוסך הדר בע"מ',
        "hadar.garage@example.co.il",
        (
            ("חשבון עסקה", 30922, 95, 35, "12870.00", ""),
            ("זיכוי", 30990, 60, 0, "", "870.00"),
            ("חשבונית מס", 31003, 70, 40, "2340.00", ""),
            ("חשבונית מס", 31044, 45, 15, "1560.00", ""),
            ("חשבונית מס", 31090, 20, -10, "980.00", ""),
        ),
    ),
    (
        "20031",
        "מרפאת שיניים גבעון",
        "givon.dental@example.co.il",
        (
            ("חשבונית מס", 30801, 150, 65, "22400.00", ""),
            ("חשבונית מס", 31125, 5, -25, "2100.00", ""),
        ),
    ),
)

# The English report: customer, e-mail, and its documents: (type, number, days since issued,
# days overdue, open amount as written, currency)
OPEN_ITEMS: tuple[tuple[str, str, tuple[tuple[str, str, int, int, str, str], ...]], ...] = (
    (
        "Acme Industries Ltd",
        "ap@acme.example.com",
        (
            ("Invoice", "INV-1041", 45, 15, "₪1,200.50", ""),
            ("Invoice", "INV-1063", 30, 0, "1.200,50 ₪", ""),
            ("Receipt", "RC-220", 10, 0, "(500.00)", ""),
        ),
    ),
    (
        "Total Energies Ltd",  # a customer whose name begins "Total": not a total row
        "billing@total.example.com",
        (
            ("Invoice", "INV-1050", 70, 40, "NIS 300", ""),
            ("Credit note", "CN-18", 20, 0, "120.00", ""),
        ),
    ),
    (
        "Levant Trading",
        "ap@levant.example.com",
        (("Invoice", "INV-1077", 20, -10, "$3,200.00", "USD"),),
    ),
)


def _day(days_ago: int) -> date:
    return TODAY - timedelta(days=days_ago)


def ledger_rows() -> list[list[object]]:
    """The Hebrew report's rows, without the page furniture (`paged` adds it)."""
    rows: list[list[object]] = []
    grand = [Decimal(0), Decimal(0)]
    for key, name, email, documents in LEDGER:
        rows.append([key, name, email, "", "", "", "", "", "", ""])
        running, debits, credits = Decimal(0), Decimal(0), Decimal(0)
        for kind, number, issued, overdue, debit, credit in documents:
            running += Decimal(debit or 0) - Decimal(credit or 0)
            debits, credits = debits + Decimal(debit or 0), credits + Decimal(credit or 0)
            rows.append(
                [
                    "",
                    "",
                    "",
                    kind,
                    number,
                    _day(issued),
                    _day(issued) + timedelta(days=issued - overdue),
                    float(debit) if debit else "",
                    float(credit) if credit else "",
                    float(running),
                ]
            )
        rows.append(["", f"סה״כ ללקוח {key}", "", "", "", "", "", float(debits), float(credits)])
        rows[-1].append(float(running))
        grand = [grand[0] + debits, grand[1] + credits]
    rows.append(["", "סה״כ כללי", "", "", "", "", "", float(grand[0]), float(grand[1])])
    rows[-1].append(float(grand[0] - grand[1]))
    return rows


def paged(rows: list[list[object]]) -> list[list[object]]:
    """The report as printed: title and parameters, the header, and every `PAGE` rows the
    title, the page number and the header again."""
    out: list[list[object]] = [[TITLE], [" | ".join(PARAMETERS)], [], list(HEADER)]
    page, on_page = 1, 1
    for row in rows:
        if on_page == PAGE:
            page += 1
            out += [[TITLE], [f"עמוד {page}"], list(HEADER)]
            on_page = 1
        out.append(row)
        on_page += 1
    return out


def write_ledger(path: Path) -> None:
    book = xlsxwriter.Workbook(path)
    book.set_properties({"created": datetime(2026, 11, 26, 7, 0, 0)})  # the same bytes each time
    sheet = book.add_worksheet("כרטסת")
    sheet.right_to_left()
    dates = book.add_format({"num_format": "dd/mm/yyyy"})
    money = book.add_format({"num_format": "#,##0.00"})
    for r, row in enumerate(paged(ledger_rows())):
        for c, value in enumerate(row):
            if isinstance(value, date):
                sheet.write_datetime(r, c, value, dates)
            elif isinstance(value, float):
                sheet.write_number(r, c, value, money)
            elif value != "":
                sheet.write(r, c, value)
    book.close()


def open_items_rows() -> list[list[str]]:
    lines = [["Northwind Supplies Ltd - Open items by customer"], ["As of 26/11/2026"], []]
    lines.append(["Customer", "Email", "Doc type", "Doc #", "Date", "Due date", "Open amount"])
    lines[-1].append("Currency")
    for name, email, documents in OPEN_ITEMS:
        for n, (kind, number, issued, overdue, amount, currency) in enumerate(documents):
            due = _day(issued) + timedelta(days=issued - overdue)
            lines.append(
                [
                    name if n == 0 else "",
                    email if n == 0 else "",
                    kind,
                    number,
                    _day(issued).strftime("%d/%m/%Y"),
                    due.strftime("%d/%m/%Y"),
                    amount,
                    currency,
                ]
            )
        lines.append([f"Total for customer {name}", "", "", "", "", "", "", ""])
    lines.append(["Grand total", "", "", "", "", "", "", ""])
    return lines


def write_open_items(path: Path) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(open_items_rows())
    path.write_bytes(out.getvalue().encode("utf-8-sig"))


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    write_ledger(folder / "customer_ledger.xlsx")
    write_open_items(folder / "open_items.csv")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent)
