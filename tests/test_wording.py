"""The wording rules of issue 14, each checked on every tier in both languages: one voice,
natural lists, subjects that say what the mail is about, the greeting, the final notice's
exact total and deadline, Hebrew counts. The golden files show the words; these say why."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

import pytest

from support.message_setup import action
from support.render_setup import CASES, POLICY, SENDERS, TODAY, action_for, invoice, renderer
from xlsdun.config import LocaleConfig
from xlsdun.models import Action
from xlsdun.render import LRI, PDI, RenderedParts, template_names
from xlsdun.render.environment import Templates

HEBREW_LETTER = "\u0590-\u05ff"
# "I", "me", "my", "I'm", "I'd", "I'll", "I've": the business writes as "we"
EN_FIRST_PERSON = re.compile(r"\b(I|me|my|mine|myself)\b|\bI'(m|d|ll|ve)\b")
# אני, אליי, לי, שלי, איתי, אתפנה/אתקשר/אשמח (first-person future), ספרו לי
HE_FIRST_PERSON = re.compile(
    rf"(?<![{HEBREW_LETTER}])(אני|אליי|אלי|לי|שלי|איתי|אתפנה|אתקשר|אשמח|אחזור)(?![{HEBREW_LETTER}])"
)


def parts_for(lang: str, name: str) -> RenderedParts:
    return renderer(lang).render_parts(action_for(lang, name), today=TODAY)


@pytest.mark.parametrize("lang,name", CASES)
def test_every_message_speaks_with_one_voice(lang: str, name: str) -> None:
    parts = parts_for(lang, name)
    pattern = EN_FIRST_PERSON if lang == "en" else HE_FIRST_PERSON
    sender = SENDERS[lang]
    for body in (parts.subject, parts.text, parts.html):
        # the signature's own lines are the sender's words, not the template's
        prose = body.replace(sender.signature, "").replace(sender.name, "")
        assert not pattern.search(prose), (name, pattern.search(prose))
    if lang == "en":
        assert re.search(r"\bwe\b", parts.text, re.I)
    else:
        assert re.search("אנחנו|נשמח|שלנו|אלינו|לנו", parts.text)


@pytest.mark.parametrize("lang,name", CASES)
def test_subjects_lead_with_what_the_mail_is_about(lang: str, name: str) -> None:
    subject = parts_for(lang, name).subject
    # the invoices the message asks to be paid (those not yet due are listed apart)
    due = [i for i in action_for(lang, name).invoices if i.due_date <= TODAY or name == "thank_you"]
    for number in [i.invoice for i in due or action_for(lang, name).invoices]:
        assert number in subject
    assert SENDERS[lang].business in subject
    assert "?" not in subject  # "מה שלומכם?", "How are things going?" read as marketing
    assert "מה שלומכם" not in subject


def test_subject_stem_forms() -> None:
    one = renderer("en").render_parts(action(invoice("INV-1090")), today=TODAY).subject
    assert one == "Payment reminder: invoice INV-1090 (₪1,000.00) from Levi Design Studio"
    many = action(*(invoice(f"INV-{n}") for n in range(1, 5)))
    subject = renderer("en").render_parts(many, today=TODAY).subject
    assert subject == "Payment reminder: 4 invoices (₪4,000.00) from Levi Design Studio"
    he = renderer("he").render_parts(action(invoice("1090"), language="he"), today=TODAY)
    assert he.subject == "תזכורת לתשלום: חשבונית 1090 על סך 1,000.00 ₪ מאת סטודיו לוי לעיצוב"
    bare = renderer("en", sender=replace(SENDERS["en"], business=""))
    assert bare.render_parts(action(invoice()), today=TODAY).subject.endswith("(₪1,000.00)")


def three_currencies(language: str = "en") -> Action:
    return action(
        invoice("INV-1", currency="ILS"),
        invoice("INV-2", currency="USD"),
        invoice("INV-3", currency="EUR"),
        language=language,
    )


def test_lists_read_a_b_and_c_never_a_and_b_and_c() -> None:
    en = renderer("en").render_parts(three_currencies(), today=TODAY)
    assert "come to ₪1,000.00, US$1,000.00 and €1,000.00," in en.text
    assert "invoices INV-1, INV-2 and INV-3 (" in en.subject
    for body in (en.subject, en.text, en.html):
        assert not re.search(r"\w and \S+\w and ", body)
    he = renderer("he").render_parts(three_currencies("he"), today=TODAY)
    amount = f"{LRI}1,000.00{PDI}\xa0"
    assert f"{amount}₪, {amount}$ ו־{amount}€" in he.text
    assert "חשבוניות INV-1, INV-2 ו־INV-3 על סך" in he.subject
    for body in (he.subject, he.text):
        assert not re.search(r"ו־\S+ ו־", body)


@pytest.mark.parametrize("name", template_names())
def test_hebrew_counts_from_eleven_take_yom(name: str) -> None:
    parts = parts_for("he", name)
    for body in (parts.subject, parts.text, parts.html):
        assert not re.search(r"\b(1[1-9]|[2-9]\d|\d{3,}) ימים", body)


def test_the_final_notice_names_the_total_due_and_the_date() -> None:
    en = parts_for("en", "final").text
    assert (
        "Please pay ₪6,021.27 and US$1,200.00 (the invoice balance plus the charges listed"
        " above) by Sunday, 6 December 2026, or contact us before then" in en
    )
    he = parts_for("he", "final").text
    assert (
        f"נבקש לשלם {LRI}8,331.77{PDI}\xa0₪ (יתרת החשבוניות בתוספת חיובי הפיגורים)"
        " עד יום ראשון, 6 בדצמבר 2026" in he
    )
    no_fees = renderer("en").render_parts(action(invoice(), tier="final"), today=TODAY).text
    assert "Please pay the balance of ₪1,000.00 by Sunday, 6 December 2026" in no_fees
    assert "charges" not in no_fees
    he_act = action(invoice(), tier="final", language="he")
    he_no_fees = renderer("he").render_parts(he_act, today=TODAY).text
    assert f"נבקש לשלם את היתרה, {LRI}1,000.00{PDI}\xa0₪, עד יום ראשון" in he_no_fees


def test_the_plan_offer_says_what_each_choice_covers() -> None:
    en = parts_for("en", "plan").text
    assert "1. Pay in full: ₪5,811.40 and US$1,176.00 by 3 Dec 2026." in en
    assert (
        "That is the invoice balance of ₪5,930.00 and US$1,200.00 less 2% (₪118.60 and "
        "US$24.00) for paying by then; we waive the charges listed above (₪50.00)." in en
    )
    assert "2. Pay in 3 monthly instalments, with the charges listed above (₪50.00) waived:" in en
    assert "- 3 Feb 2027: ₪1,976.68 and US$400.00" in en and " of about " not in en
    assert "reply with the word FULL" in en and "reply with the word INSTALMENTS" in en
    assert "by standing order, post-dated cheques or credit card" in en
    no_discount = renderer("en", policy=replace(POLICY, early_payment_discount=Decimal(0)))
    text = no_discount.render_parts(action_for("en", "plan"), today=TODAY).text
    assert "1. Pay in full: ₪5,930.00 and US$1,200.00 by 3 Dec 2026." in text
    assert "That is the invoice balance; we waive the charges listed above (₪50.00)." in text
    charged = renderer("en", policy=replace(POLICY, waive_charges_on_offer=False))
    text = charged.render_parts(action_for("en", "plan"), today=TODAY).text
    assert "1. Pay in full: ₪5,861.40 and US$1,176.00 by 3 Dec 2026." in text
    assert "for paying by then, plus the charges listed above (₪50.00)." in text
    assert "instalments, including the charges listed above (₪50.00):" in text
    single = renderer("en", policy=replace(POLICY, installments=1))
    text = single.render_parts(action_for("en", "plan"), today=TODAY).text
    assert "To settle this:" in text and "INSTALMENTS" not in text
    assert "If this doesn't suit you" in text
    he = parts_for("he", "plan").text
    assert "כ־" not in he  # no "about" before an exact amount
    assert "ואנחנו מוותרים על חיובי הפיגורים" in he and 'השיבו במילה "תשלומים"' in he
    assert "בהוראת קבע, בצ׳קים דחויים או בכרטיס אשראי" in he


def test_the_broken_promise_is_firm_and_never_thanks_for_being_kept_informed() -> None:
    en = parts_for("en", "broken_promise").text
    assert "and we counted on that. So far, the payment has not reached us." in en
    assert "keeping us" not in en and "for letting us know" not in en
    he = parts_for("he", "broken_promise").text
    assert "וסמכנו על כך. עד היום התשלום לא הגיע אלינו." in he
    assert "תודה שעדכנתם" not in he and "תודה שאתם מעדכנים" not in he


def test_hebrew_avoids_the_reviewed_calques() -> None:
    for name in ("courtesy", "friendly", "direct", "plan", "final", "broken_promise"):
        parts = parts_for("he", name)
        for body in (parts.subject, parts.text, parts.html):
            assert "בחשבונכם" not in body  # the bill, or the bank account?
            assert "מרגישים עם" not in body
            assert "טרם הגיע" not in body  # "has not arrived"
            assert "הוותיקה" not in body  # ותיק is for people
            assert "הודעה אחרונה" not in body


@pytest.mark.parametrize(
    "lang,contact,expected",
    [
        ("en", "Dana", "Hello Dana,\n"),
        ("en", "", "Hello Acme Ltd team,\n"),
        ("he", "דנה", "שלום דנה,\n"),
        ("he", "", "לכבוד Acme Ltd\nשלום רב,\n"),
    ],
)
def test_the_greeting_names_the_contact_or_addresses_the_organisation(
    lang: str, contact: str, expected: str
) -> None:
    env = Templates(LocaleConfig(language=lang)).env(lang)
    text = env.get_template(f"{lang}/_greeting.txt.j2").render(customer="Acme Ltd", contact=contact)
    assert text.replace(LRI, "").replace(PDI, "").replace("\u2068", "") == expected
    html = env.get_template(f"{lang}/_greeting.html.j2").render(customer="Acme", contact=contact)
    assert ("Dana" in html or "דנה" in html) if contact else "Acme" in html
    # without a contact value at all (today's context), the organisation greeting
    assert "Acme" in env.get_template(f"{lang}/_greeting.txt.j2").render(customer="Acme")


def test_courtesy_on_the_due_date_itself() -> None:
    act = action(invoice(due_date=TODAY), tier="courtesy")
    text = renderer("en").render_parts(act, today=TODAY).text
    assert "A quick reminder: invoice INV-1 for ₪1,000.00 falls due today." in text
    assert "before the due date" not in text
    he = renderer("he").render_parts(replace(act, language="he"), today=TODAY).text
    assert f"מועד התשלום של חשבונית {LRI}INV-1{PDI}, על סך {LRI}1,000.00{PDI}\xa0₪, חל היום." in he
