"""Rendering: golden files for every template × language, filters, bidi, context, overrides.

The golden files under tests/golden/ are the messages customers actually receive; a
change to a template shows up here as a readable diff. Regenerate them after a deliberate
wording change with:  XLSDUN_UPDATE_GOLDEN=1 pytest tests/test_render.py
and read the result (especially the Hebrew) before committing.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from support.message_setup import action
from support.render_setup import (
    CASES,
    PARTS,
    POLICY,
    SENDERS,
    TODAY,
    action_for,
    invoice,
    renderer,
)
from xlsdun.config import LocaleConfig, SenderConfig, default_policy
from xlsdun.models import FeeLine
from xlsdun.render import (
    LRI,
    PDI,
    RenderError,
    normalize_language,
    sample_action,
    template_names,
)

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("XLSDUN_UPDATE_GOLDEN") == "1"


# ---------------------------------------------------------------- golden files


@pytest.mark.parametrize("lang,name", CASES)
def test_golden(lang: str, name: str) -> None:
    parts = renderer(lang).render_parts(action_for(lang, name), today=TODAY)
    for attr, suffix in PARTS.items():
        got = getattr(parts, attr)
        if attr == "subject":
            got += "\n"
        path = GOLDEN / lang / f"{name}.{suffix}"
        if UPDATE:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(got, encoding="utf-8")
            continue
        assert path.exists(), f"missing {path}; run with XLSDUN_UPDATE_GOLDEN=1"
        assert got == path.read_text(encoding="utf-8"), f"{path} differs"


def test_every_golden_file_has_a_case() -> None:
    expected = {f"{lang}/{name}.{suffix}" for lang, name in CASES for suffix in PARTS.values()}
    found = {p.relative_to(GOLDEN).as_posix() for p in GOLDEN.rglob("*") if p.is_file()}
    assert found == expected


# ---------------------------------------------------------------- tone and content


@pytest.mark.parametrize("lang,name", CASES)
def test_every_message_thanks_invites_a_reply_and_signs(lang: str, name: str) -> None:
    parts = renderer(lang).render_parts(action_for(lang, name), today=TODAY)
    sender = SENDERS[lang]
    for body in (parts.text, parts.html):
        assert re.search("thank", body, re.I) if lang == "en" else ("תודה" in body)
        if lang == "en":
            # an offer to talk, or (courtesy, thank-you) to help
            assert "reply" in body.lower() and re.search(
                "a convenient time|a good time to talk|anything we can help with", body, re.I
            )
        else:
            assert re.search("השיבו|להשיב|בתשובה", body)
            assert re.search("מתי נוח לכם|ונשמח לעזור|נוכל לעזור", body)
        assert sender.name in body and sender.business in body
        # to a debtor abroad (another currency or language) in international form
        phone = renderer(lang).context(action_for(lang, name), today=TODAY)["phone"]
        assert phone in body and "accounts@levistudio.example" in body
        assert "515123456" in body  # the signature line
        for number in [i.invoice for i in action_for(lang, name).invoices]:
            assert number in body


@pytest.mark.parametrize("lang", ["en", "he"])
def test_open_invoice_tiers_show_how_to_pay(lang: str) -> None:
    for name in ("courtesy", "friendly", "direct", "plan", "final", "broken_promise"):
        parts = renderer(lang).render_parts(action_for(lang, name), today=TODAY)
        assert "https://pay.example/levistudio" in parts.text
        assert 'href="https://pay.example/levistudio"' in parts.html
        assert "123456/78" in parts.text and "123456/78" in parts.html


def test_thank_you_has_no_payment_request() -> None:
    parts = renderer("en").render_parts(action_for("en", "thank_you"), today=TODAY)
    assert "How to pay" not in parts.text and "pay.example" not in parts.html
    assert "We have received payment for the invoices below" in parts.text


def test_friendly_opens_by_asking_after_the_service() -> None:
    """Reviewed: the opening question read as a survey ("How are you finding our work so
    far?", "אתם מרוצים מהשירות שלנו עד כה?"); now one plain sentence inviting feedback."""
    en = renderer("en").render_parts(action_for("en", "friendly"), today=TODAY).text
    he = renderer("he").render_parts(action_for("he", "friendly"), today=TODAY).text
    first_paragraph = en.split("\n\n")[1]
    assert "our work we could do better" in first_paragraph and "?" not in first_paragraph
    # after the two-line organisation greeting; not the calque "איך אתם מרגישים עם"
    he_first = he.split("\n\n")[1]
    assert "ושאתם מרוצים מהעבודה איתנו" in he_first and "מרגישים" not in he


def test_direct_asks_for_a_payment_date() -> None:
    text = renderer("en").render_parts(action_for("en", "direct"), today=TODAY).text
    assert "Could you let us know when we can expect payment?" in text
    assert "21 days overdue" in text


def test_plan_offers_instalments_and_discount_and_explains_impact() -> None:
    text = renderer("en").render_parts(action_for("en", "plan"), today=TODAY).text
    assert "suppliers" in text
    assert "- 3 Dec 2026: ₪1,976.67 and US$400.00" in text and " of about" not in text
    assert "1. Pay in full: ₪5,811.40 and US$1,176.00 by 3 Dec 2026." in text
    # which total the offer is on, and what happens to the charges, said plainly
    assert "less a 2% discount for settling by that date (₪118.60 and US$24.00)" in text
    assert "we will waive the charges" in text
    assert "reply with the word FULL" in text and "reply with the word INSTALMENTS" in text
    he = renderer("he").render_parts(action_for("he", "plan"), today=TODAY).text
    assert "ספקים" in he and "פריסה לשלושה תשלומים חודשיים" in he and "הנחה של" in he
    assert 'למייל הזה במילה "מלא"' in he and 'למייל הזה במילה "תשלומים"' in he
    assert "כ־" not in he and "בחשבונכם" not in he  # no "about" amounts; not "your (bank) account"


def test_plan_omits_the_discount_when_policy_has_none() -> None:
    r = renderer("en", policy=replace(POLICY, early_payment_discount=Decimal("0")))
    text = r.render_parts(action_for("en", "plan"), today=TODAY).text
    assert "discount" not in text.lower() and "% off" not in text and " less " not in text
    assert "monthly instalments" in text
    plain = replace(
        POLICY, early_payment_discount=Decimal("0"), installments=1, waive_charges_on_offer=False
    )
    he = renderer("he", policy=plain).render_parts(action_for("he", "plan"), today=TODAY).text
    assert "הנחה" not in he and "תשלומים חודשיים" not in he and "תשלום מלא" not in he
    assert "הסדר תשלומים" in he  # nothing to offer: an arrangement to agree


def test_final_names_a_deadline_and_legal_advice_and_keeps_the_door_open() -> None:
    parts = renderer("en").render_parts(action_for("en", "final"), today=TODAY)
    # 26 Nov + 10 days = Sunday 6 Dec (a working day in Israel)
    assert "by Sunday, 6 December 2026" in parts.text
    assert "6 Dec 2026" in parts.subject
    assert "legal advice" in parts.text
    assert "We are willing to spread the balance over three monthly instalments." in parts.text
    he = renderer("he").render_parts(action_for("he", "final"), today=TODAY).text
    assert "עד יום ראשון, 6 בדצמבר 2026" in he
    assert "להתייעץ עם עורך דין" in he and "אנחנו עדיין פתוחים להסדר" in he  # reviewed
    assert "התראה אחרונה" in he and "הודעה אחרונה" not in he  # the term Israeli firms use
    assert "אם כבר שילמתם את מלוא היתרה, תודה" in he
    assert "If you have already paid the balance in full, thank you" in parts.text


def test_deadline_moves_off_the_weekend() -> None:
    thursday = date(2026, 11, 19)  # + 10 = Sunday 29th: fine in Israel
    assert renderer("en").deadline(thursday) == date(2026, 11, 29)
    tuesday = date(2026, 11, 24)  # + 10 = Friday 4 Dec -> Sunday 6 Dec in Israel
    assert renderer("en").deadline(tuesday) == date(2026, 12, 6)
    us = renderer("en", locale=LocaleConfig(language="en", country="US"))
    assert us.deadline(thursday) == date(2026, 11, 30)  # Sunday -> Monday


def test_broken_promise_quotes_the_promise_date() -> None:
    parts = renderer("en").render_parts(action_for("en", "broken_promise"), today=TODAY)
    assert "You told us you would pay by Sunday, 22 November 2026" in parts.text
    assert parts.subject.startswith("Payment not yet received: invoices INV-1042, INV-1057")
    assert "Has something come up?" in parts.text and "new payment date" in parts.text
    he = renderer("he").render_parts(action_for("he", "broken_promise"), today=TODAY)
    assert "התשלום היה אמור להתקבל עד יום ראשון, 22 בנובמבר 2026" in he.text
    assert "נבקש שתשיבו למייל הזה עם מועד חדש לתשלום" in he.text
    assert "תודה שאתם מעדכנים" not in he.text and "אליי" not in he.text


def test_broken_promise_without_a_date_still_reads_well() -> None:
    act = action(invoice(), variant="broken_promise")
    parts = renderer("en").render_parts(act, today=TODAY)
    assert "You told us payment would follow shortly, but so far it has not" in parts.text
    assert (
        parts.subject
        == "Payment not yet received: invoice INV-1 (₪1,000.00) from Levi Design Studio"
    )
    # it never thanks the debtor for keeping us informed: they did not
    assert "keeping us" not in parts.text and "in the picture" not in parts.text


def test_totals_are_per_currency_never_summed() -> None:
    parts = renderer("en").render_parts(action_for("en", "direct"), today=TODAY)
    assert "Total in ILS: ₪5,930.00" in parts.text
    assert "Total in USD: US$1,200.00" in parts.text
    assert "7,130" not in parts.text and "7,130" not in parts.html


def test_fees_are_separate_lines_in_addition_to_the_invoices() -> None:
    parts = renderer("en").render_parts(action_for("en", "final"), today=TODAY)
    assert "the following charges for late payment also apply" in parts.text
    assert "- Late payment fee: ₪50.00" in parts.text
    assert "- Interest on overdue amounts (4% a year): ₪41.27" in parts.text
    assert "Total including charges in ILS: ₪6,021.27" in parts.text
    assert "Total in ILS: ₪5,930.00" in parts.text  # invoice totals unchanged
    he = renderer("he").render_parts(action_for("he", "final"), today=TODAY).text
    assert "בנוסף לסכומי החשבוניות" in he and "דמי פיגורים" in he
    assert "ריבית פיגורים (4% לשנה)" in he


def test_no_fee_block_without_fees() -> None:
    parts = renderer("en").render_parts(action_for("en", "direct"), today=TODAY)
    assert "In addition to" not in parts.text and "In addition to" not in parts.html


def test_payment_block_omitted_when_no_link_and_no_bank_details() -> None:
    bare = replace(SENDERS["en"], pay_link="", bank_details="")
    parts = renderer("en", sender=bare).render_parts(action(invoice()), today=TODAY)
    assert "How to pay" not in parts.text and "How to pay" not in parts.html
    he_bare = replace(SENDERS["he"], pay_link="", bank_details="")
    act = action(invoice(), language="he")
    he = renderer("he", sender=he_bare).render_parts(act, today=TODAY)
    assert "איך משלמים" not in he.text and "איך משלמים" not in he.html


def test_invoice_pay_link_wins_over_sender_link() -> None:
    act = action(invoice(pay_link="https://pay.example/inv-1"), invoice("INV-2"))
    parts = renderer("en").render_parts(act, today=TODAY)
    assert "https://pay.example/inv-1" in parts.text
    assert "levistudio" not in parts.text.split("How to pay")[1].split("By transfer")[0]


def test_several_invoice_pay_links_are_listed_per_invoice() -> None:
    act = action(
        invoice("INV-1", pay_link="https://pay.example/1"),
        invoice("INV-2", pay_link="https://pay.example/2"),
    )
    parts = renderer("en").render_parts(act, today=TODAY)
    assert "Invoice INV-1: https://pay.example/1" in parts.text
    assert "Invoice INV-2: https://pay.example/2" in parts.text
    assert 'href="https://pay.example/2"' in parts.html


def test_unsafe_pay_links_never_become_links() -> None:
    act = action(invoice(pay_link="javascript:alert(1)"))
    bad_sender = replace(SENDERS["en"], pay_link="data:text/html,<b>x</b>")
    parts = renderer("en", sender=bad_sender).render_parts(act, today=TODAY)
    assert "javascript:" not in parts.html and "data:text" not in parts.html
    assert "javascript:" not in parts.text


def test_courtesy_speaks_of_an_upcoming_date_not_overdue() -> None:
    parts = renderer("en").render_parts(action_for("en", "courtesy"), today=TODAY)
    assert "in 2 days" in parts.text and "overdue" not in parts.text.lower()
    assert "Days overdue" not in parts.html


# ---------------------------------------------------------------- Hebrew / bidi


def test_hebrew_html_is_rtl_with_ltr_isolated_numbers() -> None:
    html = renderer("he").render_parts(action_for("he", "direct"), today=TODAY).html
    assert '<html lang="he" dir="rtl">' in html
    assert '<div dir="rtl" lang="he" style="direction:rtl;text-align:right;">' in html
    assert '<span dir="ltr">20451</span>' in html  # invoice id
    assert '<span dir="ltr">4,680.00</span>&nbsp;₪' in html  # amount
    assert '<span dir="ltr" style="white-space:nowrap">5.11.2026</span>' in html  # numeric date
    # a date in words never breaks across lines either ("6 | בדצמבר")
    assert '<span style="white-space:nowrap">5 בנובמבר 2026</span>' in html
    assert '<span dir="ltr" style="white-space:nowrap">052-555-0199</span>' in html  # phone
    for table in re.findall(r"<table[^>]*>", html):
        assert 'dir="rtl"' in table or 'role="presentation" cellpadding' in table
    assert "\u2066" not in html and "\u200f" not in html  # markup, not invisible characters


def test_hebrew_text_uses_isolates_and_the_subject_none() -> None:
    parts = renderer("he").render_parts(action_for("he", "direct"), today=TODAY)
    assert f"{LRI}20451{PDI}" in parts.text
    assert f"{LRI}4,680.00{PDI}\xa0₪" in parts.text
    assert f"{LRI}052-555-0199{PDI}" in parts.text
    assert "https://pay.example/levistudio\n" in parts.text  # URLs bare, on their own line
    assert not re.search("[\u2066-\u2069\u200e\u200f]", parts.subject)


def test_english_has_no_bidi_controls() -> None:
    for name in template_names():
        parts = renderer("en").render_parts(action_for("en", name), today=TODAY)
        for body in (parts.subject, parts.text, parts.html):
            assert not re.search("[\u2066-\u2069\u200e\u200f]", body)
            assert 'dir="rtl"' not in body


def test_hebrew_uses_correct_day_grammar() -> None:
    r = renderer("he")
    for days, words in (
        (1, "יום אחד"),
        (2, "יומיים"),
        (9, "9 ימים"),
        (10, "10 ימים"),
        (11, "11 יום"),
        (21, "21 יום"),
    ):
        due = date.fromordinal(TODAY.toordinal() - days)
        act = action(invoice(due_date=due), language="he")
        assert f"באיחור של {words}" in r.render_parts(act, today=TODAY).text


def test_hebrew_message_for_a_customer_with_an_english_name() -> None:
    act = action(invoice(customer="Acme (Israel) Ltd."), language="he")
    parts = renderer("he").render_parts(act, today=TODAY)
    assert parts.text.startswith("לכבוד \u2068Acme (Israel) Ltd.\u2069\nשלום רב,\n")
    assert 'לכבוד <span dir="auto">Acme (Israel) Ltd.</span><br>\nשלום רב,' in parts.html


# ---------------------------------------------------------------- filters and formats


def test_money_formats_per_language() -> None:
    act = action(invoice(balance=Decimal("1234.5"), currency="USD"))
    en = renderer("en").render_parts(act, today=TODAY)
    assert "US$1,234.50" in en.text  # en_IL: the dollar sign is disambiguated
    us = renderer("en", locale=LocaleConfig(language="en", country="US"))
    assert "$1,234.50" in us.render_parts(act, today=TODAY).text
    he = renderer("he").render_parts(replace(act, language="he"), today=TODAY)
    assert f"{LRI}1,234.50{PDI}\xa0$" in he.text


def test_negative_amounts_keep_their_sign_inside_the_isolate() -> None:
    act = action(invoice(balance=Decimal("-50")), language="he")
    html = renderer("he").render_parts(act, today=TODAY).html
    assert '<span dir="ltr">-50.00</span>&nbsp;₪' in html


def test_dates_follow_the_locale() -> None:
    act = action(invoice())
    assert "due 5 Nov 2026" in renderer("en").render_parts(act, today=TODAY).text
    us = renderer("en", locale=LocaleConfig(language="en", country="US"))
    assert "due Nov 5, 2026" in us.render_parts(act, today=TODAY).text
    he = renderer("he").render_parts(replace(act, language="he"), today=TODAY).text
    assert f"לתשלום עד {LRI}5.11.2026{PDI}" in he
    assert "ב־5 בנובמבר 2026" in he  # long form with a Hebrew month: no isolate
    september = action(invoice(due_date=date(2026, 9, 20)))
    text = renderer("en").render_parts(september, today=TODAY).text
    assert "due 20 Sep 2026" in text and "Sept" not in text  # not CLDR's British "Sept"


def test_template_choice_and_language_fallback() -> None:
    r = renderer("en")
    assert r.template_for(action(invoice(), tier="plan")) == ("en", "plan")
    bp = action(invoice(), tier="final", variant="broken_promise", language="he")
    assert r.template_for(bp) == ("he", "broken_promise")
    assert r.template_for(action(invoice(), language="fr")) == ("en", "direct")
    with pytest.raises(RenderError):
        r.template_for(action(invoice(), tier="escalate"))
    for value in ("he", "HE", "he-IL", "he_IL", "iw", "Hebrew", "עברית"):
        assert normalize_language(value) == "he", value
    for value in ("en", "", None, "English", "fr"):
        assert normalize_language(value) == "en", value


def test_context_lists_the_documented_variables() -> None:
    ctx = renderer("en").context(action_for("en", "final"), today=TODAY)
    for key in (
        "customer",
        "invoices",
        "totals",
        "fees",
        "tier",
        "variant",
        "today",
        "deadline",
        "promise_date",
        "sender",
        "policy",
        "pay_link",
        "bank_details",
        "reply_to",
        "language",
    ):
        assert key in ctx, key
    assert [i.days_overdue for i in ctx["invoices"]] == [68, 61, 52]
    assert ctx["deadline"] == date(2026, 12, 6)


# ---------------------------------------------------------------- sample action


@pytest.mark.parametrize(
    "tier,oldest", [("courtesy", -2), ("friendly", 9), ("direct", 21), ("plan", 42), ("final", 68)]
)
def test_sample_action_sits_in_its_tier(tier: str, oldest: int) -> None:
    act = sample_action("he", tier, today=TODAY)
    assert len(act.invoices) == 3 and act.kind == "send" and act.email
    assert max((TODAY - i.due_date).days for i in act.invoices) == oldest
    assert act.language == "he" and act.balance == {"ILS": Decimal("8240.50")}


def test_sample_action_variants() -> None:
    bp = sample_action("en", "direct", "broken_promise", TODAY)
    assert bp.variant == "broken_promise" and bp.invoices[0].promise_date
    ty = sample_action("en", "friendly", "thank_you", TODAY)
    assert all(i.balance == 0 for i in ty.invoices)


# ---------------------------------------------------------------- user templates, sandbox


def test_user_templates_override_file_by_file(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "direct.subject.j2").write_text("Custom: {{ customer }}")
    r = renderer("en", template_dir=tmp_path)
    parts = r.render_parts(action(invoice()), today=TODAY)
    assert parts.subject == "Custom: Acme Ltd"
    assert "Could you let us know" in parts.text  # the built-in body still used
    assert r.check() == []


def test_user_partial_override_reaches_every_message(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "_signature.txt.j2").write_text("Cheers,\n{{ sender.name }}\n")
    parts = renderer("en", template_dir=tmp_path).render_parts(action(invoice()), today=TODAY)
    assert parts.text.endswith("Cheers,\nDana Levi\n")


def test_sandbox_blocks_python_internals(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "direct.subject.j2").write_text(
        "{{ customer.__class__.__mro__[1].__subclasses__() }}"
    )
    with pytest.raises(RenderError) as err:
        renderer("en", template_dir=tmp_path).render_parts(action(invoice()), today=TODAY)
    assert str(err.value).startswith(f"{tmp_path / 'en' / 'direct.subject.j2'}:1: ")


def test_undefined_variable_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "direct.txt.j2").write_text("Hello {{ customer }},\n\n{{ nonsense }}\n")
    with pytest.raises(RenderError) as err:
        renderer("en", template_dir=tmp_path).render_parts(action(invoice()), today=TODAY)
    assert str(err.value).startswith(f"{tmp_path / 'en' / 'direct.txt.j2'}:3: ")
    assert "nonsense" in str(err.value)


def test_sheet_data_is_never_template_code() -> None:
    act = action(invoice("{{ 7*7 }}", customer="{{ 7*7 }} {% if 1 %}x{% endif %}"))
    parts = renderer("en").render_parts(act, today=TODAY)
    for body in (parts.subject, parts.text, parts.html):
        assert "49" not in body
    assert "Dear {{ 7*7 }} {% if 1 %}x{% endif %} team," in parts.text
    assert "Invoice {{ 7*7 }}" in parts.text


def test_html_in_sheet_data_is_escaped() -> None:
    act = action(
        invoice('<script>alert("x")</script>', customer="<b>Acme</b> & Sons"),
        language="he",
    )
    html = renderer("he").render_parts(act, today=TODAY).html
    assert "<script>" not in html and "<b>Acme" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;Acme&lt;/b&gt; &amp; Sons" in html


def test_check_passes_for_built_ins_in_every_configuration() -> None:
    assert renderer("en").check() == []
    assert renderer("he").check() == []
    bare = SenderConfig(name="X", email="x@example.com")
    assert renderer("en", sender=bare, policy=default_policy()).check() == []


def test_render_parts_is_fast_enough_for_a_big_run() -> None:
    r = renderer("he")
    actions = [action_for(lang, name) for lang, name in CASES]
    for act in actions:
        r.render_parts(act, today=TODAY)  # compile once
    start = time.perf_counter()
    for n in range(700):
        r.render_parts(actions[n % len(actions)], today=TODAY)
    assert time.perf_counter() - start < 3.0  # ~0.2 ms each on a laptop; generous for CI


def test_fee_line_with_unknown_kind_is_shown_plainly() -> None:
    act = action(invoice(), fees=(FeeLine("collection_cost", "ILS", Decimal("20"), "flat"),))
    text = renderer("en").render_parts(act, today=TODAY).text
    assert "- collection cost (flat): ₪20.00" in text


def test_currency_spellings_make_one_total() -> None:
    act = action(invoice("A", currency="NIS"), invoice("B", currency="ש״ח"), invoice("C"))
    text = renderer("en").render_parts(act, today=TODAY).text
    assert "Total: ₪3,000.00" in text and "NIS" not in text
