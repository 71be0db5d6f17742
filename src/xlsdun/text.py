"""The character classes text is cleaned with, so "control character" means one thing in the
reader, the config, the messages and the terminal (each then removes, spaces or refuses)."""

CONTROL = "\x00-\x1f\x7f-\x9f\u2028\u2029"  # C0 and C1 controls, DEL, line/paragraph separators
BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"  # embeddings, overrides and isolates
BIDI_MARKS = "\u200e\u200f\u061c"  # left-to-right, right-to-left and Arabic letter marks

# What makes Excel or LibreOffice read a cell of a CSV (or of an openpyxl sheet) as a formula:
# = + - @, a tab or line break before them, and the full-width forms some Excel versions take
# as the same; leading spaces do not stop it.
FORMULA_START = tuple("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")


def starts_formula(text: str) -> bool:
    """True when a spreadsheet would run `text` as a formula (the outbox's index, the plan file)."""
    return text.lstrip(" ").startswith(FORMULA_START)
