"""The digest's "Replies and bounces" section: every reply still waiting for the owner (its
first lines, the quoted reminder stripped, and its hints), and what today's runs found in
the inbox (bounces, auto-replies, mail from nobody known). Plain values, from the ledger.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from datetime import date

from ..ledger import Ledger
from ..policy.wording import short_day
from . import store

_FOUND = {
    "bounce": "bounced",
    "delayed": "delivery delayed (not a bounce: nothing changes)",
    "auto_reply": "auto-reply, ignored",
    "unmatched": "from nobody in the workbook, left alone",
    "unreadable": "could not be read, left alone",
}


@dataclass(frozen=True, slots=True)
class InboxLine:
    """One line of the section: whose, what, the reply's first lines, the hints."""

    customer: str
    what: str
    lines: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()


def inbox_lines(ledger: Ledger, today: date) -> list[InboxLine]:
    """Replies waiting for the owner first, then what today's runs found besides."""
    out = [_waiting(row) for row in store.pending_replies(ledger)]
    for f in store.findings_on(ledger, today):
        if f.kind in _FOUND:
            who = f.customer or f.sender or "unknown sender"
            detail = f": {f.detail}" if f.detail and f.kind in ("bounce", "auto_reply") else ""
            out.append(InboxLine(who, f"{_FOUND[f.kind]}{detail}"))
    return out


def _waiting(row: object) -> InboxLine:
    r = row  # sqlite3.Row
    day = date.fromisoformat(r["day"])  # type: ignore[index]
    customer = str(r["customer"])  # type: ignore[index]
    hints = []
    if r["promise_hint"]:  # type: ignore[index]
        when = date.fromisoformat(r["promise_hint"])  # type: ignore[index]
        hints.append(
            f"suggested promise date: {short_day(when)} {when.year} (write it in Promise date "
            f"if they agreed to it)"
        )
    if r["paid_hint"]:  # type: ignore[index]
        hints.append("says it paid: check whether the payment arrived")
    hints.append(
        f"once dealt with: xlsdun resolve {shlex.quote(customer)} --replied "
        f"(or a Promise date / Hold until in the sheet)"
    )
    return InboxLine(
        customer,
        f"replied on {short_day(day)}",
        tuple(json.loads(r["first_lines"])),  # type: ignore[index]
        tuple(hints),
    )
