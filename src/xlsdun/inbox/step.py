"""The run's inbox step, before planning: read what arrived since the last message seen,
sort each out, record it (once, ever), and tell the run what happened in a few notes.

An inbox that cannot be reached never stops the reminders: the run notes it (the digest
shows the note) and plans from what the ledger already knows. A message that cannot be
parsed is recorded as `unreadable` and never tried again, so one bad mail cannot stall the
mailbox. Each message is committed with the folder's last UID (store.record), so a run
killed half-way is taken up by the next one where it stopped.
"""

from __future__ import annotations

import email
import email.policy
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from .. import logs
from ..config import Config
from ..ledger import Ledger
from ..models import Receivables
from ..owner_words import words
from ..policy.wording import reason
from ..render.cleaning import clean_line, shorten
from . import store
from .body import body_text
from .classify import Sorted, classify
from .facts import by_debtor, sheet_handled
from .hints import promised_date, says_paid
from .match import Directory, by_address, by_ids, sender_address, thread_ids
from .replytext import first_lines, own_text
from .settings import InboxConfig

if TYPE_CHECKING:
    from .fetch import Mailbox  # imported when an inbox is read (imaplib, not at start-up)

_EN = words("en")  # the notes' English (the CLI, the run's notes) is the catalog's

UNREACHABLE = _EN.template("reason.inbox_unreachable")  # the catalog's English, not a copy


def unreachable_note(why: str) -> str:
    return reason(UNREACHABLE.format(why=why), "inbox_unreachable", why=why)


def handled_note(n: int) -> str:
    return reason(_EN("reason.inbox_sheet_handled", n=n), "inbox_sheet_handled", n=n)


def more_note(n: int, folder: str) -> str:
    text = _EN("reason.inbox_more", n=n, folder=folder)
    return reason(text, "inbox_more", n=n, folder=folder)


def counts_note(counts: Counter[str]) -> str:
    """ "inbox: bounces: 1, replies: 2": what this run read, by kind (owner_words
    "inbox.count.*", so "2 reply" never happens)."""
    pairs = tuple(sorted(counts.items()))
    said = ", ".join(_EN(f"inbox.count.{kind}", n=n) for kind, n in pairs)
    return reason(f"inbox: {said}", "inbox_counts", counts=pairs)


@dataclass(slots=True)
class InboxRun:
    """What one run's inbox step did: counts by kind, and the notes for the report."""

    counts: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Known:
    """What each message is matched against, worked out once per run."""

    directory: Directory
    sent: store.SentIndex
    own: frozenset[str]


def read_inbox(config: Config, ledger: Ledger, receivables: Receivables, today: date) -> InboxRun:
    """The step: nothing without `[inbox]`; never raises for the inbox's own trouble."""
    run = InboxRun()
    handled = _sheet_handles(ledger, receivables)
    if handled:
        run.notes.append(handled_note(handled))
    cfg = config.inbox
    if cfg is None:
        return run
    from .fetch import InboxError, Mailbox, find_password

    known = _Known(Directory.of(receivables.invoices), store.sent_index(ledger), _own(config))
    try:
        with Mailbox(cfg, find_password(cfg)) as box:
            for folder in cfg.folders:
                _read_folder(box, folder, cfg, ledger, known, today, run)
    except InboxError as exc:
        run.notes.append(unreachable_note(str(exc)))
        logs.log.warning("inbox not read: %s", exc)
    if run.counts:
        run.notes.append(counts_note(run.counts))
    return run


def _read_folder(
    box: Mailbox,
    folder: str,
    cfg: InboxConfig,
    ledger: Ledger,
    known: _Known,
    today: date,
    run: InboxRun,
) -> None:
    """One folder's new messages, in UID order, at most `max_per_run` of them."""
    last = store.folder_state(ledger, folder)
    state = box.select(folder, last)
    after = store.start_folder(ledger, folder, state.uidvalidity, last)
    uids = tuple(u for u in state.uids if after is None or u > after)[: cfg.max_per_run]
    done: list[int] = []
    for uid, raw in box.messages(uids):
        processed = process(raw, folder, state.uidvalidity, uid, today, known)
        if store.record(ledger, processed):
            run.counts[processed.kind] += 1
        done.append(uid)
    box.mark_seen(done)
    if len(state.uids) > len(uids):
        run.notes.append(more_note(len(state.uids) - len(uids), folder))


def process(
    raw: bytes, folder: str, uidvalidity: int, uid: int, today: date, known: _Known
) -> store.Processed:
    """One message sorted out and matched: what to record. Never raises: a message that
    cannot be read is recorded as such."""
    base = store.Processed(folder, uidvalidity, uid, None, today, "unreadable")
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        message_id = str(msg.get("Message-ID", "") or "").strip()[:250] or None
        sender = sender_address(msg)
        sorted_ = classify(msg) if sender not in known.own else None
        return _outcome(msg, sorted_, message_id, sender, base, known)
    except Exception as exc:  # noqa: BLE001 - hostile input: recorded, never retried
        return replace(base, detail=shorten(clean_line(f"{type(exc).__name__}: {exc}"), 200))


def _outcome(
    msg: EmailMessage,
    sorted_: Sorted | None,
    message_id: str | None,
    sender: str,
    base: store.Processed,
    known: _Known,
) -> store.Processed:
    """What the sorted message changes: a bounce's bad addresses, a reply's row."""
    base = replace(base, message_id=message_id, sender=shorten(clean_line(sender), 254))
    if sorted_ is None:
        return replace(base, kind="own", detail="sent from xlsdun's own address")
    if sorted_.kind == "bounce":
        return _bounce(sorted_, base, known)
    found = by_ids(thread_ids(msg), known.sent) or by_address(sender, known.directory, known.sent)
    if found is not None:
        base = replace(base, debtor=found.debtor, customer=found.customer)
    if sorted_.kind in ("auto_reply", "delayed"):
        return replace(base, kind=sorted_.kind, detail=sorted_.reason)
    if found is None:
        return replace(base, kind="unmatched", detail=_subject(msg))
    reply = _reply(msg, base.today, tuple(known.directory.dates.get(found.debtor, ())))
    return replace(base, kind="reply", detail=_subject(msg), reply=reply)


def _bounce(sorted_: Sorted, base: store.Processed, known: _Known) -> store.Processed:
    """The addresses that bounced, where xlsdun mails them (a debtor's, or one it sent to):
    each is bad for the address cell the reminder used."""
    found = by_ids(sorted_.original_ids, known.sent)
    addresses = [
        a
        for a in sorted_.addresses
        if a in known.directory.by_address or a in known.sent.by_address
    ]
    if not addresses and found is not None and found.address:
        addresses = [found.address.casefold()]
    if found is None and addresses:
        found = by_address(addresses[0], known.directory, known.sent)
    if found is not None:
        base = replace(base, debtor=found.debtor, customer=found.customer)
    cell = found.address.casefold() if found is not None and found.address else None
    bad = tuple((a, cell or a) for a in addresses)
    return replace(base, kind="bounce", detail=sorted_.reason, bad=bad)


def _reply(msg: EmailMessage, today: date, dates: tuple[date, ...]) -> store.ReplyRecord:
    """The reply's first lines and hints; its day is its Date header's (never after the
    run's day, nor a month before it: a wrong clock must not hide or age a reply)."""
    text = body_text(msg)
    own = own_text(text)
    day = _sent_day(msg, today)
    return store.ReplyRecord(
        day=day,
        email=sender_address(msg) or None,
        lines=first_lines(text),
        paid_hint=says_paid(own),
        promise_hint=promised_date(own, day),
        sheet_dates=dates,
    )


def _sent_day(msg: EmailMessage, today: date) -> date:
    try:
        sent = parsedate_to_datetime(str(msg.get("Date", "") or ""))
    except (TypeError, ValueError, IndexError):
        return today
    day = sent.date()
    return day if today - timedelta(days=31) <= day <= today else today


def _subject(msg: EmailMessage) -> str:
    return shorten(clean_line(str(msg.get("Subject", "") or "")), 160)


def _own(config: Config) -> frozenset[str]:
    """xlsdun's own addresses: a digest or a copy of a reminder is nobody's reply."""
    own = (config.sender.email, config.sender.reply_to, config.owner_email)
    return frozenset(a.casefold() for a in own if a)


def _sheet_handles(ledger: Ledger, receivables: Receivables) -> int:
    """Replies the sheet now handles are marked handled in the ledger, so a later change of
    the cell does not bring them back: a new Promise date or Hold until on or after the
    reply (facts.sheet_handled), or nothing left open (paid in full: nothing to chase)."""
    pending = store.unhandled_replies(ledger)
    if not pending:
        return 0
    groups = by_debtor(i for i in receivables.invoices if i.debtor_key in pending)
    done = 0
    with ledger.transaction():  # one commit (one fsync) for them all
        for key, replies in pending.items():
            rows = groups.get(key, ())
            by = sheet_handled(replies, rows)
            if by is None and rows and not any(i.balance > 0 for i in rows):
                by = "sheet: paid in full"
            if by:
                done += store.handle_replies(ledger, [key], by)
    return done
