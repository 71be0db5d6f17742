"""Hostile values at the edges of a message: header line limits and text direction.

Every header line stays within RFC 5322's 998 octets whatever the sheet holds, and a
direction override in a customer's name (U+202E) cannot turn xlsdun's own text around it,
in English messages as in Hebrew ones.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from support.message_setup import action, invoice, parse
from xlsdun import mime
from xlsdun.attachments import Rules
from xlsdun.config import LocaleConfig, SenderConfig, default_policy
from xlsdun.models import Action
from xlsdun.render import (
    FSI,
    MAX_DISPLAY_NAME,
    MAX_SUBJECT,
    PDF,
    PDI,
    Renderer,
    close_bidi,
    sample_action,
)

TODAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
RLO, LRO, RLE, RLI = "\u202e", "\u202d", "\u202b", "\u2067"
CONTROLS = {chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]}


def renderer(tmp_path: Path | None = None, **sender: str) -> Renderer:
    return Renderer(
        sender=replace(SenderConfig(name="Dana Levi", email="dana@levi.example"), **sender),
        locale=LocaleConfig(language="en"),
        policy=default_policy(),
        attachments=Rules(tmp_path or Path.cwd()),
    )


def debtor(
    customer: str,
    number: str = "INV-7",
    language: str = "en",
    count: int = 1,
    attachment: str | None = None,
    **more: object,
) -> Action:
    """`count` invoices of `customer` (the first with `attachment`), in `language`."""
    invoices = (
        invoice(
            f"{number}{n or ''}",
            row=5 + n,
            customer=customer,
            due_date=date(2026, 11, 1),
            invoice_date=None,
            balance=Decimal("1250"),
            attachment=attachment if n == 0 else None,
        )
        for n in range(count)
    )
    return action(*invoices, language=language, **more)


# -- header lines ---------------------------------------------------------------------------

LONG_NAME = "Harbour " * 200 + "Bakery"  # 1,606 characters
LONG_WORD = "N" * 1500  # one word that cannot fold
HEBREW = "מאפיית השדה " * 150


@pytest.mark.parametrize(
    "customer", [LONG_NAME, LONG_WORD, HEBREW, "x" * 40 + "," * 1000 + '"\\' * 300]
)
@pytest.mark.parametrize("previous", ["p" * 240 + "@levi.example", "שלום@levi.example"])
def test_every_header_line_fits_whatever_the_sheet_holds(
    tmp_path: Path, customer: str, previous: str
) -> None:
    filename = "ח" * 80 + "-" + "😀" * 20 + ".pdf"  # 105 characters, 245 bytes
    (tmp_path / filename).write_bytes(b"%PDF-1.4")
    action = debtor(
        customer,
        number="INV-" + "9" * 20_000,  # the subject names it
        cc=tuple(f"{'c' * 60}{n}@{'d' * 63}.{'e' * 63}.example" for n in range(40)),
        previous_message_id=previous,
        attachment=filename,
    )
    message = renderer(tmp_path).render(action, today=TODAY, now=NOW)
    assert isinstance(message, mime.AssembledMessage)  # one builder: every address is ASCII
    wire = message.as_bytes()
    head = wire.split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in wire.split(b"\r\n")) <= 998
    assert max(len(line) for line in head.split(b"\r\n")) <= 998

    msg = parse(wire)
    for part in msg.walk():
        assert not part.defects, part.defects
    # a Message-ID followed up on is ASCII, as every id xlsdun makes: another is dropped
    assert (msg["In-Reply-To"] is None) == (not previous.isascii())
    assert len(msg["Subject"]) <= MAX_SUBJECT and msg["Subject"].endswith("…")
    (to,) = msg["To"].addresses
    assert to.addr_spec == "ap@acme.example"
    # (Python's parser shows the folds between encoded words as spaces; mail clients don't)
    shown = "".join(to.display_name.split())
    assert shown.endswith("…") and shown[:-1] in "".join(customer.split())
    assert len(shown) <= MAX_DISPLAY_NAME
    assert len(msg["Cc"].addresses) == 40
    (attachment,) = list(msg.iter_attachments())
    name = attachment.get_filename()
    assert name.endswith(".pdf") and name.startswith("ח" * 10) and len(name) <= 100
    assert attachment.get_content() == b"%PDF-1.4"


def test_a_short_name_and_subject_are_left_as_written() -> None:
    message = renderer().render(sample_action("en", "direct", today=TODAY), today=TODAY, now=NOW)
    msg = parse(message)
    assert msg["To"].addresses[0].display_name == "Harbour Lane Bakery Ltd"
    assert not msg["Subject"].endswith("…")


@pytest.mark.parametrize(
    "value",
    ["a\r\nBcc: x@evil.example", "a\nb", "a\rb", "a\x00b", "x" * 990],
)
def test_the_assembler_refuses_a_header_that_would_break_the_message(value: str) -> None:
    with pytest.raises(mime.HeaderError):
        mime.check_header("Subject", value)
    text = mime.text_part("hello\n", "plain", "quoted-printable")
    with pytest.raises(mime.HeaderError):
        mime.assemble([("Subject", value)], text, text, [], {}, ("", "a@b.example"))


def test_a_folded_header_passes_the_check() -> None:
    folded = mime.fold("Subject", mime.unstructured_tokens("word " * 300))
    assert "\r\n " in folded
    mime.check_header("Subject", folded)


# -- text direction --------------------------------------------------------------------------


def leaks(text: str) -> list[str]:
    """Lines that end with an embedding, override or isolate still open: whatever follows
    the user's value on such a line (xlsdun's own words) is turned around with it."""
    found = []
    for line in text.splitlines():
        stack: list[str] = []
        for ch in line:
            if ch in (RLE, "\u202a", RLO, LRO):
                stack.append("e")
            elif ch in ("\u2066", RLI, FSI):
                stack.append("i")
            elif ch == PDF and stack and stack[-1] == "e":
                stack.pop()
            elif ch == PDI and "i" in stack:
                while stack.pop() != "i":
                    pass
        if stack:
            found.append(line)
    return found


SPOOF = f"Evil {RLO}gnp.exe Ltd"


def test_an_override_in_a_name_is_isolated_in_english_text_html_and_headers() -> None:
    action = debtor(SPOOF, number=f"INV-{RLO}7")
    message = renderer().render(action, today=TODAY, now=NOW)
    msg = parse(message)
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert leaks(text) == []
    assert f"Dear {FSI}Evil {RLO}gnp.exe Ltd{PDF}{PDI} team," in text
    assert f'Dear <span dir="auto">Evil {RLO}gnp.exe Ltd{PDF}</span> team,' in html
    assert f'<span dir="ltr">INV-{RLO}7{PDF}</span>' in html
    for header in ("Subject", "To"):
        assert not CONTROLS & set(str(msg[header])), header
    assert msg["To"].addresses[0].display_name == "Evil gnp.exe Ltd"
    assert "INV-7" in msg["Subject"]


def test_a_hebrew_name_in_an_english_message_is_isolated_and_a_latin_one_is_left_alone() -> None:
    parts = renderer().render_parts(debtor("מאפיית השדה"), today=TODAY)
    assert f"Dear {FSI}מאפיית השדה{PDI} team," in parts.text
    assert 'Dear <span dir="auto">מאפיית השדה</span> team,' in parts.html
    plain = renderer().render_parts(debtor("Acme Ltd"), today=TODAY)
    assert "Dear Acme team," in plain.text and "Dear Acme team," in plain.html
    assert not CONTROLS & set(plain.text + plain.html)


def test_hebrew_messages_keep_isolating_and_contain_an_override() -> None:
    parts = renderer().render_parts(debtor(SPOOF, language="he"), today=TODAY)
    assert leaks(parts.text) == []
    assert not CONTROLS & set(parts.subject)


def test_a_user_template_without_filters_cannot_leak_an_override(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "direct.txt.j2").write_text(
        "Dear {{ customer }}, invoice {{ invoices[0].number }} is overdue.\n", encoding="utf-8"
    )
    r = Renderer(
        sender=SenderConfig(),
        locale=LocaleConfig(language="en"),
        policy=default_policy(),
        template_dir=tmp_path,
    )
    text = r.render_parts(debtor(f"A {RLO}B {LRO}C", number=f"N{RLI}1", count=2), today=TODAY).text
    assert leaks(text) == []
    assert text.startswith(f"Dear A {RLO}B {LRO}C{PDF}{PDF}, invoice N{RLI}1{PDI}")


@pytest.mark.parametrize(
    ("given", "closed"),
    [
        ("plain", "plain"),
        (f"a{RLO}b", f"a{RLO}b{PDF}"),
        (f"a{RLO}b{PDF}c", f"a{RLO}b{PDF}c"),
        (f"a{PDF}{PDF}b", "ab"),  # closers with nothing to close are dropped
        (f"a{PDI}b", "ab"),
        (f"{RLI}a{RLO}b", f"{RLI}a{RLO}b{PDF}{PDI}"),
        (f"{RLI}a{RLO}b{PDI}c", f"{RLI}a{RLO}b{PDI}c"),  # a PDI closes inside its isolate
        (f"{RLO}a{RLI}b{PDF}c", f"{RLO}a{RLI}bc{PDI}{PDF}"),  # a PDF cannot reach out
    ],
)
def test_close_bidi(given: str, closed: str) -> None:
    assert close_bidi(given) == closed
    assert leaks(closed + " xlsdun's own words") == []
