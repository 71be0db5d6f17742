"""The envelope around rendered parts: validated addresses, headers, threading, attachments,
assembled into a message by mime.py.

Every address passes `addresses.is_valid` (ASCII) here, whatever path it came by, and
everything else that goes into a header is made header-safe and shortened first.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from .. import addresses, attachments, mime
from ..attachments import AttachmentProblem, Rules
from ..config import SenderConfig
from ..models import Action
from .cleaning import clean_line, header_safe, shorten
from .errors import BadAddress, MissingAttachment, RenderError, SheetProblem
from .views import sorted_invoices

MAX_SUBJECT = 200  # characters; a 5 MB invoice number must not make a 7 MB Subject
MAX_DISPLAY_NAME = 200
MAX_FILENAME = 100
_MESSAGE_ID = re.compile(r"[^\s<>()\[\]\\,;:\"]{1,250}@[^\s<>()\[\]\\,;:\"@]{1,250}")

Mailbox = tuple[str, str]  # (display name, address)


@dataclass(frozen=True, slots=True)
class RenderedParts:
    """What the templates made of one action: the subject (header-safe) and both bodies."""

    subject: str
    text: str
    html: str


@dataclass(frozen=True, slots=True)
class Envelope:
    """Who a message is from and to, and its identity; every value already header-safe."""

    sender: Mailbox
    reply_to: Mailbox
    to: Mailbox
    cc: tuple[Mailbox, ...]
    date: str
    message_id: str
    previous: str = ""  # the Message-ID (without <>) this one follows up, if any
    references: tuple[str, ...] = ()  # the earlier ones of the same debt, oldest first


# ---------------------------------------------------------------- addresses and names


def display_name(name: str) -> str:
    return shorten(header_safe(name), MAX_DISPLAY_NAME)


def recipient(email: str, column: str) -> str:
    """A customer's address as the reader let it through; anything else is refused here
    too, so no path to the envelope skips the rule (`addresses.is_valid`)."""
    addr = email.strip()
    if not addresses.is_valid(addr):
        raise BadAddress(f"invalid email address {shorten(header_safe(addr), 120)!r} ({column})")
    return addr


def recipients(action: Action) -> tuple[Mailbox, tuple[Mailbox, ...]]:
    """(To, Cc) of a debtor's message; BadAddress if any address is missing or invalid."""
    if not action.email:
        raise BadAddress(f"{display_name(action.customer)}: no email address")
    to = (display_name(action.customer), recipient(action.email, "email"))
    cc = tuple(("", recipient(c, "cc")) for c in action.cc if c and c.strip())
    return to, cc


def sender_addresses(sender: SenderConfig) -> tuple[Mailbox, Mailbox]:
    """(From, Reply-To), checked with the rule every address follows (a SenderConfig made in
    Python skips config.py's check); RenderError names the key at fault."""
    found = []
    for value, key in (
        (sender.email, "sender.email"),
        (sender.reply_to or sender.email, "sender.reply_to"),
    ):
        if not addresses.is_valid(value.strip()):
            raise RenderError(f"invalid {key}: {shorten(header_safe(value), 120)!r}")
        found.append(value.strip())
    name = display_name(sender.name)
    return (name, found[0]), (name, found[1])


def message_id(value: str | None) -> str:
    """The id of the message being followed up (without <>), or "" if it is not one."""
    first = header_safe(value or "").strip("<> ").split(" ", 1)[0].strip("<>")
    return first if first.isascii() and _MESSAGE_ID.fullmatch(first) else ""


MAX_REFERENCES = 10


def references(thread: tuple[str, ...], previous: str) -> list[str]:
    """The References chain (RFC 5322 3.6.4): the debt's earlier reminders, ending with the
    one followed up; past `MAX_REFERENCES`, the first and the latest ones, as mail clients
    trim a long thread. Ids that are not plain ASCII Message-IDs are left out."""
    valid = [i for i in (message_id(t) for t in thread) if i and i != previous]
    chain = [*dict.fromkeys(valid), previous]
    if len(chain) > MAX_REFERENCES:
        chain = [chain[0], *chain[-(MAX_REFERENCES - 1) :]]
    return chain


OWN_SUBJECT_TEMPLATES = frozenset({"final", "thank_you"})
"""The messages that keep their own subject in a thread: a formal final notice must be seen
as what it is, and a thank-you is not one more reminder."""
_REPLY_PREFIX = re.compile(r"^\s*(?:re|aw|sv|תשובה)\s*:\s*", re.IGNORECASE)


def thread_subject(
    own: str, first: str | None, *, follows_up: bool, template: str, stem: str = ""
) -> str:
    """The Subject a message goes out with: a follow-up in a debt's thread repeats the
    thread's first reminder's subject as "Re: <it>", because Gmail and classic Outlook
    thread by normalized subject, not only by References (RFC 5322 3.6.4): a new subject per
    tier started a new conversation each time (issue 14). Only while the debt is the same
    one: today's `stem` (invoice numbers and amount) must be the stem the first subject ends
    with; once the invoices or the amount changed, "Re: … (₪5,050.00)" over a letter asking
    ₪3,200.00 would be untrue, so the message takes its own subject (References still chain
    it). The final notice and the thank-you keep their own (`OWN_SUBJECT_TEMPLATES`); with
    no earlier reminder in the thread, or none whose subject the ledger knows (sent before
    version 4), the message's own."""
    if not follows_up or not first or template in OWN_SUBJECT_TEMPLATES:
        return own
    root = _REPLY_PREFIX.sub("", header_safe(first)).strip()
    if not root or not same_debt(root, stem):
        return own
    return shorten(f"Re: {root}", MAX_SUBJECT)


def same_debt(first: str, stem: str) -> bool:
    """Whether a thread's first subject ("Payment reminder: <stem>") is about the debt
    `stem` describes today: its text after the label is `stem`, exactly."""
    today = header_safe(stem).strip()
    return bool(today) and first.partition(": ")[2].strip() == today


def date_header(now: datetime, timezone: str) -> str:
    """The Date header; a naive `now` is taken to be in the configured time zone."""
    return format_datetime(_aware(now, timezone))


def _aware(now: datetime, timezone: str) -> datetime:
    if now.tzinfo is not None:
        return now
    try:
        return now.replace(tzinfo=ZoneInfo(timezone))
    except Exception:
        return now.astimezone()


# ---------------------------------------------------------------- attachments


def read_attachments(action: Action, rules: Rules) -> list[tuple[str, bytes]]:
    """Read every invoice's attachment up front, under `attachments.read`'s rule, so a
    missing or refused file stops only this debtor (and nothing of it is written)."""
    found: list[tuple[str, bytes]] = []
    seen: set[str] = set()
    for inv in sorted_invoices(action.invoices):
        cell = (inv.attachment or "").strip()
        if not cell or cell in seen:
            continue
        try:
            item = attachments.read(cell, rules)
        except AttachmentProblem as exc:
            raise MissingAttachment(exc, clean_line(inv.invoice)) from None
        seen.add(cell)
        if item not in found:  # "a.pdf" and "./a.pdf": one file, attached once
            found.append(item)
    return found


def attachment_filename(name: str) -> str:
    """An attachment's name fit for Content-Disposition: one line, at most MAX_FILENAME
    characters, its extension kept."""
    text = header_safe(name) or "attachment"
    if len(text) <= MAX_FILENAME and len(text.encode("utf-8")) <= 2 * MAX_FILENAME:
        return text
    stem, dot, ext = text.rpartition(".")
    suffix = f".{ext}" if dot and stem and len(ext) <= 10 else ""
    stem = stem if suffix else text
    keep = MAX_FILENAME - len(suffix)
    while keep > 1 and len((stem[:keep] + suffix).encode("utf-8")) > 2 * MAX_FILENAME:
        keep -= 1  # non-ASCII names are percent-encoded: up to 12 characters each
    return stem[:keep].rstrip() + suffix


def mime_type(filename: str) -> tuple[str, str]:
    guessed, encoding = mimetypes.guess_type(filename)
    if not guessed or encoding:
        return "application", "octet-stream"
    maintype, _, subtype = guessed.partition("/")
    return maintype, subtype


# ---------------------------------------------------------------- the message


def transfer_encoding(body: str) -> str:
    """Quoted-printable for mostly-ASCII bodies (readable in the .eml), base64 for Hebrew.

    Choosing up front spares the email package from encoding each body every way.
    """
    extra_bytes = len(body.encode("utf-8")) - len(body)
    return "quoted-printable" if extra_bytes * 8 < len(body) else "base64"


def headers(envelope: Envelope, subject: str) -> list[tuple[str, str]]:
    """The message's own headers, folded, in the order xlsdun has always written them."""
    found = [
        ("Subject", mime.fold("Subject", mime.unstructured_tokens(subject))),
        ("From", mime.fold("From", mime.mailbox_tokens(*envelope.sender))),
        ("To", mime.fold("To", mime.mailbox_tokens(*envelope.to))),
    ]
    if envelope.cc:
        found.append(("Cc", mime.fold("Cc", mime.address_list_tokens(envelope.cc))))
    found += [
        ("Reply-To", mime.fold("Reply-To", mime.mailbox_tokens(*envelope.reply_to))),
        ("Date", envelope.date),
        ("Message-ID", envelope.message_id),
    ]
    if envelope.previous:
        chain = [f"<{i}>" for i in references(envelope.references, envelope.previous)]
        found += [
            ("In-Reply-To", f"<{envelope.previous}>"),
            ("References", mime.fold("References", chain)),
        ]
    found.append(("X-Mailer", "xlsdun"))
    return found


def summary(envelope: Envelope, subject: str) -> dict[str, str]:
    """The headers a transport needs, as plain text (`mime.known_headers`)."""
    return {
        "Message-ID": envelope.message_id,
        "To": mime.display_address(*envelope.to),
        "Cc": ", ".join(a for _, a in envelope.cc),
        "Subject": subject,
        "Date": envelope.date,
    }


def build_message(
    envelope: Envelope, parts: RenderedParts, files: list[tuple[str, bytes]]
) -> mime.AssembledMessage:
    """The complete message, assembled directly (mime.py); a header that still would not be
    well-formed is a SheetProblem: such a message is never sent."""
    attached = [
        mime.attachment_part(attachment_filename(name), data, *mime_type(name))
        for name, data in files
    ]
    try:
        return mime.assemble(
            headers(envelope, parts.subject),
            mime.text_part(parts.text, "plain", transfer_encoding(parts.text)),
            mime.text_part(parts.html, "html", transfer_encoding(parts.html)),
            attached,
            summary(envelope, parts.subject),
            envelope.to,
        )
    except mime.HeaderError as exc:  # data got past the checks above: never sent
        raise SheetProblem(f"message not built: {exc}") from None
