"""The inbox on the owner's side, in the owner's language: the digest's "Replies and bounces"
section, the call cards for a bounce and a reply that says it paid, the sheet's statuses and
the run's notes; in Hebrew no English is left but what the debtor or a server wrote, the
commands and the addresses."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import date
from email.message import EmailMessage
from html import unescape
from pathlib import Path

import pytest

from support.chromium import CHROMIUM, overflow
from support.inbox_ledger import seed_inbox
from support.sample_setup import TODAY, copy_sample, run_json
from support.smtp_server import sheet_statuses

DAY = date.fromisoformat(TODAY)


def inbox_digest(folder: Path, language: str) -> EmailMessage:
    """The sample's digest after a run that found the seeded replies and bounce."""
    toml = copy_sample(folder)
    toml.write_text(
        toml.read_text("utf-8").replace('language = "en"\n', f'language = "{language}"\n'),
        "utf-8",
    )
    seed_inbox(folder, DAY)
    run_json(folder)
    data = (folder / "outbox" / f"digest-{TODAY}.eml").read_bytes()
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def parts(msg: EmailMessage) -> tuple[str, str]:
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    return html, text


def section(html: str, start: str, end: str) -> str:
    """The HTML between two headings, tags dropped: what the owner reads there."""
    i = html.rindex("<", 0, html.index(start))
    text = re.sub(r"<[^>]+>", " ", html[i : html.rindex("<", 0, html.index(end, i))])
    return re.sub(r"\s+", " ", unescape(text))


# what may stay Latin in a Hebrew digest: a command, an address, a server's code
ALLOWED = re.compile(r"xlsdun resolve .+? --replied|[\w.+-]+@[\w.-]+|\bxlsdun\b")


def english_in(text: str) -> list[str]:
    return re.findall(r"[A-Za-z]{3,}", ALLOWED.sub(" ", text))


def test_a_hebrew_owner_reads_replies_and_bounces_in_hebrew(tmp_path: Path) -> None:
    html, text = parts(inbox_digest(tmp_path, "he"))
    inbox = section(html, 'data-section="inbox"', 'data-section="promises"')
    assert english_in(inbox) == [], inbox
    for said in (
        "תשובות ומיילים שחזרו",
        "השיבו ב־25.11.2026",
        "העברתי את התשלום אתמול",  # the reply's own lines, as they came
        "היתרה תשולם ב־15.12",
        "תאריך הבטחה מוצע: 15.12.2026",
        "לפי התשובה שילמו: לבדוק אם התשלום התקבל",
        "לאחר הטיפול בתשובה, להריץ: xlsdun resolve 'מספרת שירן' --replied",
        "המייל חזר: 550 5.1.1",
        "מענה אוטומטי (לא נלקח בחשבון): מחוץ למשרד עד יום ראשון",
        "המסירה מתעכבת",
        "השולח אינו מופיע בגיליון",
        "לא ניתן היה לקרוא את ההודעה",
        "שולח לא ידוע",
    ):
        assert said in inbox, said
    # the text part says the same, under its own heading
    plain = text[text.index("\nתשובות ומיילים שחזרו\n") : text.index("\nהבטחות לתשלום היום")]
    assert english_in(plain) == [], plain
    assert "  > העברתי את התשלום אתמול" in plain
    # the call list: a group for each, its talking points and cards in Hebrew
    calls = section(html, 'data-section="calls"', 'data-section="inbox"')
    for kind, title in (("bounced", "המייל חזר"), ("check_paid", "השיבו ששילמו: לבדוק")):
        assert f'data-kind="{kind}"' in html and title in calls
    assert "לבדוק בחשבון הבנק לפני כל דבר אחר" in calls
    assert "העברתי את התשלום אתמול" in calls  # the reply's line on its card, as it came
    for kind in ("bounced", "check_paid"):  # the talking points: no English at all
        points = section(html, f'data-points="{kind}"', "</ul>")
        assert english_in(points) == [] and points.strip(), points
    # the run's notes: what the inbox read, in Hebrew
    assert "תיבת הדואר:" not in html  # nothing was read today: the records were seeded
    # the sheet says why in Hebrew too
    statuses = sheet_statuses(tmp_path)
    assert "לא נשלחה: השיבו ב־25.11.2026: נשלם עד סוף החודש" in statuses['נגרות אבו-חצירא בע"מ']
    assert statuses["מאפיית האחים כהן"] == {"להתקשר: המייל חזר: 550 5.1.1"}


def test_an_english_owner_reads_the_same_in_english(tmp_path: Path) -> None:
    html, text = parts(inbox_digest(tmp_path, "en"))
    inbox = section(html, 'data-section="inbox"', 'data-section="promises"')
    for said in (
        "Replies and bounces",
        "replied on 25 Nov 2026",
        "suggested promise date: 15 Dec 2026 (if their reply does promise that date, write it in"
        " the Promise date column)",
        "says they have paid: check whether the payment has arrived",
        "once you have dealt with it, run xlsdun resolve 'מספרת שירן' --replied",
        "address bounced: 550 5.1.1",
        "auto-reply (ignored): מחוץ למשרד עד יום ראשון",
        "unknown sender",
    ):
        assert said in inbox, said
    assert "REPLIES AND BOUNCES" in text
    assert "Email address bounced" in html and "Says they paid: check" in html
    statuses = sheet_statuses(tmp_path)
    assert "Not sent: replied on 25 Nov 2026: נשלם עד סוף החודש" in statuses['נגרות אבו-חצירא בע"מ']


@pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium not installed")
def test_the_hebrew_inbox_section_fits_a_phone(tmp_path: Path) -> None:
    """At 390 px in Chromium nothing of the section (a long reply, a shell command, an
    address) sticks out of the page."""
    html, _ = parts(inbox_digest(tmp_path / "he", "he"))
    assert overflow(html, 390, tmp_path) == {"over": [], "wrapped": []}
