"""The wording rules of issue 14, each checked on every tier in both languages: one voice,
natural lists, subjects that say what the mail is about, the greeting, the final notice's
exact total and deadline, Hebrew counts. The golden files show the words; these say why."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from support.message_setup import action
from support.render_setup import CASES, POLICY, SENDERS, TODAY, action_for, invoice, renderer
from xlsdun.config import LocaleConfig
from xlsdun.models import Action, FeeLine
from xlsdun.render import LRI, PDI, RenderedParts, template_names
from xlsdun.render.context import organisation
from xlsdun.render.environment import Templates
from xlsdun.render.formatting import count_word

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
    # the invoices the message asks to be paid (those not yet due are listed apart); a
    # courtesy note: only the one(s) falling due first
    invoices = action_for(lang, name).invoices
    due = [i for i in invoices if i.due_date <= TODAY or name == "thank_you"]
    if not due:
        first = min(i.due_date for i in invoices)
        due = [i for i in invoices if i.due_date == first]
    for number in [i.invoice for i in due]:
        assert number in subject
    for number in [i.invoice for i in invoices if i not in due]:
        assert number not in subject
    assert SENDERS[lang].business in subject
    assert "?" not in subject  # "מה שלומכם?", "How are things going?" read as marketing
    assert "מה שלומכם" not in subject


def test_subject_stem_forms() -> None:
    one = renderer("en").render_parts(action(invoice("INV-1090")), today=TODAY).subject
    assert one == "Overdue payment: invoice INV-1090 (₪1,000.00) from Levi Design Studio"
    many = action(*(invoice(f"INV-{n}") for n in range(1, 5)))
    subject = renderer("en").render_parts(many, today=TODAY).subject
    assert subject == "Overdue payment: 4 invoices (₪4,000.00) from Levi Design Studio"
    he = renderer("he").render_parts(action(invoice("1090"), language="he"), today=TODAY)
    assert he.subject == "תשלום שמועדו עבר: חשבונית 1090 על סך 1,000.00 ₪ מאת סטודיו לוי לעיצוב"
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
    assert "totalling ₪1,000.00, US$1,000.00 and €1,000.00, are now overdue" in en.text
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
        "Please pay ₪6,023.23 and US$1,206.84 (the combined invoice balance plus the charges"
        " listed above) by Sunday, 6 December 2026, or contact us before then" in en
    )
    he = parts_for("he", "final").text
    assert (
        f"נבקש לשלם {LRI}8,346.90{PDI}\xa0₪ (יתרת החשבוניות בתוספת חיובי הפיגורים)"
        " עד יום ראשון, 6 בדצמבר 2026" in he
    )
    # the subject: the amount asked (charges included) and the deadline first, so a phone's
    # truncated subject line still shows them
    subject = parts_for("en", "final").subject
    assert subject.startswith("Final notice: ₪6,023.23 and US$1,206.84 due by 6 Dec 2026 – ")
    he_subject = parts_for("he", "final").subject
    assert he_subject.startswith("התראה אחרונה: 8,346.90 ₪ לתשלום עד 6 בדצמבר 2026 – ")
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
        "This is the combined invoice balance of ₪5,930.00 and US$1,200.00 less a 2% discount"
        " for settling by that date (₪118.60 and US$24.00), and we will waive the charges"
        " listed above (₪50.00)." in en
    )
    assert (
        "2. Pay in three monthly instalments, with the charges listed above (₪50.00) waived:" in en
    )
    assert "- 3 Feb 2027: ₪1,976.66 and US$400.00" in en and " of about " not in en
    assert "reply with the word FULL" in en and "reply with the word INSTALMENTS" in en
    # this debtor also owes in US$: no standing order or post-dated cheques from abroad
    assert (
        "The instalments can be paid by credit card or in any of the ways listed under How to"
        " pay below." in en
    )
    assert "standing order" not in en and "cheques" not in en
    no_discount = renderer("en", policy=replace(POLICY, early_payment_discount=Decimal(0)))
    text = no_discount.render_parts(action_for("en", "plan"), today=TODAY).text
    assert "1. Pay in full: ₪5,930.00 and US$1,200.00 by 3 Dec 2026." in text
    assert (
        "This is the combined invoice balance, and we will waive the charges listed above"
        " (₪50.00)." in text
    )
    charged = renderer("en", policy=replace(POLICY, waive_charges_on_offer=False))
    text = charged.render_parts(action_for("en", "plan"), today=TODAY).text
    assert "1. Pay in full: ₪5,861.40 and US$1,176.00 by 3 Dec 2026." in text
    assert "for settling by that date (₪118.60 and US$24.00), plus the charges listed" in text
    assert "instalments, including the charges listed above (₪50.00):" in text
    single = renderer("en", policy=replace(POLICY, installments=1))
    text = single.render_parts(action_for("en", "plan"), today=TODAY).text
    assert (
        "You can settle this by paying ₪5,811.40 and US$1,176.00 in full by 3 Dec 2026. This is"
        " the combined invoice balance" in text
    )
    assert "To accept, reply with the word FULL." in text and "INSTALMENTS" not in text
    assert "To settle this:" not in text and "To choose this option" not in text
    assert "If this does not work for you" in text
    he_single = renderer("he", policy=replace(POLICY, installments=1, early_payment_discount=0))
    he_text = he_single.render_parts(action_for("he", "plan"), today=TODAY).text
    assert "אנחנו מציעים לסגור את היתרה כך:" in he_text and "לסגירת היתרה:" not in he_text
    assert "כלומר, יתרת החשבוניות בלבד – אנחנו מוותרים על חיובי הפיגורים (" in he_text
    he = parts_for("he", "plan").text
    assert "כ־" not in he  # no "about" before an exact amount
    assert "ואנחנו מוותרים על חיובי הפיגורים" in he and 'השיבו למייל הזה במילה "תשלומים"' in he
    assert "בהוראת קבע, בצ׳קים דחויים או בכרטיס אשראי" in he


def test_the_broken_promise_is_firm_and_never_thanks_for_being_kept_informed() -> None:
    en = parts_for("en", "broken_promise").text
    assert "You told us you would pay by Sunday, 22 November 2026, but so far payment has" in en
    assert "Thank you for dealing with this promptly." in en and "in advance" not in en
    assert "keeping us" not in en and "for letting us know" not in en
    he = parts_for("he", "broken_promise").text
    assert "לפי מה שסוכם בינינו, התשלום היה אמור להתקבל עד" in he
    assert "נכון להיום הוא טרם התקבל." in he
    assert "תודה שעדכנתם" not in he and "תודה שאתם מעדכנים" not in he


def test_hebrew_avoids_the_reviewed_calques() -> None:
    for name in ("courtesy", "friendly", "direct", "plan", "final", "broken_promise"):
        parts = parts_for("he", name)
        for body in (parts.subject, parts.text, parts.html):
            assert "בחשבונכם" not in body  # the bill, or the bank account?
            assert "מרגישים עם" not in body
            # "has not arrived" as a bare table cell; "שמועד תשלומן טרם הגיע" is idiomatic
            assert not re.search("(?<!תשלומן )טרם הגיע", body)
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


def test_instalment_means_at_home_and_abroad() -> None:
    """A debtor in the business's own currency may pay instalments by standing order,
    post-dated cheques or card; one abroad (another currency) cannot use the first two
    (Israeli bank instruments) and is pointed to the card and the ways to pay below."""
    plan = action(invoice("INV-1"), invoice("INV-2"), tier="plan")
    home = renderer("en").render_parts(plan, today=TODAY).text
    assert (
        "The instalments can be paid by standing order, post-dated cheques or credit card." in home
    )
    he_home = renderer("he").render_parts(replace(plan, language="he"), today=TODAY).text
    assert "אפשר לשלם בהוראת קבע, בצ׳קים דחויים או בכרטיס אשראי." in he_home
    usd = action(invoice("INV-1", currency="USD"), tier="plan")
    abroad = renderer("en").render_parts(usd, today=TODAY).text
    assert "paid by credit card or in any of the ways listed under How to pay below." in abroad
    he_abroad = renderer("he").render_parts(replace(usd, language="he"), today=TODAY).text
    assert 'אפשר לשלם בכרטיס אשראי או בכל אחת מהדרכים שמפורטות תחת "אפשרויות תשלום"' in he_abroad
    for body in (abroad, he_abroad):
        assert "standing order" not in body and "הוראת קבע" not in body
        assert "cheques" not in body and "צ׳קים" not in body
    card_less = renderer("en", policy=replace(POLICY, instalment_methods=("standing_order",)))
    text = card_less.render_parts(usd, today=TODAY).text
    assert "The instalments can be paid in any of the ways listed under How to pay below." in text


def test_one_invoice_is_singular_everywhere() -> None:
    """One invoice: "יתרת החשבונית", "לסכום החשבונית", "the invoice balance"; several:
    the plural forms."""
    fee = (FeeLine("late_fee", "ILS", Decimal("50")),)
    one = action(invoice("INV-1"), tier="plan", fees=fee)
    two = action(invoice("INV-1"), invoice("INV-2"), tier="plan", fees=fee)
    he_one = renderer("he").render_parts(replace(one, language="he"), today=TODAY).text
    he_two = renderer("he").render_parts(replace(two, language="he"), today=TODAY).text
    assert "כלומר, יתרת החשבונית (" in he_one and "יתרת החשבוניות" not in he_one
    assert "בנוסף לסכום החשבונית," in he_one and "לסכומי" not in he_one
    assert "כלומר, יתרת החשבוניות (" in he_two and "בנוסף לסכומי החשבוניות," in he_two
    assert "את מספר החשבונית באסמכתא" in he_one and "את מספרי החשבוניות באסמכתא" in he_two
    final_one = renderer("he").render_parts(replace(one, language="he", tier="final"), today=TODAY)
    assert "(יתרת החשבונית בתוספת חיובי הפיגורים)" in final_one.text
    en_one = renderer("en").render_parts(one, today=TODAY).text
    en_two = renderer("en").render_parts(two, today=TODAY).text
    assert "This is the invoice balance of ₪1,000.00 less" in en_one
    assert "This is the combined invoice balance of ₪2,000.00 less" in en_two
    assert "quote the invoice number in" in en_one and "quote the invoice numbers in" in en_two


def test_hebrew_counts_up_to_ten_are_words_in_prose() -> None:
    """ "בשלוש חשבוניות", "לשלושה תשלומים" (the noun's gender, the prefix attached); from
    eleven, digits with a maqaf ("ב־12"); lists, amounts and preheaders keep digits."""
    assert count_word(3, "he", "f", "ב") == "בשלוש" and count_word(2, "he", "f", "ב") == "בשתי"
    assert count_word(3, "he", "m", "ל") == "לשלושה" and count_word(10, "he", "m") == "עשרה"
    assert count_word(11, "he", "f", "ב") == "ב־11" and count_word(1, "he", "f") == "1"
    assert count_word(3, "en") == "three" and count_word(12, "en") == "12"
    he = renderer("he").render_parts(action_for("he", "plan"), today=TODAY)
    assert "בשלוש חשבוניות" in he.text and "פריסה לשלושה תשלומים חודשיים" in he.text
    assert "ל־3 תשלומים" not in he.text and "ב־3 חשבוניות" not in he.text
    final = renderer("he").render_parts(action_for("he", "final"), today=TODAY).text
    assert "אפשר לפרוס את היתרה לשלושה תשלומים חודשיים" in final
    preheader = renderer("he").context(action_for("he", "plan"), today=TODAY)["preheader"]
    assert "פריסה ל־3 תשלומים" in preheader  # a preheader keeps its digits


def test_english_greeting_dear_in_firm_tiers_and_the_team_without_the_legal_suffix() -> None:
    """One rule: "Hello" in courtesy, friendly and thank-you, "Dear" in direct, plan, final
    and broken promise; without a contact, the organisation's team by its name without
    "Ltd"/"Inc." ("Hello Harbour Lane Bakery team,")."""
    for tier, variant, word in (
        ("courtesy", "standard", "Hello"),
        ("friendly", "standard", "Hello"),
        ("direct", "standard", "Dear"),
        ("plan", "standard", "Dear"),
        ("final", "standard", "Dear"),
        ("plan", "broken_promise", "Dear"),
        ("friendly", "thank_you", "Hello"),
    ):
        act = action(invoice(), tier=tier, variant=variant, customer="Harbour Lane Bakery Ltd")
        text = renderer("en").render_parts(act, today=TODAY).text
        assert text.startswith(f"{word} Harbour Lane Bakery team,\n"), (tier, variant)
        named = renderer("en").render_parts(replace(act, contact="Sarah"), today=TODAY).text
        assert named.startswith(f"{word} Sarah,\n")
    assert organisation("Atlas Software Inc.") == "Atlas Software"
    assert organisation("Fjord Design AB") == "Fjord Design"
    assert organisation("Acme Co., Ltd.") == "Acme"
    assert organisation("Ltd") == "Ltd" and organisation("Coastline") == "Coastline"


def test_the_courtesy_stem_and_preheader_name_only_the_invoice_falling_due() -> None:
    soon = invoice("INV-1042", due_date=TODAY + timedelta(days=2), balance=Decimal("4680"))
    later = invoice("INV-1057", due_date=TODAY + timedelta(days=30), balance=Decimal("3560.50"))
    act = action(soon, later, tier="courtesy")
    ctx = renderer("en").context(act, today=TODAY)
    assert ctx["stem"] == "invoice INV-1042 (₪4,680.00) from Levi Design Studio"
    assert ctx["preheader"] == "₪4,680.00 due on 28 Nov 2026."
    parts = renderer("en").render_parts(act, today=TODAY)
    assert "INV-1057" not in parts.subject and "INV-1057" in parts.text  # still listed
    he = renderer("he").context(replace(act, language="he"), today=TODAY)
    assert he["stem"].startswith("חשבונית INV-1042 על סך 4,680.00\xa0₪")
    assert he["preheader"] == "4,680.00\xa0₪ לתשלום עד 28 בנובמבר 2026."
    # two invoices falling due the same day: both named
    twin = replace(later, invoice="INV-1043", due_date=soon.due_date, balance=Decimal("20"))
    both = renderer("en").context(action(soon, twin, later, tier="courtesy"), today=TODAY)
    assert both["stem"].startswith("invoices INV-1042 and INV-1043 (₪4,700.00)")


def test_courtesy_the_day_before_says_tomorrow() -> None:
    act = action(invoice(due_date=TODAY + timedelta(days=1)), tier="courtesy")
    text = renderer("en").render_parts(act, today=TODAY).text
    assert "falls due tomorrow, Friday, 27 November 2026." in text
    he = renderer("he").render_parts(replace(act, language="he"), today=TODAY).text
    assert "חל ביום שישי, 27 בנובמבר 2026 – מחר." in he and "בעוד יום אחד" not in he
    later = renderer("en").render_parts(
        replace(act, invoices=(invoice(due_date=TODAY + timedelta(days=3)),)), today=TODAY
    )
    assert "falls due in 3 days, on Sunday, 29 November 2026." in later.text


# ---------------------------------------------------------------- the second native reviews


def plain(text: str) -> str:
    """A body without markup and the bidi isolates around numbers and dates, to quote its
    sentences (the same in the text and the HTML part)."""
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return text.replace(LRI, "").replace(PDI, "").replace("\u2068", "").replace("\u2069", "")


OFFERED_ON = TODAY - timedelta(days=7)  # 19 Nov 2026: the earlier offer


@pytest.mark.parametrize("lang", ["en", "he"])
def test_a_repeat_plan_letter_says_the_offer_is_repeated_with_new_dates(lang: str) -> None:
    repeat = replace(action_for(lang, "plan"), offered_on=OFFERED_ON)
    parts = renderer(lang).render_parts(repeat, today=TODAY)
    first = parts_for(lang, "plan")
    for text in (plain(parts.text), plain(parts.html)):
        if lang == "en":
            assert (
                "On 19 Nov we offered you two ways to settle this and have not heard from you."
                " We are repeating the offer, with new dates:" in text
            )
            assert "This follows our email" not in text and "As a small business" not in text
            assert "discount" not in text  # the discount is offered once
        else:
            assert (
                "ב־19 בנובמבר הצענו לכם הסדר תשלומים וטרם קיבלנו תשובה. אנחנו חוזרים על ההצעה,"
                " עם מועדים חדשים:" in text
            )
            assert "נרצה להסביר בכנות" not in text and "פנינו אליכם בעניין זה" not in text
            assert "הנחה" not in text
    # a first offer still explains and follows the earlier emails
    if lang == "en":
        assert "As a small business" in first.text and "This follows our emails of" in first.text
    else:
        assert "נרצה להסביר בכנות" in first.text and "פנינו אליכם בעניין זה" in first.text
    # one choice only: the repeat says so too
    single = renderer(lang, policy=replace(POLICY, installments=1))
    text = plain(single.render_parts(repeat, today=TODAY).text)
    if lang == "en":
        assert "On 19 Nov we offered you a way to settle this and have not heard from you." in text
        assert "You can settle this by paying" in text and "To accept, reply with" in text
    else:
        assert "ב־19 בנובמבר הצענו לכם דרך לסגור את היתרה וטרם קיבלנו תשובה." in text


@pytest.mark.parametrize("lang", ["en", "he"])
def test_a_final_notice_after_an_offer_says_the_offer_went_unanswered(lang: str) -> None:
    after = replace(action_for(lang, "final"), offered_on=OFFERED_ON)
    parts = renderer(lang).render_parts(after, today=TODAY)
    before = plain(parts_for(lang, "final").text)
    for text in (plain(parts.text), plain(parts.html)):
        if lang == "en":
            assert (
                "We wrote to you on 29 Oct, 5 Nov and 12 Nov, and have had neither"
                " payment nor a reply to our offer of 19 Nov." in text
            )
            assert "We are still willing to spread the balance" in text
        else:
            assert "ועד היום לא קיבלנו מכם תשלום או תשובה להצעה ששלחנו ב־19 בנובמבר." in text
    # the offer was the only earlier letter: its day is named once, not twice
    only = replace(after, earlier=(OFFERED_ON,))
    once = plain(renderer(lang).render_parts(only, today=TODAY).text)
    assert once.count("19 Nov" if lang == "en" else "19 בנובמבר") == 1, once
    if lang == "en":
        assert "We have had neither payment nor a reply to our offer of 19 Nov." in once
    else:
        assert " עד היום לא קיבלנו מכם תשלום או תשובה להצעה ששלחנו ב־19 בנובמבר." in once
    if lang == "en":  # "still" only after an offer
        assert "We are willing to spread the balance" in before and "still willing" not in before
        assert "received neither payment nor a date for payment" in before
    else:
        assert "לא קיבלנו מכם תשלום או מועד לתשלום." in before


def test_the_final_notice_says_its_first_amount_is_before_the_charges() -> None:
    en = plain(parts_for("en", "final").text)
    assert "on your account: ₪5,930.00 and US$1,200.00 (before charges)." in en
    he = plain(parts_for("he", "final").text)
    assert "בסך 8,240.50\xa0₪ (לפני חיובי הפיגורים)." in he
    no_fees = renderer("en").render_parts(action(invoice(), tier="final"), today=TODAY).text
    assert "(before charges)" not in no_fees


@pytest.mark.parametrize(
    ("lang", "name", "expected"),
    [
        ("he", "friendly", "יתרה של 5,930.00\xa0₪ ממתינה לתשלום (הישנה שבחשבוניות מאז 17 בנובמבר"),
        ("he", "direct", "יתרה של 8,240.50\xa0₪ באיחור (הישנה שבחשבוניות מאז 5 בנובמבר 2026)."),
        ("he", "plan", "יתרה של 8,240.50\xa0₪ באיחור (הישנה שבחשבוניות מאז 15 באוקטובר 2026):"),
        (
            "en",
            "plan",
            "₪5,930.00 and US$1,200.00 overdue (the oldest since 15 Oct 2026): you can pay in"
            " full or in three monthly instalments.",
        ),
    ],
)
def test_preheaders_with_several_invoices_date_the_oldest(
    lang: str, name: str, expected: str
) -> None:
    ctx = renderer(lang).context(action_for(lang, name), today=TODAY)
    assert ctx["preheader"].startswith(expected)
    one = action(invoice(), tier=name, language=lang)
    alone = renderer(lang, locale=LocaleConfig(language=lang)).context(one, today=TODAY)
    assert "הישנה" not in alone["preheader"] and "oldest" not in alone["preheader"]


@pytest.mark.parametrize("lang", ["en", "he"])
def test_a_courtesy_note_names_every_invoice_falling_due_that_day(lang: str) -> None:
    due = TODAY + timedelta(days=3)
    two = action(
        invoice("INV-1", due_date=due),
        invoice("INV-2", due_date=due),
        invoice("INV-3", due_date=due + timedelta(days=20)),
        tier="courtesy",
        language=lang,
    )
    parts = renderer(lang, locale=LocaleConfig(language=lang)).render_parts(two, today=TODAY)
    for text in (plain(parts.text), plain(parts.html)):
        if lang == "en":
            assert "invoices INV-1 and INV-2 for ₪2,000.00 fall due in 3 days" in text
        else:
            assert "מועד התשלום של חשבוניות INV-1 ו־INV-2, על סך 2,000.00\xa0₪, חל" in text
        assert "INV-3" in text  # listed below, for reference
    assert "INV-3" not in parts.subject


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "₪1,000.00 due today (26 Nov 2026)."),
        ("he", "1,000.00\xa0₪ לתשלום היום (26 בנובמבר 2026)."),
    ],
)
def test_a_courtesy_preheader_on_the_due_date_says_today(lang: str, expected: str) -> None:
    today = action(invoice(due_date=TODAY), tier="courtesy", language=lang)
    ctx = renderer(lang, locale=LocaleConfig(language=lang)).context(today, today=TODAY)
    assert ctx["preheader"] == expected
    soon = action(invoice(due_date=TODAY + timedelta(days=2)), tier="courtesy", language=lang)
    later = renderer(lang, locale=LocaleConfig(language=lang)).context(soon, today=TODAY)
    assert "today" not in later["preheader"] and "היום" not in later["preheader"]


@pytest.mark.parametrize("lang", ["en", "he"])
def test_the_pay_button_is_not_preceded_by_an_online_label(lang: str) -> None:
    html = parts_for(lang, "direct").html
    assert "Pay online" in html or "לתשלום מקוון" in html
    assert ">Online:</p>" not in html and ">בתשלום מקוון:</p>" not in html
    assert ">תשלום מקוון:</p>" not in html
    text = parts_for(lang, "direct").text  # the text part keeps its label
    assert "- Online:" in text or "• תשלום מקוון:" in text


def test_hebrew_payment_options_are_nouns() -> None:
    text = parts_for("he", "direct").text
    assert "• תשלום מקוון:" in text and "• העברה בנקאית:" in text
    assert "• בתשלום" not in text and "• בהעברה" not in text
    links = action(
        invoice("1", pay_link="https://pay.example/1"),
        invoice("2", pay_link="https://pay.example/2"),
        language="he",
    )
    both = renderer("he").render_parts(links, today=TODAY)
    assert "• תשלום מקוון – קישור לכל חשבונית:" in both.text
    assert "תשלום מקוון – קישור לכל חשבונית:" in both.html


def test_smaller_second_review_wording() -> None:
    courtesy = parts_for("en", "courtesy").text
    assert "For reference, all your open invoices are listed below." in courtesy
    assert "for convenience" not in courtesy
    assert "שאלה על החשבוניות," in parts_for("he", "friendly").text
    one = renderer("he").render_parts(
        action(invoice(), tier="friendly", language="he"), today=TODAY
    )
    assert "שאלה על החשבונית," in one.text
    plan = parts_for("he", "plan").text
    assert "תודה על שיתוף הפעולה. נשמח למצוא יחד פתרון מתאים." in plan
    promise = renderer("en").context(action_for("en", "broken_promise"), today=TODAY)
    assert promise["preheader"] == (
        "The payment of ₪5,930.00 and US$1,200.00 you promised for 22 Nov 2026 has not reached us."
    )


def test_equal_reasons_are_one_object_with_their_own_parameters() -> None:
    """The plan's reasons are shared (40,000 debtors have a few dozen): equal ones are one
    object, and a reason differing only in a parameter's type or value is its own."""
    from xlsdun.policy.wording import Reason, reason

    one = reason("3 days overdue", "overdue", days=3)
    assert one is reason("3 days overdue", "overdue", days=3)
    assert isinstance(one, Reason) and (one.key, one.params) == ("overdue", {"days": 3})
    other = reason("3 days overdue", "overdue", days=3.0)
    assert other is not one and type(other.params["days"]) is float
    assert reason("3 days overdue", "overdue", days=4) is not one
    listed = reason("rows 1, 2", "rows", rows=[1, 2])  # a list is no dict key: made anew
    assert listed.params == {"rows": [1, 2]} and listed is not reason(
        "rows 1, 2", "rows", rows=[1, 2]
    )
