"""The ledger's schema, versioned: ordered migrations, applied on open, numbered in SQLite's
`PRAGMA user_version`.

The ledger holds years of contact history, so a newer xlsdun must open any older ledger and
bring it up to date, and an older xlsdun must not write into a ledger it does not understand.
`MIGRATIONS[v]` takes a ledger at version v to v + 1; all that a ledger lacks are applied in
one transaction, with the version, so a ledger is always at one known version.

Ledgers made before the schema was numbered (0.1.0 up to the version that introduced this
module) all say version 0, whatever tables they have: migrations 1 and 2 therefore only ever
create what is missing (`IF NOT EXISTS`). Every later ledger carries its number, so later
migrations can be plain (an `ALTER TABLE ... ADD COLUMN`, say).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Final

from .errors import XlsdunError

V1_RELEASE_0_1_0: Final = (
    """CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    today TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    pid INTEGER,
    status TEXT NOT NULL DEFAULT 'running',
    exit_code INTEGER,
    summary TEXT
)""",
    """CREATE TABLE IF NOT EXISTS sends (
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
)""",
    "CREATE INDEX IF NOT EXISTS sends_by_state ON sends (state)",
    """CREATE TABLE IF NOT EXISTS approvals (
    debtor TEXT NOT NULL,
    tier TEXT NOT NULL,
    invoice TEXT NOT NULL,
    approved_at TEXT NOT NULL,
    PRIMARY KEY (debtor, tier, invoice)
)""",
)
"""The schema 0.1.0 created: runs, sends (one per debtor and day) and approvals."""

V2_DIGEST_ITEMS: Final = (
    """CREATE TABLE IF NOT EXISTS digest_items (
    today TEXT NOT NULL,
    owner TEXT NOT NULL,
    item TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (today, owner, item)
)""",
)
"""What each owner's digest already told them, per day: one digest per owner per day."""

V3_RETRACTED: Final = (
    "ALTER TABLE sends ADD COLUMN retracted INTEGER NOT NULL DEFAULT 0",
    # until now a retraction was known by its detail text alone, which a rerun overwrote
    "UPDATE sends SET retracted = 1 "
    "WHERE state = 'deferred' AND detail = 'to be sent again (xlsdun resolve --resend)'",
    # every run asks for them: a few rows, found without a pass over years of sends
    "CREATE INDEX sends_retracted ON sends (debtor) WHERE retracted = 1",
)
"""A possible contact the owner retracted (`resolve --resend`), kept as data: the send's
state and detail change when a rerun takes it again, the retraction must not."""

V4_SUBJECT: Final = ("ALTER TABLE sends ADD COLUMN subject TEXT",)
"""Each send's Subject as it went out: a follow-up repeats the first reminder's ("Re: ..."),
so that mail clients that thread by subject keep one conversation per debt. NULL for the
sends recorded before (their follow-ups take their own subject)."""

V5_INBOX: Final = (
    # each folder read: its UIDVALIDITY and the last UID processed there
    """CREATE TABLE inbox_folders (
    folder TEXT PRIMARY KEY,
    uidvalidity INTEGER NOT NULL,
    last_uid INTEGER NOT NULL,
    updated_at TEXT NOT NULL
)""",
    # every message processed, once: by folder + UIDVALIDITY + UID, and by Message-ID
    """CREATE TABLE inbox_messages (
    id INTEGER PRIMARY KEY,
    folder TEXT NOT NULL,
    uidvalidity INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    message_id TEXT,
    today TEXT NOT NULL,
    kind TEXT NOT NULL,
    debtor TEXT,
    customer TEXT,
    sender TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    processed_at TEXT NOT NULL,
    UNIQUE (folder, uidvalidity, uid)
)""",
    "CREATE UNIQUE INDEX inbox_messages_by_id ON inbox_messages (message_id) "
    "WHERE message_id IS NOT NULL",
    "CREATE INDEX inbox_messages_by_day ON inbox_messages (today)",
    # addresses that bounced, and the address cell (as the reminder used it) they apply to
    """CREATE TABLE bad_addresses (
    address TEXT NOT NULL,
    cell TEXT NOT NULL,
    debtor TEXT,
    reason TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    message INTEGER REFERENCES inbox_messages (id),
    PRIMARY KEY (address, cell)
)""",
    # a debtor's replies; handled_at is set by `resolve --replied` or a date in the sheet
    """CREATE TABLE replies (
    id INTEGER PRIMARY KEY,
    debtor TEXT NOT NULL,
    customer TEXT NOT NULL,
    email TEXT,
    day TEXT NOT NULL,
    first_lines TEXT NOT NULL,
    paid_hint INTEGER NOT NULL DEFAULT 0,
    promise_hint TEXT,
    sheet_dates TEXT NOT NULL DEFAULT '[]',
    handled_at TEXT,
    handled_by TEXT,
    message INTEGER NOT NULL UNIQUE REFERENCES inbox_messages (id)
)""",
    "CREATE INDEX replies_unhandled ON replies (debtor) WHERE handled_at IS NULL",
)
"""What the inbox told (inbox/store.py): where each folder was read up to, each message
processed (once, ever), bad addresses, and the debtors' replies until the owner handles them."""

MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (
    V1_RELEASE_0_1_0,
    V2_DIGEST_ITEMS,
    V3_RETRACTED,
    V4_SUBJECT,
    V5_INBOX,
)
"""Append only: never edit one that has shipped; a change of schema is a new entry."""

VERSION: Final = len(MIGRATIONS)
"""The schema version this xlsdun writes."""


class LedgerTooNew(XlsdunError):
    """The ledger was written by a newer xlsdun: reading it could misread, writing could
    damage, the history that stops a debtor being reminded twice."""


def version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite3.Connection, path: Path) -> int:
    """Bring the ledger at `path` to VERSION in one transaction; the version it was at.

    `db` is in autocommit mode (isolation_level=None). A ledger already at VERSION costs
    one read and takes no write lock; a newer one is refused before anything is written."""
    found = version(db)
    if found == VERSION:
        return found
    _refuse_newer(found, path)
    db.execute("BEGIN IMMEDIATE")
    try:
        found = version(db)  # another process may have migrated it meanwhile
        _refuse_newer(found, path)
        for statements in MIGRATIONS[found:]:
            for statement in statements:
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {VERSION:d}")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return found


def _refuse_newer(found: int, path: Path) -> None:
    if found > VERSION:
        raise LedgerTooNew(
            f"the ledger {path} was written by a newer xlsdun (ledger version {found}; this "
            f"xlsdun knows up to version {VERSION}). Upgrade xlsdun (pip install --upgrade "
            f"xlsdun) to go on with it. Do not delete it: it is the record of every reminder "
            f"sent, and what stops a debtor being reminded twice."
        )
