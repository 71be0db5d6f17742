"""The sentences the plan gives as reasons, shared where the summary and the digest say the same."""

from __future__ import annotations

from datetime import date

from ..models import Bounce, Contact, Reply

PAID = "paid"
CREDIT_NOTE = "credit note"
"""The reasons of invoices with nothing to pay: the sheet's status says "Paid" / "Credit
note" for them and leaves their reminder cells empty (sheetview.py keys on these)."""


def fmt_days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def overdue_text(days: int) -> str:
    """How late an invoice is: "12 days overdue", "due today", "due in 2 days"."""
    if days > 0:
        return f"{fmt_days(days)} overdue"
    return "due today" if days == 0 else f"due in {fmt_days(-days)}"


def cadence_text(since: int, last: Contact, when: date) -> str:
    """Why a debtor waits: the last reminder was `since` days ago; the next is due `when`."""
    if since > 0:
        done = f"cadence: last reminder ('{last.tier}') {fmt_days(since)} ago"
    elif since == 0:
        done = f"already reminded today ('{last.tier}')"
    else:
        return f"a reminder is recorded for a later date ({last.day.isoformat()})"
    return f"{done}; next reminder on {when.isoformat()} at the earliest"


def how_to_approve(approved_column: bool, command: str = "'xlsdun approve'") -> str:
    """The owner's two ways to approve (the plan, the summary and the digest say it alike),
    naming the Approved column only if the sheet has one."""
    if approved_column:
        return f"write yes in the Approved column or run {command}"
    return f"run {command} (or add an Approved column to the sheet and write yes in it)"


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def short_day(day: date) -> str:
    """ "28 Nov": whatever the machine's locale."""
    return f"{day.day} {_MONTHS[day.month - 1]}"


def replied_text(reply: Reply, *, paid: bool) -> str:
    """Why a debtor who answered is not reminded: "replied on 28 Nov: <first line>" (until
    `xlsdun resolve CUSTOMER --replied`, or a Promise date / Hold until in the sheet)."""
    text = f"replied on {short_day(reply.day)}"
    if reply.first_line:
        text += f": {reply.first_line}"
    return f"{text}; check whether paid" if paid else text


def bounced_text(bounce: Bounce) -> str:
    """Why a debtor is on the call list: "address bounced: <the server's reason>"."""
    return f"address bounced: {bounce.reason}" if bounce.reason else "address bounced"
