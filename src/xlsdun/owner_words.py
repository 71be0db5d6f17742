"""The owner's words, in the owner's language (`[owner] language`): one catalog, same keys.

Everything xlsdun says to the business owner rather than to a debtor — the digest, the HTML
run report, the status texts it writes into the sheet, the Reminder log's words and the call
list's talking points — is looked up here by key, so the two languages can never drift
apart (tests/test_owner_words.py fails when a key is missing in one of them). Code decides
by data (a state, a tier id, a call kind), never by matching these texts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

OwnerLanguage = Literal["en", "he"]
LANGUAGES: tuple[OwnerLanguage, ...] = ("en", "he")

_EN: dict[str, str] = {
    # -- tier names, as the owner sees them ------------------------------------------------
    "tier.courtesy": "courtesy",
    "tier.friendly": "friendly",
    "tier.direct": "direct",
    "tier.plan": "plan",
    "tier.final": "final",
    "tier.escalate": "escalate",
    "tier.not yet due": "not yet due",
    "tier.below the ladder": "below the ladder",
    # a reminder of a tier ("plan reminder"); Hebrew names some tiers by the letter itself
    "reminder.courtesy": "courtesy reminder",
    "reminder.friendly": "friendly reminder",
    "reminder.direct": "direct reminder",
    "reminder.plan": "plan reminder",
    "reminder.final": "final reminder",
    "reminder.escalate": "escalate reminder",
    "reminder.other": "{tier} reminder",
    "reminder.broken_promise": "{reminder} (broken promise)",
    "reminder.thank_you": "thank-you note",
    # -- the sheet's Reminder status -------------------------------------------------------
    "status.sent": "Sent: {reminder}",
    "status.written_to_outbox": "In outbox: {reminder}",
    "status.failed": "Failed: {detail}",
    "status.deferred": "Deferred: {detail}",
    "status.ambiguous": "Check: the {reminder} may have been sent (run 'xlsdun resolve')",
    "status.pending": "Not sent yet: {detail}",
    "status.sending": "Being sent",
    "status.planned": "Planned: {reminder}",
    "status.not_sent": "Not sent: {reason}",
    "status.paid": "Paid",
    "status.credit_note": "Credit note",
    "status.call": "Call: {reason}",
    "status.call.overdue": "Call: {days} overdue; consider legal advice",
    "status.call.no_address": "Call: no valid email address",
    "status.call.no_address_phone": "Call {phone}: no valid email address",
    "status.call.credit_note": "Check: the sheet has credit notes beside the debt; what is "
    "really owed?",
    "status.awaiting": "Awaiting approval: {reminder}",
    "status.deferred_plan": "Deferred: {reason}",
    "status.skipped": "Skipped: {problems}",
    # -- the Reminder log sheet ------------------------------------------------------------
    "log.Key": "Key",
    "log.Date": "Date",
    "log.Customer": "Customer",
    "log.Email": "Email",
    "log.Level": "Level",
    "log.Variant": "Variant",
    "log.Invoices": "Invoices",
    "log.Balance": "Balance",
    "log.Outcome": "Outcome",
    "log.Message-ID": "Message-ID",
    "log.Detail": "Detail",
    "variant.standard": "standard",
    "variant.broken_promise": "broken_promise",
    "variant.thank_you": "thank_you",
    # -- outcomes of a send ----------------------------------------------------------------
    "outcome.sent": "sent",
    "outcome.written_to_outbox": "written to the outbox",
    "outcome.failed": "failed",
    "outcome.deferred": "deferred",
    "outcome.ambiguous": "ambiguous (may or may not have arrived)",
    "outcome.pending": "pending",
    "outcome.sending": "being sent",
    # the Reminder log's Outcome column: short words
    "logoutcome.sent": "sent",
    "logoutcome.written_to_outbox": "written_to_outbox",
    "logoutcome.failed": "failed",
    "logoutcome.deferred": "deferred",
    "logoutcome.ambiguous": "ambiguous",
    "logoutcome.pending": "pending",
    "logoutcome.sending": "sending",
    # -- aging buckets ---------------------------------------------------------------------
    "age.not yet due": "not yet due",
    "age.1–30 days": "1–30 days",
    "age.31–60 days": "31–60 days",
    "age.61–90 days": "61–90 days",
    "age.over 90 days": "over 90 days",
    # -- the digest: status of a client ----------------------------------------------------
    "client.0": "ok",
    "client.1": "some deliveries failed",
    "client.2": "stopped: fix the settings",
    "client.3": "workbook not updated (open elsewhere)",
    "client.failed": "run failed",
    "client.problem": "problem",
    # -- the digest: subject and summary ---------------------------------------------------
    "subject": "xlsdun {day} — {who}: {update}{parts}",
    "subject.update": "update, ",
    "subject.clients": "{n} clients",
    "count.sent.one": "1 reminder sent",
    "count.sent.many": "{n} reminders sent",
    "count.outbox.one": "1 reminder written to the outbox",
    "count.outbox.many": "{n} reminders written to the outbox",
    "count.outbox_more.one": "1 written to the outbox",
    "count.outbox_more.many": "{n} written to the outbox",
    "count.calls.one": "1 to call",
    "count.calls.many": "{n} to call",
    "count.approvals.one": "1 awaiting approval",
    "count.approvals.many": "{n} awaiting approval",
    "count.problems.one": "1 problem",
    "count.problems.many": "{n} problems",
    "from": "xlsdun for {name}",
    # -- the digest: headings and fixed lines -----------------------------------------------
    "h.new": "New since today's earlier digest",
    "h.clients": "Clients",
    "h.client": "Client",
    "h.status": "Status",
    "h.sent": "Sent",
    "h.calls": "To call",
    "h.approvals_short": "Approvals",
    "h.approvals": "Awaiting your approval",
    "h.call_list": "Call list",
    "h.outcomes": "Today's reminders",
    "h.who": "Who got which reminder today",
    "h.tiers": "Outstanding by tier",
    "h.aging": "Aging (by invoice due date)",
    "h.promises": "Promises",
    "h.promises_today": "Promises due today",
    "h.promises_broken": "Broken promises",
    "h.deferred": "Deferred, and why",
    "h.notes": "Notes",
    "h.talking_points": "Talking points",
    "workbook": "Workbook",
    "run": "run",
    "workbook_updated": "workbook updated",
    "total": "Total",
    "error.title": "The run did not happen:",
    "error.body": "Nothing was sent for this client. Fix this, then the next run catches up; "
    "run {command} for a check-up.",
    "none.outcomes": "No reminders today.",
    "none.tiers": "Nothing outstanding.",
    "none.calls": "Nobody to call today.",
    "none.promises_today": "No payment promised for today.",
    "none.promises_broken": "No broken promises.",
    "none.approvals": "Nothing awaits your approval.",
    "none.deferred": "Nothing was deferred.",
    "row_skipped": "Row skipped: {finding}",
    "footer.html": "Made by xlsdun on {when}. Details: the log in each workbook's state folder; "
    "{command} shows the full report.",
    "footer.text": "Made by xlsdun on {when}. {command} shows the full report.",
    # -- the digest: needs (what is new since an earlier digest) -----------------------------
    "need.call": "to call: {customer} ({why})",
    "need.approval": "awaiting approval: {customer}",
    "need.broken": "broken promise: {customer}",
    "need.deferred": "deferred: {customer}",
    "need.problem": "problem: {status}",
    # -- the digest: the call list -----------------------------------------------------------
    "call.kind.escalate": "Overdue past the last email reminder",
    "call.kind.no_address": "No email address",
    "call.kind.bad_address": "Email address refused",
    "call.kind.attachment": "Invoice file missing",
    "call.kind.ambiguous": "Did the reminder arrive?",
    "call.kind.credit_note": "Credit notes: check what is owed",
    "call.kind.bounced": "Email address bounced",
    "call.kind.check_paid": "Says they paid: check",
    "call.see_points": "Talking points: “{title}” above",
    "call.why.escalate": "overdue past the last email reminder",
    "call.why.credit_note": "credit notes: check what is owed",
    "call.why.no_address": "no valid email address",
    "call.why.bad_address": "email address refused or invalid",
    "call.why.attachment": "invoice attachment missing or refused",
    "call.why.ambiguous": "send interrupted: did it arrive?",
    "call.why.bounced": "address bounced",
    "call.why.check_paid": "replied that they paid: check",
    "call.phone": "Phone",
    "call.no_phone": "not in the sheet",
    "call.whatsapp": "WhatsApp",
    "call.language": "Language",
    "call.invoices": "Invoices",
    "call.last_contact": "Last contact",
    "call.last_contact.value": "{reminder}, {day}",
    "call.last_contact.today": "{reminder}, today ({day})",
    "call.never": "no reminder yet",
    "call.promises": "Promises",
    "call.promise.broken": "{day}: broken",
    "call.promise.kept": "{day}: kept",
    "call.promise.due": "{day}: due today",
    "call.promise.future": "{day}: promised",
    "call.ambiguous_detail": "{reminder} of {day} (Message-ID {message_id})",
    "call.unknown": "unknown",
    "lang.he": "Hebrew",
    "lang.en": "English",
    "days.overdue": "{days} overdue",
    "days.short.one": "1 day",
    "days.short.many": "{n} days",
    # -- the digest: lines -----------------------------------------------------------------
    "line.promised_today": "promised to pay today: invoice {invoices}",
    "line.broken": "promised {when}, still unpaid",
    "line.earlier": "earlier",
    "line.approval": "{reminder}: {how}",
    "line.deferred_default": "deferred to the next run",
    "approve.column": "write yes in the Approved column or run {command}",
    "approve.no_column": "run {command} (or add an Approved column to the sheet and write "
    "yes in it)",
    # -- talking points (after the collection guide, shared/seed/README.md) ----------------
    "points.escalate.1": "Keep it calm and professional; ask when it suits them to talk, "
    "and keep that door open.",
    "points.escalate.2": "Open by asking how they find the work or service; then name the "
    "amount and the due dates plainly.",
    "points.escalate.3": "Explain what the unpaid amount does to your business (your own "
    "suppliers, payroll).",
    "points.escalate.4": "Ask what would let them settle it{plan_offer}.",
    "points.escalate.5": "If nothing moves, say that the next step is legal advice — and "
    "that there is still room to talk.",
    "points.escalate.6": "Thank them for their time and end on a positive note.",
    "points.plan_offer": "; offer {n} monthly instalments they can keep",
    "points.discount": " or {pct}% off for paying now",
    "points.no_address.1": "Ask for the email address they want invoices and reminders at, "
    "and put it in the sheet.",
    "points.no_address.2": "Name the amount and the due date plainly; ask when they can pay.",
    "points.no_address.3": "Thank them for their cooperation.",
    "points.bad_address.1": "The mail server refused their address: ask for the right one "
    "and fix it in the sheet.",
    "points.bad_address.2": "Name the amount and the due date plainly; ask when they can pay.",
    "points.bad_address.3": "Thank them for their cooperation.",
    "points.attachment.1": "The invoice file named in the sheet was not sent (the reason is "
    "on the card): put it in the attachments folder and fix the Attachment cell; the "
    "reminder goes out on the next run.",
    "points.attachment.2": "If it cannot wait, call: name the amount and offer to send the "
    "invoice again.",
    "points.ambiguous.1": "A reminder may or may not have reached them: ask whether it "
    "arrived before sending anything else.",
    "points.ambiguous.2": "Then record the answer in xlsdun so the next reminder follows on.",
    "points.credit_note.1": "The sheet has credit notes for this customer, so the amount "
    "they owe is not certain: check it before asking for payment.",
    "points.credit_note.2": "Settle the credit in the sheet (or agree the amount with them); "
    "reminders resume by themselves once only open invoices are left.",
    "points.credit_note.3": "Thank them for their cooperation.",
    "points.bounced.1": "Their address bounced (the server's reason is on the card): ask for "
    "the right one and put it in the sheet; mail resumes once the address cell changes.",
    "points.bounced.2": "Name the amount and the due date plainly; ask when they can pay.",
    "points.check_paid.1": "They replied that they paid: check the bank before anything else.",
    "points.check_paid.2": "If it arrived, mark it paid in the sheet; if not, call and ask for "
    "the transfer's details. Then run 'xlsdun resolve CUSTOMER --replied'.",
    # -- the plan's reasons (policy/wording.Reason: key and parameters) -------------------
    "reason.overdue": "{days} overdue",
    "reason.due_today": "due today",
    "reason.due_in": "due in {days}",
    "reason.later_record": "a reminder is recorded for a later date ({day})",
    "reason.cadence": "cadence: last reminder ('{tier}') {days} ago; next reminder on {when} "
    "at the earliest",
    "reason.reminded_today": "already reminded today ('{tier}'); next reminder on {when} at "
    "the earliest",
    "reason.disputed": "disputed",
    "reason.on_hold": "on hold until {day}",
    "reason.promised": "promise date {day}",
    "reason.do_not_contact": "do not contact",
    "reason.all_of": "{reasons}",
    "reason.credit_covers": "credit notes cover the balance",
    "reason.below_minimum": "balance below minimum",
    "reason.not_yet_due": "not yet due ({when})",
    "reason.below_first_tier": "{days} overdue: below the first tier",
    "reason.day_off": "not a send day ({weekday}); next send day {when}",
    "reason.holiday": "not a send day (public holiday ({name})); next send day {when}",
    "reason.bounced": "address bounced: {server}",
    "reason.bounced_plain": "address bounced",
    "reason.replied": "replied on {on}: {line}",
    "reason.replied_plain": "replied on {on}",
    "reason.replied_paid": "replied on {on}: {line}; check whether paid",
    "reason.replied_paid_plain": "replied on {on}; check whether paid",
    # the inbox step's notes (inbox/step.py), said like the plan's reasons
    "reason.inbox_unreachable": "the inbox could not be read ({why}): replies and bounces "
    "since the last run are not taken into account today; reminders went out as planned",
    "reason.inbox_sheet_handled": "inbox: {n} reply(ies) handled in the sheet (a new Promise "
    "date or Hold until, or paid in full)",
    "reason.inbox_more": "inbox: {n} more message(s) wait in {folder}",
    "reason.inbox_counts": "inbox: {counts}",
    "weekday.1": "Monday",
    "weekday.2": "Tuesday",
    "weekday.3": "Wednesday",
    "weekday.4": "Thursday",
    "weekday.5": "Friday",
    "weekday.6": "Saturday",
    "weekday.7": "Sunday",
    # -- the digest: replies and bounces (inbox/digest.py) --------------------------------
    "h.inbox": "Replies and bounces",
    "need.inbox": "{customer}: {what}",
    "inbox.replied": "replied on {day}",
    "inbox.found.bounce": "bounced",
    "inbox.found.delayed": "delivery delayed (not a bounce: nothing changes)",
    "inbox.found.auto_reply": "auto-reply, ignored",
    "inbox.found.unmatched": "from nobody in the workbook, left alone",
    "inbox.found.unreadable": "could not be read, left alone",
    "inbox.with_detail": "{what}: {detail}",
    "inbox.unknown_sender": "unknown sender",
    "inbox.hint.promise": "suggested promise date: {day} (write it in Promise date if they "
    "agreed to it)",
    "inbox.hint.paid": "says it paid: check whether the payment arrived",
    "inbox.hint.resolve": "once dealt with: {command} (or a Promise date / Hold until in the "
    "sheet)",
    "inbox.count.reply": "{n} reply",
    "inbox.count.bounce": "{n} bounce",
    "inbox.count.delayed": "{n} delayed",
    "inbox.count.auto_reply": "{n} auto reply",
    "inbox.count.unmatched": "{n} unmatched",
    "inbox.count.unreadable": "{n} unreadable",
    "inbox.count.own": "{n} own",
}

_HE: dict[str, str] = {
    "tier.courtesy": "מקדימה",
    "tier.friendly": "ידידותית",
    "tier.direct": "ישירה",
    "tier.plan": "הסדר",
    "tier.final": "התראה אחרונה",
    "tier.escalate": "טלפון/הסלמה",
    "tier.not yet due": "טרם הגיע מועד התשלום",
    "tier.below the ladder": "מתחת לדרגה הראשונה",
    "reminder.courtesy": "תזכורת מקדימה",
    "reminder.friendly": "תזכורת ידידותית",
    "reminder.direct": "תזכורת ישירה",
    "reminder.plan": "הצעת הסדר",
    "reminder.final": "התראה אחרונה",
    "reminder.escalate": "טלפון/הסלמה",
    "reminder.other": "תזכורת {tier}",
    "reminder.broken_promise": "{reminder} (הבטחה שהופרה)",
    "reminder.thank_you": "הודעת תודה",
    "status.sent": "נשלחה: {reminder}",
    "status.written_to_outbox": "בדואר היוצא: {reminder}",
    "status.failed": "השליחה נכשלה: {detail}",
    "status.deferred": "נדחתה: {detail}",
    "status.ambiguous": "לבדוק: ייתכן ש{reminder} נשלחה (הריצו 'xlsdun resolve')",
    "status.pending": "טרם נשלחה: {detail}",
    "status.sending": "בשליחה",
    "status.planned": "מתוכננת: {reminder}",
    "status.not_sent": "לא נשלחה: {reason}",
    "status.paid": "שולם",
    "status.credit_note": "חשבונית זיכוי",
    "status.call": "להתקשר: {reason}",
    "status.call.overdue": "להתקשר: {days} באיחור; לשקול פנייה לעורך דין",
    "status.call.no_address": "להתקשר: אין כתובת מייל תקינה",
    "status.call.no_address_phone": "להתקשר ל־{phone}: אין כתובת מייל תקינה",
    "status.call.credit_note": "לבדוק: בגיליון יש חשבוניות זיכוי לצד החוב; כמה באמת חייבים?",
    "status.awaiting": "ממתינה לאישורך: {reminder}",
    "status.deferred_plan": "נדחתה: {reason}",
    "status.skipped": "השורה דולגה: {problems}",
    "log.Key": "מפתח",
    "log.Date": "תאריך",
    "log.Customer": "לקוח",
    "log.Email": "מייל",
    "log.Level": "דרגה",
    "log.Variant": "סוג",
    "log.Invoices": "חשבוניות",
    "log.Balance": "יתרה",
    "log.Outcome": "תוצאה",
    "log.Message-ID": "Message-ID",
    "log.Detail": "פרטים",
    "variant.standard": "רגילה",
    "variant.broken_promise": "הבטחה שהופרה",
    "variant.thank_you": "תודה",
    "outcome.sent": "נשלחו",
    "outcome.written_to_outbox": "נכתבו לדואר היוצא",
    "outcome.failed": "נכשלו",
    "outcome.deferred": "נדחו",
    "outcome.ambiguous": "לא ודאי (אולי הגיעו, אולי לא)",
    "outcome.pending": "ממתינות",
    "outcome.sending": "בשליחה",
    "logoutcome.sent": "נשלחה",
    "logoutcome.written_to_outbox": "בדואר היוצא",
    "logoutcome.failed": "נכשלה",
    "logoutcome.deferred": "נדחתה",
    "logoutcome.ambiguous": "לא ודאי",
    "logoutcome.pending": "ממתינה",
    "logoutcome.sending": "בשליחה",
    "age.not yet due": "טרם הגיע מועד התשלום",
    "age.1–30 days": "עד 30 יום",
    "age.31–60 days": "31 עד 60 יום",
    "age.61–90 days": "61 עד 90 יום",
    "age.over 90 days": "מעל 90 יום",
    "client.0": "תקין",
    "client.1": "חלק מהשליחות נכשלו",
    "client.2": "נעצר: יש לתקן את ההגדרות",
    "client.3": "קובץ האקסל לא עודכן (פתוח במקום אחר)",
    "client.failed": "הריצה נכשלה",
    "client.problem": "בעיה",
    "subject": "xlsdun {day} — {who}: {update}{parts}",
    "subject.update": "עדכון, ",
    "subject.clients": "{n} לקוחות",
    "count.sent.one": "תזכורת אחת נשלחה",
    "count.sent.many": "{n} תזכורות נשלחו",
    "count.outbox.one": "תזכורת אחת נכתבה לדואר היוצא",
    "count.outbox.many": "{n} תזכורות נכתבו לדואר היוצא",
    "count.outbox_more.one": "אחת נכתבה לדואר היוצא",
    "count.outbox_more.many": "{n} נכתבו לדואר היוצא",
    "count.calls.one": "שיחה אחת לבצע",
    "count.calls.many": "{n} שיחות לבצע",
    "count.approvals.one": "אחת ממתינה לאישורך",
    "count.approvals.many": "{n} ממתינות לאישורך",
    "count.problems.one": "בעיה אחת",
    "count.problems.many": "{n} בעיות",
    "from": "xlsdun עבור {name}",
    "h.new": "חדש מאז הסיכום הקודם היום",
    "h.clients": "לקוחות",
    "h.client": "לקוח",
    "h.status": "מצב",
    "h.sent": "נשלחו",
    "h.calls": "להתקשר",
    "h.approvals_short": "לאישור",
    "h.approvals": "ממתין לאישורך",
    "h.call_list": "רשימת שיחות",
    "h.outcomes": "התזכורות של היום",
    "h.who": "מי קיבל איזו תזכורת היום",
    "h.tiers": "יתרות פתוחות לפי דרגה",
    "h.aging": "גיול חובות (לפי מועד התשלום)",
    "h.promises": "הבטחות תשלום",
    "h.promises_today": "הבטחות לתשלום היום",
    "h.promises_broken": "הבטחות שהופרו",
    "h.deferred": "נדחו, ומדוע",
    "h.notes": "הערות",
    "h.talking_points": "נקודות לשיחה",
    "workbook": "קובץ",
    "run": "ריצה",
    "workbook_updated": "קובץ האקסל עודכן",
    "total": "סה״כ",
    "error.title": "הריצה לא התבצעה:",
    "error.body": "לא נשלח דבר ללקוח זה. תקנו את הבעיה, והריצה הבאה תשלים את החסר; "
    "לבדיקה כללית הריצו {command}.",
    "none.outcomes": "אין תזכורות היום.",
    "none.tiers": "אין יתרות פתוחות.",
    "none.calls": "אין למי להתקשר היום.",
    "none.promises_today": "אין הבטחות לתשלום היום.",
    "none.promises_broken": "אין הבטחות שהופרו.",
    "none.approvals": "אין דבר שממתין לאישורך.",
    "none.deferred": "שום דבר לא נדחה.",
    "row_skipped": "שורה שדולגה: {finding}",
    "footer.html": "הופק על ידי xlsdun ב־{when}. פרטים נוספים ביומן שבתיקיית הנתונים של כל "
    "קובץ; הדוח המלא: {command}.",
    "footer.text": "הופק על ידי xlsdun ב־{when}. הדוח המלא: {command}.",
    "need.call": "להתקשר: {customer} ({why})",
    "need.approval": "ממתין לאישורך: {customer}",
    "need.broken": "הבטחה שהופרה: {customer}",
    "need.deferred": "נדחה: {customer}",
    "need.problem": "בעיה: {status}",
    "call.kind.escalate": "באיחור, אחרי התזכורת האחרונה במייל",
    "call.kind.no_address": "אין כתובת מייל",
    "call.kind.bad_address": "כתובת המייל נדחתה",
    "call.kind.attachment": "קובץ החשבונית חסר",
    "call.kind.ambiguous": "האם התזכורת הגיעה?",
    "call.kind.credit_note": "חשבוניות זיכוי: לבדוק כמה חייבים",
    "call.kind.bounced": "כתובת המייל חזרה",
    "call.kind.check_paid": "כתבו ששילמו: לבדוק",
    "call.see_points": "נקודות לשיחה: „{title}” למעלה",
    "call.why.escalate": "באיחור, אחרי התזכורת האחרונה במייל",
    "call.why.credit_note": "חשבוניות זיכוי: לבדוק כמה חייבים",
    "call.why.no_address": "אין כתובת מייל תקינה",
    "call.why.bad_address": "כתובת המייל נדחתה או שגויה",
    "call.why.attachment": "קובץ החשבונית חסר או נדחה",
    "call.why.ambiguous": "השליחה נקטעה: האם הגיעה?",
    "call.why.bounced": "כתובת המייל חזרה",
    "call.why.check_paid": "השיבו ששילמו: לבדוק",
    "call.phone": "טלפון",
    "call.no_phone": "לא מופיע בגיליון",
    "call.whatsapp": "וואטסאפ",
    "call.language": "שפת הלקוח",
    "call.invoices": "חשבוניות",
    "call.last_contact": "פנייה אחרונה",
    "call.last_contact.value": "{reminder}, {day}",
    "call.last_contact.today": "{reminder}, היום ({day})",
    "call.never": "עדיין לא נשלחה תזכורת",
    "call.promises": "הבטחות תשלום",
    "call.promise.broken": "{day}: הופרה",
    "call.promise.kept": "{day}: קוימה",
    "call.promise.due": "{day}: לתשלום היום",
    "call.promise.future": "{day}: הובטח",
    "call.ambiguous_detail": "{reminder} מ־{day} (Message-ID {message_id})",
    "call.unknown": "לא ידוע",
    "lang.he": "עברית",
    "lang.en": "אנגלית",
    "days.overdue": "{days} באיחור",
    "days.short.one": "יום אחד",
    "days.short.many": "{n} ימים",
    "line.promised_today": "הבטיח לשלם היום: חשבונית {invoices}",
    "line.broken": "הבטיח לשלם ב־{when}, ועדיין לא שולם",
    "line.earlier": "קודם לכן",
    "line.approval": "{reminder}: {how}",
    "line.deferred_default": "נדחה לריצה הבאה",
    "approve.column": "כתבו yes בעמודה Approved או הריצו {command}",
    "approve.no_column": "הריצו {command} (או הוסיפו לגיליון עמודה Approved וכתבו בה yes)",
    "points.escalate.1": "לשמור על טון רגוע ומקצועי; לשאול מתי נוח להם לדבר, ולהשאיר את הדלת "
    "פתוחה.",
    "points.escalate.2": "לפתוח בשאלה אם הם מרוצים מהעבודה או מהשירות; אחר כך לומר בפשטות את "
    "הסכום ואת מועדי התשלום.",
    "points.escalate.3": "להסביר איך החוב הפתוח פוגע בעסק (התשלומים לספקים, המשכורות).",
    "points.escalate.4": "לשאול מה יאפשר להם לסגור את החוב{plan_offer}.",
    "points.escalate.5": "אם אין התקדמות, לומר שהצעד הבא הוא פנייה לעורך דין — ושעדיין יש "
    "מקום לדבר.",
    "points.escalate.6": "להודות להם על הזמן ולסיים בנימה חיובית.",
    "points.plan_offer": "; להציע {n} תשלומים חודשיים שיוכלו לעמוד בהם",
    "points.discount": " או {pct}% הנחה על תשלום מיידי",
    "points.no_address.1": "לבקש את כתובת המייל שאליה הם רוצים לקבל חשבוניות ותזכורות, "
    "ולהוסיף אותה לגיליון.",
    "points.no_address.2": "לומר בפשטות את הסכום ואת מועד התשלום; לשאול מתי יוכלו לשלם.",
    "points.no_address.3": "להודות להם על שיתוף הפעולה.",
    "points.bad_address.1": "שרת הדואר דחה את הכתובת שלהם: לבקש את הכתובת הנכונה ולתקן אותה "
    "בגיליון.",
    "points.bad_address.2": "לומר בפשטות את הסכום ואת מועד התשלום; לשאול מתי יוכלו לשלם.",
    "points.bad_address.3": "להודות להם על שיתוף הפעולה.",
    "points.attachment.1": "קובץ החשבונית שמופיע בגיליון לא נשלח (הסיבה מופיעה בכרטיס): לשים "
    "אותו בתיקיית הקבצים המצורפים ולתקן את התא בעמודה Attachment; התזכורת תצא בריצה הבאה.",
    "points.attachment.2": "אם זה לא יכול לחכות, להתקשר: לומר את הסכום ולהציע לשלוח שוב את "
    "החשבונית.",
    "points.ambiguous.1": "ייתכן שתזכורת הגיעה אליהם וייתכן שלא: לשאול אם הגיעה לפני ששולחים "
    "משהו נוסף.",
    "points.ambiguous.2": "אחר כך לרשום את התשובה ב־xlsdun, כדי שהתזכורת הבאה תמשיך מאותה נקודה.",
    "points.credit_note.1": "בגיליון יש חשבוניות זיכוי ללקוח הזה, ולכן הסכום שהוא חייב אינו "
    "ודאי: לבדוק אותו לפני שמבקשים תשלום.",
    "points.credit_note.2": "לקזז את הזיכוי בגיליון (או לסכם איתם את הסכום); התזכורות יתחדשו "
    "מעצמן כשיישארו רק חשבוניות פתוחות.",
    "points.credit_note.3": "להודות להם על שיתוף הפעולה.",
    "points.bounced.1": "המייל אליהם חזר (תשובת השרת מופיעה בכרטיס): לבקש את הכתובת הנכונה "
    "ולעדכן אותה בקובץ האקסל; המיילים יחודשו כשהכתובת בתא תשתנה.",
    "points.bounced.2": "לומר בפשטות את הסכום ואת מועד התשלום; לשאול מתי יוכלו לשלם.",
    "points.check_paid.1": "הם השיבו ששילמו: לבדוק בחשבון הבנק לפני כל דבר אחר.",
    "points.check_paid.2": "אם התשלום התקבל, לסמן בקובץ האקסל ששולם; אם לא, להתקשר ולבקש את "
    "פרטי ההעברה. אחר כך לסמן שהתשובה טופלה (הפקודה מופיעה תחת „תשובות ומיילים שחזרו”).",
    "reason.overdue": "{days} באיחור",
    "reason.due_today": "לתשלום היום",
    "reason.due_in": "לתשלום בעוד {days}",
    "reason.later_record": "רשומה תזכורת בתאריך מאוחר יותר ({day})",
    "reason.cadence": "מרווח בין תזכורות: התזכורת האחרונה ({tier}) נשלחה לפני {days}; "
    "התזכורת הבאה לא לפני {when}",
    "reason.reminded_today": "כבר נשלחה היום תזכורת ({tier}); התזכורת הבאה לא לפני {when}",
    "reason.disputed": "במחלוקת",
    "reason.on_hold": "בהמתנה עד {day}",
    "reason.promised": "הבטחה לתשלום ב־{day}",
    "reason.do_not_contact": "לא ליצור קשר",
    "reason.all_of": "{reasons}",
    "reason.credit_covers": "חשבוניות הזיכוי מכסות את היתרה",
    "reason.below_minimum": "היתרה נמוכה מהסכום המינימלי לתזכורת",
    "reason.not_yet_due": "טרם הגיע מועד התשלום ({when})",
    "reason.below_first_tier": "{days} באיחור: עדיין לפני הדרגה הראשונה",
    "reason.day_off": "לא יום שליחה ({weekday}); יום השליחה הבא: {when}",
    "reason.holiday": "לא יום שליחה (חג: {name}); יום השליחה הבא: {when}",
    "reason.bounced": "כתובת המייל חזרה: {server}",
    "reason.bounced_plain": "כתובת המייל חזרה",
    "reason.replied": "השיבו ב־{on}: {line}",
    "reason.replied_plain": "השיבו ב־{on}",
    "reason.replied_paid": "השיבו ב־{on}: {line}; לבדוק אם שולם",
    "reason.replied_paid_plain": "השיבו ב־{on}; לבדוק אם שולם",
    "reason.inbox_unreachable": "לא ניתן היה לקרוא את תיבת הדואר ({why}): תשובות ומיילים "
    "שחזרו מאז הריצה הקודמת לא נלקחו בחשבון היום; התזכורות יצאו כמתוכנן",
    "reason.inbox_sheet_handled": "תיבת הדואר: {n} תשובות טופלו בקובץ האקסל (תאריך הבטחה או "
    "השהיה חדשים, או תשלום מלא)",
    "reason.inbox_more": "תיבת הדואר: עוד {n} הודעות ממתינות בתיקייה {folder}",
    "reason.inbox_counts": "תיבת הדואר: {counts}",
    "weekday.1": "יום שני",
    "weekday.2": "יום שלישי",
    "weekday.3": "יום רביעי",
    "weekday.4": "יום חמישי",
    "weekday.5": "יום שישי",
    "weekday.6": "שבת",
    "weekday.7": "יום ראשון",
    "h.inbox": "תשובות ומיילים שחזרו",
    "need.inbox": "{customer}: {what}",
    "inbox.replied": "השיבו ב־{day}",
    "inbox.found.bounce": "כתובת המייל חזרה",
    "inbox.found.delayed": "המסירה מתעכבת (המייל לא חזר: אין שינוי)",
    "inbox.found.auto_reply": "מענה אוטומטי, לא נלקח בחשבון",
    "inbox.found.unmatched": "השולח אינו מופיע בקובץ האקסל; ההודעה נשארה כמו שהיא",
    "inbox.found.unreadable": "לא ניתן היה לקרוא את ההודעה; היא נשארה כמו שהיא",
    "inbox.with_detail": "{what}: {detail}",
    "inbox.unknown_sender": "שולח לא ידוע",
    "inbox.hint.promise": "תאריך הבטחה מוצע: {day} (לרשום אותו בעמודת תאריך הבטחה אם הסכימו לו)",
    "inbox.hint.paid": "כתבו ששילמו: לבדוק אם התשלום התקבל",
    "inbox.hint.resolve": "אחרי הטיפול: {command} (או תאריך הבטחה / השהיה עד בקובץ האקסל)",
    "inbox.count.reply": "תשובות: {n}",
    "inbox.count.bounce": "מיילים שחזרו: {n}",
    "inbox.count.delayed": "מסירות מתעכבות: {n}",
    "inbox.count.auto_reply": "מענים אוטומטיים: {n}",
    "inbox.count.unmatched": "משולחים לא מוכרים: {n}",
    "inbox.count.unreadable": "לא קריאות: {n}",
    "inbox.count.own": "מהכתובות של העסק עצמו: {n}",
}

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

CATALOG: dict[OwnerLanguage, dict[str, str]] = {"en": _EN, "he": _HE}

POINT_COUNTS: dict[str, int] = {
    "escalate": 6,
    "no_address": 3,
    "bad_address": 3,
    "attachment": 2,
    "ambiguous": 2,
    "credit_note": 3,
    "bounced": 2,
    "check_paid": 2,
}
"""How many talking points each kind of call has (points.KIND.1 … points.KIND.N)."""

TIER_IDS: tuple[str, ...] = ("courtesy", "friendly", "direct", "plan", "final", "escalate")

TIER_BY_NAME: dict[str, str] = {
    CATALOG[language][f"{kind}.{tier}"].casefold(): tier
    for language in LANGUAGES
    for kind in ("reminder", "tier")
    for tier in TIER_IDS
}
"""A tier's name in any language (as xlsdun writes it into `Reminder level`, or as an owner
types it) -> its id: the level cell is read back as the sheet's own record of a tier."""

WHATSAPP_TEXT: dict[str, dict[str, str]] = {
    "he": {
        "one": "שלום {name}, בעניין חשבונית {numbers} – אשמח לדבר. {sender}",
        "many": "שלום {name}, בעניין חשבוניות {numbers} – אשמח לדבר. {sender}",
    },
    "en": {
        "one": "Hello {name}, about invoice {numbers} — could we talk? {sender}",
        "many": "Hello {name}, about invoices {numbers} — could we talk? {sender}",
    },
}
"""The WhatsApp message the owner's phone prefills: in the *debtor's* language."""


@dataclass(frozen=True, slots=True)
class Words:
    """The catalog of one language, with the few rules of number and date it needs."""

    language: OwnerLanguage

    @property
    def rtl(self) -> bool:
        return self.language == "he"

    def __call__(self, key: str, **params: object) -> str:
        text = CATALOG[self.language][key]
        return text.format(**params) if params else text

    def template(self, key: str) -> str:
        """The text of `key` with its {placeholders} (for HTML that isolates the values)."""
        return CATALOG[self.language][key]

    def count(self, key: str, n: int, **params: object) -> str:
        """`key.one` for 1, else `key.many` (Hebrew and English both say "one" apart)."""
        return self(f"{key}.{'one' if n == 1 else 'many'}", n=n, **params)

    def tier(self, tier: str | None) -> str:
        if not tier:
            return ""
        return CATALOG[self.language].get(f"tier.{tier}", tier)

    def label(self, label: str) -> str:
        """A bar's label: a tier id, or an aging bucket."""
        table = CATALOG[self.language]
        return table.get(f"tier.{label}") or table.get(f"age.{label}") or label

    def reminder(self, tier: str | None, variant: str = "standard") -> str:
        """A reminder of `tier` as the owner names it: "plan reminder" / "הצעת הסדר"."""
        if variant == "thank_you":
            return self("reminder.thank_you")
        table = CATALOG[self.language]
        name = table.get(f"reminder.{tier}") or self("reminder.other", tier=tier or "")
        if variant == "broken_promise":
            return self("reminder.broken_promise", reminder=name)
        return name

    def reason(self, text: str) -> str:
        """A plan's reason in the owner's language: by its key and parameters where it has
        them (policy/wording.Reason), else as it is (English)."""
        key = getattr(text, "key", "")
        if not key:
            return str(text)
        params: dict[str, Any] = getattr(text, "params", {})
        if key == "all_of":
            return "; ".join(self.reason(r) for r in params["reasons"])
        if key == "inbox_counts":
            said = ", ".join(self(f"inbox.count.{k}", n=n) for k, n in params["counts"])
            return self("reason.inbox_counts", counts=said)
        return self(f"reason.{key}", **{n: self._param(n, v) for n, v in params.items()})

    def _param(self, name: str, value: Any) -> object:
        if name == "on" and isinstance(value, date):
            return self.short_day(value)
        if isinstance(value, date):
            return self.day(value)
        if name == "days":
            return self.days(value)
        if name == "tier":
            return self.tier(value)
        if name == "weekday":
            return self(f"weekday.{value}")
        if isinstance(value, str):
            return self.reason(value)
        return value

    def outcome(self, state: str) -> str:
        return CATALOG[self.language].get(f"outcome.{state}", state.replace("_", " "))

    def days_overdue(self, n: int) -> str:
        """ "12 days overdue" / "12 יום באיחור": Hebrew counts of 11 and up take "יום"."""
        return self("days.overdue", days=self.days(n))

    def days(self, n: int) -> str:
        if self.language == "he" and n == 2:
            return "יומיים"
        if self.language == "he" and n > 10:
            return f"{n} יום"
        return self.count("days.short", n)

    def day(self, d: date) -> str:
        """A date: ISO in English (as the sheet and the CLI write it), 26.11.2026 in Hebrew."""
        return d.strftime("%d.%m.%Y") if self.language == "he" else d.isoformat()

    def short_day(self, d: date, *, year: bool = False) -> str:
        """A day in a sentence: "28 Nov" / "28.11" (with the year: "15 Dec 2026" / "15.12.2026"),
        whatever the machine's locale."""
        if self.language == "he":
            short = f"{d.day}.{d.month}"
            return f"{short}.{d.year}" if year else short
        short = f"{d.day} {_MONTHS[d.month - 1]}"
        return f"{short} {d.year}" if year else short

    def language_name(self, code: str) -> str:
        return CATALOG[self.language].get(f"lang.{code}", code)

    def points(self, kind: str, **params: object) -> tuple[str, ...]:
        n = POINT_COUNTS[kind]
        return tuple(self(f"points.{kind}.{i}", **params) for i in range(1, n + 1))


def words(language: str | None) -> Words:
    """The owner's catalog for `language` ("he" or "en"; anything else: English)."""
    return Words("he" if language == "he" else "en")


def whatsapp_text(language: str, name: str, numbers: list[str], sender: str) -> str:
    table = WHATSAPP_TEXT["he" if language == "he" else "en"]
    text = table["one" if len(numbers) == 1 else "many"]
    return text.format(name=name, numbers=", ".join(numbers), sender=sender).strip()
