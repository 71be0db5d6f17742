"""The digest's "Replies and bounces" section: every reply still waiting for the owner (its
first lines, the quoted reminder stripped, and its hints), and what today's runs found in
the inbox (bounces, auto-replies, mail from nobody known). Plain values, from the ledger,
in the owner's language (owner_words: "inbox.*"); what the debtor or their mail server
wrote is shown as it came.
"""

from __future__ import annotations

import json
import shlex
import sqlite3
from dataclasses import dataclass
from datetime import date

from ..ledger import Ledger
from ..owner_words import Words
from . import store
from .classify import OUT_OF_OFFICE, UNDELIVERABLE

_FOUND = ("bounce", "delayed", "auto_reply", "unmatched", "unreadable")
"""The kinds of today's inbox findings the section lists (owner_words "inbox.found.<kind>")."""

_WITH_DETAIL = ("bounce", "auto_reply")
"""The findings whose detail (the server's reason, the auto-reply's) the owner should read."""

_OWN_DETAILS = {
    OUT_OF_OFFICE: "inbox.detail.out_of_office",
    UNDELIVERABLE: "inbox.detail.undeliverable",
}
"""The details xlsdun words itself (classify.py's constants) -> their owner_words key."""


@dataclass(frozen=True, slots=True)
class InboxLine:
    """One line of the section: whose, what (in the owner's words), the reply's first lines,
    the hints; `kind` and `key` are data, for code (`key` names the line in `needs`)."""

    customer: str
    what: str  # the whole line: label and detail
    kind: str  # "reply", or one of _FOUND
    key: str
    label: str = ""  # what happened, in the owner's words
    detail: str = ""  # what a server or an auto-reply said, as it came
    lines: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()
    command: str = ""  # a waiting reply: the command that marks it handled

    @property
    def needs_owner(self) -> bool:
        """A waiting reply or a bounce: something only the owner can deal with."""
        return self.kind in ("reply", "bounce")


def inbox_lines(ledger: Ledger, today: date, w: Words) -> list[InboxLine]:
    """Replies waiting for the owner first, then what today's runs found besides."""
    out = [_waiting(row, w) for row in store.pending_replies(ledger)]
    for f in store.findings_on(ledger, today):
        if f.kind in _FOUND:
            who = f.customer or f.sender or w("inbox.unknown_sender")
            label = w(f"inbox.found.{f.kind}")
            detail = f.detail if f.kind in _WITH_DETAIL else ""
            if detail in _OWN_DETAILS:
                detail = w(_OWN_DETAILS[detail])
            what = w("inbox.with_detail", what=label, detail=detail) if detail else label
            out.append(InboxLine(who, what, f.kind, f"{f.kind}:{f.detail}", label, detail))
    return out


def _waiting(r: sqlite3.Row, w: Words) -> InboxLine:
    day = date.fromisoformat(r["day"])
    customer = str(r["customer"])
    hints = []
    if r["promise_hint"]:
        when = date.fromisoformat(r["promise_hint"])
        hints.append(w("inbox.hint.promise", day=w.day(when)))
    if r["paid_hint"]:
        hints.append(w("inbox.hint.paid"))
    what = w("inbox.replied", day=w.day(day))
    return InboxLine(
        customer,
        what,
        "reply",
        f"reply:{day.isoformat()}",
        label=what,
        lines=tuple(json.loads(r["first_lines"])),
        hints=tuple(hints),
        command=f"xlsdun resolve {shlex.quote(customer)} --replied",
    )
