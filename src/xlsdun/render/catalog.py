"""Which messages and languages the built-in templates provide, and how a debtor's Language
cell picks one (`normalize_language`)."""

from __future__ import annotations

from ..models import EMAIL_TIERS
from ..names import language_code

VARIANT_TEMPLATES: tuple[str, ...] = ("broken_promise", "thank_you")  # chosen over the tier's
# the tiers that send email (models.EMAIL_TIERS, which the config checks against), then variants
TEMPLATE_NAMES: tuple[str, ...] = (*EMAIL_TIERS, *VARIANT_TEMPLATES)
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
