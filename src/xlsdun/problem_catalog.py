"""The texts of the reader's row findings (problems.py), by key, in English and Hebrew.

Only data, like owner_catalog.py, and merged into the owner's catalog (owner_words.CATALOG),
so tests/test_owner_words.py checks that both languages have the same keys and placeholders.
`problem.<key>`: what is wrong with a cell or a row; the English is the sentence `xlsdun
check`, the plan's JSON and the logs show, word for word. `field.<field>`: a column as the
owner's text names it (English: the field's own name, as `check` shows it; Hebrew: the
column's usual Hebrew header). In the sentences, `{cell}` and `{number}` are what the sheet
holds, quoted (problems.py quotes them, and isolates them in right-to-left text).
"""

from __future__ import annotations

EN: dict[str, str] = {
    # a finding in a row's status cell: the column, and what is wrong with it
    "finding": "{field}: {problem}",
    # -- a cell its column cannot take ------------------------------------------------------
    "problem.not_text": "{cell} is not text",
    "problem.not_a_date": "{cell} is not a date",
    "problem.not_an_amount": "{cell} is not an amount",
    "problem.not_a_document_type": "{cell} is not a document type",
    "problem.too_long": "{cell} is {length:,} characters long (xlsdun takes at most {limit:,})",
    "problem.date_too_early": "{cell} is a date before {year}; check the year",
    "problem.excel_error_in_date": "{cell} is an Excel error (the cell's formula could not be "
    "calculated), not a date",
    "problem.excel_error_in_amount": "{cell} is an Excel error (the cell's formula could not be "
    "calculated), not an amount",
    "problem.implausible_amount": "{cell} is not a plausible amount (xlsdun accepts amounts "
    "under {most:,})",
    "problem.unknown_document": "document type {cell} is not an invoice, a receipt or a credit "
    "note (חשבונית, קבלה, זיכוי)",
    "problem.bad_email": "invalid email address {cell}",
    "problem.bad_cc": "invalid cc address {cell}",
    # -- a row that is not an invoice as it stands --------------------------------------------
    "problem.no_customer": "customer name is empty",
    "problem.no_invoice_number": "invoice number is empty",
    "problem.no_balance": "no balance (and no amount)",
    "problem.no_due_date": "no due date (and no invoice date + terms)",
    "problem.terms_past_9999": "the invoice date plus {cell} is past the year 9999",
    "problem.terms_not_understood": "payment terms {cell} not understood",
    "problem.duplicate_invoice": "duplicate invoice number {number} (also in row {rows})",
    # -- the columns, as a finding names them ---------------------------------------------
    "field.customer": "customer",
    "field.customer_id": "customer_id",
    "field.email": "email",
    "field.cc": "cc",
    "field.invoice": "invoice",
    "field.invoice_date": "invoice_date",
    "field.due_date": "due_date",
    "field.terms": "terms",
    "field.amount": "amount",
    "field.paid": "paid",
    "field.balance": "balance",
    "field.debit": "debit",
    "field.credit": "credit",
    "field.doc_type": "doc_type",
    "field.currency": "currency",
    "field.language": "language",
    "field.phone": "phone",
    "field.hold_until": "hold_until",
    "field.promise_date": "promise_date",
    "field.pay_link": "pay_link",
    "field.attachment": "attachment",
    "field.notes": "notes",
    "field.contact": "contact",
    "field.disputed": "disputed",
    "field.do_not_contact": "do_not_contact",
    "field.approved": "approved",
    "field.level": "level",
    "field.last": "last",
}

HE: dict[str, str] = {
    "finding": "{field}: {problem}",
    "problem.not_text": "הערך {cell} אינו טקסט",
    "problem.not_a_date": "הערך {cell} אינו תאריך תקין",
    "problem.not_an_amount": "הערך {cell} אינו סכום תקין",
    "problem.not_a_document_type": "הערך {cell} אינו סוג מסמך תקין",
    "problem.too_long": "הטקסט {cell} ארוך מדי: {length:,} תווים (מותר עד {limit:,})",
    "problem.date_too_early": "התאריך {cell} מוקדם מדי (לפני שנת {year}); לבדוק את השנה",
    "problem.excel_error_in_date": "הערך {cell} הוא שגיאת אקסל ולא תאריך (לא ניתן היה לחשב "
    "את הנוסחה שבתא)",
    "problem.excel_error_in_amount": "הערך {cell} הוא שגיאת אקסל ולא סכום (לא ניתן היה לחשב "
    "את הנוסחה שבתא)",
    "problem.implausible_amount": "הסכום {cell} אינו סביר (מתקבלים רק סכומים של פחות מ־{most:,})",
    "problem.unknown_document": "הערך {cell} אינו סוג מסמך מוכר (חשבונית, קבלה או זיכוי)",
    "problem.bad_email": "הכתובת {cell} אינה תקינה",
    "problem.bad_cc": "הכתובת {cell} אינה תקינה",
    "problem.no_customer": "חסר",
    "problem.no_invoice_number": "חסר",
    "problem.no_balance": "חסרה (וגם אין סכום)",
    "problem.no_due_date": "חסר (ואין תאריך חשבונית ותנאי תשלום לחישובו)",
    "problem.terms_past_9999": "תאריך החשבונית בתוספת {cell} עובר את שנת 9999",
    "problem.terms_not_understood": "הערך {cell} לא זוהה כתנאי תשלום",
    "problem.duplicate_invoice": "המספר {number} כפול (מופיע גם בשורות: {rows})",
    "field.customer": "שם לקוח",
    "field.customer_id": "מספר לקוח",
    "field.email": "מייל",
    "field.cc": "מייל להעתק",
    "field.invoice": "מספר חשבונית",
    "field.invoice_date": "תאריך חשבונית",
    "field.due_date": "תאריך פירעון",
    "field.terms": "תנאי תשלום",
    "field.amount": "סכום",
    "field.paid": "סכום ששולם",
    "field.balance": "יתרה",
    "field.debit": "חובה",
    "field.credit": "זכות",
    "field.doc_type": "סוג מסמך",
    "field.currency": "מטבע",
    "field.language": "שפה",
    "field.phone": "טלפון",
    "field.hold_until": "השהיה עד",
    "field.promise_date": "תאריך הבטחה",
    "field.pay_link": "קישור לתשלום",
    "field.attachment": "קובץ מצורף",
    "field.notes": "הערות",
    "field.contact": "איש קשר",
    "field.disputed": "במחלוקת",
    "field.do_not_contact": "לא לפנות",
    "field.approved": "אישור",
    "field.level": "שלב תזכורת",
    "field.last": "תזכורת אחרונה",
}
