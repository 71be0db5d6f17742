"""The encodings a CSV or text export may be read in (`[workbook] encoding`): what people
write for them → Python's codec name. Kept apart from textfile.py so the config can check
the key without loading pandas."""

from __future__ import annotations

import codecs

# Python's codec name → how the README and the errors call it
ENCODINGS: dict[str, str] = {
    "utf-8": "utf-8",
    "utf-16": "utf-16",
    "utf-16-le": "utf-16-le",
    "utf-16-be": "utf-16-be",
    "cp1255": "windows-1255",
    "cp1252": "windows-1252",
    "iso8859-1": "latin-1",
}
_SPELLINGS = {"utf-8-sig": "utf-8", "unicode": "utf-16", "hebrew": "cp1255", "1255": "cp1255"}


def encoding_name(text: str) -> str | None:
    """The codec an `encoding` key names ("Windows-1255", "cp1255", "UTF8", "Unicode"), or
    None if it is not one xlsdun reads exports in (an unknown name, or a codec like "rot13"
    or "base64" that is no text encoding of a file)."""
    key = text.strip().casefold()
    if key in _SPELLINGS:
        return _SPELLINGS[key]
    try:
        name = codecs.lookup(key).name
    except LookupError:
        return None
    name = _SPELLINGS.get(name, name)
    return name if name in ENCODINGS else None


def shown_name(codec: str) -> str:
    """A codec as people call it ("windows-1255" for cp1255)."""
    return ENCODINGS.get(codec, codec)
