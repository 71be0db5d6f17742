"""A message's readable text: the plain part, else the HTML part's text, in whatever charset
it came (UTF-8, ISO-8859-8, Windows-1255, a misspelt or unknown one read as best it can).

Every input is hostile: the text is only ever shown as a few cleaned lines, a message or a
part past `MAX_BYTES` is cut, and the HTML is parsed by lxml (no scripts run, nothing fetched).
"""

from __future__ import annotations

import re
from email.message import EmailMessage, Message

MAX_BYTES = 256 * 1024  # of one text part: a reply's first lines are near its top
_ALIASES = {
    "iso-8859-8-i": "iso-8859-8",  # "logical" Hebrew: the same bytes
    "iso-8859-8-e": "iso-8859-8",
    "windows-1255": "cp1255",
    "x-unknown": "utf-8",
    "unknown-8bit": "utf-8",
}
_BLOCKS = re.compile(r"(?i)<\s*(br|/p|/div|/tr|/li|/h\d|/blockquote)\b[^>]*>")


def decoded(part: Message) -> str:
    """A text part's payload as text: its charset (or a known alias of it), else UTF-8, and
    bytes no charset explains replaced rather than refused."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    payload = payload[:MAX_BYTES]
    charset = (part.get_content_charset() or "utf-8").strip().lower()
    charset = _ALIASES.get(charset, charset)
    for name in (charset, "utf-8"):
        try:
            return payload.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("cp1255" if _looks_hebrew_8bit(payload) else "latin-1", "replace")


def _looks_hebrew_8bit(payload: bytes) -> bool:
    """Undeclared 8-bit text whose high bytes sit where Hebrew letters are (0xE0-0xFA)."""
    high = [b for b in payload if b >= 0x80]
    return bool(high) and sum(0xE0 <= b <= 0xFA for b in high) * 2 > len(high)


def html_text(html: str) -> str:
    """The text of an HTML body, one line per block, without its quoted parts' markup."""
    import lxml.html

    marked = _BLOCKS.sub(lambda m: "\n" + m.group(0), html)
    try:
        tree = lxml.html.fromstring(marked)
    except (ValueError, lxml.etree.ParserError):
        return ""
    for bad in tree.xpath("//script|//style|//head"):
        bad.drop_tree()
    for quote in tree.xpath("//blockquote"):  # the quoted reminder, as clients mark it
        quote.drop_tree()
    return str(tree.text_content())


def body_text(msg: EmailMessage) -> str:
    """The message's own text: its first text/plain part that is not an attachment, else
    its first text/html part's text; "" when it has neither."""
    plain = html = None
    for part in msg.walk():
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        kind = part.get_content_type()
        if kind == "message/rfc822":
            break  # a forwarded or bounced message: its text is not the sender's own
        if kind == "text/plain" and plain is None:
            plain = decoded(part)
        elif kind == "text/html" and html is None:
            html = decoded(part)
    if plain and plain.strip():
        return plain
    return html_text(html) if html else (plain or "")
