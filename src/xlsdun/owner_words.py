"""The owner's words, in the owner's language (`[owner] language`): one catalog, same keys.

Everything xlsdun says to the business owner rather than to a debtor — the digest, the HTML
run report, the status texts it writes into the sheet, the Reminder log's words and the call
list's talking points — is looked up here by key, so the two languages can never drift
apart (tests/test_owner_words.py fails when a key is missing in one of them). Code decides
by data (a state, a tier id, a call kind), never by matching these texts.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from .config import LocaleConfig

OwnerLanguage = Literal["en", "he"]
LANGUAGES: tuple[OwnerLanguage, ...] = ("en", "he")

_EN: dict[str, str] = {
    # -- tier names, as the owner sees them ------------------------------------------------
    "tier.courtesy": "courtesy",
    "tier.friendly": "friendly",
    "tier.direct": "direct",
    "tier.plan": "plan",
    "tier.final": "final",
    "tier.escalate": "call (no email)",
    "tier.not yet due": "not yet due",
    "tier.below the ladder": "too early for a reminder",
    # a reminder of a tier ("plan reminder"); Hebrew names some tiers by the letter itself
    "reminder.courtesy": "courtesy reminder",
    "reminder.friendly": "friendly reminder",
    "reminder.direct": "direct reminder",
    "reminder.plan": "plan reminder",
    "reminder.final": "final notice",
    "reminder.escalate": "call (no email)",
    "reminder.other": "{tier} reminder",
    "reminder.broken_promise": "{reminder} – broken promise",
    "reminder.thank_you": "thank-you note",
    # -- the sheet's Reminder status -------------------------------------------------------
    "status.sent": "Sent: {reminder}",
    "status.written_to_outbox": "In outbox: {reminder}",
    "status.mentioned": "Mentioned (not yet due) in: {reminder}",
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
    "status.call.credit_note": "Check: credit notes are recorded against this debt; confirm the "
    "amount owed",
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
    "variant.broken_promise": "broken promise",
    "variant.thank_you": "thank-you",
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
    "logoutcome.written_to_outbox": "in outbox",
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
    "client.0": "OK",
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
    "count.outbox.one": "1 reminder in the outbox",
    "count.outbox.many": "{n} reminders in the outbox",
    "count.outbox_more.one": "1 in the outbox",
    "count.outbox_more.many": "{n} in the outbox",
    "count.calls.one": "1 to call",
    "count.calls.many": "{n} to call",
    "count.approvals.one": "1 to approve",
    "count.approvals.many": "{n} to approve",
    "count.problems.one": "1 problem",
    "count.problems.many": "{n} problems",
    "from": "xlsdun for {name}",
    "title": "xlsdun — {day}",
    "title.report": "xlsdun report — {day}",
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
    "h.tiers": "Outstanding by reminder stage",
    "h.aging": "Ageing (by due date)",
    "bars.stage": "Stage",
    "bars.age": "Age",
    "bars.amount": "Amount",
    "bars.debtors": "Customers",
    "bars.invoices": "Invoices",
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
    "error.title": "This run did not go ahead:",
    "error.body": "Nothing was sent for this client. Once this is fixed, the next run will catch "
    "up; run {command} to check the set-up.",
    "none.outcomes": "No reminders today.",
    "none.tiers": "Nothing outstanding.",
    "none.calls": "Nobody to call today.",
    "none.promises_today": "No payment promised for today.",
    "none.promises_broken": "No broken promises.",
    "none.approvals": "Nothing awaits your approval.",
    "none.deferred": "Nothing was deferred.",
    "row_skipped": "Row skipped: {finding}",
    "footer.html": "Produced by xlsdun on {when}. For details, see the log in the workbook's state "
    "folder; run {command} for the full report.",
    "footer.text": "Produced by xlsdun on {when}. Run {command} for the full report.",
    "footer.report": "Produced by xlsdun on {when}. For details, see the log in the workbook's "
    "state folder.",
    "moment": "{day} at {time}",
    # -- the digest: needs (what is new since an earlier digest) -----------------------------
    "need.call": "to call: {customer} ({why})",
    "need.approval": "awaiting approval: {customer}",
    "need.approved": "approved {reminder}: {customer} ({outcome})",
    "need.broken": "broken promise: {customer}",
    "need.deferred": "deferred: {customer}",
    "need.problem": "problem: {status}",
    # -- the digest: the call list -----------------------------------------------------------
    "call.kind.escalate": "Long overdue: call them",
    "call.kind.no_address": "No email address",
    "call.kind.bad_address": "Email address rejected",
    "call.kind.attachment": "Invoice file missing",
    "call.kind.ambiguous": "Did the reminder arrive?",
    "call.kind.credit_note": "Credit notes: check what is owed",
    "call.kind.bounced": "Email address bounced",
    "call.kind.check_paid": "Says they paid: check",
    "call.see_points": "Talking points: “{title}” above",
    "call.why.escalate": "long overdue: call",
    "call.why.credit_note": "credit notes: check what is owed",
    "call.why.no_address": "no valid email address",
    "call.why.bad_address": "email address rejected or invalid",
    "call.why.attachment": "invoice file missing or rejected",
    "call.why.ambiguous": "send interrupted: did it arrive?",
    "call.why.bounced": "address bounced",
    "call.why.check_paid": "replied that they paid: check",
    "call.phone": "Phone",
    "call.no_phone": "not in the sheet",
    "call.email": "Email",
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
    "call.ambiguous_detail": "{reminder} sent {day} (Message-ID {message_id})",
    "call.unknown": "unknown",
    "lang.he": "Hebrew",
    "lang.en": "English",
    "days.overdue": "{days} overdue",
    "days.short.one": "1 day",
    "days.short.many": "{n} days",
    # -- the digest: lines -----------------------------------------------------------------
    "line.promised_today": "promised to pay today: {invoices}",
    "line.broken": "promised to pay by {when}; still unpaid",
    "line.earlier": "a date not recorded",
    "line.deferred_default": "deferred to the next run",
    "approve.column": "To send one, write yes in its Approved cell in the sheet, or run the "
    "command shown with it.",
    "approve.no_column": "To send one, run the command shown with it (or add an Approved column to "
    "the sheet and write yes in it).",
    # -- talking points (after the collection guide, shared/seed/README.md) ----------------
    "points.escalate.1": "Stay calm and professional; if now is not a good time, ask when would "
    "be, and leave the door open.",
    "points.escalate.2": "Start by asking whether they are happy with the work or service; then "
    "state the amount and the due dates plainly.",
    "points.escalate.3": "Explain how the unpaid amount affects your business (paying your own "
    "suppliers and staff).",
    "points.escalate.4": "Ask what would help them settle it{plan_offer}.",
    "points.escalate.5": "If nothing changes, explain that the next step is to take legal advice, "
    "but that you are still open to talking.",
    "points.escalate.6": "Thank them for their time and end on a positive note.",
    "points.plan_offer": "; offer {n} monthly instalments they can realistically keep",
    "points.discount": ", or {pct}% off for paying in full now",
    "points.no_address.1": "Ask which email address they would like invoices and reminders sent "
    "to, and add it to the sheet.",
    "points.no_address.2": "State the amount and the due date plainly; ask when they can pay.",
    "points.no_address.3": "Thank them for their cooperation.",
    "points.bad_address.1": "The mail server rejected their address: ask for the right one and "
    "correct it in the sheet.",
    "points.bad_address.2": "State the amount and the due date plainly; ask when they can pay.",
    "points.bad_address.3": "Thank them for their cooperation.",
    "points.attachment.1": "The invoice file named in the sheet was not sent (the reason is on "
    "each card below): put it in the attachments folder and correct the Attachment cell; the "
    "reminder goes out on the next run.",
    "points.attachment.2": "If it cannot wait, call: state the amount and offer to send the "
    "invoice again.",
    "points.ambiguous.1": "A reminder may or may not have reached them: ask whether it "
    "arrived before sending anything else.",
    "points.ambiguous.2": "Then record the answer with 'xlsdun resolve', so that reminders "
    "continue in the right order.",
    "points.credit_note.1": "The sheet has credit notes for this customer, so the amount "
    "they owe is not certain: check it before asking for payment.",
    "points.credit_note.2": "Apply the credit note in the sheet (or agree the amount with them); "
    "reminders resume by themselves once only open invoices are left.",
    "points.credit_note.3": "Thank them for their cooperation.",
    "points.bounced.1": "Their address bounced (the server's reason is on each card below): ask "
    "for the right one and put it in the sheet; mail resumes once the address cell changes.",
    "points.bounced.2": "State the amount and the due date plainly; ask when they can pay.",
    "points.check_paid.1": "They replied that they paid: check the bank before anything else.",
    "points.check_paid.2": "If it arrived, mark it paid in the sheet; if not, call and ask for "
    "the transfer's details. Then run 'xlsdun resolve CUSTOMER --replied'.",
    # -- the plan's reasons (policy/wording.Reason: key and parameters) -------------------
    "reason.overdue": "{days} overdue",
    "reason.due_today": "due today",
    "reason.due_in": "due in {days}",
    "reason.later_record": "a reminder is recorded for a later date ({day})",
    "reason.cadence": "waiting between reminders: last one ({tier}) {days} ago; next on {when} at "
    "the earliest",
    "reason.reminded_today": "already reminded today ({tier}); next on {when} at the earliest",
    "reason.disputed": "disputed",
    "reason.on_hold": "on hold until {day}",
    "reason.promised": "promised to pay by {day}",
    "reason.do_not_contact": "do not contact",
    "reason.all_of": "{reasons}",
    "reason.credit_covers": "credit notes cover the balance",
    "reason.below_minimum": "balance below minimum",
    "reason.not_yet_due": "{when}",
    "reason.below_first_tier": "{days} overdue: too early for the first reminder",
    "reason.day_off": "not a send day ({weekday}); next send day {when}",
    "reason.holiday": "not a send day ({name}); next send day {when}",
    "reason.bounced": "address bounced: {server}",
    "reason.bounced_plain": "address bounced",
    "reason.replied": "replied on {on}: {line}",
    "reason.replied_plain": "replied on {on}",
    "reason.replied_paid": "replied on {on}: {line}; check whether paid",
    "reason.replied_paid_plain": "replied on {on}; check whether paid",
    # the inbox step's notes (inbox/step.py), said like the plan's reasons
    "reason.inbox_unreachable": "the inbox could not be read ({why}): replies and bounces "
    "since the last run are not taken into account today; reminders went out as planned",
    "reason.inbox_sheet_handled": "inbox: replies handled in the sheet: {n} (a new Promise date or "
    "Hold until, or paid in full)",
    "reason.inbox_more": "inbox: more messages waiting in {folder}: {n}",
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
    "inbox.count.reply": "replies: {n}",
    "inbox.count.bounce": "bounces: {n}",
    "inbox.count.delayed": "delayed: {n}",
    "inbox.count.auto_reply": "auto-replies: {n}",
    "inbox.count.unmatched": "from unknown senders: {n}",
    "inbox.count.unreadable": "unreadable: {n}",
    "inbox.count.own": "from the business's own addresses: {n}",
}

_HE: dict[str, str] = {
    "tier.courtesy": "מקדימה",
    "tier.friendly": "ידידותית",
    "tier.direct": "ישירה",
    "tier.plan": "הסדר",
    "tier.final": "התראה אחרונה",
    "tier.escalate": "לשיחה טלפונית",
    "tier.not yet due": "טרם הגיע מועד התשלום",
    "tier.below the ladder": "לפני השלב הראשון",
    "reminder.courtesy": "תזכורת מקדימה",
    "reminder.friendly": "תזכורת ידידותית",
    "reminder.direct": "תזכורת ישירה",
    "reminder.plan": "הצעת הסדר",
    "reminder.final": "התראה אחרונה",
    "reminder.escalate": "שיחה טלפונית",
    "reminder.other": "תזכורת {tier}",
    "reminder.broken_promise": "{reminder} – הבטחה שהופרה",
    "reminder.thank_you": "הודעת תודה",
    "status.sent": "נשלחה: {reminder}",
    "status.written_to_outbox": "בדואר היוצא: {reminder}",
    "status.mentioned": "הוזכרה לידיעה בלבד (מועד התשלום טרם הגיע): {reminder}",
    "status.failed": "השליחה נכשלה: {detail}",
    "status.deferred": "הושהתה: {detail}",
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
    "status.call.credit_note": "לבדוק: בגיליון יש חשבוניות זיכוי לצד החוב – מה היתרה בפועל?",
    "status.awaiting": "ממתינה לאישור: {reminder}",
    "status.deferred_plan": "הושהתה: {reason}",
    "status.skipped": "השורה דולגה: {problems}",
    "log.Key": "מפתח",
    "log.Date": "תאריך",
    "log.Customer": "לקוח",
    "log.Email": "מייל",
    "log.Level": "שלב",
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
    "outcome.written_to_outbox": "נשמרו לבדיקה (לא נשלחו)",
    "outcome.failed": "נכשלו",
    "outcome.deferred": "הושהו",
    "outcome.ambiguous": "לא ודאי (אולי הגיעו, אולי לא)",
    "outcome.pending": "ממתינות",
    "outcome.sending": "בשליחה",
    "logoutcome.sent": "נשלחה",
    "logoutcome.written_to_outbox": "בדואר היוצא",
    "logoutcome.failed": "נכשלה",
    "logoutcome.deferred": "הושהתה",
    "logoutcome.ambiguous": "לא ודאי",
    "logoutcome.pending": "ממתינה",
    "logoutcome.sending": "בשליחה",
    "age.not yet due": "טרם הגיע מועד התשלום",
    "age.1–30 days": "עד 30 יום",
    "age.31–60 days": "31 עד 60 יום",
    "age.61–90 days": "61 עד 90 יום",
    "age.over 90 days": "מעל 90 יום",
    "client.0": "תקין",
    "client.1": "חלק מההודעות לא נשלחו",
    "client.2": "נעצר: יש לתקן את ההגדרות",
    "client.3": "קובץ האקסל לא עודכן (הקובץ היה פתוח בזמן הריצה)",
    "client.failed": "הריצה נכשלה",
    "client.problem": "בעיה",
    "subject": "סיכום יומי {day} – {who}: {update}{parts}",
    "subject.update": "עדכון, ",
    "subject.clients": "{n} עסקים",
    "count.sent.one": "תזכורת אחת נשלחה",
    "count.sent.many": "{n} תזכורות נשלחו",
    "count.outbox.one": "תזכורת אחת נשמרה לבדיקה (לא נשלחה)",
    "count.outbox.many": "{n} תזכורות נשמרו לבדיקה (לא נשלחו)",
    "count.outbox_more.one": "אחת נשמרה לבדיקה (לא נשלחה)",
    "count.outbox_more.many": "{n} נשמרו לבדיקה (לא נשלחו)",
    "count.calls.one": "שיחת טלפון אחת",
    "count.calls.many": "{n} שיחות טלפון",
    "count.approvals.one": "תזכורת אחת ממתינה לאישור",
    "count.approvals.many": "{n} תזכורות ממתינות לאישור",
    "count.problems.one": "בעיה אחת",
    "count.problems.many": "{n} בעיות",
    "from": "xlsdun עבור {name}",
    "title": "סיכום יומי – {day}",
    "title.report": "דוח יומי של xlsdun – {day}",
    "h.new": "חדש מאז הסיכום הקודם היום",
    "h.clients": "עסקים",
    "h.client": "עסק",
    "h.status": "מצב",
    "h.sent": "נשלחו",
    "h.calls": "להתקשר",
    "h.approvals_short": "לאישור",
    "h.approvals": "ממתינות לאישור",
    "h.call_list": "רשימת שיחות",
    "h.outcomes": "התזכורות של היום",
    "h.who": "מי קיבל איזו תזכורת היום",
    "h.tiers": "יתרות פתוחות לפי שלב",
    "h.aging": "גיול חובות (לפי מועד התשלום)",
    "bars.stage": "שלב",
    "bars.age": "גיל החוב",
    "bars.amount": "סכום",
    "bars.debtors": "לקוחות",
    "bars.invoices": "חשבוניות",
    "h.promises": "הבטחות תשלום",
    "h.promises_today": "הבטחות לתשלום היום",
    "h.promises_broken": "הבטחות שהופרו",
    "h.deferred": "הושהו, ומדוע",
    "h.notes": "הערות",
    "h.talking_points": "נקודות לשיחה",
    "workbook": "קובץ",
    "run": "ריצה",
    "workbook_updated": "קובץ האקסל עודכן",
    "total": "סה״כ",
    "error.title": "הריצה לא התבצעה:",
    "error.body": "לא נשלח דבר עבור העסק הזה. תקנו את הבעיה, והריצה הבאה תשלים את החסר; לבדיקה "
    "כללית הריצו {command}.",
    "none.outcomes": "אין תזכורות היום.",
    "none.tiers": "אין יתרות פתוחות.",
    "none.calls": "אין למי להתקשר היום.",
    "none.promises_today": "אין הבטחות לתשלום היום.",
    "none.promises_broken": "אין הבטחות שהופרו.",
    "none.approvals": "אין תזכורות שממתינות לאישור.",
    "none.deferred": "לא הושהו תזכורות.",
    "row_skipped": "שורה שדולגה: {finding}",
    "footer.html": "הופק על ידי xlsdun ב־{when}. פרטים נוספים ביומן שבתיקיית הנתונים של קובץ "
    "האקסל; הדוח המלא: {command}.",
    "footer.text": "הופק על ידי xlsdun ב־{when}. הדוח המלא: {command}.",
    "footer.report": "הופק על ידי xlsdun ב־{when}. פרטים נוספים ביומן שבתיקיית הנתונים של קובץ "
    "האקסל.",
    "moment": "{day} בשעה {time}",
    "need.call": "להתקשר: {customer} ({why})",
    "need.approval": "ממתינה לאישור: {customer}",
    "need.approved": "{reminder} שאושרה: {customer} ({outcome})",
    "need.broken": "הבטחה שהופרה: {customer}",
    "need.deferred": "הושהתה: {customer}",
    "need.problem": "בעיה: {status}",
    "call.kind.escalate": "איחור ממושך: להתקשר",
    "call.kind.no_address": "אין כתובת מייל",
    "call.kind.bad_address": "כתובת המייל סורבה",
    "call.kind.attachment": "קובץ החשבונית חסר",
    "call.kind.ambiguous": "האם התזכורת הגיעה?",
    "call.kind.credit_note": "חשבוניות זיכוי: לבדוק כמה חייבים",
    "call.kind.bounced": "כתובת המייל חזרה",
    "call.kind.check_paid": "כתבו ששילמו: לבדוק",
    "call.see_points": "נקודות לשיחה: „{title}” למעלה",
    "call.why.escalate": "איחור ממושך",
    "call.why.credit_note": "חשבוניות זיכוי: לבדוק כמה חייבים",
    "call.why.no_address": "אין כתובת מייל תקינה",
    "call.why.bad_address": "השרת סירב לכתובת המייל או שהיא שגויה",
    "call.why.attachment": "קובץ החשבונית חסר או שלא ניתן לצרף אותו",
    "call.why.ambiguous": "השליחה נקטעה: האם הגיעה?",
    "call.why.bounced": "כתובת המייל חזרה",
    "call.why.check_paid": "השיבו ששילמו: לבדוק",
    "call.phone": "טלפון",
    "call.no_phone": "לא מופיע בגיליון",
    "call.email": "מייל",
    "call.whatsapp": "וואטסאפ",
    "call.language": "שפת הלקוח",
    "call.invoices": "חשבוניות",
    "call.last_contact": "פנייה קודמת",
    "call.last_contact.value": "{reminder}, {day}",
    "call.last_contact.today": "{reminder}, היום ({day})",
    "call.never": "עדיין לא נשלחה תזכורת",
    "call.promises": "הבטחות תשלום",
    "call.promise.broken": "{day}: הופרה",
    "call.promise.kept": "{day}: קוימה",
    "call.promise.due": "{day}: לתשלום היום",
    "call.promise.future": "{day}: הובטח",
    "call.ambiguous_detail": "{reminder} מיום {day} (Message-ID {message_id})",
    "call.unknown": "לא ידוע",
    "lang.he": "עברית",
    "lang.en": "אנגלית",
    "days.overdue": "{days} באיחור",
    "days.short.one": "יום אחד",
    "days.short.many": "{n} ימים",
    "line.promised_today": "הבטחה לתשלום היום – {invoices}",
    "line.broken": "הבטחת התשלום לא קוימה (מועד: {when})",
    "line.earlier": "לא צוין",
    "line.deferred_default": "הושהתה עד הריצה הבאה",
    "approve.column": "כדי לשלוח, כתבו yes בעמודה Approved בשורת הלקוח בגיליון, או הריצו את הפקודה "
    "שמופיעה לצדו.",
    "approve.no_column": "כדי לשלוח, הריצו את הפקודה שמופיעה לצד הלקוח (או הוסיפו לגיליון עמודה "
    "Approved וכתבו בה yes).",
    "points.escalate.1": "לשמור על טון רגוע ומקצועי; לשאול מתי נוח להם לדבר, ולהשאיר את הדלת "
    "פתוחה.",
    "points.escalate.2": "לפתוח בשאלה אם הם מרוצים מהעבודה או מהשירות; אחר כך לומר בפשטות את "
    "הסכום ואת מועדי התשלום.",
    "points.escalate.3": "להסביר איך החוב הפתוח פוגע בתזרים של העסק (תשלומים לספקים, משכורות).",
    "points.escalate.4": "לשאול מה יאפשר להם לסגור את החוב{plan_offer}.",
    "points.escalate.5": "אם אין התקדמות, לומר שהצעד הבא הוא פנייה לעורך דין — ושעדיין יש "
    "מקום לדבר.",
    "points.escalate.6": "להודות להם על הזמן ולסיים בנימה חיובית.",
    "points.plan_offer": "; להציע פריסה ל־{n} תשלומים חודשיים שיוכלו לעמוד בהם",
    "points.discount": ", או הנחה של {pct}% על תשלום מלא מיידי",
    "points.no_address.1": "לבקש את כתובת המייל שאליה הם רוצים לקבל חשבוניות ותזכורות, "
    "ולהוסיף אותה לגיליון.",
    "points.no_address.2": "לומר בפשטות את הסכום ואת מועד התשלום; לשאול מתי יוכלו לשלם.",
    "points.no_address.3": "להודות להם על שיתוף הפעולה.",
    "points.bad_address.1": "שרת הדואר סירב לכתובת שלהם: לבקש את הכתובת הנכונה ולתקן אותה בגיליון.",
    "points.bad_address.2": "לומר בפשטות את הסכום ואת מועד התשלום; לשאול מתי יוכלו לשלם.",
    "points.bad_address.3": "להודות להם על שיתוף הפעולה.",
    "points.attachment.1": "קובץ החשבונית שמופיע בגיליון לא נשלח (הסיבה מופיעה בכרטיס של כל לקוח "
    "למטה): לשים אותו בתיקיית הקבצים המצורפים ולתקן את התא בעמודה Attachment; התזכורת תצא בריצה "
    "הבאה.",
    "points.attachment.2": "אם זה לא יכול לחכות, להתקשר: לומר את הסכום ולהציע לשלוח שוב את "
    "החשבונית.",
    "points.ambiguous.1": "ייתכן שתזכורת הגיעה אליהם וייתכן שלא: לשאול אם הגיעה לפני ששולחים "
    "משהו נוסף.",
    "points.ambiguous.2": "אחר כך לרשום את התשובה בפקודה 'xlsdun resolve', כדי שהתזכורות ימשיכו "
    "בסדר הנכון.",
    "points.credit_note.1": "בגיליון יש חשבוניות זיכוי ללקוח הזה, ולכן הסכום שהוא חייב אינו "
    "ודאי: לבדוק אותו לפני שמבקשים תשלום.",
    "points.credit_note.2": "לקזז את הזיכוי בגיליון (או לסכם איתם את הסכום); התזכורות יתחדשו "
    "מעצמן כשיישארו רק חשבוניות פתוחות.",
    "points.credit_note.3": "להודות להם על שיתוף הפעולה.",
    "points.bounced.1": "המייל אליהם חזר (תשובת השרת מופיעה בכרטיס של כל לקוח למטה): לבקש את "
    "הכתובת הנכונה ולעדכן אותה בקובץ האקסל; המיילים יחודשו כשהכתובת בתא תשתנה.",
    "points.bounced.2": "לומר בפשטות את הסכום ואת מועד התשלום; לשאול מתי יוכלו לשלם.",
    "points.check_paid.1": "הם השיבו ששילמו: לבדוק בחשבון הבנק לפני כל דבר אחר.",
    "points.check_paid.2": "אם התשלום התקבל, לסמן בקובץ האקסל ששולם; אם לא, להתקשר ולבקש את "
    "פרטי ההעברה. אחר כך לסמן שהתשובה טופלה (הפקודה מופיעה תחת „תשובות ומיילים שחזרו”).",
    "reason.overdue": "{days} באיחור",
    "reason.due_today": "לתשלום היום",
    "reason.due_in": "לתשלום בעוד {days}",
    "reason.later_record": "רשומה תזכורת בתאריך מאוחר יותר ({day})",
    "reason.cadence": "התזכורת הקודמת ({tier}) נשלחה לפני {days}; הבאה לא לפני {when}",
    "reason.reminded_today": "כבר נשלחה היום תזכורת ({tier}); הבאה לא לפני {when}",
    "reason.disputed": "במחלוקת",
    "reason.on_hold": "בהמתנה עד {day}",
    "reason.promised": "הובטח תשלום עד {day}",
    "reason.do_not_contact": "לא ליצור קשר",
    "reason.all_of": "{reasons}",
    "reason.credit_covers": "חשבוניות הזיכוי מכסות את היתרה",
    "reason.below_minimum": "היתרה נמוכה מהסכום המינימלי לתזכורת",
    "reason.not_yet_due": "עדיין לא באיחור ({when})",
    "reason.below_first_tier": "{days} באיחור: עדיין לפני השלב הראשון",
    "reason.day_off": "לא יום שליחה ({weekday}); יום השליחה הבא: {when}",
    "reason.holiday": "לא יום שליחה ({name}); יום השליחה הבא: {when}",
    "reason.bounced": "כתובת המייל חזרה: {server}",
    "reason.bounced_plain": "כתובת המייל חזרה",
    "reason.replied": "השיבו ב־{on}: {line}",
    "reason.replied_plain": "השיבו ב־{on}",
    "reason.replied_paid": "השיבו ב־{on}: {line}; לבדוק אם שולם",
    "reason.replied_paid_plain": "השיבו ב־{on}; לבדוק אם שולם",
    "reason.inbox_unreachable": "לא ניתן היה לקרוא את תיבת הדואר ({why}): תשובות ומיילים "
    "שחזרו מאז הריצה הקודמת לא נלקחו בחשבון היום; התזכורות יצאו כמתוכנן",
    "reason.inbox_sheet_handled": "תיבת הדואר: תשובות שטופלו בקובץ האקסל: {n} (תאריך הבטחה או "
    "השהיה חדשים, או תשלום מלא)",
    "reason.inbox_more": "תיבת הדואר: הודעות נוספות שממתינות בתיקייה {folder}: {n}",
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
    "inbox.count.unmatched": "משולחים לא ידועים: {n}",
    "inbox.count.unreadable": "לא קריאות: {n}",
    "inbox.count.own": "מהכתובות של העסק עצמו: {n}",
}

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

OLD_NAMES: dict[str, str] = {
    # names earlier versions wrote into `Reminder level`: a sheet keeps them, so they stay
    # readable after a rename (tests/test_owner_words.py checks every one)
    "escalate": "escalate",
    "escalate reminder": "escalate",
    "final reminder": "final",
    "טלפון/הסלמה": "escalate",
}
"""Renamed tier and reminder names -> the tier id (the current names come from CATALOG)."""

TIER_BY_NAME: dict[str, str] = {
    **{name.casefold(): tier for name, tier in OLD_NAMES.items()},
    **{
        CATALOG[language][f"{kind}.{tier}"].casefold(): tier
        for language in LANGUAGES
        for kind in ("reminder", "tier")
        for tier in TIER_IDS
    },
}
"""A tier's name in any language (as xlsdun writes it into `Reminder level`, or as an owner
types it, or as an earlier version wrote it) -> its id: the level cell is read back as the
sheet's own record of a tier."""

WHATSAPP_TEXT: dict[str, dict[str, str]] = {
    "he": {
        "one": "שלום {name}, כאן {who}. אשמח לדבר איתכם בעניין חשבונית {numbers} – מתי נוח לכם?",
        "many": "שלום {name}, כאן {who}. אשמח לדבר איתכם בעניין חשבוניות {numbers} – מתי נוח לכם?",
        "who": "{sender}, {business}",
    },
    "en": {
        "one": "Hello {name}, this is {who} about invoice {numbers}. Could we have a quick word?",
        "many": "Hello {name}, this is {who} about invoices {numbers}. Could we have a quick word?",
        "who": "{sender} from {business}",
    },
}
"""The WhatsApp message the owner's phone prefills: in the *debtor's* language."""

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, slots=True)
class Words:
    """The catalog of one language, with the few rules of number and date it needs."""

    language: OwnerLanguage
    country: str = "IL"  # the business's country: how amounts are written (US$ or $)

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
        if key == "holiday" and isinstance(params.get("day"), date):
            name = holiday_name(params.get("country", ""), params["day"], self.language)
            params = {**params, "name": name or params.get("name", "")}
        if key == "inbox_counts":
            said = ", ".join(self(f"inbox.count.{k}", n=n) for k, n in params["counts"])
            return self("reason.inbox_counts", counts=said)
        return self(f"reason.{key}", **{n: self._param(n, v) for n, v in params.items()})

    def _param(self, name: str, value: Any) -> object:
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
        """A date as the letters write it: "20 Nov 2026", in Hebrew "20.11.2026"."""
        if self.language == "he":
            return f"{d.day}.{d.month}.{d.year}"
        return f"{d.day} {MONTHS[d.month - 1]} {d.year}"

    def moment(self, when: datetime) -> str:
        """A time of day: "27 Nov 2026 at 22:20", "27.11.2026 בשעה 22:20"."""
        return self("moment", day=self.day(when.date()), time=when.strftime("%H:%M"))

    def money(self, amount: Decimal, currency: str) -> str:
        """An amount with its currency's sign, as the letters show it: "₪1,250.00",
        "US$3,000.00", in Hebrew "1,250.00 ₪" (a no-break space before the sign)."""
        from .render.formatting import formatter

        babel = LocaleConfig(self.language, currency, self.country).babel_locale
        return formatter(self.language, babel).plain_money(amount, currency)

    def language_name(self, code: str) -> str:
        return CATALOG[self.language].get(f"lang.{code}", code)

    def points(self, kind: str, **params: object) -> tuple[str, ...]:
        n = POINT_COUNTS[kind]
        return tuple(self(f"points.{kind}.{i}", **params) for i in range(1, n + 1))


def words(language: str | None, country: str = "IL") -> Words:
    """The owner's catalog for `language` ("he" or "en"; anything else: English)."""
    return Words("he" if language == "he" else "en", country or "IL")


@functools.lru_cache(maxsize=64)
def holiday_name(country: str, day: date, language: str) -> str | None:
    """A public holiday's name in the owner's language ("יום כיפור", "Yom Kippur"), from the
    `holidays` library (imported only when a holiday reason is shown); None if unknown."""
    if not country:
        return None
    try:
        import holidays as holidays_lib

        table = holidays_lib.country_holidays(
            country, years=[day.year], language="he" if language == "he" else "en_US"
        )
        name = table.get(day)
    except Exception:  # noqa: BLE001 - an unknown country or language: keep the plan's name
        return None
    return str(name) if name else None


def whatsapp_text(
    language: str, name: str, numbers: list[str], sender: str, business: str = ""
) -> str:
    """The prefilled WhatsApp message: greeting, who writes (name and business), the
    invoices ("A, B and C" / "A, B ו־C") and a question."""
    from .render.formatting import and_list

    lang = "he" if language == "he" else "en"
    table = WHATSAPP_TEXT[lang]
    who = table["who"].format(sender=sender, business=business) if sender and business else ""
    who = who or sender or business
    text = table["one" if len(numbers) == 1 else "many"]
    return text.format(name=name, numbers=and_list(numbers, lang), who=who).strip()
