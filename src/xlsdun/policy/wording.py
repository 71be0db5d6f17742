"""The sentences the plan gives as reasons, shared where the summary and the digest say the same."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from ..models import Bounce, Contact, Keyed, Reply


class Reason(Keyed):
    """A reason as the English sentence the plan, the CLI and `--json` show, with its key and
    parameters (owner_words: "reason.<key>")."""


def reason(text: str, key: str, **params: Any) -> str:
    """`text`, with its key and parameters (see `Reason`). Equal reasons are one object
    (read-only): 40,000 debtors' reasons were 57 distinct ones (run peak -28 MB at 200,000 invoices)."""
    try:
        return _shared(text, key, tuple((k, type(v), v) for k, v in params.items()))
    except TypeError:  # a parameter that cannot be a dict key: its own object
        return Reason(text, key, **params)


@lru_cache(maxsize=4096)
def _shared(text: str, key: str, params: tuple[tuple[str, type, Any], ...]) -> Reason:
    return Reason(text, key, **{k: v for k, _, v in params})


UNREAD = frozenset({"unread_row", "unread_rows"})
"""The keys of the reason a debtor is held for a row that could not be used (rule
`unread_rows`): the digest lists them with the deferred, as a row to fix."""


def unread_text(rows: tuple[int, ...]) -> str:
    """Why a debtor gets no email: their rows `rows` could not be used."""
    said = ", ".join(map(str, rows))
    if len(rows) == 1:
        return reason(
            f"this customer's row {said} could not be used; once it is fixed, the reminder "
            f"will go out on the next run",
            "unread_row",
            rows=said,
        )
    return reason(
        f"this customer's rows {said} could not be used; once they are fixed, the reminder "
        f"will go out on the next run",
        "unread_rows",
        rows=said,
    )


PAID = "paid"
CREDIT_NOTE = "credit note"
"""The reasons of invoices with nothing to pay: the sheet's status says "Paid" / "Credit
note" for them and leaves their reminder cells empty (sheetview.py keys on these)."""


def fmt_days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def overdue_text(days: int) -> str:
    """How late an invoice is: "12 days overdue", "due today", "due in 2 days"."""
    if days > 0:
        return reason(f"{fmt_days(days)} overdue", "overdue", days=days)
    if days == 0:
        return reason("due today", "due_today")
    return reason(f"due in {fmt_days(-days)}", "due_in", days=-days)


def cadence_text(since: int, last: Contact, when: date) -> str:
    """Why a debtor waits: the last reminder was `since` days ago; the next is due `when`."""
    if since < 0:
        text = f"a reminder is recorded for a later date ({last.day.isoformat()})"
        return reason(text, "later_record", day=last.day)
    if since > 0:
        done = f"waiting between reminders: last one ({last.tier}) {fmt_days(since)} ago"
    else:
        done = f"already reminded today ({last.tier})"
    text = f"{done}; next on {when.isoformat()} at the earliest"
    key = "cadence" if since > 0 else "reminded_today"
    return reason(text, key, tier=last.tier, days=since, when=when)


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
    `xlsdun resolve CUSTOMER --replied`, or a Promise date / Hold until in the sheet); keyed
    "replied…" for the owner's language, the reply's own line kept as it came."""
    text = f"replied on {short_day(reply.day)}"
    key = "replied_paid" if paid else "replied"
    if reply.first_line:
        text += f": {reply.first_line}"
    else:
        key += "_plain"
    if paid:
        text += "; check whether paid"
    return reason(text, key, on=reply.day, line=reply.first_line)


def bounced_text(bounce: Bounce) -> str:
    """Why a debtor is on the call list: "address bounced: <the server's reason>" (the
    server's words kept as they came)."""
    if not bounce.reason:
        return reason("address bounced", "bounced_plain")
    return reason(f"address bounced: {bounce.reason}", "bounced", server=bounce.reason)
