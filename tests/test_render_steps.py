"""The render package's units alone: each message-context step, the envelope's helpers, the
sample debtor's parts, the environment's error locations and the renderer's check steps.

The whole path is covered by test_render.py (golden files), test_messages.py and
test_message_edges.py; these pin each step's own rule so a change shows where it is.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import jinja2
import pytest

from support.message_setup import action, invoice
from xlsdun.attachments import Refusal, Rules
from xlsdun.config import LocaleConfig, SenderConfig, default_policy
from xlsdun.models import FeeLine
from xlsdun.render import catalog, context, envelope, environment, samples
from xlsdun.render.errors import BadAddress, MissingAttachment, RenderError
from xlsdun.render.renderer import Renderer, tidy_text
from xlsdun.render.views import InvoiceLink, Total, sorted_invoices, to_cents, totals

TODAY = date(2026, 11, 26)  # a Thursday
SENDER = SenderConfig(
    name="Dana Levi",
    email="dana@levi.example",
    reply_to="accounts@levi.example",
    phone=" +972-52-555-0199\n",
    bank_details="\n Bank Leumi 10/800 \n",
    pay_link="https://pay.example/levi",
)
POLICY = default_policy()


def facts(act: object = None, **changes: object) -> context.Facts:
    made = context.Facts.of(
        act or action(invoice()),  # type: ignore[arg-type]
        today=TODAY,
        sender=SENDER,
        policy=POLICY,
        locale=LocaleConfig(),
    )
    return replace(made, **changes)  # type: ignore[arg-type]


# ---------------------------------------------------------------- the context steps


def test_the_steps_build_the_whole_context_each_key_once() -> None:
    f = facts()
    keys = [key for step in context.CONTEXT_STEPS for key in step(f)]
    assert len(keys) == len(set(keys))
    built = context.message_context(
        action(invoice()), today=TODAY, sender=SENDER, policy=POLICY, locale=LocaleConfig()
    )
    assert list(built) == keys  # the order the context always listed its keys in


def test_facts_sort_invoices_oldest_first_and_clean_them() -> None:
    act = action(
        invoice("B\nnew", due_date=date(2026, 11, 20), currency="NIS"),
        invoice("A", due_date=date(2026, 11, 1), currency="usd", pay_link="javascript:x"),
        fees=(FeeLine("late_fee", "ש״ח", Decimal("5")),),
        language="עברית",
    )
    f = facts(act)
    assert [i.number for i in f.invoices] == ["A", "B new"]
    assert [i.currency for i in f.invoices] == ["USD", "ILS"]
    assert f.invoices[0].pay_link is None and f.invoices[0].days_overdue == 25
    assert f.language == "he" and f.fees[0].label == "דמי פיגורים" and f.fees[0].currency == "ILS"
    assert f.totals == [Total("USD", Decimal("1000.00")), Total("ILS", Decimal("1000.00"))]


def test_debtor_values_are_one_line_each() -> None:
    act = action(invoice(), customer="Acme\r\nLtd\u202e", email=None, contact=" Dana\n Levi ")
    assert context.debtor_values(facts(act)) == {
        "customer": "Acme Ltd\u202e\u202c",
        "customer_email": "",
        "contact": "Dana Levi",
        "organisation": "Acme Ltd\u202e\u202c",  # the suffix is not the name's end here
        "firm": True,  # a direct reminder
    }
    assert context.debtor_values(facts(action(invoice())))["contact"] == ""


def test_totals_with_fees_only_in_the_currencies_fees_are_in() -> None:
    act = action(
        invoice("1", currency="ILS"),
        invoice("2", currency="USD"),
        fees=(FeeLine("late_fee", "ILS", Decimal("50")),),
    )
    values = context.amount_values(facts(act))
    assert values["invoice_count"] == 2
    assert values["totals_with_fees"] == [Total("ILS", Decimal("1050.00"))]


def test_timing_values() -> None:
    act = action(
        invoice("1", due_date=date(2026, 11, 1), promise_date=date(2026, 11, 10)),
        invoice("2", due_date=date(2026, 11, 15), promise_date=date(2026, 11, 20)),
        tier="final",
        earlier=(date(2026, 11, 12), date(2026, 11, 19)),
    )
    values = context.timing_values(facts(act))
    assert values["max_days_overdue"] == 25 and values["any_overdue"]
    assert values["oldest_due"] == date(2026, 11, 1) and values["promise_date"] == date(
        2026, 11, 20
    )
    assert values["tier"] == "final" and values["today"] == TODAY
    assert values["deadline"] == date(2026, 12, 6)  # 10 days on is a Sunday: fine in Israel
    assert values["earlier"] == [date(2026, 11, 12), date(2026, 11, 19)]
    empty = context.timing_values(facts(invoices=[]))
    assert empty["max_days_overdue"] == 0 and not empty["any_overdue"]
    assert empty["oldest_due"] == TODAY and empty["promise_date"] is None


def test_offer_values_follow_the_policy() -> None:
    none = context.offer_values(facts(policy=replace(POLICY, installments=1)))
    assert none["installment_amounts"] == [] and none["discount"] is None
    assert none["discounted_totals"] == [] and none["interest_rate"] is None
    policy = replace(
        POLICY,
        installments=3,
        early_payment_discount=Decimal("0.02"),
        late_interest_annual=Decimal("0.04"),
    )
    offers = context.offer_values(facts(policy=policy))
    # the first instalment takes the odd cent (333.34 / 333.33 / 333.33)
    assert offers["installment_amounts"] == [Total("ILS", Decimal("333.34"))]
    assert offers["discounted_totals"] == [Total("ILS", Decimal("980.00"))]
    assert offers["discount_until"] == date(2026, 12, 3)
    assert offers["interest_rate"] == Decimal("0.04")


def test_payment_values() -> None:
    values = context.payment_values(facts())
    assert values == {
        "pay_link": "https://pay.example/levi",
        "invoice_pay_links": [],
        "bank_details": "Bank Leumi 10/800",
        "iban": "",
        "swift": "",
        "reply_to": "accounts@levi.example",
        "phone": "+972-52-555-0199",
    }
    act = action(
        invoice("1", pay_link="https://pay.example/1"),
        invoice("2", pay_link="https://pay.example/2"),
    )
    values = context.payment_values(facts(act))
    assert values["pay_link"] == "https://pay.example/1"
    assert values["invoice_pay_links"] == [
        InvoiceLink("1", "https://pay.example/1"),
        InvoiceLink("2", "https://pay.example/2"),
    ]


def test_language_values() -> None:
    assert context.language_values(facts(language="he")) == {"language": "he", "direction": "rtl"}
    assert context.language_values(facts()) == {"language": "en", "direction": "ltr"}


def test_deadline_moves_past_the_countrys_weekend() -> None:
    assert context.deadline(TODAY, 1, "IL") == date(2026, 11, 29)  # Fri -> Sun
    assert context.deadline(TODAY, 2, "US") == date(2026, 11, 30)  # Sat -> Mon
    assert context.deadline(TODAY, 0, "IL") == TODAY


def test_fee_view_labels_and_interest_rate() -> None:
    policy = replace(POLICY, late_interest_annual=Decimal("0.045"))
    interest = context.fee_view(FeeLine("interest", "", Decimal("3"), "x"), "he", policy, "ILS")
    assert interest.label == "ריבית פיגורים" and interest.detail == "4.5% לשנה"
    assert interest.currency == "ILS"
    odd = context.fee_view(FeeLine("admin_fee", "usd", Decimal("1"), "a\nb"), "fr", POLICY, "ILS")
    assert (odd.label, odd.detail, odd.currency) == ("admin fee", "a b", "USD")


def test_views_helpers() -> None:
    assert to_cents(Decimal("2.345")) == Decimal("2.35")
    assert totals([("ILS", Decimal(1)), ("USD", Decimal(2)), ("ILS", Decimal(3))]) == [
        Total("ILS", Decimal(4)),
        Total("USD", Decimal(2)),
    ]
    same_day = [invoice("B", row=3), invoice("A", row=5), invoice("A", row=4)]
    assert [(i.invoice, i.row) for i in sorted_invoices(same_day)] == [
        ("A", 4),
        ("A", 5),
        ("B", 3),
    ]


def test_catalog() -> None:
    assert catalog.direction("he") == "rtl" and catalog.direction("en") == "ltr"
    assert set(catalog.VARIANT_TEMPLATES) < set(catalog.TEMPLATE_NAMES)
    assert catalog.normalize_language("he-IL") == "he"


# ---------------------------------------------------------------- the envelope


def test_recipients() -> None:
    act = action(invoice(), customer="Acme\nLtd", cc=("cc@acme.example", " ", ""))
    to, cc = envelope.recipients(act)
    assert to == ("Acme Ltd", "ap@acme.example") and cc == (("", "cc@acme.example"),)
    with pytest.raises(BadAddress, match="no email address"):
        envelope.recipients(replace(act, email=None))
    with pytest.raises(BadAddress, match=r"\(cc\)"):
        envelope.recipients(replace(act, cc=("not an address",)))


def test_sender_addresses() -> None:
    assert envelope.sender_addresses(SENDER) == (
        ("Dana Levi", "dana@levi.example"),
        ("Dana Levi", "accounts@levi.example"),
    )
    assert envelope.sender_addresses(replace(SENDER, reply_to=None))[1][1] == "dana@levi.example"
    with pytest.raises(RenderError, match="sender.reply_to"):
        envelope.sender_addresses(replace(SENDER, reply_to="x@@y"))


def test_message_id_of_a_follow_up() -> None:
    assert envelope.message_id("<a.1@levi.example>") == "a.1@levi.example"
    assert envelope.message_id(" <a@b.example> <c@d.example>") == "a@b.example"
    assert envelope.message_id("no id here") == ""
    assert envelope.message_id("<שלום@levi.example>") == ""
    assert envelope.message_id(None) == ""


def test_references_chain_the_debts_reminders_ending_with_the_parent() -> None:
    parent = "p@levi.example"
    assert envelope.references((), parent) == [parent]
    # the parent ends the chain once, wherever the thread names it; ids once each, <> off
    thread = ("<a@levi.example>", parent, "b@levi.example", "a@levi.example", "bad id", parent)
    assert envelope.references(thread, parent) == ["a@levi.example", "b@levi.example", parent]
    ten = tuple(f"{n}@levi.example" for n in range(9))
    assert envelope.references(ten, parent) == [*ten, parent]  # at the limit: all kept
    eleven = tuple(f"{n}@levi.example" for n in range(10))
    assert envelope.references(eleven, parent) == ["0@levi.example", *eleven[2:], parent]


def test_date_header_uses_the_configured_zone_for_a_naive_now() -> None:
    naive = datetime(2026, 11, 26, 9, 0)
    assert envelope.date_header(naive, "Asia/Jerusalem").endswith("+0200")
    assert envelope.date_header(naive.replace(tzinfo=UTC), "Asia/Jerusalem").endswith("+0000")


def test_attachment_filename_and_type() -> None:
    assert envelope.attachment_filename("a\r\nb.pdf") == "a b.pdf"
    assert envelope.attachment_filename("") == "attachment"
    long = envelope.attachment_filename("x" * 300 + ".pdf")
    assert len(long) == envelope.MAX_FILENAME and long.endswith(".pdf")
    hebrew = envelope.attachment_filename("ש" * 300 + ".pdf")
    assert hebrew.endswith(".pdf") and len(hebrew.encode("utf-8")) <= 2 * envelope.MAX_FILENAME
    assert envelope.mime_type("a.pdf") == ("application", "pdf")
    assert envelope.mime_type("a.tar.gz") == ("application", "octet-stream")
    assert envelope.mime_type("noext") == ("application", "octet-stream")


def test_transfer_encoding() -> None:
    assert envelope.transfer_encoding("plain English") == "quoted-printable"
    assert envelope.transfer_encoding("שלום עולם") == "base64"


def test_read_attachments_once_each_oldest_invoice_first(tmp_path: Path) -> None:
    (tmp_path / "a.pdf").write_bytes(b"A")
    (tmp_path / "b.pdf").write_bytes(b"B")
    act = action(
        invoice("2", due_date=date(2026, 11, 9), attachment="b.pdf"),
        invoice("1", due_date=date(2026, 11, 1), attachment="a.pdf"),
        invoice("3", due_date=date(2026, 11, 12), attachment="./a.pdf"),
    )
    rules = Rules(tmp_path)
    assert envelope.read_attachments(act, rules) == [("a.pdf", b"A"), ("b.pdf", b"B")]
    with pytest.raises(MissingAttachment) as caught:
        envelope.read_attachments(action(invoice("9", attachment="gone.pdf")), rules)
    assert caught.value.invoice == "9" and caught.value.refusal is Refusal.NOT_FOUND


# ---------------------------------------------------------------- samples, environment, renderer


def test_sample_fees() -> None:
    assert samples._illustrative_fees("friendly", "standard") == ()
    assert samples._illustrative_fees("final", "broken_promise") == ()
    assert [f.label for f in samples._illustrative_fees("plan", "standard")] == ["late_fee"]
    assert [f.label for f in samples._illustrative_fees("final", "standard")] == [
        "late_fee",
        "interest",
    ]
    invoices = samples.sample_action("en", "final", today=TODAY).invoices
    assert samples._configured_fees(invoices, "final", "thank_you", TODAY, POLICY) == ()
    assert samples._configured_fees(invoices, "no-such-tier", "standard", TODAY, POLICY) == ()


def test_sample_invoices_for_a_broken_promise_and_a_thank_you() -> None:
    debtor = samples.SAMPLES["he"]
    broken = samples._sample_invoices(debtor, "he", "friendly", "broken_promise", TODAY)
    assert (TODAY - broken[0].due_date).days == 18 and broken[0].promise_date
    assert all(i.promise_date is None for i in broken[1:])
    paid = samples._sample_invoices(debtor, "he", "direct", "thank_you", TODAY)
    assert all(i.balance == 0 and i.amount for i in paid)


def test_environment_names_and_escaping() -> None:
    assert environment.template_path("he", "final", "html") == "he/final.html.j2"
    assert environment.autoescape("en/direct.html.j2") and not environment.autoescape(
        "en/direct.txt.j2"
    )
    assert not environment.autoescape(None)
    with pytest.raises(jinja2.TemplateSyntaxError) as caught:
        jinja2.Environment().from_string("{{ 1 }\n")  # no file name: the fallback is named
    assert environment.error_location(caught.value, "fallback.j2") == ("fallback.j2", 1)
    assert environment.error_location(ValueError("x"), "en/a.txt.j2") == ("en/a.txt.j2", 0)


def test_a_template_that_does_not_compile_is_one_problem(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    bad = tmp_path / "en" / "direct.txt.j2"
    bad.write_text("line one\n{% if %}\n", encoding="utf-8")
    templates = environment.Templates(LocaleConfig(), tmp_path)
    assert (
        templates.syntax_problem(bad, tmp_path)
        == f"{bad}:2: Expected an expression, got 'end of statement block'"
    )
    bad.write_bytes(b"\xff\xfe")
    assert "cannot read" in (templates.syntax_problem(bad, tmp_path) or "")


def test_check_steps(tmp_path: Path) -> None:
    base = dict(sender=SENDER, locale=LocaleConfig(), policy=POLICY)
    assert Renderer(**base)._folder_problems() == []  # type: ignore[arg-type]
    missing = Renderer(**base, template_dir=tmp_path / "nope")  # type: ignore[arg-type]
    assert missing._folder_problems() == [f"{tmp_path / 'nope'}:0: template folder not found"]
    bad_sender = Renderer(**{**base, "sender": replace(SENDER, email="x")})  # type: ignore[arg-type]
    assert bad_sender._sender_problems() == ["invalid sender.email: 'x'"]
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "final.subject.j2").write_text("{{ nope }}", encoding="utf-8")
    broken = Renderer(**base, template_dir=tmp_path)  # type: ignore[arg-type]
    assert broken._sample_problems(TODAY) == [
        f"{tmp_path / 'en' / 'final.subject.j2'}:1: 'nope' is undefined"
    ]


def test_tidy_text() -> None:
    assert tidy_text("\r\n a  \r\n\r\n\r\n\r\nb\t\n\n") == "a\n\nb\n"
