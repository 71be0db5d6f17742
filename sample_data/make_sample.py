"""Write the sample receivables workbook xlsdun's demo and docs use.

Usage:  python sample_data/make_sample.py [OUT]      (default: sample_data/receivables.xlsx)

The workbook looks like the sheet a small Israeli business's bookkeeper keeps by hand: a
title and a subtitle above the header row, formats, an autofilter, frozen panes, a
`Balance` formula column and a totals row, and a free-text "Notes" sheet xlsdun ignores.

It is written with XlsxWriter (not openpyxl) because every formula cell must carry its
cached value: pandas/calamine read the cached value, and a formula without one reads as
NaN. The output is deterministic: fixed document properties, no clock, no randomness, so
running the script twice gives byte-identical files and the committed workbook is exactly
what this script makes.

The rows are designed for the demo date `--today 2026-11-26` (a Thursday): on that date,
with no history except the sheet's own `Reminder level` / `Last reminder` columns, the
default policy (courtesy enabled) meets every case listed in CASES below at least once.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

TODAY = date(2026, 11, 26)  # the demo date; every due date below is TODAY - days overdue
BUSINESS = "Dahan Home Services Ltd"

HEADERS = (
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
)
COL = {name: i for i, name in enumerate(HEADERS)}
WIDTHS = {
    "Customer": 34,
    "Contact": 14,
    "Email": 32,
    "Phone": 15,
    "Language": 9,
    "Invoice #": 11,
    "Invoice date": 12,
    "Due date": 12,
    "Amount": 12,
    "Paid": 12,
    "Balance": 12,
    "Currency": 9,
    "Hold until": 12,
    "Promise date": 13,
    "Disputed": 9,
    "Do not contact": 14,
    "Approved": 10,
    "Notes": 46,
    "Reminder level": 14,
    "Last reminder": 13,
}

TITLE_ROW, SUBTITLE_ROW, HEADER_ROW = 0, 1, 3  # 0-based: Excel rows 1, 2 and 4
FIRST_DATA_ROW = HEADER_ROW + 1  # Excel row 5


@dataclass(frozen=True)
class Inv:
    """One invoice line. `days` is days overdue on TODAY (negative: not yet due)."""

    days: int
    amount: float
    paid: float = 0.0
    hold_until: date | None = None
    promise: date | None = None
    disputed: str = ""
    dnc: str = ""
    approved: str = ""
    notes: str = ""
    level: str = ""  # the bookkeeper's own record of reminders sent by hand
    last: date | None = None

    @property
    def due(self) -> date:
        return TODAY - timedelta(days=self.days)


@dataclass(frozen=True)
class Customer:
    name: str
    email: str
    phone: str
    language: str  # "he" | "en"
    case: str  # what this customer demonstrates on TODAY
    invoices: tuple[Inv, ...]
    currency: str = "ILS"
    terms: int = 30  # days from invoice date to due date
    contact: str = ""  # the person reminders greet by name; blank: the organisation


D = date  # short alias for the table below

# fmt: off
CUSTOMERS: tuple[Customer, ...] = (
    Customer("Northwind Interiors Ltd", "billing.northwind@example.com", "03-6123456", "en",
             "courtesy: due 28/11, in 2 days (courtesy tier enabled in the sample config)",
             (Inv(-2, 3200.00), Inv(-17, 1850.00)), contact="Emma"),
    Customer("מכולת השכונה - יוסי ובניו", "yossi.makolet@example.co.il", "054-3321987", "he",
             "courtesy (Hebrew): due today 26/11",
             (Inv(30, 940.00, 940.00), Inv(0, 1180.00))),
    Customer("Blue Cedar Catering", "office.bluecedar@example.com", "052-8841230", "en",
             "friendly (English): 10 days overdue; an older invoice fully paid",
             (Inv(40, 5600.00, 5600.00), Inv(10, 2340.00)), terms=45, contact="Mark"),
    Customer("מספרת שירן", "shiran.salon@example.co.il", "050-7712345", "he",
             "friendly (Hebrew): 7 days overdue; two older invoices paid, one not yet due",
             (Inv(68, 780.00, 780.00), Inv(37, 780.00, 780.00), Inv(7, 780.00), Inv(-10, 780.00)), contact="שירן"),
    Customer("Atlas Software Inc.", "ap.atlas@example.com", "+1-212-555-0147", "en",
             "friendly in USD: 9 days overdue, partly paid; an older USD invoice paid",
             (Inv(39, 3200.00, 3200.00), Inv(9, 4500.00, 1500.00,
                                               notes="Paid 1,500 USD on account 20/11")),
             currency="USD"),
    Customer("Harbor Light Dental Clinic", "accounts.harborlight@example.com", "09-9551234", "en",
             "direct (English): 20 days overdue, partly paid; a newer invoice 5 days overdue",
             (Inv(50, 2900.00, 2900.00), Inv(20, 4680.00, 2000.00,
                                                notes="Paid 2,000 by bank transfer"),
              Inv(5, 1150.00)), contact="Dr Levine"),
    Customer('נגרות אבו-חצירא בע"מ', "office.abuhatzira@example.co.il", "08-6891234", "he",
             "direct (Hebrew): 22 days overdue; an older invoice paid",
             (Inv(52, 8900.00, 8900.00), Inv(22, 12400.00, notes="עבודת חשמל במפעל"))),
    Customer("Fjord Design AB", "finance.fjord@example.com", "+46-8-5551234", "en",
             "direct in EUR: 17 days overdue; an older EUR invoice paid",
             (Inv(47, 1900.00, 1900.00), Inv(17, 2800.00)), currency="EUR"),
    Customer("Oakridge Property Management", "payables.oakridge@example.com", "03-7409876", "en",
             "plan, first contact (English): 37 days overdue; an older invoice paid",
             (Inv(67, 11200.00, 11200.00), Inv(37, 18950.00), Inv(7, 6200.00)), terms=60),
    Customer("קפה לנדוור רמת השרון", "landwer.ramat@example.co.il", "03-5409911", "he",
             "plan (Hebrew), 4 open invoices at 42/25/11/-14 days: the oldest decides",
             (Inv(42, 2150.00), Inv(25, 3480.00), Inv(11, 1260.00), Inv(-14, 2900.00)), contact="דנה"),
    Customer("Silverline Fitness Studio", "manager.silverline@example.com", "052-6677889", "en",
             "77 days overdue, no history: first contact capped at plan",
             (Inv(107, 3100.00, 3100.00), Inv(77, 7800.00), Inv(47, 2450.00))),
    Customer("משרד רו\"ח גולדברג ושות'", "goldberg.cpa@example.co.il", "02-6254321", "he",
             "final SENT (Hebrew): 67 days overdue, level plan on 12/11, Approved yes",
             (Inv(97, 4100.00, 4100.00),
              Inv(67, 9360.00, approved="yes", level="plan", last=D(2026, 11, 12)),
              Inv(37, 4100.00, approved="yes", level="plan", last=D(2026, 11, 12)))),
    Customer("Meridian Print House", "accounts.meridian@example.com", "04-8523344", "en",
             "final AWAITING approval: 72 days overdue, level plan on 10/11, Approved blank",
             (Inv(72, 5475.00, level="plan", last=D(2026, 11, 10)),
              Inv(42, 2300.00, level="plan", last=D(2026, 11, 10))), contact="Paul"),
    Customer("מאפיית האחים כהן", "cohen.bakery@example.co.il", "04-6771234", "he",
             "escalate: 108 days overdue, level final on 05/11 -> owner's call list, no email",
             (Inv(108, 14200.00, level="final", last=D(2026, 11, 5),
                  notes="שיפוץ מטבח המאפייה"),
              Inv(78, 3600.00, level="final", last=D(2026, 11, 5)))),
    Customer('קבוצת נדל"ן השרון', "sharon.nadlan@example.co.il", "09-7654321", "he",
             "first seen at 115 days, no history: plan email + owner's call list",
             (Inv(115, 22500.00, notes="תחזוקת בניין - רבעון 2"), Inv(85, 6400.00)), terms=60),
    Customer("סטודיו נועה לוי לעיצוב", "noa.levi.studio@example.co.il", "050-9988776", "he",
             "cadence hold: 12 days overdue, friendly sent 23/11 (3 days ago) -> wait",
             (Inv(42, 1640.00, 1640.00), Inv(12, 1640.00, level="friendly", last=D(2026, 11, 23)))),
    Customer("Pinecrest Architects", "office.pinecrest@example.com", "03-6092233", "en",
             "all invoices fully paid: nothing to do",
             (Inv(60, 7300.00, 7300.00), Inv(30, 4250.00, 4250.00), Inv(5, 2980.00, 2980.00))),
    Customer("גלריה בית מרים", "galeria.miriam@example.co.il", "02-5661234", "he",
             "two invoices paid, the open one due in 6 days: nothing to do yet",
             (Inv(50, 1500.00, 1500.00), Inv(20, 2250.00, 2250.00), Inv(-6, 3100.00))),
    Customer("מוסך האחים עזרא", "ezra.garage@example.co.il", "054-2233445", "he",
             "on hold until 10/12 (31 days overdue)",
             (Inv(61, 2400.00, 2400.00),
              Inv(31, 6850.00, hold_until=D(2026, 12, 10),
                  notes="הבעלים בחו\"ל עד דצמבר - סוכם עם משה"))),
    Customer("Brightwave Media Productions", "billing.brightwave@example.com", "03-5178899", "en",
             "disputed (40 days overdue): no reminder",
             (Inv(70, 2100.00, 2100.00),
              Inv(40, 3900.00, disputed="yes",
                  notes="Disputes the studio tiling job - site visit booked"))),
    Customer("אולמי הדר אירועים", "hadar.events@example.co.il", "08-9345566", "he",
             "promise to pay on 05/12 (in the future): wait",
             (Inv(25, 8700.00, promise=D(2026, 12, 5), notes="הבטיחו לשלם בתחילת דצמבר"),)),
    Customer("Coastal Pharmacy Herzliya", "manager.coastalpharm@example.com", "09-9504433", "en",
             "broken promise: promised 20/11, still unpaid (19 days overdue)",
             (Inv(49, 1340.00, 1340.00),
              Inv(19, 2760.00, promise=D(2026, 11, 20),
                  notes="Promised by phone to pay by 20/11")), contact="Ruth"),
    Customer("עמותת יד לקהילה", "yad.lakehila@example.co.il", "02-6543210", "he",
             "do not contact (x): no reminder (45 days overdue)",
             (Inv(45, 1980.00, dnc="x", notes="הוועד מאשר תשלומים פעם ברבעון - לא לשלוח מיילים"),)),
    Customer("פלאפל הדקל", "", "052-7654321", "he",
             "no email, phone only (18 days overdue): manual call",
             (Inv(78, 650.00, 650.00), Inv(48, 890.00, 890.00),
              Inv(18, 1120.00, notes="אין מייל - להתקשר לאבי"))),
    Customer("Sunrise Yoga Studio", "hello.sunriseyoga@example.com", "053-4455667", "en",
             "only open balance 0.50 ILS (below the minimum): no reminder",
             (Inv(63, 980.00, 980.00),
              Inv(33, 1250.00, 1249.50, notes="Bank fee deducted from the transfer"))),
)
# fmt: on

CASES = {c.name: c.case for c in CUSTOMERS}

NOTES_SHEET = (
    "How this workbook is kept",
    "",
    "Receivables: one row per invoice. New invoices are added at the bottom, above the totals.",
    "Payment terms are net 30 (שוטף+30) unless agreed otherwise; Oakridge and Sharon Nadlan "
    "are on net 60, Blue Cedar on net 45.",
    "Paid: the total received so far. Balance is a formula (Amount - Paid): do not type over it.",
    "Reminder level / Last reminder: what I sent by hand before we started using xlsdun.",
    "Hold until / Promise date / Disputed / Do not contact: agreed with Moshe, ask before changing.",
    "Approved: Moshe writes yes when a final notice may go out.",
    "",
    "Bank details for customers: Bank Hapoalim, branch 123, account 456789.",
    "Questions: Rina (bookkeeper), 03-5551234.",
)


@dataclass(frozen=True)
class Row:
    customer: Customer
    inv: Inv
    number: str
    invoice_date: date


def invoice_rows() -> list[Row]:
    """All invoices, in the order a bookkeeper appends them: by invoice date, numbered."""
    lines = [(inv.due - timedelta(days=c.terms), c, inv) for c in CUSTOMERS for inv in c.invoices]
    # Stable tie-break on the table order, so the output never depends on dict/set order.
    order = sorted(range(len(lines)), key=lambda i: (lines[i][0], i))
    rows = []
    for n, i in enumerate(order):
        invoice_date, c, inv = lines[i]
        rows.append(Row(c, inv, f"INV-{1041 + n}", invoice_date))
    return rows


def _dt(d: date) -> datetime:
    return datetime(d.year, d.month, d.day)


def build(out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(out), {"strings_to_numbers": False, "strings_to_urls": False})
    wb.set_properties(
        {
            "title": f"{BUSINESS} — Receivables",
            "subject": "Open invoices and payments",
            "author": "Rina Dahan",
            "manager": "Moshe Dahan",
            "company": BUSINESS,
            "category": "Bookkeeping",
            "comments": "Sample workbook for xlsdun, made by sample_data/make_sample.py",
            "created": datetime(2026, 1, 4, 9, 0, 0),
        }
    )

    title = wb.add_format({"bold": True, "font_size": 16, "valign": "vcenter"})
    subtitle = wb.add_format({"italic": True, "font_color": "#595959"})
    header = wb.add_format(
        {
            "bold": True,
            "bg_color": "#DDEBF7",
            "bottom": 2,
            "text_wrap": True,
            "valign": "vcenter",
        }
    )
    text = wb.add_format({})
    center = wb.add_format({"align": "center"})
    datef = wb.add_format({"num_format": "dd/mm/yyyy", "align": "center"})
    money = wb.add_format({"num_format": "#,##0.00"})
    balance = wb.add_format({"num_format": "#,##0.00", "bg_color": "#F2F2F2"})
    total_label = wb.add_format({"bold": True, "top": 1})
    total_money = wb.add_format({"bold": True, "num_format": "#,##0.00", "top": 1})
    total_blank = wb.add_format({"top": 1})

    ws = wb.add_worksheet("Receivables")
    last_col = len(HEADERS) - 1
    ws.set_row(TITLE_ROW, 24)
    ws.merge_range(TITLE_ROW, 0, TITLE_ROW, last_col, f"{BUSINESS} — Receivables", title)
    ws.write_string(
        SUBTITLE_ROW, 0, "Updated by the bookkeeper — amounts in ILS unless noted", subtitle
    )
    ws.set_row(HEADER_ROW, 30)
    for c, name in enumerate(HEADERS):
        ws.write_string(HEADER_ROW, c, name, header)
        ws.set_column(c, c, WIDTHS[name])

    col = {name: xl_col_to_name(i) for name, i in COL.items()}
    rows = invoice_rows()
    totals = {"Amount": 0.0, "Paid": 0.0, "Balance": 0.0}
    for i, r in enumerate(rows):
        row = FIRST_DATA_ROW + i
        excel_row = row + 1
        c, inv = r.customer, r.inv
        ws.write_string(row, COL["Customer"], c.name, text)
        if c.contact:
            ws.write_string(row, COL["Contact"], c.contact, text)
        if c.email:
            ws.write_string(row, COL["Email"], c.email, text)
        ws.write_string(row, COL["Phone"], c.phone, text)
        ws.write_string(row, COL["Language"], c.language, center)
        ws.write_string(row, COL["Invoice #"], r.number, text)
        ws.write_datetime(row, COL["Invoice date"], _dt(r.invoice_date), datef)
        ws.write_datetime(row, COL["Due date"], _dt(inv.due), datef)
        ws.write_number(row, COL["Amount"], inv.amount, money)
        ws.write_number(row, COL["Paid"], inv.paid, money)
        bal = round(inv.amount - inv.paid, 2)
        ws.write_formula(
            row,
            COL["Balance"],
            f"={col['Amount']}{excel_row}-{col['Paid']}{excel_row}",
            balance,
            bal,
        )
        ws.write_string(row, COL["Currency"], c.currency, center)
        if inv.hold_until:
            ws.write_datetime(row, COL["Hold until"], _dt(inv.hold_until), datef)
        if inv.promise:
            ws.write_datetime(row, COL["Promise date"], _dt(inv.promise), datef)
        for name, value in (
            ("Disputed", inv.disputed),
            ("Do not contact", inv.dnc),
            ("Approved", inv.approved),
        ):
            if value:
                ws.write_string(row, COL[name], value, center)
        if inv.notes:
            ws.write_string(row, COL["Notes"], inv.notes, text)
        if inv.level:
            ws.write_string(row, COL["Reminder level"], inv.level, center)
        if inv.last:
            ws.write_datetime(row, COL["Last reminder"], _dt(inv.last), datef)
        if c.currency == "ILS":
            totals["Amount"] += inv.amount
            totals["Paid"] += inv.paid
            totals["Balance"] += bal

    last_data = FIRST_DATA_ROW + len(rows) - 1
    total_row = last_data + 2  # one blank row between the invoices and the totals
    first_x, last_x = FIRST_DATA_ROW + 1, last_data + 1
    for c in range(len(HEADERS)):
        ws.write_blank(total_row, c, None, total_blank)
    ws.write_string(total_row, COL["Customer"], "Total", total_label)
    # Only ILS rows are summed: adding dollars to shekels would be meaningless.
    cur = f"${col['Currency']}${first_x}:${col['Currency']}${last_x}"
    for name in ("Amount", "Paid", "Balance"):
        letter = col[name]
        ws.write_formula(
            total_row,
            COL[name],
            f'=SUMIF({cur},"ILS",{letter}{first_x}:{letter}{last_x})',
            total_money,
            round(totals[name], 2),
        )
    ws.write_string(total_row, COL["Currency"], "ILS", total_label)

    ws.autofilter(HEADER_ROW, 0, last_data, last_col)
    ws.freeze_panes(FIRST_DATA_ROW, 1)
    ws.data_validation(
        FIRST_DATA_ROW,
        COL["Language"],
        last_data + 50,
        COL["Language"],
        {"validate": "list", "source": ["he", "en"]},
    )
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(HEADER_ROW)
    ws.activate()

    notes = wb.add_worksheet("Notes")
    notes.set_column(0, 0, 110)
    bold = wb.add_format({"bold": True, "font_size": 12})
    for i, line in enumerate(NOTES_SHEET):
        if line:
            notes.write_string(i, 0, line, bold if i == 0 else text)

    wb.close()


def main(argv: list[str]) -> int:
    if len(argv) > 2 or (len(argv) == 2 and argv[1] in ("-h", "--help")):
        print(__doc__.strip().splitlines()[2])
        return 0 if len(argv) == 2 else 2
    out = Path(argv[1]) if len(argv) == 2 else Path(__file__).with_name("receivables.xlsx")
    build(out)
    print(f"wrote {out} ({len(invoice_rows())} invoices, {len(CUSTOMERS)} customers)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
