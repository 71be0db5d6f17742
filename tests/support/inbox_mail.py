"""Real-looking mail for the inbox tests: bounces in the formats servers write (an RFC 3464
report as Postfix sends it, Gmail's, Exchange's, Exim's plain-text one, a delay notice),
auto-replies (headers, English and Hebrew out-of-office subjects), and people's replies
(Hebrew in UTF-8, ISO-8859-8 and Windows-1255, English with the reminder quoted below,
HTML-only, forwarded, from another address of the same company).
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage, Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime

DATE = format_datetime(datetime(2026, 11, 27, 8, 30, tzinfo=UTC))


def _headers(msg: EmailMessage | MIMEMultipart | MIMEText, **headers: str) -> bytes:
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    if "Date" not in msg:
        msg["Date"] = DATE
    return msg.as_bytes()


def plain_reply(
    sender: str,
    body: str,
    *,
    in_reply_to: str | None = None,
    subject: str = "Re: Friendly reminder",
    charset: str = "utf-8",
    message_id: str,
) -> bytes:
    """A person's reply in text/plain, in the given charset."""
    msg = MIMEText(body, "plain", charset)
    extra = {"In-Reply-To": in_reply_to, "References": in_reply_to} if in_reply_to else {}
    return _headers(
        msg,
        From=sender,
        To="rina@example.co.il",
        Subject=subject,
        Message_ID=message_id,
        **{k: v for k, v in extra.items() if v},
    )


def html_reply(sender: str, html: str, *, in_reply_to: str | None, message_id: str) -> bytes:
    """An HTML-only reply (no text part), the reminder quoted in a <blockquote>."""
    msg = MIMEText(html, "html", "utf-8")
    extra = {"In-Reply-To": in_reply_to} if in_reply_to else {}
    return _headers(
        msg,
        From=sender,
        To="rina@example.co.il",
        Subject="RE: תזכורת",
        Message_ID=message_id,
        **extra,
    )


def dsn(
    recipient: str,
    original_id: str,
    *,
    style: str = "postfix",
    action: str = "failed",
    message_id: str,
) -> bytes:
    """An RFC 3464 delivery status notification as Postfix, Gmail or Exchange write it."""
    reporter, sender, subject, diagnostic, status = {
        "postfix": (
            "mail.example.net",
            "MAILER-DAEMON@mail.example.net (Mail Delivery System)",
            "Undelivered Mail Returned to Sender",
            f"smtp; 550 5.1.1 <{recipient}>: Recipient address rejected: User unknown in "
            "virtual mailbox table",
            "5.1.1",
        ),
        "gmail": (
            "googlemail.com",
            "Mail Delivery Subsystem <mailer-daemon@googlemail.com>",
            "Delivery Status Notification (Failure)",
            "smtp; 550-5.1.1 The email account that you tried to reach does not exist.",
            "5.1.1",
        ),
        "exchange": (
            "EXCH01.corp.example.com",
            "postmaster@corp.example.com",
            "Undeliverable: תזכורת ידידותית",
            "smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP "
            "address lookup",
            "5.1.10",
        ),
    }[style]
    if action == "delayed":
        subject, diagnostic, status = (
            "Delayed Mail (still being retried)",
            "smtp; 451 4.4.1 timeout",
            "4.4.1",
        )
    outer = MIMEMultipart("report", report_type="delivery-status")
    human = (
        "This is the mail system at host mail.example.net.\n\nI'm sorry to have to inform you "
        "that your message could not be delivered to one or more recipients.\n"
        if style != "exchange"
        else "Delivery has failed to these recipients or groups:\n\n"
        f"{recipient}\nהנמען לא נמצא. / The email address you entered couldn't be found.\n"
    )
    outer.attach(MIMEText(human, "plain", "utf-8"))
    outer.attach(_status_part(reporter, recipient, action, status, diagnostic))
    headers = MIMEText(
        f"From: Rina Dahan <accounts@example.co.il>\nTo: {recipient}\n"
        f"Subject: Friendly reminder\nMessage-ID: {original_id}\n",
        "plain",
    )
    headers.set_type("text/rfc822-headers")
    outer.attach(headers)
    return _headers(
        outer,
        From=sender,
        To="accounts@example.co.il",
        Subject=subject,
        Message_ID=message_id,
        Auto_Submitted="auto-replied",
    )


def _status_part(
    reporter: str, recipient: str, action: str, status: str, diagnostic: str
) -> Message:
    """message/delivery-status: a per-message block, then the recipient's (RFC 3464 2.1)."""
    per_message, per_recipient = Message(), Message()
    per_message["Reporting-MTA"] = f"dns; {reporter}"
    per_message["Arrival-Date"] = DATE
    per_recipient["Final-Recipient"] = f"rfc822; {recipient}"
    per_recipient["Original-Recipient"] = f"rfc822;{recipient}"
    per_recipient["Action"] = action
    per_recipient["Status"] = status
    per_recipient["Diagnostic-Code"] = diagnostic
    part = Message()
    part["Content-Type"] = "message/delivery-status"
    part.set_payload([per_message, per_recipient])
    return part


def exim_bounce(recipient: str, original_id: str, *, message_id: str) -> bytes:
    """Exim's plain-text bounce: no report part, the original headers copied in the text."""
    body = (
        "This message was created automatically by mail delivery software.\n\n"
        "A message that you sent could not be delivered to one or more of its\n"
        "recipients. This is a permanent error. The following address(es) failed:\n\n"
        f"  {recipient}\n"
        f"    host mx.example.org [192.0.2.7]\n"
        f"    SMTP error from remote mail server after RCPT TO:<{recipient}>:\n"
        "    550 5.2.1 Mailbox disabled for this recipient\n\n"
        "------ This is a copy of the message, including all the headers. ------\n\n"
        f"Message-ID: {original_id}\nFrom: accounts@example.co.il\nTo: {recipient}\n"
        "Subject: Friendly reminder\n\nHello,\n"
    )
    msg = MIMEText(body, "plain", "us-ascii")
    return _headers(
        msg,
        From="Mail Delivery System <Mailer-Daemon@mx.example.org>",
        To="accounts@example.co.il",
        Subject="Mail delivery failed: returning message to sender",
        Message_ID=message_id,
        Auto_Submitted="auto-replied",
    )


def auto_reply(sender: str, *, how: str, in_reply_to: str | None, message_id: str) -> bytes:
    """Out-of-office: by header (`auto-submitted`, `x-autoreply`, `precedence`) or only by
    its subject (`subject-en`, `subject-he`)."""
    subject = {
        "subject-he": "מחוץ למשרד: תזכורת ידידותית",
        "subject-en": "Out of Office: Friendly reminder",
    }.get(how, "Re: Friendly reminder")
    msg = MIMEText("אני מחוץ למשרד עד 6/12. I am away until 6 December.", "plain", "utf-8")
    extra: dict[str, str] = {"In-Reply-To": in_reply_to} if in_reply_to else {}
    if how == "auto-submitted":
        extra["Auto-Submitted"] = "auto-replied"
    elif how == "x-autoreply":
        extra["X-Autoreply"] = "yes"
    elif how == "precedence":
        extra["Precedence"] = "auto_reply"
    return _headers(
        msg, From=sender, To="rina@example.co.il", Subject=subject, Message_ID=message_id, **extra
    )


def forwarded(sender: str, original_from: str, note: str, *, message_id: str) -> bytes:
    """A colleague forwards the reminder with a line of their own on top."""
    body = (
        f"{note}\n\n---------- Forwarded message ---------\nFrom: Rina Dahan "
        f"<{original_from}>\nDate: Thu, 26 Nov 2026 at 09:00\nSubject: Friendly reminder\n\n"
        "Hello, a friendly reminder about invoice INV-1090.\n"
    )
    msg = MIMEText(body, "plain", "utf-8")
    return _headers(
        msg,
        From=sender,
        To="rina@example.co.il",
        Subject="Fwd: Friendly reminder",
        Message_ID=message_id,
    )


HEBREW_QUOTED = (
    "שלום,\n"
    "העברתי את התשלום אתמול, אשלם את היתרה ב־15/12.\n"
    "תודה, דנה\n\n"
    "בתאריך יום ה׳, 26 בנוב׳ 2026 ב-9:00 מאת רינה דהן <rina@example.co.il>:\n"
    "> שלום, תזכורת ידידותית לגבי חשבונית 1090.\n"
    "> נשמח אם תסדירו את התשלום.\n"
)
ENGLISH_QUOTED = (
    "Hi Rina,\n\n"
    "We will pay on 15 December, sorry for the delay.\n\n"
    "Best,\nTom\n\n"
    "On Thu, 26 Nov 2026 at 09:00, Rina Dahan <rina@example.co.il> wrote:\n"
    "> Hello, a friendly reminder: invoice INV-1090 is 12 days overdue.\n"
    "> You can pay by bank transfer; I have paid attention to the details.\n"
)
OUTLOOK_HEBREW = (
    "אשלם ב־20/12, יש עיכוב אצלנו.\n\n"
    "מאת: רינה דהן <rina@example.co.il>\n"
    "נשלח: יום חמישי 26 נובמבר 2026 09:00\n"
    "אל: מוסך האחים עזרא\n"
    "נושא: תזכורת ידידותית\n\n"
    "שלום, שילמתם? תזכורת ידידותית.\n"
)
