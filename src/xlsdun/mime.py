"""Reminder emails assembled as bytes directly: RFC 5322 headers, RFC 2047 encoded words, MIME.

Building a message through `EmailMessage`'s header objects and letting the generator refold
every header costs about 2 ms a message here, more than rendering its templates; a daily run
builds thousands. The shapes xlsdun sends are few and fixed (multipart/alternative text +
HTML, optionally inside multipart/mixed with attachments), so they are assembled here in a
few tens of microseconds, with the same headers and the same meaning.

The result is still a real `EmailMessage` (`AssembledMessage`): headers are stored raw, as a
parser stores them, and parsed only when someone reads them; any generator can flatten it,
and `as_bytes()` returns the assembled bytes as long as nothing was changed after assembly.
Plain-text copies of the headers a transport needs (`known_headers()`) spare it from parsing
them.
"""

from __future__ import annotations

import base64
import binascii
import email
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import encode_rfc2231
from secrets import token_hex

POLICY = email_policy.SMTP
CRLF = "\r\n"
MAX_LINE = 78
MAX_LINE_OCTETS = 998  # RFC 5322 2.1.1: no line of a message may be longer
_WORD_BYTES = 45  # 45 bytes of UTF-8 -> 60 base64 chars: an encoded word of 72 chars
_WITH_SPACE = re.compile(r"[^ ]* ?|.+")
_ATEXT = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+")
_SPECIALS = frozenset('()<>@,:;."[]\\')


class HeaderError(ValueError):
    """A header that would break the message: a line break that is not a fold (a header
    injected from data), or a line over 998 octets. Such a message is never assembled."""


_FOLDED = re.compile(r"[^\r\n\x00]*(?:\r\n[ \t][^\r\n\x00]*)*")  # lines joined by folds only


def check_header(name: str, value: str) -> None:
    """Raise HeaderError unless `name: value` is well-formed lines within RFC 5322's limit."""
    if not _FOLDED.fullmatch(value):
        raise HeaderError(f"the {name} header holds a line break or a NUL character")
    if len(name) + 2 + len(value) <= MAX_LINE_OCTETS:
        return  # the usual header: shorter in all than one line may be
    for i, line in enumerate(value.split(CRLF)):
        width = len(line) + (len(name) + 2 if i == 0 else 0)
        if width > MAX_LINE_OCTETS:
            raise HeaderError(f"the {name} header has a line of {width} characters")


def encoded_words(text: str) -> list[str]:
    """`text` as RFC 2047 'B' encoded words of at most 75 characters.

    Words are split at spaces, each space kept at the end of the word before it: a decoder
    drops the whitespace between two encoded words, so a split inside a word would do no
    harm by the RFC, but Python's own phrase parser keeps that whitespace and would show it.
    Only a word longer than one encoded word is split, between two UTF-8 sequences.
    """
    chunks: list[bytes] = []
    current = b""
    for piece in _WITH_SPACE.findall(text):
        data = piece.encode("utf-8")
        if current and len(current) + len(data) > _WORD_BYTES:
            chunks.append(current)
            current = b""
        while len(current) + len(data) > _WORD_BYTES:
            end = _WORD_BYTES - len(current)
            while (data[end] & 0xC0) == 0x80:
                end -= 1
            chunks.append(current + data[:end])
            current, data = b"", data[end:]
        current += data
    if current:
        chunks.append(current)
    return ["=?utf-8?b?" + base64.b64encode(c).decode("ascii") + "?=" for c in chunks]


def _plain(word: str) -> bool:
    return word.isascii() and "=?" not in word and len(word) <= 76


def _tokens(text: str, plain: Callable[[str], bool]) -> list[str]:
    """Words as written where `plain`, each run of other words as encoded words (with the
    spaces inside the run, since a decoder drops whitespace between encoded words)."""
    tokens: list[str] = []
    run: list[str] = []
    for word in text.split(" "):
        if plain(word):
            if run:
                tokens += encoded_words(" ".join(run))
                run = []
            tokens.append(word)
        else:
            run.append(word)
    if run:
        tokens += encoded_words(" ".join(run))
    return [t for t in tokens if t]


def unstructured_tokens(text: str) -> list[str]:
    """The words of an unstructured header (Subject): ASCII as written, the rest encoded."""
    return _tokens(text, _plain)


def _atom(word: str) -> bool:
    return bool(_ATEXT.fullmatch(word)) and _plain(word)


def quote_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def phrase_tokens(name: str) -> list[str]:
    """A display name: atoms as written, a short ASCII name with specials as one quoted
    string, otherwise runs of non-atoms as encoded words (as the email package does)."""
    if not name:
        return []
    words = name.split(" ")
    if all(_atom(w) for w in words):
        return words
    if name.isascii() and "=?" not in name and len(name) <= 70:
        return [quote_string(name)]
    return _tokens(name, _atom)


def display_address(name: str, addr: str) -> str:
    """A mailbox as `str()` of the parsed header shows it: `Name <addr>`, quoted if needed."""
    if not name:
        return addr
    return f"{quote_string(name) if not _SPECIALS.isdisjoint(name) else name} <{addr}>"


def mailbox_tokens(name: str, addr: str) -> list[str]:
    phrase = phrase_tokens(name)
    return [*phrase, f"<{addr}>"] if phrase else [addr]


def address_list_tokens(mailboxes: Sequence[tuple[str, str]]) -> list[str]:
    tokens: list[str] = []
    for i, (name, addr) in enumerate(mailboxes):
        mailbox = mailbox_tokens(name, addr)
        if i < len(mailboxes) - 1:
            mailbox[-1] += ","
        tokens += mailbox
    return tokens


def fold(name: str, tokens: Sequence[str]) -> str:
    """The header's value, folded before a token wherever a line would pass 78 characters."""
    lines: list[str] = []
    line = ""
    width = len(name) + 2
    for token in tokens:
        if line and width + len(line) + 1 + len(token) > MAX_LINE:
            lines.append(line)
            line, width = token, 1
        else:
            line = f"{line} {token}" if line else token
    lines.append(line)
    return (CRLF + " ").join(lines)


@dataclass(frozen=True, slots=True)
class Part:
    """One leaf of the MIME tree: its headers (name, raw value) and its encoded payload."""

    headers: tuple[tuple[str, str], ...]
    payload: str  # already transfer-encoded, CRLF line ends


def text_part(body: str, subtype: str, cte: str) -> Part:
    """A text/plain or text/html part in UTF-8, base64 or quoted-printable."""
    data = body.encode("utf-8")
    if cte == "base64":
        payload = base64.encodebytes(data).decode("ascii")
    else:
        payload = binascii.b2a_qp(data, istext=True).decode("ascii")
        if not payload.endswith("\n"):
            payload += "\n"
    return Part(
        (("Content-Type", f'text/{subtype}; charset="utf-8"'), ("Content-Transfer-Encoding", cte)),
        payload.replace("\r\n", "\n").replace("\n", CRLF),
    )


def attachment_part(filename: str, data: bytes, maintype: str, subtype: str) -> Part:
    if filename.isascii():
        param = f"filename={quote_string(filename)}"
    else:
        param = f"filename*={encode_rfc2231(filename, 'utf-8')}"
    return Part(
        (
            ("Content-Type", f"{maintype}/{subtype}"),
            ("Content-Transfer-Encoding", "base64"),
            ("Content-Disposition", fold("Content-Disposition", ["attachment;", param])),
        ),
        base64.encodebytes(data).decode("ascii").replace("\n", CRLF),
    )


def _boundary() -> str:
    """'=_' never occurs in base64 or quoted-printable text, so no body can contain it."""
    return "=_xlsdun_" + token_hex(8)


class AssembledMessage(EmailMessage):
    """An EmailMessage that keeps the bytes it was assembled from (see the module doc)."""

    wire: bytes
    _summary: dict[str, str]
    _recipient: tuple[str, str]
    _assembled: object

    def unchanged(self) -> bool:
        """True while headers and parts are as assembled (nobody edited the message)."""
        return _state(self) == self._assembled

    def as_bytes(self, unixfrom: bool = False, policy: email_policy.Policy | None = None) -> bytes:
        if not unixfrom and policy is None and self.unchanged():
            return self.wire
        return super().as_bytes(unixfrom=unixfrom, policy=policy)

    def known_headers(self) -> tuple[dict[str, str], tuple[str, str]] | None:
        """(Message-ID, To, Cc, Subject and Date as plain text; To's (name, address)),
        or None once the message was edited."""
        return (self._summary, self._recipient) if self.unchanged() else None


def known_headers(message: object) -> tuple[dict[str, str], tuple[str, str]] | None:
    """The plain-text headers a message xlsdun assembled carries (see `AssembledMessage`),
    or None for any other message, or one edited since: then its headers must be parsed."""
    known = getattr(message, "known_headers", None)
    return known() if known is not None else None


def _state(msg: EmailMessage) -> object:
    # typeshed declares neither of these private attributes of Message
    payload = msg._payload  # type: ignore[attr-defined]  # noqa: SLF001 - the message's own structure, compared not changed
    inner = tuple(_state(p) for p in payload) if isinstance(payload, list) else payload
    return (tuple(msg._headers), inner, msg.preamble, msg.epilogue)  # type: ignore[attr-defined]  # noqa: SLF001


def _leaf(part: Part) -> tuple[EmailMessage, str]:
    node = EmailMessage(policy=POLICY)
    for name, value in part.headers:
        node.set_raw(name, value)
    node.set_payload(part.payload)
    head = "".join(f"{name}: {value}{CRLF}" for name, value in part.headers)
    return node, head + CRLF + part.payload


def _multipart(
    node: EmailMessage, subtype: str, children: list[tuple[EmailMessage, str]]
) -> tuple[list[tuple[str, str]], str]:
    """Make `node` a multipart of `children`; its content headers and its flattened body,
    laid out as email.generator lays them out."""
    boundary = _boundary()
    headers = [("Content-Type", f'multipart/{subtype}; boundary="{boundary}"')]
    for child, _ in children:
        node.attach(child)
    body = f"--{boundary}{CRLF}" + f"{CRLF}--{boundary}{CRLF}".join(t for _, t in children)
    return headers, body + f"{CRLF}--{boundary}--{CRLF}"


def assemble(
    headers: list[tuple[str, str]],
    text: Part,
    html: Part,
    attachments: Sequence[Part],
    summary: dict[str, str],
    recipient: tuple[str, str],
) -> AssembledMessage:
    """The message: `headers` (name, folded value) then the MIME body; HeaderError if a
    header is not well-formed lines of at most 998 octets (`check_header`)."""
    for name, value in [*headers, *(h for part in attachments for h in part.headers)]:
        check_header(name, value)  # the text parts' and multiparts' headers are constants
    msg = AssembledMessage(policy=POLICY)
    alternative = [_leaf(text), _leaf(html)]
    if attachments:
        alt = EmailMessage(policy=POLICY)
        alt_headers, alt_body = _multipart(alt, "alternative", alternative)
        for name, value in alt_headers:
            alt.set_raw(name, value)
        alt_text = "".join(f"{n}: {v}{CRLF}" for n, v in alt_headers) + CRLF + alt_body
        content, body = _multipart(msg, "mixed", [(alt, alt_text), *map(_leaf, attachments)])
    else:
        content, body = _multipart(msg, "alternative", alternative)
    all_headers = [*headers, ("MIME-Version", "1.0"), *content]
    for name, value in all_headers:
        msg.set_raw(name, value)
    head = "".join(f"{name}: {value}{CRLF}" for name, value in all_headers)
    msg.wire = (head + CRLF + body).encode("ascii")
    msg._summary = summary
    msg._recipient = recipient
    msg._assembled = _state(msg)
    return msg


class WireMessage:
    """A message assembled in a helper process, as its bytes and plain-text headers: all the
    outbox needs. Anything else asking for a header gets the parsed message."""

    def __init__(self, wire: bytes, summary: dict[str, str], recipient: tuple[str, str]) -> None:
        self.wire = wire
        self._summary = summary
        self._recipient = recipient
        self._parsed: EmailMessage | None = None

    @staticmethod
    def parse(wire: bytes) -> EmailMessage:
        parsed = email.message_from_bytes(wire, policy=POLICY)
        assert isinstance(parsed, EmailMessage)
        return parsed

    def as_bytes(self) -> bytes:
        return self.wire

    def known_headers(self) -> tuple[dict[str, str], tuple[str, str]]:
        return self._summary, self._recipient

    def __getitem__(self, name: str) -> object:
        if self._parsed is None:
            self._parsed = self.parse(self.wire)
        return self._parsed[name]
