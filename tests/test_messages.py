"""Built messages, read back the way a mail client would: structure, headers, threading,
UTF-8, text/HTML agreement, injection, attachments, and template checking."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from support.message_setup import action, invoice, parse
from xlsdun.attachments import Rules
from xlsdun.config import LocaleConfig, SenderConfig, default_policy
from xlsdun.render import MissingAttachment, Renderer, RenderError, sample_action, template_names

TODAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=timezone(timedelta(hours=2)))
SENDER = SenderConfig(
    name="Dana Levi",
    email="dana@levistudio.example",
    reply_to="accounts@levistudio.example",
    business="Levi Design Studio",
    phone="+972-52-555-0199",
    bank_details="Bank Leumi (10), branch 800\nAccount no. 123456/78",
    pay_link="https://pay.example/levistudio",
)
HE_SENDER = replace(SENDER, name="דנה לוי", business="סטודיו לוי לעיצוב")


def renderer(**kwargs: object) -> Renderer:
    kwargs.setdefault("sender", SENDER)
    kwargs.setdefault("locale", LocaleConfig())
    kwargs.setdefault("policy", default_policy())
    return Renderer(**kwargs)  # type: ignore[arg-type]


def bodies(msg: EmailMessage) -> tuple[str, str]:
    alt = msg if msg.get_content_type() == "multipart/alternative" else msg.get_payload()[0]
    text, html = alt.get_payload()
    return text.get_content(), html.get_content()


# ---------------------------------------------------------------- structure and headers


def test_structure_is_text_then_html_in_utf8() -> None:
    msg = parse(renderer().render(sample_action("en", "direct", today=TODAY), today=TODAY, now=NOW))
    assert msg.get_content_type() == "multipart/alternative"
    text, html = msg.get_payload()
    assert text.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    assert text.get_content_charset() == "utf-8" and html.get_content_charset() == "utf-8"
    assert "Dear Sarah," in text.get_content()  # the sample names its contact person
    assert html.get_content().startswith("<!DOCTYPE html>")


def test_headers() -> None:
    act = replace(sample_action("en", "direct", today=TODAY), cc=("boss@harbourlane.example",))
    msg = parse(renderer().render(act, today=TODAY, now=NOW))
    assert msg["From"] == "Dana Levi <dana@levistudio.example>"
    assert msg["To"] == "Harbour Lane Bakery Ltd <accounts@harbourlane.example>"
    assert msg["Cc"] == "boss@harbourlane.example"
    assert msg["Reply-To"] == "Dana Levi <accounts@levistudio.example>"
    assert parsedate_to_datetime(msg["Date"]) == NOW
    assert re.fullmatch(r"<[^<>@\s]+@levistudio\.example>", msg["Message-ID"])
    assert msg["X-Mailer"] == "xlsdun"
    assert msg["Subject"].startswith("Overdue payment:")
    for bulk in ("Auto-Submitted", "Precedence", "List-Unsubscribe", "In-Reply-To"):
        assert msg[bulk] is None


def test_reply_to_defaults_to_the_sender() -> None:
    r = renderer(sender=replace(SENDER, reply_to=None))
    msg = parse(r.render(action(invoice()), today=TODAY, now=NOW))
    assert msg["Reply-To"] == "Dana Levi <dana@levistudio.example>"


def test_message_ids_are_unique_per_render() -> None:
    r = renderer()
    act = sample_action("en", "friendly", today=TODAY)
    ids = {r.render(act, today=TODAY, now=NOW)["Message-ID"] for _ in range(50)}
    assert len(ids) == 50


def test_threading_headers_follow_the_previous_message() -> None:
    act = replace(action(invoice()), previous_message_id="<abc.123@levistudio.example>")
    msg = parse(renderer().render(act, today=TODAY, now=NOW))
    assert msg["In-Reply-To"] == "<abc.123@levistudio.example>"
    assert msg["References"] == "<abc.123@levistudio.example>"
    chained = replace(
        act, thread=("abc.100@levistudio.example", "bad id", "abc.123@levistudio.example")
    )
    msg = parse(renderer().render(chained, today=TODAY, now=NOW))
    assert msg["In-Reply-To"] == "<abc.123@levistudio.example>"
    assert msg["References"].split() == [
        "<abc.100@levistudio.example>",
        "<abc.123@levistudio.example>",
    ]  # oldest first, ending with the parent; an id that is not one is left out
    bare = replace(act, previous_message_id="abc.124@levistudio.example")
    assert parse(renderer().render(bare, today=TODAY, now=NOW))["In-Reply-To"] == (
        "<abc.124@levistudio.example>"
    )


def test_naive_now_gets_the_configured_time_zone() -> None:
    msg = renderer().render(action(invoice()), today=TODAY, now=datetime(2026, 7, 1, 9, 0))
    assert parsedate_to_datetime(msg["Date"]).utcoffset() == timedelta(hours=3)  # IDT


def test_hebrew_subject_and_display_names_round_trip() -> None:
    act = sample_action("he", "direct", today=TODAY)
    built = renderer(sender=HE_SENDER).render(act, today=TODAY, now=NOW)
    raw = built.as_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()  # RFC 2047 encoded words, no raw 8-bit in headers
    msg = parse(built)
    assert msg["Subject"] == (
        "תשלום שמועדו עבר: חשבוניות 20451, 20466 ו־20479 על סך 8,240.50 ₪ מאת סטודיו לוי לעיצוב"
    )
    assert msg["From"].addresses[0].display_name == "דנה לוי"
    assert msg["To"].addresses[0].display_name == "מאפיית השדה בע״מ"
    text, html = bodies(msg)
    assert "שלום" in text and 'dir="rtl"' in html


@pytest.mark.parametrize("lang", ["en", "he"])
@pytest.mark.parametrize("name", template_names())
def test_text_and_html_carry_the_same_facts(lang: str, name: str) -> None:
    tier = {"broken_promise": "direct", "thank_you": "friendly"}.get(name, name)
    variant = name if name in ("broken_promise", "thank_you") else "standard"
    act = sample_action(lang, tier, variant, TODAY)
    text, html = bodies(parse(renderer().render(act, today=TODAY, now=NOW)))
    # the inbox preheader is hidden in the HTML and not in the text part, by design
    shown = re.sub(
        r"<div[^>]*display:none[^>]*>.*?</div>", "", html.split("<body", 1)[1], flags=re.S
    )
    visible_html = re.sub(r"<[^>]+>", " ", shown).replace("&nbsp;", " ")
    plain = re.sub("[\u2066-\u2069]", "", text).replace("\xa0", " ")

    def facts(body: str) -> dict[str, set[str]]:
        return {
            "amounts": set(re.findall(r"\d{1,3}(?:,\d{3})*\.\d{2}", body)),
            "numeric dates": set(re.findall(r"\b\d{1,2}\.\d{1,2}\.\d{4}\b", body)),
            "dates": set(re.findall(r"\b\d{1,2} [A-Z][a-z]{2,4} \d{4}\b", body)),
            "invoices": set(re.findall(r"\b(?:INV-)?\d{4,5}\b", body)) & set(act.invoice_ids),
        }

    assert facts(plain) == facts(visible_html)
    assert facts(plain)["invoices"] == set(act.invoice_ids)
    assert facts(plain)["amounts"]


# ---------------------------------------------------------------- injection


EVIL_NAME = 'Evil Corp\r\nBcc: victim@example.com\n<script>alert("x")</script> {{ 7*7 }}'


@pytest.mark.parametrize("lang", ["en", "he"])
def test_sheet_data_arrives_inert(lang: str) -> None:
    inv = invoice(
        "INV-9\r\nBcc: x@example.com{{ 7*7 }}",
        customer=EVIL_NAME,
        notes='<script>alert("notes")</script> {{ config }} INTERNAL-NOTE',
    )
    act = action(inv, language=lang)
    msg = parse(renderer().render(act, today=TODAY, now=NOW))
    assert msg["Bcc"] is None
    assert len(msg.get_all("To")) == 1
    to = msg["To"].addresses[0]
    assert to.addr_spec == "ap@acme.example"
    assert "\n" not in to.display_name and "\r" not in to.display_name
    assert "{{ 7*7 }}" in to.display_name  # shown as written, never evaluated
    assert "\n" not in msg["Subject"] and "INV-9 Bcc: x@example.com{{ 7*7 }}" in msg["Subject"]
    text, html = bodies(msg)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "{{ 7*7 }}" in text and "49" not in text and "49" not in html
    for body in (text, html):
        assert "INTERNAL-NOTE" not in body  # internal notes are never sent to the customer
        assert "\nBcc:" not in body


def test_header_breaking_previous_message_id_is_flattened() -> None:
    act = replace(action(invoice()), previous_message_id="<a@b>\r\nBcc: x@example.com")
    msg = parse(renderer().render(act, today=TODAY, now=NOW))
    assert msg["Bcc"] is None and "\n" not in msg["In-Reply-To"]


def test_a_bad_address_is_a_render_error_not_a_crash() -> None:
    with pytest.raises(RenderError):
        renderer().render(
            replace(action(invoice()), email="ap@acme.example\r\nBcc: x@y.z"), today=TODAY, now=NOW
        )
    with pytest.raises(RenderError):
        renderer().render(replace(action(invoice()), email="not an address"), today=TODAY, now=NOW)
    with pytest.raises(RenderError):
        renderer().render(replace(action(invoice()), email=None), today=TODAY, now=NOW)


# ---------------------------------------------------------------- attachments


def test_attachments_make_a_mixed_message(tmp_path: Path) -> None:
    (tmp_path / "pdf").mkdir()
    (tmp_path / "pdf" / "INV-1.pdf").write_bytes(b"%PDF-1.4 one")
    other = tmp_path / "elsewhere.pdf"
    other.write_bytes(b"%PDF-1.4 two")
    act = action(
        invoice("INV-1", attachment="pdf/INV-1.pdf"),
        invoice("INV-2", attachment=str(other)),  # absolute paths are allowed
        invoice("INV-3", attachment="pdf/INV-1.pdf"),  # same file: attached once
    )
    msg = parse(renderer(attachments=Rules(tmp_path)).render(act, today=TODAY, now=NOW))
    assert msg.get_content_type() == "multipart/mixed"
    alternative, *files = msg.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [f.get_filename() for f in files] == ["INV-1.pdf", "elsewhere.pdf"]
    assert [f.get_content_type() for f in files] == ["application/pdf", "application/pdf"]
    assert files[0].get_content() == b"%PDF-1.4 one"
    text, html = bodies(msg)
    assert "INV-3" in text and "INV-3" in html


def test_missing_attachment_names_the_file_and_the_invoice(tmp_path: Path) -> None:
    act = action(invoice("INV-7", attachment="pdf/missing.pdf"))
    with pytest.raises(MissingAttachment) as err:
        renderer(attachments=Rules(tmp_path)).render(act, today=TODAY, now=NOW)
    assert isinstance(err.value, RenderError)
    assert "INV-7" in str(err.value) and "missing.pdf" in str(err.value)
    assert err.value.invoice == "INV-7"


def test_unknown_attachment_type_is_octet_stream(tmp_path: Path) -> None:
    (tmp_path / "statement.xyz123").write_bytes(b"\x00\x01")
    act = action(invoice(attachment="statement.xyz123"))
    msg = parse(renderer(attachments=Rules(tmp_path)).render(act, today=TODAY, now=NOW))
    assert msg.get_payload()[1].get_content_type() == "application/octet-stream"


# ---------------------------------------------------------------- check()


def test_check_is_clean_for_built_in_templates() -> None:
    assert renderer().check() == []


def test_check_reports_file_and_line_of_a_broken_user_template(tmp_path: Path) -> None:
    (tmp_path / "he").mkdir()
    broken = tmp_path / "he" / "friendly.txt.j2"
    broken.write_text("שלום {{ customer }},\n{% if %}\n", encoding="utf-8")
    undefined = tmp_path / "he" / "plan.html.j2"
    undefined.write_text("<p>\n{{ customer }}\n{{ no_such_thing.here }}\n</p>\n", encoding="utf-8")
    problems = renderer(template_dir=tmp_path).check()
    assert any(p.startswith(f"{broken}:2: ") for p in problems), problems
    assert any(p.startswith(f"{undefined}:3: ") for p in problems), problems
    assert len(problems) == 2


def test_check_reports_a_missing_template_folder(tmp_path: Path) -> None:
    problems = renderer(template_dir=tmp_path / "nope").check()
    assert problems and "template folder not found" in problems[0]


def test_unknown_language_falls_back_to_english() -> None:
    msg = parse(renderer().render(action(invoice(), language="fr"), today=TODAY, now=NOW))
    assert bodies(msg)[0].startswith("Dear Acme team,")


def test_hebrew_name_with_ascii_quote_round_trips() -> None:
    act = action(invoice(customer='מאפיית השדה בע"מ'), language="he")
    msg = parse(renderer().render(act, today=TODAY, now=NOW))
    assert msg["To"].addresses[0].display_name == 'מאפיית השדה בע"מ'
    assert msg["To"].addresses[0].addr_spec == "ap@acme.example"


def test_malformed_addresses_are_render_errors() -> None:
    for bad in ("a@b@c", "@example.com", "x@"):
        with pytest.raises(RenderError):
            renderer().render(replace(action(invoice()), email=bad), today=TODAY, now=NOW)
    with pytest.raises(RenderError):
        renderer().render(replace(action(invoice()), cc=("a@b@c",)), today=TODAY, now=NOW)


def test_check_reports_a_bad_sender_address() -> None:
    problems = renderer(sender=replace(SENDER, reply_to="accounts@@levi")).check()
    assert len(problems) == 1 and "sender.reply_to" in problems[0]
