"""Header detection: which row holds the headers, and which column is which field.

People name columns every which way ("Invoice #", "Inv. No", "מס' חשבונית"), so each
canonical field has a list of aliases in English and Hebrew; `[columns]` in the config
overrides them. Matching ignores case, spacing and punctuation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

CANONICAL_FIELDS: tuple[str, ...] = (
    "customer",
    "customer_id",
    "email",
    "invoice",
    "invoice_date",
    "due_date",
    "amount",
    "paid",
    "balance",
    "currency",
    "language",
    "phone",
    "terms",
    "hold_until",
    "promise_date",
    "disputed",
    "do_not_contact",
    "approved",
    "notes",
    "attachment",
    "pay_link",
    "cc",
    "contact",
    "debit",
    "credit",
    "doc_type",
)

ALIASES: dict[str, tuple[str, ...]] = {
    "customer": (
        "customer",
        "customer name",
        "client",
        "client name",
        "debtor",
        "name",
        "company",
        "לקוח",
        "שם לקוח",
        "שם הלקוח",
        "שם",
        "חברה",
        "שם חשבון",
        "account name",
    ),
    "customer_id": (
        "customer id",
        "customer no",
        "customer number",
        "client id",
        "account",
        "account no",
        "מספר לקוח",
        "מס לקוח",
        "קוד לקוח",
        "מפתח חשבון",
        "מספר חשבון",
    ),
    "email": (
        "email",
        "e-mail",
        "email address",
        "mail",
        "contact email",
        "אימייל",
        "מייל",
        "דואל",
        'דוא"ל',
        "דואר אלקטרוני",
    ),
    "invoice": (
        "invoice",
        "invoice #",
        "invoice no",
        "invoice number",
        "inv",
        "inv no",
        "inv #",
        "document",
        "doc",
        "doc no",
        "document no",
        "document number",
        "חשבונית",
        "מספר חשבונית",
        "מס חשבונית",
        "מס' חשבונית",
        "מספר מסמך",
        "מס' מסמך",
    ),
    "invoice_date": (
        "invoice date",
        "date",
        "issued",
        "issue date",
        "date issued",
        "תאריך",
        "תאריך חשבונית",
        "תאריך הפקה",
        "תאריך מסמך",
        "תאריך אסמכתא",
    ),
    "due_date": (
        "due date",
        "due",
        "payment due",
        "due on",
        "תאריך פירעון",
        "תאריך לתשלום",
        "מועד תשלום",
        "לתשלום עד",
        "ת. פירעון",
        "תאריך פרעון",
        "ת. פרעון",
    ),
    "amount": (
        "amount",
        "total",
        "invoice amount",
        "invoice total",
        "sum",
        "סכום",
        "סכום חשבונית",
        'סה"כ',
        "סהכ",
    ),
    "paid": ("paid", "amount paid", "payments", "received", "שולם", "סכום ששולם", "התקבל"),
    "balance": (
        "balance",
        "open",
        "open balance",
        "outstanding",
        "amount due",
        "balance due",
        "due amount",
        "open amount",
        "amount open",
        "amount outstanding",
        "יתרה",
        "יתרה לתשלום",
        "יתרת חוב",
        "חוב",
        "סכום לתשלום",
        "יתרה פתוחה",
    ),
    "currency": ("currency", "ccy", "מטבע"),
    "language": ("language", "lang", "שפה"),
    "phone": (
        "phone",
        "mobile",
        "tel",
        "telephone",
        "phone number",
        "mobile phone",
        "cell phone",
        "טלפון",
        "נייד",
        "פלאפון",
        "טלפון נייד",
        "מספר טלפון",
    ),
    "terms": ("terms", "payment terms", "תנאי תשלום", "תנאים"),
    "hold_until": ("hold until", "on hold until", "hold", "pause until", "מושהה עד", "השהיה עד"),
    "promise_date": (
        "promise date",
        "promised",
        "promised date",
        "promise to pay",
        "הבטחת תשלום",
        "תאריך הבטחה",
        "הבטיח לשלם",
    ),
    "disputed": ("disputed", "dispute", "in dispute", "במחלוקת", "מחלוקת"),
    "do_not_contact": (
        "do not contact",
        "dnc",
        "don't contact",
        "no reminders",
        "אין לפנות",
        "לא לפנות",
    ),
    "approved": ("approved", "approve", "approval", "מאושר", "אושר", "אישור"),
    "notes": ("notes", "note", "comments", "remarks", "הערות", "הערה"),
    "attachment": ("attachment", "file", "invoice file", "pdf", "קובץ", "מסמך", "צרופה"),
    "pay_link": ("pay link", "payment link", "link", "קישור לתשלום", "קישור"),
    "cc": ("cc", "copy to", "העתק", "העתק ל"),
    "contact": ("contact", "contact name", "contact person", "איש קשר", "שם איש קשר"),
    # accounting exports (layout.py): a debit and a credit column instead of a balance, and
    # the kind of each document (an invoice adds to what is owed, a receipt or credit note
    # takes from it)
    "debit": ("debit", "debits", "charges", "חובה", "חיוב"),
    "credit": ("credit", "credits", "זכות"),
    "doc_type": (
        "document type",
        "doc type",
        "type",
        "transaction type",
        "סוג מסמך",
        "סוג",
        "סוג תנועה",
    ),
}

# Headers that name a field only where the row has no header of ALIASES for it: accounting
# exports call the due date "תאריך ערך" (the value date their aging counts from) and the
# document number "אסמכתא" (reference), but a sheet that also has "תאריך פירעון" or
# "מספר חשבונית" means something else by them (a payment's value date, a second reference).
WEAK_ALIASES: dict[str, tuple[str, ...]] = {
    "due_date": ("תאריך ערך", "ת. ערך"),
    "invoice": ("אסמכתא", "מס' אסמכתא", "מספר אסמכתא"),
}

_PUNCT = re.compile(r"[\s_\-.:#'\"׳״()/]+")
# No header is longer: a longer cell is cut here before any whole-cell work (a 900 MB cell
# in the first rows cost 3.7 GB to case-fold and match) and can match no alias.
MAX_HEADER = 200
_CUT = "\u2026"  # ends a cut text; no alias or configured header ends so once normalized


def normalize(header: object) -> str:
    """A header reduced to what matters for matching: letters and digits, case-folded. A
    text over `MAX_HEADER` characters is cut there first and ends in "…", matching nothing."""
    if header is None:
        return ""
    text = header if header.__class__ is str else str(header)
    if len(text) > MAX_HEADER:
        return _PUNCT.sub(" ", text[:MAX_HEADER].casefold()).strip() + _CUT
    return _PUNCT.sub(" ", text.strip().casefold()).strip()


def header_text(cell: object) -> str | None:
    """A header cell's text as written (cut to `MAX_HEADER` characters and "…"), or None
    if the cell is empty."""
    if cell is None or (isinstance(cell, float) and cell != cell):
        return None
    text = cell if cell.__class__ is str else str(cell)
    if len(text) > MAX_HEADER:
        text = text[:MAX_HEADER].strip() + _CUT
    return text.strip() or None


_ALIAS_INDEX: dict[str, str] = {}
for _field, _names in ALIASES.items():
    for _name in _names:
        _ALIAS_INDEX.setdefault(normalize(_name), _field)
_WEAK_INDEX: dict[str, str] = {
    normalize(name): field
    for field, names in WEAK_ALIASES.items()
    for name in names
    if normalize(name) not in _ALIAS_INDEX
}


@dataclass(frozen=True, slots=True)
class ColumnMap:
    fields: dict[str, int]  # canonical field -> 0-based column index
    headers: dict[int, str]  # 0-based column index -> header text as written

    def missing_required(self) -> list[str]:
        return missing_required(self.fields)


def missing_required(fields: Mapping[str, int]) -> list[str]:
    """Required fields (DESIGN.md, Input columns) absent from a mapping, described for a user."""
    missing = []
    if "customer" not in fields:
        missing.append("customer")
    if "email" not in fields and "phone" not in fields:
        missing.append("email (or phone)")
    if "invoice" not in fields:
        missing.append("invoice")
    if "due_date" not in fields and not ("invoice_date" in fields and "terms" in fields):
        missing.append("due_date (or invoice_date + terms)")
    if not {"balance", "amount", "debit"} & fields.keys():
        missing.append("balance (or amount + paid, or debit + credit)")
    return missing


def map_headers(row: Sequence[object], overrides: Mapping[str, str] | None = None) -> ColumnMap:
    """Map one row of header cells to canonical fields; overrides win over aliases, and
    aliases over `WEAK_ALIASES`."""
    overrides = overrides or {}
    wanted = {normalize(text): field for field, text in overrides.items()}
    fields: dict[str, int] = {}
    headers: dict[int, str] = {}
    weak: dict[str, int] = {}
    for index, cell in enumerate(row):
        text = header_text(cell)
        if text is None:
            continue
        headers[index] = text
        key = normalize(text)
        field = wanted.get(key)
        if field is None and key in _ALIAS_INDEX and _ALIAS_INDEX[key] not in overrides:
            field = _ALIAS_INDEX[key]
        if field is None and key in _WEAK_INDEX and _WEAK_INDEX[key] not in overrides:
            weak.setdefault(_WEAK_INDEX[key], index)
        elif field is not None and field not in fields:
            fields[field] = index
    for field, index in weak.items():
        fields.setdefault(field, index)
    return ColumnMap(fields=fields, headers=headers)


def find_header_row(
    rows: Sequence[Sequence[object]], overrides: Mapping[str, str] | None = None, scan: int = 30
) -> int | None:
    """0-based index of the best header row among the first `scan` rows, or None."""
    best, best_score = None, 0
    for i, row in enumerate(rows[:scan]):
        mapping = map_headers(row, overrides)
        if len(mapping.fields) < 2:
            continue
        s = len(mapping.fields) - 2 * len(mapping.missing_required())
        if best is None or s > best_score:
            best, best_score = i, s
    return best
