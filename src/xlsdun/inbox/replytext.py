"""A reply's own lines, with the quoted reminder below it stripped: mail-parser-reply for the
English (and other) reply headers mail clients write, plus the Hebrew ones it does not know
(Gmail's "בתאריך ... מאת ...:", Outlook's "מאת: / נשלח: / אל: / נושא:").
"""

from __future__ import annotations

import re

from ..render.cleaning import clean_line, shorten

FIRST_LINE_MAX = 160  # shown in the plan, the sheet's status and the digest
FIRST_LINES = 3  # the digest shows this many

_HEBREW_HEADERS = re.compile(
    r"(?m)^[\s\u200e\u200f\u202a-\u202e\u2066-\u2069>]*(?:"
    r"בתאריך\s.{0,200}?(?:מאת|כתב|כתבה)\b.{0,200}?:\s*$"  # Gmail in Hebrew
    r"|מאת:\s.*\n[\s\u200e\u200f]*(?:נשלח|תאריך):"  # Outlook in Hebrew
    r"|-{2,}\s*(?:הודעה מקורית|ההודעה המקורית|הודעה שהועברה)\s*-{2,}"
    r")"
)
_GENERIC = re.compile(
    r"(?mi)^[\s>]*(?:-{2,}\s*(?:original message|forwarded message)\s*-{2,}"
    r"|from:\s.*\n[\s>]*(?:sent|date):"
    r"|on\s.{0,300}\swrote:\s*$)"
)
_GREETING = re.compile(
    r"(?i)^(?:hi|hello|dear|good (?:morning|afternoon|evening)|hey|שלום|היי|הי|בוקר טוב|ערב טוב)\b.{0,40}[,:!]?$"
)


def own_text(text: str) -> str:
    """`text` above the first quoted-reply header, with `>` quoted lines dropped."""
    from mailparser_reply import EmailReplyParser

    text = text.replace("\r\n", "\n")
    cut = len(text)
    for pattern in (_HEBREW_HEADERS, _GENERIC):
        found = pattern.search(text)
        if found:
            cut = min(cut, found.start())
    text = text[:cut]
    try:
        parsed = EmailReplyParser(languages=["en", "de", "fr"]).parse_reply(text=text)
    except Exception:  # noqa: BLE001 - a library's regex on hostile text: keep ours
        parsed = text
    lines = [line for line in (parsed or text).split("\n") if not line.lstrip().startswith(">")]
    return "\n".join(lines).strip()


def first_lines(text: str, count: int = FIRST_LINES) -> tuple[str, ...]:
    """The reply's first `count` lines of substance: cleaned, shortened, a lone greeting
    ("שלום,", "Hi Dana,") skipped as the first."""
    lines = [shorten(clean_line(line), FIRST_LINE_MAX) for line in own_text(text).split("\n")]
    lines = [line for line in lines if line]
    if len(lines) > 1 and _GREETING.match(lines[0]) and len(lines[0].split()) <= 4:
        lines = lines[1:]
    return tuple(lines[:count])
