"""What the inbox would have found, written straight into a sample's ledger: replies, a
bounce and the findings the digest lists, for tests of the owner's side without an IMAP
server (the Dovecot tests read real mail)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from xlsdun.config import load
from xlsdun.inbox import store
from xlsdun.ledger import Ledger
from xlsdun.wiring import ledger_path

SHIRAN = "shiran.salon@example.co.il"  # replies that she paid, names a date
NAGAROT = "office.abuhatzira@example.co.il"  # replies, no payment
COHEN = "cohen.bakery@example.co.il"  # bounces


def seed_inbox(folder: Path, today: date) -> None:
    """The sample in `folder` as if today's run had read a reply from מספרת שירן that says
    it paid, one from נגרות אבו-חצירא, a bounce for מאפיית האחים כהן, an auto-reply, a
    delay notice, mail from nobody known and a message that could not be read."""
    cfg = load(folder / "xlsdun.toml")
    reply_day = date(2026, 11, 25)
    found = [
        store.Processed(
            "INBOX",
            1,
            1,
            "<r1@x>",
            today,
            "reply",
            f"email:{SHIRAN}",
            "מספרת שירן",
            SHIRAN,
            reply=store.ReplyRecord(
                reply_day,
                SHIRAN,
                ("העברתי את התשלום אתמול", "היתרה תשולם ב־15.12"),
                paid_hint=True,
                promise_hint=date(2026, 12, 15),
            ),
        ),
        store.Processed(
            "INBOX",
            1,
            2,
            "<r2@x>",
            today,
            "reply",
            f"email:{NAGAROT}",
            'נגרות אבו-חצירא בע"מ',
            NAGAROT,
            reply=store.ReplyRecord(reply_day, NAGAROT, ("נשלם עד סוף החודש",)),
        ),
        store.Processed(
            "INBOX",
            1,
            3,
            "<b1@x>",
            today,
            "bounce",
            f"email:{COHEN}",
            "מאפיית האחים כהן",
            "mailer-daemon@example.co.il",
            "550 5.1.1",
            bad=((COHEN, COHEN),),
        ),
        store.Processed(
            "INBOX",
            1,
            4,
            "<a1@x>",
            today,
            "auto_reply",
            "email:galeria.miriam@example.co.il",
            "גלריה בית מרים",
            "galeria.miriam@example.co.il",
            "מחוץ למשרד עד יום ראשון",
        ),
        store.Processed("INBOX", 1, 5, "<d1@x>", today, "delayed", sender="mailer@x.example"),
        store.Processed("INBOX", 1, 6, "<u1@x>", today, "unmatched", sender="someone@x.example"),
        store.Processed("INBOX", 1, 7, None, today, "unreadable"),
    ]
    with Ledger(ledger_path(cfg)) as ledger:
        for p in found:
            assert store.record(ledger, p)
