"""The inbox's pure parts on real-looking mail: what a message is (bounce, delay, auto-reply,
reply), the reply's own lines in Hebrew and English, hints, charsets, matching."""

from __future__ import annotations

import email
import email.policy
from datetime import date
from email.message import EmailMessage

import pytest

from support import inbox_mail as mail
from xlsdun.inbox.body import body_text
from xlsdun.inbox.classify import classify
from xlsdun.inbox.hints import promised_date, says_paid
from xlsdun.inbox.match import Directory, by_address, by_ids, thread_ids
from xlsdun.inbox.replytext import first_lines, own_text
from xlsdun.inbox.store import SentIndex
from xlsdun.models import Invoice

DAY = date(2026, 11, 28)
ORIGINAL = "<20261126090000.1@example.co.il>"


def parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


@pytest.mark.parametrize("style", ["postfix", "gmail", "exchange"])
def test_an_rfc3464_report_is_a_bounce_with_the_servers_reason(style: str) -> None:
    found = classify(
        parse(mail.dsn("ezra.garage@example.co.il", ORIGINAL, style=style, message_id="<b@x>"))
    )
    assert found.kind == "bounce"
    assert found.addresses == ("ezra.garage@example.co.il",)
    assert found.original_ids == (ORIGINAL,)
    assert found.reason.startswith("550")  # the diagnostic without its "smtp;" type
    assert "\n" not in found.reason


def test_exims_plain_text_bounce_is_found_by_the_library() -> None:
    found = classify(parse(mail.exim_bounce("ap.atlas@example.com", ORIGINAL, message_id="<e@x>")))
    assert found.kind == "bounce"
    assert found.addresses == ("ap.atlas@example.com",)
    assert found.original_ids == (ORIGINAL,)
    assert "550 5.2.1" in found.reason


def test_a_delay_notice_is_not_a_bounce() -> None:
    raw = mail.dsn("ap.atlas@example.com", ORIGINAL, action="delayed", message_id="<d@x>")
    assert classify(parse(raw)).kind == "delayed"


@pytest.mark.parametrize(
    "how", ["auto-submitted", "x-autoreply", "precedence", "subject-en", "subject-he"]
)
def test_auto_replies_by_header_or_out_of_office_subject(how: str) -> None:
    raw = mail.auto_reply("ap.atlas@example.com", how=how, in_reply_to=ORIGINAL, message_id="<a@x>")
    assert classify(parse(raw)).kind == "auto_reply"


def test_auto_submitted_no_is_a_person() -> None:
    raw = mail.plain_reply("ap.atlas@example.com", "Paid today.", message_id="<p@x>")
    msg = parse(raw)
    msg["Auto-Submitted"] = "no"
    assert classify(msg).kind == "reply"


@pytest.mark.parametrize("body", [mail.HEBREW_QUOTED, mail.ENGLISH_QUOTED, "Paid, thanks"])
def test_a_persons_reply_that_mentions_failure_words_is_no_bounce(body: str) -> None:
    raw = mail.plain_reply(
        "ap.atlas@example.com",
        body + "\nundeliverable? no.",
        in_reply_to=ORIGINAL,
        subject="Re: Undeliverable",
        message_id="<r@x>",
    )
    assert classify(parse(raw)).kind == "reply"


@pytest.mark.parametrize("charset", ["utf-8", "iso-8859-8", "windows-1255"])
def test_hebrew_replies_in_every_charset_read_the_same(charset: str) -> None:
    body = mail.HEBREW_QUOTED
    if charset == "iso-8859-8":  # it has no maqaf or geresh: people type - and '
        body = body.replace("־", "-").replace("׳", "'")
    raw = mail.plain_reply("a@b.co.il", body, charset=charset, message_id="<h@x>")
    assert charset.encode() in raw.lower()
    lines = first_lines(body_text(parse(raw)))
    maqaf = "-" if charset == "iso-8859-8" else "־"
    assert lines == (f"העברתי את התשלום אתמול, אשלם את היתרה ב{maqaf}15/12.", "תודה, דנה")


def test_iso_8859_8_i_and_undeclared_hebrew_bytes_are_read() -> None:
    raw = mail.plain_reply("a@b.co.il", "שילמתי", charset="iso-8859-8", message_id="<i@x>")
    raw = raw.replace(b'charset="iso-8859-8"', b'charset="iso-8859-8-i"')
    assert body_text(parse(raw)).strip() == "שילמתי"


def test_the_quoted_reminder_is_stripped_in_english_and_hebrew() -> None:
    assert own_text(mail.ENGLISH_QUOTED).endswith("Tom")
    assert "wrote:" not in own_text(mail.ENGLISH_QUOTED)
    assert first_lines(mail.ENGLISH_QUOTED)[0] == "We will pay on 15 December, sorry for the delay."
    assert own_text(mail.OUTLOOK_HEBREW) == "אשלם ב־20/12, יש עיכוב אצלנו."
    assert "תזכורת" not in own_text(mail.HEBREW_QUOTED)


def test_an_html_only_reply_gives_its_text_without_the_quote() -> None:
    html = (
        "<html><body><div dir='rtl'>שלום,<br>שילמנו היום בהעברה בנקאית.</div>"
        "<blockquote>תזכורת ידידותית: חשבונית 1090</blockquote><script>x()</script></body></html>"
    )
    raw = mail.html_reply("a@b.co.il", html, in_reply_to=ORIGINAL, message_id="<w@x>")
    text = body_text(parse(raw))
    assert first_lines(text) == ("שילמנו היום בהעברה בנקאית.",)
    assert says_paid(own_text(text))


def test_a_forward_keeps_the_colleagues_own_line() -> None:
    raw = mail.forwarded(
        "cfo@pinecrest-arch.example",
        "rina@example.co.il",
        "Paid this morning — Dana (CFO)",
        message_id="<f@x>",
    )
    text = body_text(parse(raw))
    assert first_lines(text) == ("Paid this morning — Dana (CFO)",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("אשלם ב־15/12", date(2026, 12, 15)),
        ("will pay on 15 December", date(2026, 12, 15)),
        ("by December 3rd", date(2026, 12, 3)),
        ("נשלם עד 3 בינואר", date(2027, 1, 3)),
        ("מחר", date(2026, 11, 29)),
        ("paid on 20/11", None),  # the past, not next November
        ("invoice 2026-11-01, ref 12345/2026", None),
        ("nothing here", None),
    ],
)
def test_a_date_in_the_reply_is_a_suggested_promise_date(text: str, expected: date | None) -> None:
    assert promised_date(text, DAY) == expected


@pytest.mark.parametrize(
    ("text", "paid"),
    [
        ("שילמתי אתמול", True),
        ("העברתי את הכסף", True),
        ("I paid yesterday", True),
        ("transferred this morning", True),
        ("I have not paid yet", False),
        ("still unpaid, sorry", False),
        ("we will transfer next week", False),
    ],
)
def test_paid_hints_in_both_languages(text: str, paid: bool) -> None:
    assert says_paid(text) is paid


def test_hints_read_only_the_replys_own_text() -> None:
    """The quoted reminder says "paid attention" and "שילמתם?": no paid hint from it."""
    assert not says_paid(own_text(mail.ENGLISH_QUOTED))
    assert not says_paid(own_text(mail.OUTLOOK_HEBREW))
    assert promised_date(own_text(mail.OUTLOOK_HEBREW), DAY) == date(2026, 12, 20)


def _invoice(customer: str, address: str, number: str) -> Invoice:
    return Invoice(
        row=2,
        customer=customer,
        invoice=number,
        due_date=DAY,
        balance=1,
        currency="ILS",  # type: ignore[arg-type]
        email=address,
    )


def test_matching_by_thread_then_address_then_a_companys_own_domain() -> None:
    invoices = [
        _invoice("Pinecrest Architects", "office@pinecrest-arch.example", "1"),
        _invoice("Atlas Software", "ap@atlas.example", "2"),
        _invoice("Sunrise Yoga", "sunrise@gmail.com", "3"),
        _invoice("Moon Yoga", "moon@gmail.com", "4"),
    ]
    directory = Directory.of(invoices)
    sent = SentIndex(
        by_message_id={ORIGINAL: ("email:ap@atlas.example", "Atlas Software", "ap@atlas.example")}
    )
    msg = parse(mail.plain_reply("x@y.example", "ok", in_reply_to=ORIGINAL, message_id="<m@x>"))
    assert thread_ids(msg) == [ORIGINAL]
    found = by_ids(thread_ids(msg), sent)
    assert found is not None and found.customer == "Atlas Software" and found.how == "thread"
    found = by_address("OFFICE@pinecrest-arch.example".casefold(), directory, sent)
    assert found is not None and found.how == "address"
    found = by_address("cfo@pinecrest-arch.example", directory, sent)  # another address
    assert found is not None and found.customer == "Pinecrest Architects" and found.how == "domain"
    assert by_address("someone@gmail.com", directory, sent) is None  # a public domain: nobody


def test_a_message_that_cannot_be_sorted_is_recorded_unreadable_with_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """step.process never raises: a message its sorting chokes on is recorded as
    `unreadable`, in its folder and UID, with the error as its detail (never tried again)."""
    from xlsdun.inbox import step

    def choke(msg: EmailMessage) -> object:
        raise ValueError("no\nparts")

    monkeypatch.setattr(step, "classify", choke)
    known = step._Known(Directory.of([]), SentIndex(), frozenset())
    raw = mail.plain_reply("x@y.example", "ok", message_id="<m@x>")
    done = step.process(raw, "INBOX", 7, 42, DAY, known)
    assert (done.folder, done.uidvalidity, done.uid, done.today) == ("INBOX", 7, 42, DAY)
    assert (done.kind, done.message_id, done.debtor, done.reply) == ("unreadable", None, None, None)
    assert done.detail.startswith("ValueError: no") and "\n" not in done.detail
