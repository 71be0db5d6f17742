"""The facts a debtor's message carries (issue 14): invoices not yet due apart from every
total and offer, the plan tier's exact offer, earlier reminders by date, the subject's stem
and the thread's stable subject, the preheader, and the sender per language."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from support.message_setup import action, invoice, parse
from support.sample_setup import SAMPLE, invoke, make_workbook
from xlsdun.config import LocaleConfig, SenderConfig, default_policy, iban_valid, load
from xlsdun.ledger import Ledger
from xlsdun.models import FeeLine
from xlsdun.policy import plan as make_plan
from xlsdun.render import LRI, PDI, Renderer, context, envelope, headlines, offer
from xlsdun.render.environment import Templates
from xlsdun.render.formatting import and_list, formatter
from xlsdun.render.views import FeeView, Total
from xlsdun.wiring import ledger_path
from xlsdun.workbook.read import read_receivables

TODAY = date(2026, 11, 26)  # a Thursday
POLICY = replace(default_policy(), early_payment_discount=Decimal("0.02"))
SENDER = SenderConfig(
    name="Dana Levi",
    email="dana@dahan.example",
    business="Dahan Home Services",
    phone="03-555-1234",
    bank_details="Bank Leumi, branch 800, account 123456",
    iban="IL84 0108 0000 0000 0123 456",
    swift="LUMIILIT",
    languages=(
        (
            "he",
            SenderConfig(
                name="דנה לוי",
                email="dana@dahan.example",
                business="דהן שירותי בית",
                phone="03-555-1234",
                bank_details="בנק לאומי, סניף 800, חשבון 123456",
                iban="IL84 0108 0000 0000 0123 456",
                swift="LUMIILIT",
            ),
        ),
    ),
)


def landwer(tier: str = "plan", **kwargs: object):  # type: ignore[no-untyped-def]
    """קפה לנדוור רמת השרון in the sample: 4 open invoices at 42/25/11/-14 days."""
    rows = [
        invoice(str(n), due_date=TODAY - timedelta(days=d), balance=Decimal(b), row=n)
        for n, (d, b) in enumerate(
            ((42, "2150.00"), (25, "3480.00"), (11, "1260.00"), (-14, "2900.00")), start=2
        )
    ]
    kwargs.setdefault("language", "he")
    return action(*rows, customer="קפה לנדוור רמת השרון", tier=tier, **kwargs)


def build(act: object, *, policy: object = POLICY, locale: LocaleConfig | None = None) -> dict:  # type: ignore[type-arg]
    return context.message_context(
        act,  # type: ignore[arg-type]
        today=TODAY,
        sender=SENDER,
        policy=policy,  # type: ignore[arg-type]
        locale=locale or LocaleConfig(language="he"),
    )


def renderer(**kwargs: object) -> Renderer:
    kwargs.setdefault("sender", SENDER)
    kwargs.setdefault("locale", LocaleConfig(language="he"))
    kwargs.setdefault("policy", POLICY)
    return Renderer(**kwargs)  # type: ignore[arg-type]


# ---------------------------------------------------------------- not yet due, apart


def test_invoices_not_yet_due_are_outside_every_total_and_offer() -> None:
    """Issue 14: קפה לנדוור's plan mail counted ₪2,900 not yet due in the total, the
    discount and the instalments."""
    ctx = build(landwer(fees=(FeeLine("late_fee", "ILS", Decimal("50")),)))
    assert [i.number for i in ctx["invoices"]] == ["2", "3", "4"]
    assert [i.number for i in ctx["upcoming"]] == ["5"] and ctx["invoice_count"] == 3
    due = Decimal("6890.00")  # 2,150 + 3,480 + 1,260
    assert ctx["totals"] == [Total("ILS", due)]
    assert ctx["totals_with_fees"] == [Total("ILS", due + 50)]
    full = ctx["offer_full"]
    assert full.invoices_total == (Total("ILS", due),)
    assert full.discount_amount == (Total("ILS", Decimal("137.80")),)
    assert full.pay == (Total("ILS", Decimal("6752.20")),) and full.charges_waived
    assert sum(i.amounts[0].amount for i in ctx["offer_instalments"]) == due
    assert ctx["discounted_totals"] == [Total("ILS", Decimal("6752.20"))]


def test_before_any_invoice_is_due_all_are_listed_and_a_thank_you_lists_all() -> None:
    early = [invoice(str(n), due_date=TODAY + timedelta(days=d)) for n, d in ((1, 2), (2, 9))]
    ctx = build(action(*early, tier="courtesy"))
    assert [i.number for i in ctx["invoices"]] == ["1", "2"] and ctx["upcoming"] == []
    mixed = [invoice("1", balance=Decimal("0")), invoice("2", due_date=TODAY + timedelta(days=5))]
    ctx = build(action(*mixed, variant="thank_you"))
    assert [i.number for i in ctx["invoices"]] == ["1", "2"] and ctx["upcoming"] == []
    # an invoice due today is due: the later one goes apart
    today = [invoice("1", due_date=TODAY), invoice("2", due_date=TODAY + timedelta(days=3))]
    ctx = build(action(*today, tier="courtesy"))
    assert [i.number for i in ctx["invoices"]] == ["1"]
    assert [i.number for i in ctx["upcoming"]] == ["2"]


# ---------------------------------------------------------------- the offer


@given(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("10000000"), places=2),
    st.integers(min_value=1, max_value=36),
)
def test_instalments_add_up_to_the_cent(total: Decimal, parts: int) -> None:
    """Exact to the cent, the odd cents one each on the first instalments (the Hebrew
    reviewer: 2,296.67 / 2,296.67 / 2,296.66, never a larger last one)."""
    split = offer.split_cents(total, parts)
    assert len(split) == parts and sum(split) == total
    floor = (total / parts).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    assert split[-1] == floor and all(p in (floor, floor + Decimal("0.01")) for p in split)
    assert split == sorted(split, reverse=True)  # the larger ones first
    assert all(p.as_tuple().exponent == -2 for p in split)


def test_the_rounding_remainder_goes_on_the_first_instalments() -> None:
    assert offer.split_cents(Decimal("6890.00"), 3) == [
        Decimal("2296.67"),
        Decimal("2296.67"),
        Decimal("2296.66"),
    ]
    assert offer.split_cents(Decimal("10.00"), 3) == [
        Decimal("3.34"),
        Decimal("3.33"),
        Decimal("3.33"),
    ]
    assert offer.split_cents(Decimal("9.00"), 3) == [Decimal("3.00")] * 3


@given(
    st.lists(
        st.decimals(min_value=Decimal("1"), max_value=Decimal("1000000"), places=2),
        min_size=1,
        max_size=3,
    ),
    st.decimals(min_value=Decimal("0"), max_value=Decimal("0.5"), places=3),
    st.decimals(min_value=Decimal("0"), max_value=Decimal("500"), places=2),
    st.booleans(),
)
def test_pay_in_full_is_the_invoices_less_the_discount_with_or_without_charges(
    amounts: list[Decimal], rate: Decimal, fee: Decimal, waive: bool
) -> None:
    currencies = ["ILS", "USD", "EUR"][: len(amounts)]
    sums = [Total(c, a) for c, a in zip(currencies, amounts, strict=True)]
    fees = [FeeView("late_fee", "x", "ILS", fee, "")] if fee else []
    full = offer.full_payment(sums, fees, by=TODAY, discount=rate or None, waive_charges=waive)
    for t, off, pay in zip(
        sums,
        full.discount_amount or [Total(t.currency, Decimal(0)) for t in sums],
        full.pay,
        strict=True,
    ):
        charge = fee if (t.currency == "ILS" and not waive) else Decimal("0")
        assert off.amount == (t.amount * rate).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
        assert pay == Total(t.currency, t.amount - off.amount + charge)
    assert full.charges_waived == (waive and bool(fee))
    # the instalments: N payments a month apart that add up to the same balance (no discount)
    monthly = offer.instalments(sums, fees, count=3, first=TODAY, waive_charges=waive)
    for k, t in enumerate(sums):
        charge = fee if (t.currency == "ILS" and not waive) else Decimal("0")
        assert sum(m.amounts[k].amount for m in monthly) == t.amount + charge


def test_instalment_dates_are_monthly_from_the_first_and_clamped_to_the_month() -> None:
    monthly = offer.instalments(
        [Total("ILS", Decimal("1000"))], [], count=4, first=date(2027, 1, 31), waive_charges=True
    )
    assert [m.due for m in monthly] == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
    ]
    assert [m.amounts[0].amount for m in monthly] == [Decimal("250.00")] * 4
    assert offer.add_months(date(2028, 1, 30), 1) == date(2028, 2, 29)
    assert offer.add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)
    assert (
        offer.instalments([Total("ILS", Decimal(5))], [], count=1, first=TODAY, waive_charges=True)
        == []
    )


def test_the_offer_in_context_charges_waived_or_added_methods_and_accept_words() -> None:
    fees = (FeeLine("late_fee", "ILS", Decimal("50")),)
    ctx = build(landwer(fees=fees))
    assert ctx["offer_full"].by == TODAY + timedelta(days=7) == ctx["offer_instalments"][0].due
    assert ctx["instalment_methods"] == ["בהוראת קבע", "בצ׳קים דחויים", "בכרטיס אשראי"]
    assert (ctx["accept_full"], ctx["accept_instalments"]) == ("מלא", "תשלומים")
    charged = build(landwer(fees=fees), policy=replace(POLICY, waive_charges_on_offer=False))
    assert charged["offer_full"].pay == (Total("ILS", Decimal("6802.20")),)
    assert not charged["offer_full"].charges_waived
    assert sum(m.amounts[0].amount for m in charged["offer_instalments"]) == Decimal("6940.00")
    en = build(landwer(language="en"), policy=replace(POLICY, instalment_methods=("credit_card",)))
    assert en["instalment_methods"] == ["credit card"]
    assert (en["accept_full"], en["accept_instalments"]) == ("FULL", "INSTALMENTS")


# ---------------------------------------------------------------- lists and short dates


@pytest.mark.parametrize(
    ("language", "items", "prefix", "expected"),
    [
        ("en", ["A"], "", "A"),
        ("en", ["A", "B"], "", "A and B"),
        ("en", ["A", "B", "C"], "", "A, B and C"),
        ("he", ["X", "Y"], "", "X ו־Y"),
        ("he", ["X", "Y", "Z"], "", "X, Y ו־Z"),
        (
            "he",
            ["26 בנובמבר", "1 בדצמבר", "6 בדצמבר"],
            "ב־",
            "ב־26 בנובמבר, ב־1 בדצמבר וב־6 בדצמבר",
        ),
    ],
)
def test_join_and_lists_as_a_sentence_does(
    language: str, items: list[str], prefix: str, expected: str
) -> None:
    env = Templates(LocaleConfig()).env(language)
    assert (
        env.from_string("{{ items | join_and(prefix) }}").render(items=items, prefix=prefix)
        == expected
    )
    html = env.from_string("{% autoescape true %}{{ items | join_and }}{% endautoescape %}")
    assert html.render(items=["<b>", "&"]) == (
        "&lt;b&gt; and &amp;" if language == "en" else "&lt;b&gt; ו־&amp;"
    )
    assert and_list([], language) == ""


@pytest.mark.parametrize("language", ["en", "he"])
@pytest.mark.parametrize("autoescape", ["true", "false"])
def test_join_and_of_one_item_shows_what_the_list_path_shows(
    language: str, autoescape: str
) -> None:
    # join_and takes a shortcut for a list of one (formatting.py); a generator goes the
    # long way, through the escaping and and_list: both must give the same text
    env = Templates(LocaleConfig()).env(language)
    tpl = env.from_string(
        f"{{% autoescape {autoescape} %}}{{{{ items | join_and }}}}|"
        f"{{{{ items | select | join_and }}}}|{{{{ sums | amounts }}}}{{% endautoescape %}}"
    )
    for items in (["<b>&"], [Markup("<i>x</i>")], ["INV-7"]):
        shortcut, long_way, amount = tpl.render(
            items=items, sums=[Total("ILS", Decimal("1250"))]
        ).split("|")
        assert shortcut == long_way
        assert amount.count("1,250.00") == 1
    escaped = tpl.render(items=["<b>&"], sums=[]).split("|")[0]
    assert escaped == ("&lt;b&gt;&amp;" if autoescape == "true" else "<b>&")


def test_template_globals_are_the_sandboxes_own_and_a_templates_overlay() -> None:
    # Sandbox.make_globals hands Jinja a plain dict (environment.py), not a ChainMap: the
    # sandbox's own globals (its range, which refuses huge ranges) and a template's own
    # globals over them must still be what a template sees
    env = Templates(LocaleConfig()).env("en")
    assert env.from_string("{{ range(3) | list }}").render() == "[0, 1, 2]"
    with pytest.raises(OverflowError):
        env.from_string("{{ range(10 ** 9) | list }}").render()
    own = env.from_string("{{ range }}", globals={"range": "mine"})
    assert own.render() == "mine"
    assert env.from_string("{{ range(1) | list }}").render() == "[0]"


def test_short_date_shows_the_year_only_when_it_differs() -> None:
    for language, same, other in (
        ("en", "26 Nov", "6 Dec 2025"),
        ("he", "26 בנובמבר", "6 בדצמבר 2025"),
    ):
        env = Templates(LocaleConfig(language=language)).env(language)
        tpl = env.from_string("{{ a | short_date }}|{{ b | short_date }}")
        assert (
            tpl.render(a=date(2026, 11, 26), b=date(2025, 12, 6), today=TODAY) == f"{same}|{other}"
        )
    us = Templates(LocaleConfig(language="en", country="US")).env("en")
    assert (
        us.from_string("{{ a | short_date }}").render(a=date(2026, 9, 20), today=TODAY) == "Sep 20"
    )


# ---------------------------------------------------------------- subject and preheader


def test_the_stem_names_the_invoices_the_amount_and_the_business() -> None:
    en = formatter("en", "en_IL")
    views = [context.invoice_view(invoice(f"INV-{n}"), TODAY, "ILS") for n in range(1, 6)]
    one = headlines.stem(en, views[:1], [Total("USD", Decimal("3000"))], "Dahan Home Services")
    assert one == "invoice INV-1 (US$3,000.00) from Dahan Home Services"
    three = headlines.stem(en, views[:3], [Total("ILS", Decimal("5980"))], "Dahan")
    assert three == "invoices INV-1, INV-2 and INV-3 (₪5,980.00) from Dahan"
    many = headlines.stem(en, views, [Total("ILS", Decimal("1")), Total("USD", Decimal("2"))], "")
    assert many == "5 invoices (₪1.00 and US$2.00)"
    he = formatter("he", "he_IL")
    two = headlines.stem(he, views[:2], [Total("ILS", Decimal("5980"))], "דהן")
    assert two == "חשבוניות INV-1 ו־INV-2 על סך 5,980.00\xa0₪ מאת דהן"


def test_the_context_has_a_stem_and_a_preheader_per_tier() -> None:
    ctx = build(landwer())
    assert ctx["stem"] == "חשבוניות 2, 3 ו־4 על סך 6,890.00\xa0₪ מאת דהן שירותי בית"
    assert ctx["preheader"] == (
        "יתרה של 6,890.00\xa0₪ באיחור (הישנה שבחשבוניות מאז 15 באוקטובר 2026): תשלום מלא או"
        " פריסה ל־3 תשלומים."
    )
    en_locale = LocaleConfig(language="en")
    en = build(landwer(language="en"), locale=en_locale)
    assert en["stem"] == "invoices 2, 3 and 4 (₪6,890.00) from Dahan Home Services"
    assert (
        en["preheader"] == "₪6,890.00 overdue (the oldest since 15 Oct 2026): you can pay in full"
        " or in three monthly instalments."
    )
    soon = action(invoice("7", due_date=TODAY + timedelta(days=2)), tier="courtesy")
    assert build(soon, locale=en_locale)["preheader"] == "₪1,000.00 due on 28 Nov 2026."
    fees = (FeeLine("late_fee", "ILS", Decimal("50")),)
    final = build(landwer(tier="final", language="en", fees=fees), locale=en_locale)
    assert final["preheader"] == "Final notice: please pay ₪6,940.00 by 6 Dec 2026."
    assert final["amount_due_plain"] == "₪6,940.00"  # the final subject's amount
    several = action(invoice("1"), invoice("2", due_date=date(2026, 11, 20)), language="en")
    assert build(several, locale=en_locale)["preheader"] == (
        "₪2,000.00 overdue (the oldest since 5 Nov 2026). Please let us know when you will pay."
    )
    promised = action(
        invoice("8", promise_date=date(2026, 11, 20)), variant="broken_promise", language="he"
    )
    assert (
        build(promised)["preheader"] == "התשלום שסוכם ל־20 בנובמבר 2026 (1,000.00\xa0₪) טרם התקבל."
    )
    paid = action(invoice("9", balance=Decimal("0"), amount=Decimal("700")), variant="thank_you")
    assert build(paid, locale=en_locale)["preheader"] == "Payment of ₪700.00 received. Thank you."
    single = build(landwer(), policy=replace(POLICY, installments=1))
    assert single["preheader"].endswith("נשמח לסכם איתכם הסדר תשלום.")
    parts = renderer().render_parts(landwer(), today=TODAY)
    assert ctx["preheader"] not in parts.text  # the text part does not carry it
    hidden = parts.html.split("<body", 1)[1].split("</div>", 1)[0]
    assert ctx["preheader"].replace("\xa0", "&nbsp;") in hidden or ctx["preheader"] in hidden
    assert "display:none" in hidden and "<img" not in parts.html


def test_a_hebrew_subject_of_capitals_gains_the_latin_business_name() -> None:
    """SpamAssassin's SUBJ_ALL_CAPS reads a Hebrew subject whose only Latin letters are
    "INV" as capitals: the business's Latin name, when it has one, adds lower-case letters;
    without one the subject stays as it is. Ids are never changed."""
    inv = action(invoice("INV-1090", currency="USD"), language="he")
    ctx = build(inv)
    assert (
        ctx["stem"]
        == "חשבונית INV-1090 על סך 1,000.00\xa0$ מאת דהן שירותי בית (Dahan Home Services)"
    )
    assert not headlines.all_caps(ctx["stem"])
    hebrew_only = replace(SENDER, business="", languages=SENDER.languages)
    ctx = context.message_context(
        inv, today=TODAY, sender=hebrew_only, policy=POLICY, locale=LocaleConfig(language="he")
    )
    assert ctx["stem"] == "חשבונית INV-1090 על סך 1,000.00\xa0$ מאת דהן שירותי בית"
    assert headlines.all_caps(ctx["stem"])
    numeric = build(action(invoice("20451"), language="he"))  # no Latin letters: nothing to add
    assert numeric["stem"] == "חשבונית 20451 על סך 1,000.00\xa0₪ מאת דהן שירותי בית"
    assert headlines.all_caps("תזכורת INV-1") and not headlines.all_caps("Re: תזכורת INV-1")
    assert not headlines.all_caps("20451 ₪")


@pytest.mark.parametrize(
    ("first", "thread", "template", "expected"),
    [
        ("Reminder: invoice 1 (₪5)", ("<a@x>",), "direct", "Re: Reminder: invoice 1 (₪5)"),
        ("Re: Reminder: invoice 1 (₪5)", ("<a@x>",), "direct", "Re: Reminder: invoice 1 (₪5)"),
        ("Reminder: invoice 1 (₪5)", ("<a@x>",), "plan", "OWN"),  # an offer is new content
        ("Reminder: invoice 1 (₪5)", (), "direct", "OWN"),  # no earlier reminder about it
        (None, ("<a@x>",), "direct", "OWN"),  # the first one's subject is unknown (old rows)
        ("Reminder: invoice 1 (₪5)", ("<a@x>",), "final", "OWN"),  # a formal notice is seen
        ("Reminder: invoice 1 (₪5)", ("<a@x>",), "thank_you", "OWN"),
        # the debt changed since the thread began: the amount, or the invoices
        ("Reminder: invoice 1 (₪9)", ("<a@x>",), "direct", "OWN"),
        ("Reminder: invoices 1 and 2 (₪5)", ("<a@x>",), "direct", "OWN"),
    ],
)
def test_a_follow_up_repeats_the_first_subject_while_the_debt_is_the_same(
    first: str | None, thread: tuple[str, ...], template: str, expected: str
) -> None:
    got = envelope.thread_subject(
        "OWN", first, follows_up=bool(thread), template=template, stem="invoice 1 (₪5)"
    )
    assert got == expected


def test_same_debt_compares_the_whole_stem_after_the_label() -> None:
    assert envelope.same_debt("Payment reminder: invoice 1 (₪5) from A", "invoice 1 (₪5) from A")
    assert not envelope.same_debt("Payment reminder: invoice 1 (₪5)", "invoice 1 (₪5) from A")
    assert not envelope.same_debt("Payment reminder: invoice 11 (₪5)", "invoice 1 (₪5)")
    assert not envelope.same_debt("Payment reminder: invoice 1 (₪5)", "")
    he = "תזכורת לתשלום: חשבונית 20451 על סך 4,680.00 ₪ מאת סטודיו: לוי"
    assert envelope.same_debt(he, "חשבונית 20451 על סך 4,680.00 ₪ מאת סטודיו: לוי")


def test_a_rendered_follow_up_goes_out_as_re_the_first_subject_with_the_whole_chain() -> None:
    act = landwer(
        tier="direct",
        thread=("<a@x.example>", "<b@x.example>"),
        previous_message_id="<b@x.example>",
        first_subject="תזכורת לתשלום: חשבוניות 2, 3 ו־4 על סך 6,890.00 ₪ מאת דהן שירותי בית",
    )
    msg = parse(renderer().render(act, today=TODAY, now=datetime(2026, 11, 26, 9)))
    assert msg["Subject"] == (
        "Re: תזכורת לתשלום: חשבוניות 2, 3 ו־4 על סך 6,890.00 ₪ מאת דהן שירותי בית"
    )
    assert msg["References"].split() == ["<a@x.example>", "<b@x.example>"]
    final = parse(
        renderer().render(replace(act, tier="final"), today=TODAY, now=datetime(2026, 11, 26, 9))
    )
    assert not final["Subject"].startswith("Re:") and "<a@x.example>" in final["References"]
    # the plan's offer, with its deadline, is new content: its own subject, still chained
    plan = parse(
        renderer().render(replace(act, tier="plan"), today=TODAY, now=datetime(2026, 11, 26, 9))
    )
    assert plan["Subject"].startswith("הצעה להסדר תשלום: חשבוניות 2, 3 ו־4")
    assert plan["References"].split() == ["<a@x.example>", "<b@x.example>"]
    # one invoice paid since: the debt is not the one the thread's subject names
    paid_one = replace(act, invoices=act.invoices[1:])
    changed = parse(renderer().render(paid_one, today=TODAY, now=datetime(2026, 11, 26, 9)))
    assert changed["Subject"].startswith("תשלום שמועדו עבר: חשבוניות 3 ו־4 על סך 4,740.00")
    assert changed["References"].split() == ["<a@x.example>", "<b@x.example>"]


# ---------------------------------------------------------------- the sender per language


def test_each_language_is_signed_by_its_own_sender() -> None:
    he = renderer().render(landwer(), today=TODAY, now=datetime(2026, 11, 26, 9))
    en = renderer().render(landwer(language="en"), today=TODAY, now=datetime(2026, 11, 26, 9))
    assert "דנה לוי" in parse(he)["From"] and "Dana Levi" in parse(en)["From"]
    he_text = renderer().render_parts(landwer(), today=TODAY).text
    assert "דהן שירותי בית" in he_text and "Dahan Home Services" not in he_text
    en_text = renderer().render_parts(landwer(language="en"), today=TODAY).text
    assert "Dahan Home Services" in en_text and "דהן" not in en_text


def test_iban_and_swift_for_a_foreign_currency_and_an_international_phone_abroad() -> None:
    home = build(landwer())
    assert (home["iban"], home["swift"], home["phone"]) == ("", "", "03-555-1234")
    usd = action(invoice("9", currency="USD"), language="he")
    abroad = build(usd)
    assert abroad["iban"] == "IL84 0108 0000 0000 0123 456" and abroad["swift"] == "LUMIILIT"
    assert abroad["phone"] == "+972 3-555-1234"
    english = build(landwer(language="en"))  # a Hebrew business's English-speaking customer
    assert english["phone"] == "+972 3-555-1234" and english["iban"] == ""


@pytest.mark.parametrize(("message", "details"), [("en", "he"), ("he", "en")])
def test_bank_details_of_the_other_direction_keep_their_order(message: str, details: str) -> None:
    """ "בנק לאומי, סניף 800, חשבון 123456" in an English message came out as "123456 בנק
    לאומי, סניף 800, חשבון": each line is isolated on its own."""
    lines = {
        "he": "בנק לאומי, סניף 800, חשבון 123456",
        "en": "Bank Leumi, branch 800, account 123456",
    }
    sender = replace(SENDER, bank_details=f"{lines[details]}\nIBAN IL62", languages=())
    r = renderer(sender=sender, locale=LocaleConfig(language=message))
    parts = r.render_parts(landwer(language=message), today=TODAY)
    if message != details:
        assert f'<span dir="auto">{lines[details]}</span>' in parts.html
        assert f"\u2068{lines[details]}\u2069" in parts.text


# ---------------------------------------------------------------- through a run


def test_runs_store_each_subject_and_a_follow_up_keeps_the_first(tmp_path: Path) -> None:
    """Two daily runs a week apart: the ledger keeps the first reminder's Subject, the
    follow-up repeats it as "Re: ..." and names the first reminder's day."""
    day1, day2 = date(2026, 11, 26), date(2026, 12, 3)
    config = make_workbook(
        tmp_path,
        [
            {
                "Customer": "Harbour Lane Bakery Ltd",
                "Contact": "Dana",
                "Email": "ap@harbour.example",
                "Invoice #": "INV-1090",
                "Due date": datetime(2026, 11, 16),
                "Balance": 3000.0,
                "Currency": "USD",
                "Language": "en",
            }
        ],
    )
    subjects = []
    for day in (day1, day2):
        code, _, err = invoke("run", "--config", str(config), "--today", day.isoformat(), "--force")
        assert code == 0, err
        (eml,) = (tmp_path / "outbox" / day.isoformat()).glob("*.eml")
        subjects.append(parse(eml.read_bytes())["Subject"])
    first, follow_up = subjects
    assert "INV-1090" in first and "US$3,000.00" in first and "Dahan Home Services" in first
    assert follow_up == f"Re: {first}"
    cfg = load(config)
    with Ledger(ledger_path(cfg)) as ledger:
        (history,) = ledger.history().values()
    assert [(c.day, c.subject) for c in history.contacts] == [(day1, first), (day2, follow_up)]


@pytest.mark.parametrize(
    ("table", "line", "key"),
    [
        ("[sender.he]", 'busines = "x"', "sender.he.busines"),
        ("[sender]", 'iban = "IL84 0108 0000 0000 0123 457"', "sender.iban"),
        ("[sender]", 'swift = "LUMI"', "sender.swift"),
        ("[policy]", 'instalment_methods = ["barter"]', "policy.instalment_methods"),
        ("[policy]", 'waive_charges_on_offer = "yes"', "policy.waive_charges_on_offer"),
    ],
)
def test_check_refuses_a_bad_new_key_with_exit_2_naming_it(
    tmp_path: Path, table: str, line: str, key: str
) -> None:
    row = {"Customer": "A", "Email": "a@x.example", "Invoice #": "1", "Balance": 5.0}
    config = make_workbook(tmp_path, [{**row, "Due date": datetime(2026, 11, 1)}])
    text = config.read_text("utf-8")
    name = line.split("=", 1)[0].strip()  # the sample may set the key already: one value only
    text = "".join(k for k in text.splitlines(True) if not k.startswith(f"{name} ="))
    if f"\n{table}\n" in text:
        text = text.replace(f"\n{table}\n", f"\n{table}\n{line}\n", 1)
    else:
        text += f"\n{table}\n{line}\n"
    config.write_text(text, "utf-8")
    code, out, err = invoke("check", "--config", str(config))
    assert code == 2 and f"'{key}'" in out + err and "Traceback" not in out + err


def test_the_sample_cafe_landwer_plan_mail_keeps_the_invoice_not_yet_due_apart() -> None:
    """Issue 14's case in the sample workbook: קפה לנדוור רמת השרון's plan mail counted
    ₪2,900 not yet due in its total, its discount and its instalments."""
    cfg = load(SAMPLE / "xlsdun.toml")
    receivables = read_receivables(
        cfg.workbook.path, sheet=cfg.workbook.sheet, default_currency="ILS", default_language="he"
    )
    (act,) = [
        a
        for a in make_plan(receivables, {}, TODAY, cfg.policy).sends
        if a.customer == "קפה לנדוור רמת השרון"
    ]
    assert act.tier == "plan" and Decimal("2900.00") in [i.balance for i in act.invoices]
    r = Renderer(sender=cfg.sender, locale=cfg.locale, policy=cfg.policy)
    ctx = r.context(act, today=TODAY)
    assert [u.balance for u in ctx["upcoming"]] == [Decimal("2900.00")]
    assert ctx["totals"] == [Total("ILS", Decimal("6890.00"))]  # 2,150 + 3,480 + 1,260
    text = r.render_parts(act, today=TODAY).text
    before_upcoming = text.split("לידיעתכם, חשבוניות שמועד תשלומן טרם הגיע")[0]
    assert "2,900.00" not in before_upcoming and "6,890.00" in before_upcoming
    after = text.split("לידיעתכם, חשבוניות שמועד תשלומן טרם הגיע")[1]
    assert "2,900.00" in after.split("\n\n")[0]
    assert "9,790.00" not in text  # the old total with the invoice not yet due


def iban_account(iban: str) -> tuple[int, int, int]:
    """An Israeli IBAN's (bank, branch, account): IL, two check digits, 3 + 3 + 13 digits."""
    compact = "".join(iban.split())
    assert compact.startswith("IL") and len(compact) == 23
    return int(compact[4:7]), int(compact[7:10]), int(compact[10:])


def test_the_sample_config_gives_one_bank_account_in_every_form() -> None:
    """A payer abroad and one at home must reach the same account: the sample's IBAN (its
    checksum valid) holds the bank, branch and account its bank_details name, in each
    language; the SWIFT code is that bank's."""
    cfg = load(SAMPLE / "xlsdun.toml")
    sender = cfg.sender
    assert iban_valid("".join(sender.iban.split()))
    bank, branch, account = iban_account(sender.iban)
    for language in ("en", "he"):
        details = sender.for_language(language).bank_details
        numbers = [int(n) for n in re.findall(r"\d+", details)]
        assert numbers == [bank, branch, account], (language, details)
    assert sender.swift == "POALILIT" and "Hapoalim" in sender.bank_details
    # the test fixtures' accounts are consistent too
    assert iban_account(SENDER.iban) == (10, 800, 123456)
    assert "800" in SENDER.bank_details and "123456" in SENDER.bank_details


@pytest.mark.parametrize("language", ["en", "he"])
def test_a_transfer_from_abroad_names_the_bank_and_the_beneficiary(language: str) -> None:
    """How to pay shows the IBAN and SWIFT to a debtor in another currency (in both parts),
    with the bank and the beneficiary; not to one who pays at home."""
    usd = action(invoice("9", currency="USD"), language=language)
    parts = renderer(locale=LocaleConfig(language=language)).render_parts(usd, today=TODAY)
    for body in (parts.text, parts.html):
        assert "IL84 0108 0000 0000 0123 456" in body and "LUMIILIT" in body
    home = renderer(locale=LocaleConfig(language=language)).render_parts(
        replace(usd, invoices=(invoice("9"),)), today=TODAY
    )
    assert "IL84" not in home.text and "LUMIILIT" not in home.html
    if language == "en":
        line = (
            "From outside Israel: IBAN IL84 0108 0000 0000 0123 456, SWIFT/BIC LUMIILIT"
            " (Bank Leumi), beneficiary Dahan Home Services"
        )
        assert line in parts.text.replace(LRI, "").replace(PDI, "")
    else:
        assert "• העברה מחו״ל: IBAN " in parts.text
        assert parts.text.rstrip().count(", לטובת דהן שירותי בית") == 1
        assert "Dahan Home Services" not in parts.text  # the sender of the language
