"""The ledger: contact history and each send's state, in SQLite (WAL, synchronous=FULL).

It is the source of truth: the workbook is only a view of it. A send moves
pending -> sending -> sent | failed | deferred (written_to_outbox for the outbox), and
`sending` is committed before the message leaves, so a crash mid-send is found on the next
start and turned into `ambiguous`: never resent automatically, shown to the owner.
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
from .models import Action, Contact, DebtorHistory, Delivery
from .private import opener, private_dir

CONTACT_STATES = ("sent", "written_to_outbox", "ambiguous", "sending")
RESEND_DETAIL = "to be sent again (xlsdun resolve --resend)"
DONE_STATES = (*CONTACT_STATES, "failed")

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    today TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    pid INTEGER,
    status TEXT NOT NULL DEFAULT 'running',
    exit_code INTEGER,
    summary TEXT
);
CREATE TABLE IF NOT EXISTS sends (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL,
    today TEXT NOT NULL,
    debtor TEXT NOT NULL,
    customer TEXT NOT NULL,
    email TEXT,
    tier TEXT,
    variant TEXT NOT NULL DEFAULT 'standard',
    invoices TEXT NOT NULL,
    balance TEXT NOT NULL,
    state TEXT NOT NULL,
    backend TEXT,
    message_id TEXT,
    envelope TEXT,
    detail TEXT NOT NULL DEFAULT '',
    path TEXT,
    logged INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (debtor, today)
);
CREATE INDEX IF NOT EXISTS sends_by_state ON sends (state);
CREATE TABLE IF NOT EXISTS approvals (
    debtor TEXT NOT NULL,
    tier TEXT NOT NULL,
    invoice TEXT NOT NULL,
    approved_at TEXT NOT NULL,
    PRIMARY KEY (debtor, tier, invoice)
);
CREATE TABLE IF NOT EXISTS digest_items (
    today TEXT NOT NULL,
    owner TEXT NOT NULL,
    item TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (today, owner, item)
);
"""
DIGEST_SENT = ""  # the item that records "a digest went to this owner today"


def settled(state: str, message_id: str | None) -> bool:
    """Whether today's send for a debtor is done with. A failure before the message was built
    (a missing attachment) reached no server: once the owner fixes it, a rerun may try again."""
    if state == "failed" and message_id is None:
        return False
    return state in DONE_STATES


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _json_balance(balance: dict[str, Decimal]) -> str:
    return json.dumps({k: str(v) for k, v in balance.items()}, sort_keys=True)


class Outcome(NamedTuple):
    """Where a debtor's send of one day stands: what the sheet's status cell says of it."""

    state: str
    tier: str | None
    variant: str
    detail: str


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
    state: str
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
            state=row["state"],
            message_id=row["message_id"],
            detail=row["detail"],
            path=row["path"],
            logged=bool(row["logged"]),
            updated_at=row["updated_at"],
            envelope=row["envelope"],
        )


class Ledger:
    """One SQLite file per workbook, in the state dir, readable by the user only."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        private_dir(self.path.parent)
        if not self.path.exists():  # created private before SQLite writes a byte; the WAL
            os.close(opener(self.path, os.O_WRONLY | os.O_CREAT))  # inherits its mode
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)

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
    ) -> list[tuple[SendRecord, str]]:
        """Sends left in `sending` by a crash. Outbox ones are settled by looking at the
        outbox (a local, atomic write); anything else becomes `ambiguous`."""
        stuck = [
            SendRecord.from_row(r)
            for r in self.db.execute("SELECT * FROM sends WHERE state = 'sending'").fetchall()
        ]
        changed = []
        with self._tx() as db:
            for rec in stuck:
                backend = db.execute("SELECT backend FROM sends WHERE id = ?", (rec.id,)).fetchone()
                if backend[0] == "outbox" and outbox_has is not None:
                    found = outbox_has(rec.message_id)
                    state = "written_to_outbox" if found else "pending"
                    detail = "recovered after a crash" if found else "not written before a crash"
                    db.execute(
                        "UPDATE sends SET state = ?, path = ?, detail = ?, updated_at = ? "
                        "WHERE id = ?",
                        (state, found or None, detail, _now(), rec.id),
                    )
                else:
                    state = "ambiguous"
                    db.execute(
                        "UPDATE sends SET state = 'ambiguous', detail = ?, updated_at = ? "
                        "WHERE id = ?",
                        (
                            "the run stopped while this message was being sent; it may or may "
                            "not have arrived. Check, then run 'xlsdun resolve'",
                            _now(),
                            rec.id,
                        ),
                    )
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
        outcome = {"sending": "ambiguous", "pending": "deferred"}.get(rec.state, rec.state)
        return Delivery(
            action,
            cast(models.Outcome, outcome),  # the ledger's other states are outcomes
            rec.message_id,
            f"already done today: {rec.state}",
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
                _now(),
            )
            if row is None:
                cur = db.execute(
                    "INSERT INTO sends (run_id, customer, email, tier, variant, invoices, balance, "
                    "backend, updated_at, debtor, today, state, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
                    (*values, action.debtor, today.isoformat(), _now()),
                )
                return cur.lastrowid
            if settled(row["state"], row["message_id"]):
                return None
            db.execute(
                "UPDATE sends SET run_id = ?, customer = ?, email = ?, tier = ?, variant = ?, "
                "invoices = ?, balance = ?, backend = ?, updated_at = ?, state = 'pending', "
                "logged = 0 WHERE id = ?",
                (*values, row["id"]),
            )
            return row["id"]

    def mark(
        self,
        send_id: int,
        state: str,
        *,
        message_id: str | None = None,
        detail: str | None = None,
        envelope: str | None = None,
        path: str | None = None,
    ) -> None:
        """Move a send to its next state, committed (and fsynced) before returning."""
        with self._tx() as db:
            db.execute(
                "UPDATE sends SET state = ?, message_id = COALESCE(?, message_id), "
                "detail = COALESCE(?, detail), envelope = COALESCE(?, envelope), "
                "path = COALESCE(?, path), logged = 0, updated_at = ? WHERE id = ?",
                (state, message_id, detail, envelope, path, _now(), send_id),
            )

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

    def outcomes_on(self, today: date) -> dict[str, Outcome]:
        """{debtor: outcome} of the day's sends; debtors with the same outcome share one
        object (a 200,000-invoice run has 40,000 of them and a handful of outcomes)."""
        rows = self.db.execute(
            "SELECT debtor, state, tier, variant, detail FROM sends WHERE today = ? ORDER BY id",
            (today.isoformat(),),
        )
        shared: dict[Outcome, Outcome] = {}
        outcomes = {}
        for debtor, *rest in rows:
            outcome = Outcome(*rest)
            outcomes[debtor] = shared.setdefault(outcome, outcome)
        return outcomes

    def unlogged(self) -> Iterator[SendRecord]:
        """The sends not yet in the workbook's log, one at a time (40,000 records at once
        weigh more than the log lines made from them)."""
        rows = self.db.execute(
            "SELECT * FROM sends WHERE logged = 0 AND state != 'pending' ORDER BY id"
        )
        return map(SendRecord.from_row, rows)

    def mark_logged(self, ids: list[int]) -> None:
        with self._tx() as db:
            db.executemany("UPDATE sends SET logged = 1 WHERE id = ?", [(i,) for i in ids])

    def resolve_ambiguous(self, send_id: int, *, arrived: bool) -> bool:
        """The owner's answer for an `ambiguous` send: it arrived (`sent`), or it did not
        (`deferred`: no longer a contact, so the next run sends it). False if not ambiguous."""
        state, detail = (
            ("sent", "confirmed as arrived by the owner (xlsdun resolve --sent)")
            if arrived
            else ("deferred", RESEND_DETAIL)
        )
        with self._tx() as db:
            cur = db.execute(
                "UPDATE sends SET state = ?, detail = ?, logged = 0, updated_at = ? "
                "WHERE id = ? AND state = 'ambiguous'",
                (state, detail, _now(), send_id),
            )
        return cur.rowcount == 1

    def resent_debtors(self) -> set[str]:
        """Debtors whose possible contact the owner retracted (`resolve --resend`). The sheet's
        `Last reminder` may still show that contact (xlsdun wrote it); it must not count."""
        rows = self.db.execute(
            "SELECT DISTINCT debtor FROM sends WHERE state = 'deferred' AND detail = ?",
            (RESEND_DETAIL,),
        )
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
        marks = ", ".join("?" * len(CONTACT_STATES))
        days: dict[str, date] = {}
        names: dict[str, str] = {}
        for debtor, day, tier, variant, message_id, invoices_json in self.db.execute(
            f"SELECT debtor, today, tier, variant, message_id, invoices FROM sends "
            f"WHERE state IN ({marks}) ORDER BY today, id",
            CONTACT_STATES,
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
        marks = ", ".join("?" * len(CONTACT_STATES))
        return self.db.execute(
            f"SELECT COUNT(*) FROM sends WHERE today = ? AND state IN ({marks})",
            (today.isoformat(), *CONTACT_STATES),
        ).fetchone()[0]
