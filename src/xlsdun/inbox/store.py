"""The inbox's side of the ledger (migration 5): where each folder was read up to, each
message processed, bad addresses, and replies until the owner handles them.

A message is recorded with everything it changes in one transaction that also moves the
folder's last UID, so a run killed half-way leaves each message either wholly done or not
at all, and the next run takes up exactly the ones not done. `inbox_messages` is unique by
folder + UIDVALIDITY + UID and by Message-ID: the same mail in two folders, or read again
after a UIDVALIDITY change, is processed once.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from ..ledger import Ledger
from ..models import Bounce, Reply


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class Processed:
    """One message as sorted out, ready to record: what it is, whose, and what it changes."""

    folder: str
    uidvalidity: int
    uid: int
    message_id: str | None
    today: date
    kind: str  # bounce | delayed | auto_reply | reply | unmatched | own
    debtor: str | None = None
    customer: str | None = None
    sender: str = ""
    detail: str = ""
    bad: tuple[tuple[str, str], ...] = ()  # (address, cell) pairs that bounced
    reply: ReplyRecord | None = None


@dataclass(frozen=True, slots=True)
class ReplyRecord:
    day: date
    email: str | None
    lines: tuple[str, ...]
    paid_hint: bool = False
    promise_hint: date | None = None
    sheet_dates: tuple[date, ...] = ()  # the debtor's Promise date / Hold until cells then


@dataclass(frozen=True, slots=True)
class Finding:
    """A processed message as the digest shows it."""

    kind: str
    customer: str | None
    sender: str
    detail: str
    lines: tuple[str, ...] = ()
    paid_hint: bool = False
    promise_hint: date | None = None
    handled: bool = False


@dataclass(frozen=True, slots=True)
class SentIndex:
    """The ledger's sends as the matcher needs them: Message-ID -> (debtor, customer,
    address), and each address reminded -> its debtors."""

    by_message_id: dict[str, tuple[str, str, str | None]] = field(default_factory=dict)
    by_address: dict[str, set[str]] = field(default_factory=dict)
    customers: dict[str, str] = field(default_factory=dict)


def folder_state(ledger: Ledger, folder: str) -> tuple[int, int] | None:
    """(UIDVALIDITY, last UID processed) of `folder`, or None if it was never read."""
    row = ledger.db.execute(
        "SELECT uidvalidity, last_uid FROM inbox_folders WHERE folder = ?", (folder,)
    ).fetchone()
    return (int(row[0]), int(row[1])) if row else None


def start_folder(
    ledger: Ledger, folder: str, uidvalidity: int, known: tuple[int, int] | None
) -> int | None:
    """The last UID processed in `folder` under this UIDVALIDITY (`known`: its
    `folder_state`); a new or changed UIDVALIDITY starts the folder over (its messages known
    by Message-ID stay done)."""
    if known is not None and known[0] == uidvalidity:
        return known[1]
    with ledger.transaction() as db:
        db.execute(
            "INSERT INTO inbox_folders (folder, uidvalidity, last_uid, updated_at) "
            "VALUES (?, ?, 0, ?) ON CONFLICT (folder) DO UPDATE SET "
            "uidvalidity = excluded.uidvalidity, last_uid = 0, updated_at = excluded.updated_at",
            (folder, uidvalidity, _now()),
        )
    return None


def record(ledger: Ledger, p: Processed) -> bool:
    """Record one message and all it changes, and move the folder's last UID, in one
    commit. False (and only the UID moved) if it was processed before."""
    with ledger.transaction() as db:
        _advance(db, p)
        try:
            cur = db.execute(
                "INSERT INTO inbox_messages (folder, uidvalidity, uid, message_id, today, kind, "
                "debtor, customer, sender, detail, processed_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    p.folder,
                    p.uidvalidity,
                    p.uid,
                    p.message_id,
                    p.today.isoformat(),
                    p.kind,
                    p.debtor,
                    p.customer,
                    p.sender,
                    p.detail,
                    _now(),
                ),
            )
        except sqlite3.IntegrityError:  # the same message (UID or Message-ID) once already
            return False
        _effects(db, p, int(cur.lastrowid or 0))
    return True


def _advance(db: sqlite3.Connection, p: Processed) -> None:
    db.execute(
        "UPDATE inbox_folders SET last_uid = MAX(last_uid, ?), updated_at = ? "
        "WHERE folder = ? AND uidvalidity = ?",
        (p.uid, _now(), p.folder, p.uidvalidity),
    )


def _effects(db: sqlite3.Connection, p: Processed, message: int) -> None:
    """A bounce's bad addresses, a reply's row."""
    for address, cell in p.bad:
        db.execute(
            "INSERT INTO bad_addresses (address, cell, debtor, reason, seen_at, message) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (address, cell) DO UPDATE SET "
            "reason = excluded.reason, seen_at = excluded.seen_at, message = excluded.message",
            (address, cell, p.debtor, p.detail, p.today.isoformat(), message),
        )
    r = p.reply
    if r is not None and p.debtor is not None:
        db.execute(
            "INSERT INTO replies (debtor, customer, email, day, first_lines, paid_hint, "
            "promise_hint, sheet_dates, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                p.debtor,
                p.customer or "",
                r.email,
                r.day.isoformat(),
                json.dumps(list(r.lines), ensure_ascii=False),
                int(r.paid_hint),
                r.promise_hint.isoformat() if r.promise_hint else None,
                json.dumps(sorted(d.isoformat() for d in r.sheet_dates)),
                message,
            ),
        )


# -- what the plan and the owner read ---------------------------------------------------------


def sent_index(ledger: Ledger) -> SentIndex:
    """Every send's Message-ID and address, for matching replies and bounces."""
    index = SentIndex()
    rows = ledger.db.execute(
        "SELECT debtor, customer, email, message_id FROM sends WHERE message_id IS NOT NULL"
    )
    for debtor, customer, address, message_id in rows:
        index.by_message_id[message_id] = (debtor, customer, address)
        index.customers[debtor] = customer
        if address:
            index.by_address.setdefault(address.casefold(), set()).add(debtor)
    return index


def unhandled_replies(ledger: Ledger) -> dict[str, tuple[Reply, ...]]:
    """{debtor: replies the owner has not dealt with}, oldest first."""
    found: dict[str, list[Reply]] = defaultdict(list)
    rows = ledger.db.execute(
        "SELECT debtor, day, first_lines, paid_hint, promise_hint, sheet_dates FROM replies "
        "WHERE handled_at IS NULL ORDER BY day, id"
    )
    for debtor, day, lines, paid_hint, promise, dates in rows:
        first = json.loads(lines)
        found[debtor].append(
            Reply(
                day=date.fromisoformat(day),
                first_line=first[0] if first else "",
                paid_hint=bool(paid_hint),
                promise_hint=date.fromisoformat(promise) if promise else None,
                sheet_dates=frozenset(date.fromisoformat(d) for d in json.loads(dates)),
            )
        )
    return {k: tuple(v) for k, v in found.items()}


def bad_addresses(ledger: Ledger) -> dict[str, Bounce]:
    """{address: its latest bounce}: no more mail to any of them while a cell holds it."""
    found: dict[str, Bounce] = {}
    for address, reason, seen_at in ledger.db.execute(
        "SELECT address, reason, seen_at FROM bad_addresses ORDER BY seen_at"
    ):
        found[address] = Bounce(address, reason, date.fromisoformat(seen_at))
    return found


def handle_replies(ledger: Ledger, debtors: Iterable[str], by: str) -> int:
    """Mark the debtors' replies handled (`by`: "resolve" or what in the sheet did it)."""
    with ledger.transaction() as db:
        return sum(
            db.execute(
                "UPDATE replies SET handled_at = ?, handled_by = ? "
                "WHERE debtor = ? AND handled_at IS NULL",
                (_now(), by, debtor),
            ).rowcount
            for debtor in debtors
        )


def findings_on(ledger: Ledger, today: date) -> list[Finding]:
    """What the runs of `today` found in the inbox, in the order processed."""
    rows = ledger.db.execute(
        "SELECT m.kind, m.customer, m.sender, m.detail, r.first_lines, r.paid_hint, "
        "r.promise_hint, r.handled_at FROM inbox_messages m LEFT JOIN replies r "
        "ON r.message = m.id WHERE m.today = ? ORDER BY m.id",
        (today.isoformat(),),
    )
    return [
        Finding(
            kind=kind,
            customer=customer,
            sender=sender,
            detail=detail,
            lines=tuple(json.loads(lines)) if lines else (),
            paid_hint=bool(paid_hint),
            promise_hint=date.fromisoformat(promise) if promise else None,
            handled=handled is not None,
        )
        for kind, customer, sender, detail, lines, paid_hint, promise, handled in rows
    ]


def pending_replies(ledger: Ledger) -> list[sqlite3.Row]:
    """Every unhandled reply, with its customer, for the owner (resolve, the digest)."""
    return ledger.db.execute(
        "SELECT id, debtor, customer, email, day, first_lines, paid_hint, promise_hint "
        "FROM replies WHERE handled_at IS NULL ORDER BY day, id"
    ).fetchall()
