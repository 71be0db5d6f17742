"""The ledger: contact history and each send's state, in SQLite (WAL, synchronous=FULL).

It is the source of truth: the workbook is only a view of it. A send moves
pending -> sending -> sent | failed | deferred (written_to_outbox for the outbox), and
`sending` is committed before the message leaves, so a crash mid-send is found on the next
start and turned into `ambiguous`: never resent automatically, shown to the owner.
Every change of state goes through one guarded UPDATE that only matches a row whose state
may move there (send_state.TRANSITIONS); the schema is versioned (ledger_schema.py).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple, cast

from . import models
from .deliver.base import SendResult
from .ledger_schema import migrate
from .models import Action, Contact, DebtorHistory, Delivery
from .private import opener, private_dir
from .send_state import (
    CONTACT_STATES,
    INITIAL,
    SOURCES,
    SendState,
    TransitionError,
    check,
    known,
    resolved,
    settled,
)

RESEND_DETAIL = "to be sent again (xlsdun resolve --resend)"
DIGEST_SENT = ""  # the item that records "a digest went to this owner today"
AMBIGUOUS_DETAIL = (
    "the run stopped while this message was being sent; it may or may not have arrived. "
    "Check, then run 'xlsdun resolve'"
)
_REPORTED_AS: dict[SendState, models.Outcome] = {
    SendState.SENDING: "ambiguous",
    SendState.PENDING: "deferred",
}
"""How a run reports a send an earlier run of the day left unfinished."""
_CONTACTS = tuple(sorted(CONTACT_STATES))  # as SQL parameters, in a stable order
_CONTACT_MARKS = ", ".join("?" * len(_CONTACTS))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _json_balance(balance: dict[str, Decimal]) -> str:
    return json.dumps({k: str(v) for k, v in balance.items()}, sort_keys=True)


class Outcome(NamedTuple):
    """Where a debtor's send of one day stands: what the sheet's status cell says of it."""

    state: SendState
    tier: str | None
    variant: str
    detail: str


class SendBrief(NamedTuple):
    """The few fields of a send the owner digest lists (sendbriefs)."""

    id: int
    today: date
    debtor: str
    customer: str
    tier: str | None
    variant: str
    state: SendState


@dataclass(frozen=True, slots=True)
class SendRecord:
    id: int
    run_id: str
    today: date
    debtor: str
    customer: str
    email: str | None
    tier: str | None
    variant: str
    invoices: tuple[str, ...]
    balance: dict[str, Decimal]
    state: SendState
    message_id: str | None
    detail: str
    path: str | None
    logged: bool
    updated_at: str
    envelope: str | None = None  # JSON: {"from", "to", "refused"} as offered to the server

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> SendRecord:
        return cls(
            id=row["id"],
            run_id=row["run_id"],
            today=date.fromisoformat(row["today"]),
            debtor=row["debtor"],
            customer=row["customer"],
            email=row["email"],
            tier=row["tier"],
            variant=row["variant"],
            invoices=tuple(json.loads(row["invoices"])),
            balance={k: Decimal(v) for k, v in json.loads(row["balance"]).items()},
            state=SendState(row["state"]),
            message_id=row["message_id"],
            detail=row["detail"],
            path=row["path"],
            logged=bool(row["logged"]),
            updated_at=row["updated_at"],
            envelope=row["envelope"],
        )


class Ledger:
    """One SQLite file per workbook, in the state dir, readable by the user only.

    Opening it brings its schema up to date (ledger_schema.migrate); a ledger written by a
    newer xlsdun is refused (LedgerTooNew, exit 2)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        private_dir(self.path.parent)
        if not self.path.exists():  # created private before SQLite writes a byte; the WAL
            os.close(opener(self.path, os.O_WRONLY | os.O_CREAT))  # inherits its mode
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        try:
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            migrate(self.db, self.path)
        except BaseException:
            self.db.close()
            raise

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Group several writes into one commit (one fsync): used by the outbox's batches,
        where the order of commits, not their number, carries the exactly-once guarantee."""
        with self._tx() as db:
            yield db

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        if self.db.in_transaction:  # inside transaction(): the outer block commits
            yield self.db
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- runs -------------------------------------------------------------------------------

    def start_run(self, run_id: str, today: date) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO runs (run_id, today, started_at, pid) VALUES (?, ?, ?, ?)",
                (run_id, today.isoformat(), _now(), os.getpid()),
            )

    def finish_run(self, run_id: str, exit_code: int, summary: dict[str, object]) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE runs SET finished_at = ?, status = 'finished', exit_code = ?, summary = ? "
                "WHERE run_id = ?",
                (_now(), exit_code, json.dumps(summary, sort_keys=True), run_id),
            )

    def last_finished_run(self) -> sqlite3.Row | None:
        return self.db.execute(
            "SELECT * FROM runs WHERE status = 'finished' ORDER BY started_at DESC LIMIT 1"
        ).fetchone()

    def latest_run_day(self) -> date | None:
        """The latest date any finished run was made as of (`--today` included)."""
        row = self.db.execute("SELECT MAX(today) FROM runs WHERE status = 'finished'").fetchone()
        return date.fromisoformat(row[0]) if row and row[0] else None

    def finished_run_on(self, today: date) -> sqlite3.Row | None:
        """The last finished run for `today`: the scheduler's memory of whether it is done."""
        return self.db.execute(
            "SELECT * FROM runs WHERE status = 'finished' AND today = ? "
            "ORDER BY started_at DESC LIMIT 1",
            (today.isoformat(),),
        ).fetchone()

    def state_counts(self, today: date) -> dict[str, int]:
        """How many of `today`'s sends are in each state (the owner digest's numbers)."""
        rows = self.db.execute(
            "SELECT state, COUNT(*) FROM sends WHERE today = ? GROUP BY state ORDER BY state",
            (today.isoformat(),),
        )
        return {state: n for state, n in rows}

    # -- crash recovery ----------------------------------------------------------------------

    def recover(
        self, outbox_has: Callable[[str | None], str | None] | None = None
    ) -> list[tuple[SendRecord, SendState]]:
        """Sends left in `sending` by a crash. Outbox ones are settled by looking at the
        outbox (a local, atomic write); anything else becomes `ambiguous`."""
        stuck = [
            SendRecord.from_row(r)
            for r in self.db.execute(
                "SELECT * FROM sends WHERE state = ?", (SendState.SENDING,)
            ).fetchall()
        ]
        changed = []
        with self._tx() as db:
            for rec in stuck:
                backend = db.execute("SELECT backend FROM sends WHERE id = ?", (rec.id,)).fetchone()
                if backend[0] == "outbox" and outbox_has is not None:
                    found = outbox_has(rec.message_id)
                    state = SendState.WRITTEN_TO_OUTBOX if found else SendState.PENDING
                    detail = "recovered after a crash" if found else "not written before a crash"
                    self._move(db, rec.id, state, "path = ?, detail = ?", (found or None, detail))
                else:
                    state = SendState.AMBIGUOUS
                    self._move(db, rec.id, state, "detail = ?", (AMBIGUOUS_DETAIL,))
                changed.append((rec, state))
        return changed

    # -- sends --------------------------------------------------------------------------------

    def existing(self, debtor: str, today: date) -> SendRecord | None:
        row = self.db.execute(
            "SELECT * FROM sends WHERE debtor = ? AND today = ?", (debtor, today.isoformat())
        ).fetchone()
        return SendRecord.from_row(row) if row else None

    def done_today(self, action: Action, today: date) -> Delivery:
        """What already happened to today's send for this debtor, as this run reports it."""
        rec = self.existing(action.debtor, today)
        assert rec is not None
        # the ledger's other states are outcomes
        outcome = _REPORTED_AS.get(rec.state, cast(models.Outcome, rec.state.value))
        return Delivery(
            action,
            outcome,
            rec.message_id,
            f"already done today: {rec.state.value}",
            rec.path,
            earlier=True,
        )

    def record(self, send_id: int, action: Action, message_id: str, result: SendResult) -> Delivery:
        """A backend's answer for one message, stored with its envelope; as the run reports it."""
        self.mark(
            send_id,
            result.outcome,
            message_id=message_id,
            detail=result.detail,
            envelope=result.envelope,
            path=result.path,
        )
        return Delivery(action, result.outcome, message_id, result.detail, result.path)

    def begin(self, run_id: str, today: date, action: Action, backend: str) -> int | None:
        """Record a planned send as `pending`; None if today's send for this debtor is done."""
        with self._tx() as db:
            row = db.execute(
                "SELECT id, state, message_id FROM sends WHERE debtor = ? AND today = ?",
                (action.debtor, today.isoformat()),
            ).fetchone()
            values = (
                run_id,
                action.customer,
                action.email,
                action.tier,
                action.variant,
                json.dumps(list(action.invoice_ids)),
                _json_balance(action.balance),
                backend,
            )
            if row is None:
                now = _now()
                cur = db.execute(
                    "INSERT INTO sends (run_id, customer, email, tier, variant, invoices, balance, "
                    "backend, debtor, today, state, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*values, action.debtor, today.isoformat(), INITIAL, now, now),
                )
                return cur.lastrowid
            if settled(row["state"], row["message_id"]):
                return None
            sets = "run_id = ?, customer = ?, email = ?, tier = ?, variant = ?, invoices = ?, "
            self._move(
                db, row["id"], INITIAL, sets + "balance = ?, backend = ?, logged = 0", values
            )
            return int(row["id"])

    def mark(
        self,
        send_id: int,
        state: str,
        *,
        message_id: str | None = None,
        detail: str | None = None,
        envelope: str | None = None,
        path: str | None = None,
        subject: str | None = None,
    ) -> None:
        """Move a send to its next state, committed (and fsynced) before returning.

        A move send_state.TRANSITIONS does not allow, or an unknown state, raises
        TransitionError and changes nothing."""
        with self._tx() as db:
            self._move(
                db,
                send_id,
                state,
                "message_id = COALESCE(?, message_id), detail = COALESCE(?, detail), "
                "envelope = COALESCE(?, envelope), path = COALESCE(?, path), "
                "subject = COALESCE(?, subject), logged = 0",
                (message_id, detail, envelope, path, subject),
            )

    def _move(
        self,
        db: sqlite3.Connection,
        send_id: int,
        state: str,
        sets: str,
        args: tuple[object, ...],
        *,
        only_from: frozenset[SendState] | None = None,
    ) -> bool:
        """The one place a send's state changes: an UPDATE of `state`, `sets` and updated_at
        that only matches the row if its state may move to `state`. A refused move raises
        TransitionError naming both states; with `only_from` it returns False instead."""
        to = known(state)
        if to is not None:
            froms = sorted(SOURCES[to] if only_from is None else SOURCES[to] & only_from)
            cur = db.execute(
                f"UPDATE sends SET state = ?, {sets}, updated_at = ? "
                f"WHERE id = ? AND state IN ({', '.join('?' * len(froms))})",
                (to, *args, _now(), send_id, *froms),
            )
            if cur.rowcount == 1 or only_from is not None:
                return cur.rowcount == 1
        row = db.execute("SELECT state FROM sends WHERE id = ?", (send_id,)).fetchone()
        if row is None:
            raise TransitionError(f"send {send_id}: no such send to move to {str(state)!r}")
        check(send_id, row[0], state)  # raises: the UPDATE matched no row
        raise AssertionError(f"send {send_id}: {row[0]!r} -> {str(state)!r} allowed, not made")

    def sends(
        self, *, states: tuple[str, ...] | None = None, today: date | None = None
    ) -> list[SendRecord]:
        where: list[str] = []
        args: list[str] = []
        if states:
            where.append(f"state IN ({', '.join('?' * len(states))})")
            args.extend(states)
        if today is not None:
            where.append("today = ?")
            args.append(today.isoformat())
        sql = "SELECT * FROM sends" + (f" WHERE {' AND '.join(where)}" if where else "")
        return [SendRecord.from_row(r) for r in self.db.execute(sql + " ORDER BY id", args)]

    def briefs(self, *, states: tuple[str, ...], today: date | None = None) -> list[SendBrief]:
        """`sends(states=..., today=...)` with only what the digest lists. A full SendRecord
        is about 1 KB (balance, invoices, paths), and the digest held two lists of 40,000 at
        once: its rise of ~90 MB, the run's peak, is gone (552 -> 523 MB at 200,000 invoices)."""
        sql = (
            "SELECT id, today, debtor, customer, tier, variant, state FROM sends "
            f"WHERE state IN ({', '.join('?' * len(states))})"
        )
        args = [*states]
        if today is not None:
            sql += " AND today = ?"
            args.append(today.isoformat())
        days: dict[str, date] = {}
        found = []
        for id_, day, debtor, customer, tier, variant, state in self.db.execute(
            sql + " ORDER BY id", args
        ):
            if day not in days:
                days[day] = date.fromisoformat(day)
            found.append(
                SendBrief(id_, days[day], debtor, customer, tier, variant, SendState(state))
            )
        return found

    def outcomes_on(self, today: date) -> dict[str, Outcome]:
        """{debtor: outcome} of the day's sends; debtors with the same outcome share one
        object (a 200,000-invoice run has 40,000 of them and a handful of outcomes)."""
        rows = self.db.execute(
            "SELECT debtor, state, tier, variant, detail FROM sends WHERE today = ? ORDER BY id",
            (today.isoformat(),),
        )
        shared: dict[tuple[str, str | None, str, str], Outcome] = {}
        outcomes = {}
        for debtor, state, tier, variant, detail in rows:
            key = (state, tier, variant, detail)
            if (outcome := shared.get(key)) is None:
                outcome = shared[key] = Outcome(SendState(state), tier, variant, detail)
            outcomes[debtor] = outcome
        return outcomes

    def unlogged(self) -> Iterator[SendRecord]:
        """The sends not yet in the workbook's log, one at a time (40,000 records at once
        weigh more than the log lines made from them)."""
        rows = self.db.execute(
            "SELECT * FROM sends WHERE logged = 0 AND state != ? ORDER BY id", (SendState.PENDING,)
        )
        return map(SendRecord.from_row, rows)

    def mark_logged(self, ids: list[int]) -> None:
        with self._tx() as db:
            db.executemany("UPDATE sends SET logged = 1 WHERE id = ?", [(i,) for i in ids])

    def resolve_ambiguous(self, send_id: int, *, arrived: bool) -> bool:
        """The owner's answer for an `ambiguous` send: it arrived (`sent`), or it did not
        (`deferred`: no longer a contact, so the next run sends it). False if not ambiguous."""
        state = resolved(arrived)
        detail = (
            "confirmed as arrived by the owner (xlsdun resolve --sent)"
            if arrived
            else RESEND_DETAIL
        )
        sets = "detail = ?, logged = 0" + ("" if arrived else ", retracted = 1")
        only = frozenset({SendState.AMBIGUOUS})
        with self._tx() as db:
            return self._move(db, send_id, state, sets, (detail,), only_from=only)

    def resent_debtors(self) -> set[str]:
        """Debtors whose possible contact the owner retracted (`resolve --resend`). The sheet's
        `Last reminder` may still show that contact (xlsdun wrote it); it must not count, also
        once a rerun has taken the send again and not sent it (its state and detail change)."""
        rows = self.db.execute("SELECT DISTINCT debtor FROM sends WHERE retracted = 1")
        return {r[0] for r in rows}

    # -- approvals and history --------------------------------------------------------------

    def approve(self, debtor: str, tier: str, invoices: tuple[str, ...]) -> None:
        """The owner's go-ahead for `tier` about these invoices (not for a later, new debt)."""
        with self._tx() as db:
            db.executemany(
                "INSERT OR REPLACE INTO approvals (debtor, tier, invoice, approved_at) "
                "VALUES (?, ?, ?, ?)",
                [(debtor, tier, invoice, _now()) for invoice in invoices],
            )

    def history(self) -> dict[str, DebtorHistory]:
        """Every debtor's contacts (sent, in the outbox, or possibly sent) and approvals.

        Days, tiers and empty sets repeat across debtors and share one object each: with
        40,000 debtors this halves the history's memory."""
        contacts: dict[str, list[Contact]] = defaultdict(list)
        thanked: dict[str, set[str]] = defaultdict(set)
        days: dict[str, date] = {}
        names: dict[str, str] = {}
        for debtor, day, tier, variant, message_id, invoices_json, subject in self.db.execute(
            f"SELECT debtor, today, tier, variant, message_id, invoices, subject FROM sends "
            f"WHERE state IN ({_CONTACT_MARKS}) ORDER BY today, id",
            _CONTACTS,
        ):
            invoices = tuple(json.loads(invoices_json))
            if variant == "thank_you":
                thanked[debtor].update(invoices)
                continue
            if day not in days:
                days[day] = date.fromisoformat(day)
            contacts[debtor].append(
                Contact(
                    day=days[day],
                    tier=names.setdefault(tier, tier),
                    variant=names.setdefault(variant, variant),  # type: ignore[arg-type]
                    message_id=message_id,
                    invoices=invoices,
                    subject=subject,
                )
            )
        approvals: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for row in self.db.execute("SELECT debtor, tier, invoice FROM approvals"):
            approvals[row["debtor"]].add((row["tier"], row["invoice"]))
        none: frozenset[str] = frozenset()
        return {
            k: DebtorHistory(
                contacts=tuple(contacts.get(k, ())),
                approvals=frozenset(approvals[k]) if k in approvals else none,  # type: ignore[arg-type]
                thanked_invoices=frozenset(thanked[k]) if k in thanked else none,
            )
            for k in {*contacts, *approvals, *thanked}
        }

    # -- owner digests ------------------------------------------------------------------------

    def digest_items(self, today: date, owner: str) -> set[str] | None:
        """What the owner was already told needs them today; None if no digest went yet."""
        rows = self.db.execute(
            "SELECT item FROM digest_items WHERE today = ? AND owner = ?",
            (today.isoformat(), owner.casefold()),
        ).fetchall()
        return {r[0] for r in rows if r[0] != DIGEST_SENT} if rows else None

    def record_digest(self, today: date, owner: str, items: set[str]) -> None:
        with self._tx() as db:
            db.executemany(
                "INSERT OR IGNORE INTO digest_items (today, owner, item, sent_at) "
                "VALUES (?, ?, ?, ?)",
                [(today.isoformat(), owner.casefold(), i, _now()) for i in {DIGEST_SENT, *items}],
            )

    def sent_on(self, today: date) -> int:
        """Messages that count against the day's limit: every contact made or maybe made."""
        return self.db.execute(
            f"SELECT COUNT(*) FROM sends WHERE today = ? AND state IN ({_CONTACT_MARKS})",
            (today.isoformat(), *_CONTACTS),
        ).fetchone()[0]
