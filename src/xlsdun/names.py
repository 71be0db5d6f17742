"""What people type for a language or a currency, mapped to one code.

The reader normalises the sheet's values once with these, so the plan, the ledger, the JSON
and the messages all agree that "₪", "NIS" and "ש״ח" are one currency and "עברית" is Hebrew.
"""

from __future__ import annotations

HEBREW = frozenset({"he", "iw", "heb", "hebrew", "עברית", "עב", "ע"})
ENGLISH = frozenset({"en", "eng", "english", "אנגלית", "אנג", "א"})

CURRENCY_ALIASES: dict[str, str] = {
    "NIS": "ILS",
    "₪": "ILS",
    'ש"ח': "ILS",
    "ש״ח": "ILS",
    "שח": "ILS",
    "שקל": "ILS",
    "שקלים": "ILS",
    "$": "USD",
    "US$": "USD",
    "דולר": "USD",
    "€": "EUR",
    "אירו": "EUR",
    "יורו": "EUR",
    "£": "GBP",
}


def language_code(value: object, default: str) -> str:
    """'he' or 'en' for a Language cell ("Hebrew", "עברית", "he-IL", "iw"); else `default`."""
    text = str(value or "").strip().casefold().replace("_", "-").split("-")[0].strip()
    if text in HEBREW:
        return "he"
    if text in ENGLISH:
        return "en"
    return default


def currency_code(value: object, default: str) -> str:
    """An ISO currency code for a Currency cell ("₪", "NIS", "ש״ח", "usd"); else `default`."""
    text = str(value or "").strip()
    if not text:
        return default
    return CURRENCY_ALIASES.get(text, CURRENCY_ALIASES.get(text.upper(), text.upper()))
