"""The owner's side in the owner's language (`[owner] language`): one catalog with the same
keys in Hebrew and English, the sheet's status texts and Reminder log, and the digest."""

from __future__ import annotations

import email
import email.policy
import re
import string
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest

from support.chromium import CHROMIUM, overflow
from support.sample_setup import TODAY, copy_sample, run_json
from xlsdun import config as config_mod
from xlsdun import policy
from xlsdun.config import OWNED_COLUMNS_DEFAULT as OWNED
from xlsdun.config import ConfigError, default_policy
from xlsdun.ledger import Outcome, SendRecord
from xlsdun.models import TIER_ORDER, Action, Finding, Invoice, Receivables
from xlsdun.owner_words import CATALOG, POINT_COUNTS, WHATSAPP_TEXT, words
from xlsdun.send_state import SendState
from xlsdun.sheetview import LOG_HEADER, action_status, log_header, log_rows, owned_updates

HE, EN = words("he"), words("en")
DAY = date.fromisoformat(TODAY)


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


# -- the catalog ----------------------------------------------------------------------------


def assert_parity(he: dict[str, str], en: dict[str, str]) -> None:
    """Both languages have every key, with the same placeholders, and no empty Hebrew."""
    assert set(he) == set(en), set(he) ^ set(en)
    for key, text in en.items():
        assert fields(he[key]) == fields(text), key
        assert he[key].strip(), key


def test_both_languages_have_every_key_with_the_same_placeholders() -> None:
    assert_parity(CATALOG["he"], CATALOG["en"])
    assert fields(WHATSAPP_TEXT["he"]["one"]) == fields(WHATSAPP_TEXT["en"]["one"])


def test_a_key_missing_in_one_language_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The parity check above can fail: drop one Hebrew key, or a placeholder, and it does."""
    broken = dict(CATALOG["he"])
    del broken["status.paid"]
    with pytest.raises(AssertionError, match="status.paid"):
        assert_parity(broken, CATALOG["en"])
    placeholder = {**CATALOG["he"], "status.planned": "מתוכננת"}  # {reminder} dropped
    with pytest.raises(AssertionError, match="status.planned"):
        assert_parity(placeholder, CATALOG["en"])
    monkeypatch.setitem(CATALOG, "he", broken)
    with pytest.raises(KeyError):
        words("he")("status.paid")


def test_every_tier_state_and_talking_point_has_words() -> None:
    for w in (HE, EN):
        for tier in TIER_ORDER:
            assert w.tier(tier) and w.reminder(tier), tier
        for state in SendState:
            assert f"outcome.{state}" in CATALOG[w.language]
            assert f"logoutcome.{state}" in CATALOG[w.language]
        for kind, n in POINT_COUNTS.items():
            assert len(w.points(kind, plan_offer="")) == n
    names = {t: HE.tier(t) for t in ("friendly", "direct", "plan", "final", "escalate")}
    assert names == {
        "friendly": "ידידותית",
        "direct": "ישירה",
        "plan": "הסדר",
        "final": "התראה אחרונה",
        "escalate": "לשיחה טלפונית",
    }


def test_hebrew_counts_and_dates() -> None:
    assert [HE.days_overdue(n) for n in (1, 2, 5, 10, 11, 108)] == [
        "יום אחד באיחור",
        "יומיים באיחור",
        "5 ימים באיחור",
        "10 ימים באיחור",
        "11 יום באיחור",
        "108 יום באיחור",
    ]
    assert EN.days_overdue(1) == "1 day overdue" and EN.days_overdue(3) == "3 days overdue"
    # dates as the letters write them: no leading zero in Hebrew, "Sep" not "Sept" in English
    assert HE.day(DAY) == "26.11.2026" and EN.day(DAY) == "26 Nov 2026"
    assert HE.day(date(2026, 9, 5)) == "5.9.2026" and EN.day(date(2026, 9, 5)) == "5 Sep 2026"
    at = datetime(2026, 11, 27, 22, 20)
    assert HE.moment(at) == "27.11.2026 בשעה 22:20" and EN.moment(at) == "27 Nov 2026 at 22:20"
    # amounts with the currency's sign and thousands separators, as the letters show them
    assert EN.money(Decimal("78185"), "ILS") == "₪78,185.00"
    assert EN.money(Decimal("3000"), "USD") == "US$3,000.00"
    assert EN.money(Decimal("2800"), "EUR") == "€2,800.00"
    assert HE.money(Decimal("78185"), "ILS") == "78,185.00\xa0₪"
    assert HE.count("count.outbox", 1) == "תזכורת אחת נשמרה לבדיקה (לא נשלחה)"
    assert EN.count("count.outbox", 14) == "14 reminders in the outbox"


# -- the config -----------------------------------------------------------------------------


def _config(tmp_path: Path, owner: str, locale: str = "he") -> config_mod.Config:
    toml = copy_sample(tmp_path)
    text = toml.read_text("utf-8").replace('language = "en"\n', owner)
    text = text.replace(
        "[locale]\n# Language of a reminder when the sheet's Language column is "
        'empty: "he" or "en".\nlanguage = "he"',
        f'[locale]\nlanguage = "{locale}"',
    )
    toml.write_text(text, "utf-8")
    return config_mod.load(toml)


def test_owner_language_defaults_to_the_locale_and_refuses_others(tmp_path: Path) -> None:
    assert _config(tmp_path / "a", "").owner_language == "he"
    assert _config(tmp_path / "b", "", locale="en").owner_language == "en"
    assert _config(tmp_path / "c", 'language = "he"\n', locale="en").owner_language == "he"
    with pytest.raises(ConfigError) as caught:
        _config(tmp_path / "d", 'language = "fr"\n')
    assert caught.value.exit_code == 2
    assert "owner.language" in str(caught.value) and '"en" or "he"' in str(caught.value)


# -- the sheet ------------------------------------------------------------------------------


def _invoices() -> tuple[Invoice, ...]:
    return (
        Invoice(2, "Acme", "INV-1", date(2026, 9, 1), Decimal("100"), "ILS", "a@acme.com"),
        Invoice(3, "Acme", "INV-2", date(2026, 9, 2), Decimal("0"), "ILS", "a@acme.com"),
        Invoice(4, "Beta", "INV-3", date(2026, 6, 1), Decimal("80"), "ILS", "b@beta.com"),
        Invoice(5, "Gamma", "INV-4", date(2026, 9, 20), Decimal("60"), "ILS", phone="0527654321"),
    )


def test_sheet_statuses_in_hebrew_and_a_change_of_language_settles(tmp_path: Path) -> None:
    invoices = _invoices()
    plan = policy.plan(Receivables(invoices), {}, date(2026, 10, 15), default_policy())
    acme = next(a for a in plan.actions if a.customer == "Acme")
    outbox = Outcome(SendState.WRITTEN_TO_OUTBOX, "plan", "standard", "")
    records = {acme.debtor: outbox}
    he = owned_updates(Receivables(invoices), plan, {}, records, OWNED, HE)
    status = {row: cells[OWNED["status"]] for row, cells in he.items()}
    assert status[2] == "נשמרה לבדיקה (לא נשלחה): הצעת הסדר"
    assert status[3] == "שולם"
    assert status[5] == "להתקשר ל־0527654321: אין כתובת מייל תקינה"
    assert status[4] == "מתוכננת: הצעת הסדר"  # 136 days, a first contact: plan at most
    beta = next(a for a in plan.actions if a.customer == "Beta")
    called = Action(
        beta.debtor, "Beta", None, "manual", "x", invoices=beta.invoices, call="overdue"
    )
    assert action_status(called, None, HE, date(2026, 10, 15)) == (
        "להתקשר: 136 יום באיחור; לשקול פנייה לעורך דין"
    )
    assert not any(re.search(r"[A-Za-z]{3}", str(s)) for s in status.values() if s != status[5])

    # Written in English yesterday, Hebrew today: each status is rewritten once, then settles.
    en = owned_updates(Receivables(invoices), plan, {}, records, OWNED, EN)
    assert {row: c[OWNED["status"]] for row, c in en.items()}[2] == "In outbox: plan reminder"
    key_of = {h: k for k, h in OWNED.items()}
    sheet = {row: {key_of[h]: v for h, v in cells.items()} for row, cells in en.items()}
    changed = owned_updates(Receivables(invoices, owned=sheet), plan, {}, records, OWNED, HE)
    assert {h for cells in changed.values() for h in cells} == {OWNED["status"]}
    for row, cells in changed.items():
        sheet[row].update({key_of[h]: v for h, v in cells.items()})
    again = owned_updates(Receivables(invoices, owned=sheet), plan, {}, records, OWNED, HE)
    assert again == {}


def test_the_level_cell_in_hebrew_is_read_back_as_its_tier(tmp_path: Path) -> None:
    """`Reminder level` is read back as the sheet's own record of the last tier (when the
    ledger has none): xlsdun writes the tier's Hebrew name for a Hebrew owner, and the reader
    maps it (or the English id, or a name typed by hand) back to the tier."""
    from support.sample_setup import debtors, make_workbook
    from xlsdun.models import Contact, DebtorHistory
    from xlsdun.policy.history import history_from_sheet
    from xlsdun.workbook.read import read_receivables

    invoices = _invoices()[:1]
    history = {"email:a@acme.com": DebtorHistory(contacts=(Contact(date(2026, 9, 20), "plan"),))}
    plan = policy.plan(Receivables(invoices), history, date(2026, 10, 15), default_policy())
    assert (
        owned_updates(Receivables(invoices), plan, history, {}, OWNED, HE)[2][OWNED["level"]]
        == "הסדר"
    )
    assert (
        owned_updates(Receivables(invoices), plan, history, {}, OWNED, EN)[2][OWNED["level"]]
        == "plan"
    )

    rows = debtors(4, DAY, days_overdue=40)
    for row, level in zip(rows, ("הסדר", "התראה אחרונה", "Final", "משהו אחר"), strict=True):
        row["Reminder level"] = level
        row["Last reminder"] = DAY - timedelta(days=10)
    make_workbook(tmp_path, rows)
    rec = read_receivables(tmp_path / "receivables.xlsx", owned_columns=OWNED)
    assert [i.reminder_level for i in rec.invoices] == ["plan", "final", "final", "משהו אחר"]
    found = history_from_sheet(rec, (), default_policy())
    assert sorted(h.contacts[0].tier for h in found.values()) == ["final", "final", "plan"]


def test_statuses_are_keyed_by_data_not_by_reason_text() -> None:
    """A skip whose reason merely *contains* "paid" is not shown as paid."""
    a = Action("k", "Acme", "a@acme.com", "skip", "paid", invoices=_invoices()[:1])
    assert action_status(a, None, HE) == "שולם"
    b = Action("k", "Acme", "a@acme.com", "skip", "not paid yet, disputed")
    assert action_status(b, None, HE) == "לא נשלחה: not paid yet, disputed"
    ambiguous = Outcome(SendState.AMBIGUOUS, "final", "standard", "")
    assert action_status(b, ambiguous, HE) == (
        "לבדוק: ייתכן שהתראה אחרונה נשלחה (הריצו 'xlsdun resolve')"
    )
    assert action_status(b, ambiguous, EN) == (
        "Check: the final notice may have been sent (run 'xlsdun resolve')"
    )


def test_every_send_state_has_a_status_and_an_unknown_one_shows_as_it_is() -> None:
    """Words.has decides between the state's status text and the bare state: every state
    the ledger knows has its text in both languages; a state without one (a newer ledger's)
    is shown as it is rather than raising."""
    b = Action("k", "Acme", "a@acme.com", "skip", "x")
    for w in (EN, HE):
        for state in SendState:
            assert w.has(f"status.{state}")
            shown = action_status(b, Outcome(state, "final", "standard", "why"), w)
            assert shown != str(state)
    unknown = Outcome("mystery", "final", "standard", "")
    assert action_status(b, unknown, HE) == "mystery"


def _record(n: int, state: SendState) -> SendRecord:
    return SendRecord(
        id=n,
        run_id="r",
        today=DAY,
        debtor="email:a@acme.com",
        customer="Acme",
        email="a@acme.com",
        tier="final",
        variant="standard",
        invoices=("INV-1",),
        balance={"ILS": Decimal("100")},
        state=state,
        message_id="<m@x>",
        detail="",
        path=None,
        logged=False,
        updated_at="2026-11-26T09:00:00+02:00",
    )


def test_the_reminder_log_in_hebrew_keeps_its_key() -> None:
    records = [_record(1, SendState.WRITTEN_TO_OUTBOX), _record(2, SendState.FAILED)]
    he, en = log_rows(records, HE), log_rows(records, EN)
    assert [r[0] for r in he] == [r[0] for r in en] == ["1:written_to_outbox", "2:failed"]
    assert he[0][4] == "התראה אחרונה" and he[0][5] == "רגילה" and he[0][8] == "נשמרה, לא נשלחה"
    assert en[0][4] == "final" and en[0][8] == "in outbox"
    assert en[0][7] == "₪100.00" and he[0][7] == "100.00\xa0₪"  # the sign, as the letters
    big = replace(_record(3, SendState.SENT), balance={"USD": Decimal("3000"), "ILS": Decimal("1")})
    assert log_rows([big], EN)[0][7] == "US$3,000.00; ₪1.00"  # thousands separated
    assert log_header(EN) == LOG_HEADER
    assert log_header(HE)[:3] == ["מפתח", "תאריך", "לקוח"] and len(log_header(HE)) == 11


# -- the digest, end to end -----------------------------------------------------------------


def _run(folder: Path, language: str) -> email.message.EmailMessage:
    copy_sample(folder)
    return _run_in(folder, language)


def test_a_hebrew_owner_gets_a_hebrew_right_to_left_digest_and_sheet(tmp_path: Path) -> None:
    msg = _run(tmp_path, "he")
    # Hebrew from its first word (no Latin text leading a right-to-left subject), the business
    # as [sender.he] names it, what needs the owner first
    assert msg["Subject"] == (
        "סיכום יומי 26.11.2026 – דהן שירותי בית בע״מ: תזכורת אחת ממתינה לאישור, "
        "להתקשר ל־3 לקוחות, 14 תזכורות נשמרו לבדיקה (לא נשלחו)"
    )
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    assert '<html lang="he" dir="rtl">' in html
    for english in ("Call list", "Talking points", "Awaiting your approval", "Outstanding"):
        assert english not in html and english.upper() not in text
    # amounts, dates and invoice numbers are isolated left-to-right and never wrap
    assert '<bdi dir="ltr" style="white-space:nowrap">17,800.00\xa0₪</bdi>' in html
    assert '<bdi dir="ltr" style="white-space:nowrap">INV-1086</bdi>' in html
    assert '<bdi dir="ltr" style="white-space:nowrap">26.11.2026</bdi>' in html
    # the WhatsApp message is in the debtor's language (פלאפל הדקל writes Hebrew)
    link = re.search(r'href="(https://wa\.me/[^"]+)"', html)
    assert link is not None
    (prefilled,) = parse_qs(urlparse(link.group(1).replace("&amp;", "&")).query)["text"]
    # signed as the Hebrew letters are ([sender.he]): who writes, then the invoice
    assert prefilled == (
        "שלום פלאפל הדקל, כאן רינה דהן, דהן שירותי בית בע״מ. אשמח לדבר איתכם בעניין "
        "חשבונית INV-1086 – מתי נוח לכם?"
    )

    sheet = pd.read_excel(
        tmp_path / "receivables.xlsx", sheet_name="Receivables", header=3, engine="calamine"
    )
    statuses = set(sheet["Reminder status"].dropna())
    assert "נשמרה לבדיקה (לא נשלחה): הצעת הסדר" in statuses and "שולם" in statuses
    assert not any(s.startswith(("In outbox", "Paid", "Call:")) for s in statuses)
    log = pd.read_excel(tmp_path / "receivables.xlsx", sheet_name="Reminder log", engine="calamine")
    assert list(log.columns[:3]) == ["מפתח", "תאריך", "לקוח"]
    assert set(log["תוצאה"]) == {"נשמרה, לא נשלחה"}


@pytest.mark.parametrize("language", ["en", "he"])
def test_the_digest_reads_well_on_a_phone(tmp_path: Path, language: str) -> None:
    msg = _run(tmp_path, language)
    w = words(language)
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    # approvals before the call list, in both parts
    assert html.index('data-section="approvals"') < html.index('data-section="calls"')
    assert text.index(w("h.approvals").upper()) < text.index(w("h.call_list").upper())
    # each kind's talking points once, however many cards of that kind
    first_point = w("points.escalate.1")
    assert html.count(first_point) == 1 and text.count(first_point) == 1
    assert html.count('data-call="escalate"') == 2
    assert html.count(w("call.see_points", title=w("call.kind.escalate"))) == 2
    # who got which reminder, by name
    who = html[html.index('data-section="who"') :]
    final = who.split(w.reminder("final"), 1)[1].split("</p>", 1)[0]
    assert "גולדברג" in final
    # outstanding by tier: one block per currency, with its own total
    tiers = html[html.index('data-section="tiers"') :]
    assert [m for m in re.findall(r'data-currency="(\w+)"', tiers)] == ["EUR", "ILS", "USD"]
    money = {"en": ("€2,800.00", "₪169,535.50"), "he": ("2,800.00\xa0€", "169,535.50\xa0₪")}
    assert money[language][0] in tiers.split('data-currency="ILS"')[0]
    assert money[language][1] in tiers
    # the count beside each bar is labelled (customers per stage)
    assert f"data-count-label>{w('bars.debtors')}</th>" in tiers
    # the approval instruction once under its heading, each command quoted on its own
    approvals = html[html.index('data-section="approvals"') : html.index('data-section="calls"')]
    assert approvals.count(w("approve.column")) == 1 and html.count(w("approve.column")) == 1
    assert re.search(r'<code dir="ltr"[^>]*>xlsdun approve accounts\.meridian@', approvals)
    assert "'xlsdun approve accounts.meridian@example.com'" in text
    # "Phone:" shows only phones; the address has its own line
    assert re.search(w("call.phone") + r": [^\n]*@", text) is None
    assert f"{w('call.email')}: sharon.nadlan@example.co.il" in text


def test_a_call_card_is_never_stale_after_this_runs_send(tmp_path: Path) -> None:
    """קבוצת נדל"ן השרון got a plan mail in this run and is on the call list: its card says
    the last contact was today's mail, not the reminder before it, and names its language,
    invoices and the sheet's own earlier reminder for the other escalated debtor."""
    text = _run(tmp_path, "en").get_body(("plain",)).get_content()
    calls = text.split("CALL LIST")[1].split("PROMISES DUE TODAY")[0]
    nadlan = calls.split('קבוצת נדל"ן השרון')[1].split("\n* ")[0]
    assert "Last contact: plan reminder, today (26 Nov 2026)" in nadlan
    assert "last reminder '" not in calls
    assert "Language: Hebrew" in nadlan and "Invoices: INV-1041, INV-1042" in nadlan
    bakery = calls.split("מאפיית האחים כהן")[1].split("\n* ")[0]
    assert "Last contact: final notice, 5 Nov 2026" in bakery


def test_call_cards_show_promises_and_a_whatsapp_link_in_the_debtors_language(
    tmp_path: Path,
) -> None:
    from xlsdun.digest_calls import CallContext, calls

    cfg = config_mod.load(copy_sample(tmp_path))
    day = DAY

    def inv(n: int, days: int, promise: int | None, language: str, phone: str) -> Invoice:
        return Invoice(
            n,
            "Harbour Lane Bakery Ltd",
            f"INV-{n}",
            day - timedelta(days=days),
            Decimal("500"),
            "ILS",
            language=language,
            phone=phone,
            promise_date=day - timedelta(days=promise) if promise is not None else None,
        )

    plan = policy.plan(
        Receivables((inv(2, 40, 10, "en", "052-7654321"), inv(3, 35, None, "en", ""))),
        {},
        day,
        cfg.policy,
    )
    (card,) = calls(plan.actions, [], CallContext(cfg, EN, day, {}))
    assert card.kind == "no_address" and card.language == "English"
    assert card.promises == ("16 Nov 2026: broken (INV-2)",)
    assert card.dial == "+972527654321"
    assert card.whatsapp is not None
    (prefilled,) = parse_qs(urlparse(card.whatsapp).query)["text"]
    assert prefilled == (
        "Hello Harbour Lane Bakery Ltd, this is Rina Dahan from Dahan Home Services Ltd about "
        "invoices INV-2 and INV-3. Could we have a quick word?"
    )
    (he_card,) = calls(plan.actions, [], CallContext(cfg, HE, day, {}))
    assert he_card.promises == ("16.11.2026: הופרה (INV-2)",)
    assert he_card.whatsapp == card.whatsapp  # the debtor's language, not the owner's

    landline = policy.plan(
        Receivables((inv(2, 40, None, "he", "03-5551234"),)), {}, day, cfg.policy
    )
    (fixed,) = calls(landline.actions, [], CallContext(cfg, HE, day, {}))
    assert fixed.dial == "+97235551234" and fixed.whatsapp is None


def test_the_subject_says_sent_or_written_to_the_outbox_by_what_happened() -> None:
    from xlsdun.digest import ClientDigest, subject

    def one(counts: dict[str, int], w=EN) -> str:
        return subject([ClientDigest("Acme", "x.toml", DAY, counts=counts, w=w)], DAY)

    assert one({"sent": 3}).endswith("Acme: 3 reminders sent")
    assert one({"written_to_outbox": 1}).endswith("Acme: 1 reminder in the outbox")
    assert one({"sent": 2, "written_to_outbox": 1}).endswith(
        "Acme: 2 reminders sent, 1 in the outbox"
    )
    # what needs the owner comes first: approvals, then calls, then the reminders
    from xlsdun.digest import Line
    from xlsdun.digest_calls import CallItem

    call = CallItem("B", "escalate", "", None, None, (), "", ())
    waiting = [Line("C", (), "final notice")]
    busy = ClientDigest(
        "Acme",
        "x.toml",
        DAY,
        counts={"written_to_outbox": 14},
        calls=[call] * 3,
        approvals=waiting,
    )
    assert subject([busy], DAY) == (
        "xlsdun 26 Nov 2026 — Acme: 1 to approve, 3 to call, 14 in the outbox"
    )
    busy.w = HE
    assert subject([busy], DAY) == (
        "סיכום יומי 26.11.2026 – Acme: תזכורת אחת ממתינה לאישור, להתקשר ל־3 לקוחות, "
        "14 תזכורות נשמרו לבדיקה (לא נשלחו)"
    )
    assert one({"sent": 1}, HE) == "סיכום יומי 26.11.2026 – Acme: תזכורת אחת נשלחה"
    assert one({"written_to_outbox": 2}).endswith("Acme: 2 reminders in the outbox")


def test_every_keyed_reason_says_the_same_in_english_and_is_hebrew_in_hebrew() -> None:
    """The plan's reasons carry a key and parameters (policy/wording.Reason): the English
    catalog rebuilds each sentence exactly, so no parameter is missing, and the Hebrew one
    leaves no English behind."""
    from dataclasses import replace

    from xlsdun.models import Contact, DebtorHistory
    from xlsdun.policy.wording import Reason, cadence_text, overdue_text

    day = date(2026, 10, 15)  # a Thursday

    def inv(row: int, name: str, days: int, balance: str = "100", **kw: object) -> Invoice:
        due = day - timedelta(days=days)
        email = f"{name.lower()}@x.example"
        return Invoice(row, name, f"I{row}", due, Decimal(balance), "ILS", email, **kw)  # type: ignore[arg-type]

    invoices = (
        inv(2, "Disputed", 20, disputed=True),
        inv(3, "Held", 20, hold_until=day + timedelta(days=5)),
        inv(4, "Promised", 20, promise_date=day + timedelta(days=2)),
        inv(5, "Dnc", 20, do_not_contact=True),
        inv(6, "Covered", 20, "50"),
        inv(7, "Covered", 5, "-60"),
        inv(8, "Tiny", 20, "0.5"),
        inv(9, "Young", -3),
        inv(10, "Cadence", 20),
        inv(11, "Mixed", 20, disputed=True),
        inv(12, "Mixed", 25, hold_until=day + timedelta(days=1)),
        inv(13, "Plain", 20),
        inv(14, "Fresh", 5),
        inv(15, "Unread", 20),
        inv(16, "Unreads", 20),
    )
    unread = (  # rows a finding skipped: their debtors wait until they are fixed
        Finding(17, "balance", "x", "I17", ("email:unread@x.example",)),
        Finding(18, "balance", "x", "I18", ("email:unreads@x.example",)),
        Finding(19, "due_date", "x", "I19", ("email:unreads@x.example",)),
    )
    history = {
        "email:cadence@x.example": DebtorHistory(
            contacts=(Contact(day - timedelta(days=2), "friendly"),)
        )
    }
    rules = default_policy()
    reasons: list[str] = []
    for today, pol in (
        (day, rules),
        (date(2026, 10, 17), rules),  # a Saturday
        (day, replace(rules, holidays={2026: {day: "יום העצמאות"}})),
        (
            day,
            replace(
                rules,
                ladder=tuple(
                    replace(t, enabled=t.enabled and t.id != "friendly") for t in rules.ladder
                ),
            ),
        ),
    ):
        for a in policy.plan(Receivables(invoices, unread), history, today, pol).actions:
            reasons += [a.reason, *(why for _, why in a.excluded)]
    last = Contact(day, "plan")
    reasons += [cadence_text(n, last, day + timedelta(days=7)) for n in (-1, 0, 1, 5)]
    reasons += [overdue_text(n) for n in (-2, 0, 1, 12)]
    reasons += _inbox_reasons(day)
    keyed = [r for r in reasons if isinstance(r, Reason) and r.key]
    assert {r.key for r in keyed} == {
        k.removeprefix("reason.") for k in CATALOG["en"] if k.startswith("reason.")
    }
    from xlsdun.policy.wording import short_day

    iso = re.compile(r"\d{4}-\d{2}-\d{2}")
    for r in keyed:  # the plan (CLI, --json) keeps ISO dates, "replied on 28 Nov" as issue
        # 16 says it; the owner reads every date whole: "20 Oct 2026", "20.10.2026"
        expected = iso.sub(lambda m: EN.day(date.fromisoformat(m[0])), r)
        if r.key.startswith("replied"):
            on = r.params["on"]
            expected = expected.replace(f"on {short_day(on)}", f"on {EN.day(on)}", 1)
        assert EN.reason(r) == expected
        assert not re.search(r"[A-Za-z]{3}", HE.reason(r)), (r, HE.reason(r))
    assert HE.reason(next(r for r in keyed if r.key == "day_off")) == (
        "לא יום שליחה (שבת); יום השליחה הבא: 18.10.2026"
    )


def _inbox_reasons(day: date) -> list[str]:
    """The inbox's reasons (policy rules `replied`, `bounced`) and notes (inbox/step.py),
    from the code that makes them; what the debtor or the server wrote is Hebrew or digits
    here, so that any English left in the Hebrew is the catalog's."""
    from collections import Counter

    from xlsdun.inbox import step
    from xlsdun.models import Bounce, DebtorHistory, Reply

    said = Reply(day - timedelta(days=1), "נשלם בחודש הבא")
    paid = Reply(day - timedelta(days=2), "שילמתי אתמול", paid_hint=True)
    silent, silent_paid = Reply(day, ""), Reply(day, "", paid_hint=True)
    histories = {
        "said": DebtorHistory(replies=(said,)),
        "paid": DebtorHistory(replies=(said, paid)),
        "silent": DebtorHistory(replies=(silent,)),
        "silent_paid": DebtorHistory(replies=(silent_paid,)),
        "bounced": DebtorHistory(bounces=(Bounce("b@x.example", "550 5.1.1", day),)),
        "bounced_plain": DebtorHistory(bounces=(Bounce("b@x.example", "", day),)),
    }
    invoices = tuple(
        Invoice(
            row, name, f"R{row}", day - timedelta(days=20), Decimal(100), "ILS", f"{name}@x.example"
        )
        for row, name in enumerate(histories, start=2)
    )
    history = {f"email:{name}@x.example": h for name, h in histories.items()}
    actions = policy.plan(Receivables(invoices), history, day, default_policy()).actions
    assert {a.call for a in actions} == {None, "check_paid", "bounced"}
    counts = Counter({"reply": 2, "bounce": 1, "auto_reply": 1, "delayed": 1, "own": 1})
    counts.update({"unmatched": 1, "unreadable": 1})
    notes = [step.unreachable_note("111"), step.handled_note(2), step.more_note(3, "דואר")]
    return [*(a.reason for a in actions), *notes, step.counts_note(counts)]


def test_inbox_reasons_and_notes_in_hebrew() -> None:
    """The reply's own line and the server's reason are kept as they came; the rest is the
    owner's language, the reply's day whole, as every date the owner reads."""
    from xlsdun.policy.wording import Reason

    reasons = {r.key: r for r in _inbox_reasons(date(2026, 11, 29)) if isinstance(r, Reason)}
    assert EN.reason(reasons["replied"]) == "replied on 28 Nov 2026: נשלם בחודש הבא"
    assert HE.reason(reasons["replied"]) == "השיבו ב־28.11.2026: נשלם בחודש הבא"
    # the latest reply's line; any reply that says it paid puts the check on the call list
    paid = HE.reason(reasons["replied_paid"])
    assert paid == "השיבו ב־28.11.2026: נשלם בחודש הבא; לבדוק אם שולם"
    assert EN.reason(reasons["bounced"]) == "address bounced: 550 5.1.1"
    assert HE.reason(reasons["bounced"]) == "המייל חזר: 550 5.1.1"
    assert EN.reason(reasons["inbox_counts"]) == (
        "inbox: auto-replies: 1, bounces: 1, delayed: 1, from the business's own addresses: 1, "
        "replies: 2, from unknown senders: 1, unreadable: 1"
    )
    assert HE.reason(reasons["inbox_counts"]).startswith("תיבת הדואר: מענים אוטומטיים: 1, ")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium not installed")
def test_the_digest_and_report_fit_a_phone_in_chromium(tmp_path: Path) -> None:
    """Laid out by Chromium at 390 and 800 px in both languages, nothing sticks out of the
    page and no amount, date or invoice number is broken over two lines."""
    pages: dict[str, str] = {}
    for language in ("he", "en"):
        folder = tmp_path / language
        msg = _run(folder, language)
        pages[f"{language} digest"] = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
        report = folder / ".xlsdun" / "reports" / f"{TODAY}.html"
        pages[f"{language} report"] = report.read_text("utf-8")
    assert pages["he digest"].count("white-space:nowrap") > 30
    wide = "<p style='white-space:nowrap'>" + "מילה " * 80 + "</p></body>"
    pages["a page that does not fit"] = pages["he digest"].replace("</body>", wide)
    for name, page in pages.items():
        for width in (390, 800):
            result = overflow(page, width, tmp_path)
            if name == "a page that does not fit":  # the probe can fail
                assert result["over"], result
            else:
                assert result == {"over": [], "wrapped": []}, (name, width, result)


# -- after the native reviews (issue 14) ----------------------------------------------------


def test_renamed_tier_names_are_still_read_back_from_the_sheet(tmp_path: Path) -> None:
    """A sheet keeps what an earlier version wrote into `Reminder level` ("טלפון/הסלמה",
    "final reminder"): every renamed name stays an alias of its tier, and the reader maps
    it, the new names and the old ones alike."""
    from support.sample_setup import debtors, make_workbook
    from xlsdun.owner_words import OLD_NAMES, TIER_BY_NAME
    from xlsdun.workbook.read import read_receivables

    for name, tier in OLD_NAMES.items():
        assert TIER_BY_NAME[name.casefold()] == tier, name
    current = {
        CATALOG[lang][f"{kind}.{t}"]
        for lang in CATALOG
        for kind in ("tier", "reminder")
        for t in ("courtesy", "friendly", "direct", "plan", "final", "escalate")
    }
    assert {"טלפון/הסלמה", "final reminder", "escalate reminder"} <= set(OLD_NAMES) - current
    levels = ("טלפון/הסלמה", "Final Reminder", "לשיחה טלפונית", "final notice", "שלב")
    rows = debtors(len(levels), DAY, days_overdue=40)
    for row, level in zip(rows, levels, strict=True):
        row["Reminder level"] = level
        row["Last reminder"] = DAY - timedelta(days=10)
    make_workbook(tmp_path, rows)
    rec = read_receivables(tmp_path / "receivables.xlsx", owned_columns=OWNED)
    assert [i.reminder_level for i in rec.invoices] == [
        "escalate",
        "final",
        "escalate",
        "final",
        "שלב",
    ]


def test_postponed_and_refused_each_have_one_hebrew_word() -> None:
    """ "נדחתה" meant both "postponed" and "refused": postponed is now "הושהתה", a refused
    address "סורבה", and no owner text says "נדחה" in any form."""
    for key in ("status.deferred", "status.deferred_plan", "logoutcome.deferred"):
        assert CATALOG["he"][key].startswith("הושהתה"), key
    assert CATALOG["he"]["outcome.deferred"] == "הושהו"
    assert "סורבה" in CATALOG["he"]["call.kind.bad_address"]
    assert not [k for k, text in CATALOG["he"].items() if re.search(r"נדח[התוי]", text)]


def test_a_holiday_is_named_in_the_owners_language() -> None:
    """The plan's holiday reason carries the day and country: a Hebrew owner reads the
    holiday's Hebrew name ("יום כיפור"), whatever language the cached table was in."""
    from dataclasses import replace

    yom_kippur = date(2026, 9, 21)
    rules = replace(default_policy(), holidays={2026: {yom_kippur: "Yom Kippur"}})
    due = yom_kippur - timedelta(days=20)
    inv = Invoice(2, "Acme", "I2", due, Decimal("100"), "ILS", "a@acme.com")
    (action,) = policy.plan(Receivables((inv,)), {}, yom_kippur, rules).actions
    assert action.kind == "defer"
    assert HE.reason(action.reason) == "לא יום שליחה (יום כיפור); יום השליחה הבא: 22.9.2026"
    assert EN.reason(action.reason) == "not a send day (Yom Kippur); next send day 22 Sep 2026"
    assert action.reason == "not a send day (Yom Kippur); next send day 2026-09-22"


def test_an_invoice_only_mentioned_is_not_marked_as_chased() -> None:
    """A reminder lists an invoice not yet due "for information" (render/context.py
    `due_apart`): its row says so, not "In outbox: plan reminder" as if it were chased."""
    day = date(2026, 10, 15)
    invoices = (
        Invoice(2, "Acme", "INV-1", day - timedelta(days=70), Decimal("100"), "ILS", "a@acme.com"),
        Invoice(3, "Acme", "INV-2", day + timedelta(days=6), Decimal("50"), "ILS", "a@acme.com"),
        Invoice(4, "Acme", "INV-3", day, Decimal("20"), "ILS", "a@acme.com"),  # due today: asked
    )
    plan = policy.plan(Receivables(invoices), {}, day, default_policy())
    (acme,) = plan.actions
    outbox = Outcome(SendState.WRITTEN_TO_OUTBOX, "plan", "standard", "")
    for w, chased, mentioned in (
        (EN, "In outbox: plan reminder", "Mentioned in the plan reminder (not yet due)"),
        (
            HE,
            "נשמרה לבדיקה (לא נשלחה): הצעת הסדר",
            "הוזכרה בהצעת הסדר לידיעה בלבד (מועד התשלום טרם הגיע)",
        ),
    ):
        cells = owned_updates(Receivables(invoices), plan, {}, {acme.debtor: outbox}, OWNED, w)
        status = {row: c[OWNED["status"]] for row, c in cells.items()}
        assert status == {2: chased, 3: mentioned, 4: chased}
    # nothing due yet (a courtesy note): every invoice is what the message is about
    early = tuple(replace(i, due_date=day + timedelta(days=3)) for i in invoices)
    plan = policy.plan(Receivables(early), {}, day, default_policy())
    record = Outcome(SendState.SENT, "courtesy", "standard", "")
    cells = owned_updates(Receivables(early), plan, {}, {acme.debtor: record}, OWNED, EN)
    assert {c[OWNED["status"]] for c in cells.values()} == {"Sent: courtesy reminder"}


def test_a_rerun_after_approving_tells_the_owner_the_notice_went_out(tmp_path: Path) -> None:
    """The English reviewer approved final notices and ran again the same day: no digest came,
    so the owner never heard they went out. The rerun's digest now says so."""
    from support.sample_setup import invoke

    toml = copy_sample(tmp_path)
    run_json(tmp_path)
    code, _, err = invoke(
        "approve", "accounts.meridian@example.com", "--config", str(toml), "--today", TODAY
    )
    assert code == 0, err
    run_json(tmp_path, "--force")
    later = tmp_path / "outbox" / f"digest-{TODAY}-2.eml"
    assert later.exists()
    msg = email.message_from_bytes(later.read_bytes(), policy=email.policy.default)
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    new = text.split("NEW SINCE TODAY'S EARLIER DIGEST")[1].split("=====")[0]
    assert "approved final notice: Meridian Print House (in outbox)" in new
    # and a third run with nothing new stays quiet
    run_json(tmp_path, "--force")
    assert not (tmp_path / "outbox" / f"digest-{TODAY}-3.eml").exists()


def test_the_report_footer_does_not_point_at_the_report(tmp_path: Path) -> None:
    msg = _run(tmp_path, "en")
    report = (tmp_path / ".xlsdun" / "reports" / f"{TODAY}.html").read_text("utf-8")
    assert "xlsdun report --open" not in report and "Produced by xlsdun on " in report
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "xlsdun report --open" in html
    assert re.search(r"Produced by xlsdun on \d{1,2} [A-Z][a-z]{2} \d{4} at \d\d:\d\d", html)


@pytest.mark.parametrize(
    ("language", "line", "not_said"),
    [
        ("en", "Row {row}: email: invalid email address", "skipped"),
        ("he", "שורה {row} – מייל: הכתובת", "דולגה"),
    ],
)
def test_a_row_problem_is_named_by_its_row_not_called_skipped(
    tmp_path: Path, language: str, line: str, not_said: str
) -> None:
    """A bad address is not a skipped row (the debtor goes on the call list): the digest said
    "Row skipped: row 4: …" / "שורה שדולגה: row 4: …", in English inside the Hebrew."""
    from support.sample_setup import set_cells

    copy_sample(tmp_path)
    set_cells(tmp_path, {"Blue Cedar Catering": {"Email": "not-an-address"}})
    msg = _run_in(tmp_path, language)
    text = msg.get_body(("plain",)).get_content()
    found = re.search(r"(?:Row|שורה) (\d+)", text)
    assert found, text
    assert line.format(row=found.group(1)) in text
    assert not_said not in text and "row 4:" not in text


def _run_in(folder: Path, language: str) -> email.message.EmailMessage:
    """`_run` on a sample already copied (and changed) into `folder`."""
    toml = folder / "xlsdun.toml"
    toml.write_text(
        toml.read_text("utf-8").replace('language = "en"\n', f'language = "{language}"\n'),
        "utf-8",
    )
    run_json(folder)
    data = (folder / "outbox" / f"digest-{TODAY}.eml").read_bytes()
    return email.message_from_bytes(data, policy=email.policy.default)


def test_a_hebrew_folder_path_keeps_its_order_and_the_run_id_does_not_wrap() -> None:
    """ "/tmp/nu-biz/עסק של דנה/חובות.xlsx" showed as "xlsx.עסק של דנה/חובות/tmp/nu-biz/"."""
    from xlsdun.digest import LRM, ltr_path

    shown = ltr_path("/tmp/nu-biz/עסק של דנה/חובות.xlsx")
    assert shown.replace(LRM, "") == "/tmp/nu-biz/עסק של דנה/חובות.xlsx"
    assert f"{LRM}/{LRM}חובות" in shown and f"דנה{LRM}/" in shown
    assert ltr_path("C:\\עסק\\a.xlsx").count(LRM) == 4


@pytest.mark.parametrize("language", ["he", "en"])
def test_the_log_sheet_reads_in_the_owners_direction(tmp_path: Path, language: str) -> None:
    """The Reminder log xlsdun adds is laid out right to left in Excel for a Hebrew owner (its
    header and words are Hebrew), left to right for an English one; the receivables sheet
    keeps its own direction."""
    import openpyxl

    toml = copy_sample(tmp_path)
    text = toml.read_text("utf-8")
    toml.write_text(text.replace('language = "en"', f'language = "{language}"', 1), "utf-8")
    before = openpyxl.load_workbook(tmp_path / "receivables.xlsx", read_only=False)
    sheet = before.sheetnames[0]
    own = before[sheet].sheet_view.rightToLeft
    run_json(tmp_path)
    book = openpyxl.load_workbook(tmp_path / "receivables.xlsx")
    assert bool(book[OWNED["log_sheet"]].sheet_view.rightToLeft) == (language == "he")
    assert book[sheet].sheet_view.rightToLeft == own
