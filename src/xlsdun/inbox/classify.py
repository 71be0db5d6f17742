"""What a message is: a bounce, an auto-reply, or a person's mail.

Bounces: an RFC 3464 delivery status notification (parsed with the stdlib `email` package:
its `Action`, `Status` and `Diagnostic-Code` per recipient), and the common non-standard
ones (Exim's, qmail's, old Exchange's...) found by flufl.bounce. A report that only says the
mail is delayed is not a bounce. Auto-replies: `Auto-Submitted` other than "no",
`X-Autoreply`/`X-Autorespond`, `Precedence` auto_reply/bulk/junk/list, and out-of-office
subjects in English and Hebrew. Everything else is a person's mail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, HeaderParser
from email.policy import compat32
from typing import Literal

from ..render.cleaning import clean_line, shorten
from .body import body_text, decoded

Kind = Literal["bounce", "delayed", "auto_reply", "reply"]
REASON_MAX = 200

_OOO_SUBJECT = re.compile(
    r"(?i)\b(?:out of (?:the )?office|automatic reply|auto[- ]?reply|autoreply|auto[- ]?response"
    r"|away from (?:the )?office|on (?:annual )?leave|on vacation|abwesenheit)\b"
    r"|מחוץ\s+למשרד|תשובה\s+אוטומטית|מענה\s+אוטומטי|השב\s+אוטומטי|הודעה\s+אוטומטית"
    r"|לא\s+נמצא(?:ת)?\s+במשרד|אינני\s+במשרד|בחופשה"
)
_BOUNCE_SENDER = re.compile(r"(?i)^(?:mailer-daemon|postmaster|mail-daemon|mdaemon)@")
_BOUNCE_SUBJECT = re.compile(
    r"(?i)undeliver|delivery (?:status notification|has failed|failure)|returned mail"
    r"|mail delivery (?:failed|failure|system)|failure notice|non[- ]?delivery"
    r"|לא נמסר|לא ניתן למסור|כשל במסירה"
)
_SMTP_REPLY = re.compile(
    r"\b5\d\d[ -](?:5\.\d{1,3}\.\d{1,3}\b)?[^\n]*|\b5\.\d{1,3}\.\d{1,3}\b[^\n]*"
)
_MESSAGE_ID = re.compile(r"(?im)^message-id:\s*(<[^>\s]{1,250}>)")


@dataclass(frozen=True, slots=True)
class Sorted:
    """What a message was found to be, and for a bounce what bounced and why."""

    kind: Kind
    reason: str = ""  # a bounce's (the server's words) or why it counts as automatic
    addresses: tuple[str, ...] = ()  # a bounce's failed recipients, lower case
    original_ids: tuple[str, ...] = ()  # the Message-IDs of the mail that bounced


OUT_OF_OFFICE = "out-of-office subject"
UNDELIVERABLE = "returned as undeliverable"
"""The details xlsdun words itself (the others are a mail header's or a server's, as they
came): the digest says them in the owner's words (inbox/digest.py, "inbox.detail.*")."""


def classify(msg: EmailMessage) -> Sorted:
    """Bounce, delayed-delivery report, auto-reply, or a person's reply (in that order)."""
    bounce = _bounce(msg)
    if bounce is not None:
        return bounce
    why = auto_reply(msg)
    if why:
        return Sorted("auto_reply", why)
    return Sorted("reply")


def auto_reply(msg: Message) -> str:
    """Why `msg` is an automatic answer, or "" if nothing says so."""
    submitted = str(msg.get("Auto-Submitted", "") or "").strip().lower()
    if submitted and not submitted.startswith("no"):
        return f"Auto-Submitted: {shorten(clean_line(submitted), 40)}"
    for header in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        if msg.get(header) is not None:
            return header
    precedence = str(msg.get("Precedence", "") or "").strip().lower()
    if precedence in ("auto_reply", "bulk", "junk", "list"):
        return f"Precedence: {precedence}"
    if _OOO_SUBJECT.search(str(msg.get("Subject", "") or "")):
        return OUT_OF_OFFICE
    return ""


def _bounce(msg: EmailMessage) -> Sorted | None:
    """A delivery failure (or delay) report, or None. flufl.bounce's heuristics are asked
    only of a message that looks like a report (from a mailer daemon, a multipart/report,
    a bounce's subject), so a person's "paid, thanks" can never read as a bounce."""
    failed, delayed, reason = _dsn(msg)
    looks = _looks_like_bounce(msg)
    if not failed and looks:
        failed, temporary = _library_failures(msg)
        delayed = delayed or temporary
    original = _original_ids(msg) if looks or failed or delayed else ()
    if failed or (looks and original and not delayed):
        return Sorted("bounce", _reason(msg, reason), failed, original)
    if delayed:
        return Sorted("delayed", "delivery delayed", delayed, original)
    return None


def _dsn(msg: EmailMessage) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """RFC 3464: (failed recipients, delayed ones, the first failure's diagnostic)."""
    failed: list[str] = []
    delayed: list[str] = []
    reason = ""
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        for fields in _status_blocks(part):
            action = str(fields.get("Action", "") or "").strip().lower()
            address = _address(fields.get("Original-Recipient") or fields.get("Final-Recipient"))
            if not address:
                continue
            if action == "failed":
                failed.append(address)
                reason = reason or _diagnostic(fields)
            elif action == "delayed":
                delayed.append(address)
    return tuple(dict.fromkeys(failed)), tuple(dict.fromkeys(delayed)), reason


def _status_blocks(part: Message) -> list[Message]:
    """The per-recipient field blocks of a message/delivery-status part."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    text = decoded(part) if isinstance(payload, str) else ""
    return [HeaderParser(policy=compat32).parsestr(b) for b in re.split(r"\r?\n\r?\n", text)]


def _address(value: object) -> str:
    """`rfc822; Someone@Example.com` -> `someone@example.com`."""
    text = str(value or "").strip()
    text = text.split(";", 1)[1] if ";" in text else text
    return text.strip().strip("<>").strip().lower()


def _diagnostic(fields: Message) -> str:
    """The server's words: Diagnostic-Code without its type, else the Status code."""
    code = str(fields.get("Diagnostic-Code", "") or "")
    code = code.split(";", 1)[1] if ";" in code else code
    status = str(fields.get("Status", "") or "").strip()
    text = " ".join(code.split())
    return text or (f"status {status}" if status else "")


def _library_failures(msg: Message) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """flufl.bounce's reading of the non-standard formats: (permanent, temporary)."""
    from flufl.bounce import all_failures

    try:
        temporary, permanent = all_failures(msg)
    except Exception:  # noqa: BLE001 - a detector tripping on a hostile message
        return (), ()

    def plain(found: frozenset[bytes]) -> tuple[str, ...]:
        out = (a.decode("utf-8", "replace").strip().strip("<>").lower() for a in found)
        return tuple(sorted(a for a in out if "@" in a))

    return plain(permanent), plain(temporary)


def _looks_like_bounce(msg: Message) -> bool:
    """From a mailer daemon, a multipart/report, or a bounce's subject on a message that
    answers nothing."""
    sender = str(msg.get("From", "") or "")
    address = sender.rpartition("<")[2].rstrip(">").strip() if "<" in sender else sender.strip()
    if _BOUNCE_SENDER.match(address) or msg.get_content_type() == "multipart/report":
        return True
    subject = str(msg.get("Subject", "") or "")
    return bool(_BOUNCE_SUBJECT.search(subject)) and not msg.get("In-Reply-To")


def _reason(msg: EmailMessage, diagnostic: str) -> str:
    """One clean line: the DSN's diagnostic, else the first SMTP reply in the text."""
    if not diagnostic:
        found = _SMTP_REPLY.search(body_text(msg) or "")
        diagnostic = found.group(0) if found else UNDELIVERABLE
    return shorten(clean_line(diagnostic), REASON_MAX)


def _returned_id(part: Message) -> str:
    """The Message-ID of a returned message part, or of a returned headers part; else ""."""
    kind = part.get_content_type()
    headers: object = None
    if kind == "message/rfc822":
        inner = part.get_payload()
        headers = inner[0] if isinstance(inner, list) and inner else inner
    elif kind in ("text/rfc822-headers", "message/rfc822-headers"):
        raw = part.get_payload(decode=True)
        if isinstance(raw, bytes):
            headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
    found = headers.get("Message-ID") if isinstance(headers, Message) else None
    return str(found).strip() if found else ""


def _original_ids(msg: EmailMessage) -> tuple[str, ...]:
    """The Message-ID of the mail that came back: from the returned message or its headers,
    else from a copy of the headers in the text (Exim, qmail)."""
    ids = [i for part in msg.walk() if (i := _returned_id(part))]
    if not ids:
        for part in msg.walk():
            if part.get_content_type() == "text/plain":
                ids.extend(_MESSAGE_ID.findall(decoded(part)))
    return tuple(dict.fromkeys(i for i in ids if i.startswith("<") and i.endswith(">")))
