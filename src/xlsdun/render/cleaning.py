"""Text from the sheet made safe to show: one line, no direction control left open, nothing
that could break a header, and only http(s) links.

Everything from the workbook is data: these functions are applied to it before it reaches a
template (as a value, never as template source) or a header.
"""

from __future__ import annotations

import re

from ..text import BIDI_CONTROLS, BIDI_MARKS, CONTROL

LRI, FSI, PDI = "\u2066", "\u2068", "\u2069"
PDF = "\u202c"
BIDI_MARKS_RE = re.compile(f"[{BIDI_MARKS}]")
# Embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069): their effect lasts
# until closed, so one left open in a customer's name would turn xlsdun's own text around it.
_BIDI_CONTROLS = re.compile(f"[{BIDI_CONTROLS}]")
_OPENERS = {"\u202a": PDF, "\u202b": PDF, "\u202d": PDF, "\u202e": PDF}
_OPENERS.update({"\u2066": PDI, "\u2067": PDI, "\u2068": PDI})
# What a left-to-right message isolates: right-to-left letters (Hebrew, Arabic, Syriac,
# Thaana, N'Ko, ... and their presentation forms) and direction controls.
NEEDS_ISOLATION = re.compile(
    f"[\u0590-\u08ff\u200f{BIDI_CONTROLS}\ufb1d-\ufdff\ufe70-\ufefe"
    "\U00010800-\U00010fff\U0001e800-\U0001efff]"
)
_CONTROL = re.compile(f"[{CONTROL}]+")
_SAFE_URL = re.compile(r"^https?://[^\s<>\"'\\]+$", re.IGNORECASE)


def clean_line(value: object) -> str:
    """One line of display text: no control characters, line breaks or runs of spaces, and
    no direction override or isolate left open past its end (`close_bidi`)."""
    text = " ".join(_CONTROL.sub(" ", str(value)).split())
    if text.isascii() or not _BIDI_CONTROLS.search(text):  # isascii: the usual cell, ~30 ns
        return text
    return close_bidi(text)


def close_bidi(text: str) -> str:
    """`text` with every embedding, override and isolate it opens closed at its end, and
    stray closers dropped, so it cannot turn the text that follows it around."""
    out: list[str] = []
    stack: list[str] = []  # the closer each open control needs, innermost last
    for ch in text:
        if ch in _OPENERS:
            stack.append(_OPENERS[ch])
        elif ch == PDF:
            if not stack or stack[-1] != PDF:
                continue  # closes nothing (or would reach into an isolate): dropped
            stack.pop()
        elif ch == PDI:
            if PDI not in stack:
                continue
            while stack.pop() != PDI:  # a PDI also closes what was opened inside its isolate
                pass
        out.append(ch)
    return "".join(out) + "".join(reversed(stack))


def header_safe(value: object) -> str:
    """Text that can go into a header: every CR, LF and control character removed, and the
    direction controls too (a header has no isolates to hold them)."""
    text = str(value)
    if not text.isascii():
        text = _BIDI_CONTROLS.sub("", text)
    return " ".join(_CONTROL.sub(" ", text).split())


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters: the start and "…" (a header must stay within RFC 5322's
    998-octet lines, and nobody reads a 7 MB subject)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def safe_url(value: str | None) -> str | None:
    """An http(s) link, or None: other schemes (javascript:, data:, file:) never become links."""
    if not value:
        return None
    url = value.strip()
    return url if _SAFE_URL.match(url) else None
