"""International phone forms and WhatsApp links (xlsdun.phones)."""

from urllib.parse import unquote

import pytest

from xlsdun.phones import international, whatsapp_link


@pytest.mark.parametrize(
    ("number", "country", "expected"),
    [
        ("03-555-1234", "IL", "+972 3-555-1234"),
        ("0525551234", "IL", "+972 52-555-1234"),
        ("+1 415 555 0100", "IL", "+1 415-555-0100"),
        ("+44 20 7946 0958", "US", "+44 20 7946 0958"),
    ],
)
def test_international_form(number: str, country: str, expected: str) -> None:
    assert international(number, country) == expected


@pytest.mark.parametrize("number", ["", "   ", "abc", "12", "=HYPERLINK(1)"])
def test_not_a_number_is_none(number: str) -> None:
    assert international(number, "IL") is None
    assert whatsapp_link(number, "IL") is None


def test_whatsapp_link_for_a_mobile_prefills_the_text() -> None:
    link = whatsapp_link("052-555-1234", "IL", "שלום דנה, בעניין חשבונית INV-1 & עוד")
    assert link is not None
    assert link.startswith("https://wa.me/972525551234?text=")
    assert unquote(link.split("text=", 1)[1]) == "שלום דנה, בעניין חשבונית INV-1 & עוד"
    assert "&" not in link.split("text=", 1)[1]


def test_no_whatsapp_link_for_an_israeli_landline() -> None:
    assert whatsapp_link("03-555-1234", "IL") is None
