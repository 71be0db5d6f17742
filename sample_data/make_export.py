"""Write a sample CSV export of open invoices, as Israeli accounting software writes one.

Usage:  python sample_data/make_export.py [OUT]      (default: sample_data/open_invoices.csv)

Made up from scratch (no program's real file): Windows-1255 (Hebrew Windows), commas,
CRLF line ends, the report's title and parameters above the header, the headers such
exports use ("אסמכתא" for the document number, "תאריך ערך" for the date the debt is due,
"יתרה לתשלום", "טלפון נייד"), amounts with thousands separators, dates as DD/MM/YYYY,
payment terms ("שוטף+60", "מיידי") where the value date is blank, a blank line and a grand
total at the end. xlsdun reads it with `encoding = "windows-1255"` under [workbook]; the
outcomes go to `open_invoices.xlsdun.xlsx` beside it. Deterministic: no clock, no randomness.
"""

from __future__ import annotations

import csv
import io
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

TODAY = date(2026, 11, 26)  # the demo date, as for receivables.xlsx

HEADER = (
    "קוד לקוח",
    "שם לקוח",
    "טלפון נייד",
    'דוא"ל',
    "אסמכתא",
    "תאריך",
    "תאריך ערך",
    "תנאי תשלום",
    "סכום",
    "יתרה לתשלום",
    "מטבע",
)

# (customer id, name, mobile, email, document, days since issued, days overdue or None
#  for "from the terms", terms, amount, open balance, currency)
INVOICES = (
    (
        "20011",
        "גן ירק השרון",
        "050-7001122",
        "office@ganyarok.example.co.il",
        31051,
        40,
        10,
        "שוטף+30",
        "4,680.00",
        "4,680.00",
        "₪",
    ),
    (
        "20011",
        "גן ירק השרון",
        "050-7001122",
        "office@ganyarok.example.co.il",
        31077,
        25,
        -5,
        "שוטף+30",
        "1,170.00",
        "1,170.00",
        "₪",
    ),
    (
        "20014",
        'מוסך הדר בע"מ',
        "052-6114433",
        "hadar.garage@example.co.il",
        30922,
        95,
        35,
        "שוטף+60",
        "12,870.00",
        "6,435.00",
        "₪",
    ),
    (
        "20019",
        "סטודיו ליבי",
        "054-3321987",
        "libi.studio@example.co.il",
        31102,
        12,
        None,
        "מיידי",
        "950.00",
        "950.00",
        "₪",
    ),
    (
        "20023",
        "Levant Trading Ltd",
        "+972-53-4455667",
        "ap@levant.example.com",
        30870,
        120,
        None,
        "שוטף+60",
        "3,200.00",
        "3,200.00",
        "USD",
    ),
    (
        "20031",
        "מרפאת שיניים גבעון",
        "058-9090123",
        "givon.dental@example.co.il",
        30801,
        150,
        65,
        "שוטף+90",
        "22,400.00",
        "22,400.00",
        "₪",
    ),
    (
        "20031",
        "מרפאת שיניים גבעון",
        "058-9090123",
        "givon.dental@example.co.il",
        31125,
        5,
        None,
        "שוטף+90",
        "2,100.00",
        "2,100.00",
        "₪",
    ),
)


def rows() -> list[list[str]]:
    """The export's lines, as lists of fields."""
    total = sum(Decimal(i[9].replace(",", "")) for i in INVOICES if i[10] == "₪")
    lines = [
        ["דוח חובות פתוחים - לקוחות"],
        [f"תאריך הפקה: {TODAY:%d/%m/%Y}", "מטבע: כל המטבעות"],
        [],
        list(HEADER),
    ]
    for cid, name, phone, email, doc, age, overdue, terms, amount, balance, ccy in INVOICES:
        issued = TODAY - timedelta(days=age)
        due = "" if overdue is None else f"{TODAY - timedelta(days=overdue):%d/%m/%Y}"
        lines.append(
            [
                cid,
                name,
                phone,
                email,
                str(doc),
                f"{issued:%d/%m/%Y}",
                due,
                terms,
                amount,
                balance,
                ccy,
            ]
        )
    lines += [[], ['סה"כ', "", "", "", "", "", "", "", "", f"{total:,.2f}", "₪"]]
    return lines


def export_bytes() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(rows())
    return out.getvalue().encode("cp1255")


def main(argv: list[str]) -> None:
    target = Path(argv[1]) if len(argv) > 1 else Path(__file__).with_name("open_invoices.csv")
    target.write_bytes(export_bytes())
    print(f"wrote {target}")


if __name__ == "__main__":
    main(sys.argv)
