"""Which messages and languages the built-in templates provide, and how a debtor's Language
cell picks one (`normalize_language`)."""

from __future__ import annotations

from ..names import language_code

TEMPLATE_NAMES: tuple[str, ...] = (
    "courtesy",
    "friendly",
    "direct",
    "plan",
    "final",
    "broken_promise",
    "thank_you",
)
VARIANT_TEMPLATES: tuple[str, ...] = ("broken_promise", "thank_you")  # chosen over the tier's
LANGUAGES: tuple[str, ...] = ("en", "he")
RTL_LANGUAGES = frozenset({"he"})


def template_names() -> tuple[str, ...]:
    """The message templates every language folder provides, gentlest first."""
    return TEMPLATE_NAMES


def normalize_language(value: str | None) -> str:
    """Map what people type in a Language column to a template folder ("he" or "en")."""
    return language_code(value, "en")


def direction(language: str) -> str:
    """The base direction of a message in `language`: "rtl" or "ltr"."""
    return "rtl" if language in RTL_LANGUAGES else "ltr"
