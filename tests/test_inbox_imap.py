"""The inbox against a real IMAP server (Dovecot, started by the test session): login in
every security mode, read-only, each message processed once (reruns, a UIDVALIDITY change),
an unreachable inbox that does not stop the reminders, and a run on the sample workbook
whose replies, bounces and auto-replies steer the next plan (tests/support/inbox_mail.py)."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest

from support import inbox_mail as mail
from support.imap_server import USER, Dovecot
from support.sample_setup import copy_sample, invoke, set_cells
from support.smtp_server import sheet_statuses
from xlsdun import config as config_mod
from xlsdun.config import Config
from xlsdun.doctor import check_config
from xlsdun.engine import make_plan, run_once
from xlsdun.inbox.fetch import InboxError, Mailbox, find_password

DAY1 = date(2026, 11, 26)
DAY2 = date(2026, 12, 3)


def inbox_config(
    folder: Path,
    server: Dovecot,
    *,
    security: str = "none",
    port: int | None = None,
    extra: str = "",
) -> Config:
    """The sample in `folder` with an [inbox] on `server`."""
    toml = copy_sample(folder) if not (folder / "xlsdun.toml").exists() else folder / "xlsdun.toml"
    text = toml.read_text(encoding="utf-8").split("\n[inbox]")[0]
    chosen = port or (server.imaps_port if security == "ssl" else server.imap_port)
    toml.write_text(
        text + f'\n[inbox]\nhost = "127.0.0.1"\nport = {chosen}\nsecurity = "{security}"\n'
        f'username = "{USER}"\n{extra}',
        encoding="utf-8",
    )
    return config_mod.load(toml)


def inbox_rows(cfg: Config) -> list[sqlite3.Row]:
    db = sqlite3.connect(cfg.state_dir / "ledger.sqlite3")
    db.row_factory = sqlite3.Row
    try:
        return db.execute("SELECT * FROM inbox_messages ORDER BY id").fetchall()
    finally:
        db.close()


def sent_ids(cfg: Config, day: date = DAY1) -> dict[str, str]:
    """Customer -> the Message-ID of their reminder of `day`."""
    db = sqlite3.connect(cfg.state_dir / "ledger.sqlite3")
    try:
        rows = db.execute(
            "SELECT customer, message_id FROM sends WHERE today = ? AND message_id IS NOT NULL",
            (day.isoformat(),),
        )
        return dict(rows.fetchall())
    finally:
        db.close()


@pytest.mark.parametrize("security", ["none", "starttls", "ssl"])
def test_login_in_every_security_mode_and_doctor_reads_nothing(
    tmp_path: Path, imap: Dovecot, security: str
) -> None:
    imap.append(mail.plain_reply("ap.atlas@example.com", "Paid.", message_id="<s@x>"))
    cfg = inbox_config(tmp_path, imap, security=security)
    assert cfg.inbox is not None
    with Mailbox(cfg.inbox, find_password(cfg.inbox)) as box:
        state = box.select("INBOX", None)
        assert len(state.uids) == 1 and state.uidvalidity > 0
    checks = {c.name: c for c in check_config(str(cfg.source))}
    assert checks["inbox"].status == "ok", checks["inbox"].message
    assert "nothing was read" in checks["inbox"].message
    assert imap.seen_flags() == {state.uids[0]: False}  # nothing marked read


def test_a_wrong_password_is_refused_without_showing_it(
    tmp_path: Path, imap: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XLSDUN_IMAP_PASSWORD", "wrong-Secret-99")
    cfg = inbox_config(tmp_path, imap)
    assert cfg.inbox is not None
    with pytest.raises(InboxError) as exc:
        Mailbox(cfg.inbox, find_password(cfg.inbox)).open()
    assert "refused the login" in str(exc.value) and "wrong-Secret-99" not in str(exc.value)
    checks = {c.name: c for c in check_config(str(cfg.source))}
    assert checks["inbox"].status == "fail"


def test_starttls_refuses_a_certificate_it_does_not_trust(
    tmp_path: Path, imap: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XLSDUN_SMTP_CAFILE")
    cfg = inbox_config(tmp_path, imap, security="starttls")
    assert cfg.inbox is not None
    with pytest.raises(InboxError, match="certificate|CERTIFICATE"):
        Mailbox(cfg.inbox, find_password(cfg.inbox)).open()


def test_an_unreachable_inbox_does_not_stop_the_reminders(tmp_path: Path, imap: Dovecot) -> None:
    from support.imap_server import free_port

    cfg = inbox_config(tmp_path, imap, port=free_port())  # nobody listens there
    report = run_once(cfg, DAY1)
    assert report.exit_code == 0
    assert len(report.plan.sends) == 14  # as without an inbox
    note = next(n for n in report.notes if n.startswith("the inbox could not be read"))
    assert "a customer who replied may have been reminded again" in note
    html = (cfg.state_dir / "reports" / f"{DAY1.isoformat()}.html").read_text(encoding="utf-8")
    assert "the inbox could not be read" in html


def seed(imap: Dovecot, ids: dict[str, str]) -> None:
    """What came back after the sample's first run: a reply in each language, bounces in two
    formats, auto-replies, and mail from nobody the workbook knows."""
    imap.append(
        mail.plain_reply(
            "ap.atlas@example.com",
            mail.ENGLISH_QUOTED,
            in_reply_to=ids["Atlas Software Inc."],
            message_id="<r1@atlas.example.com>",
        ),
        mail.plain_reply(  # no thread headers, Windows-1255, "העברתי": check whether paid
            "Shiran.Salon@example.co.il",
            mail.HEBREW_QUOTED,
            charset="windows-1255",
            message_id="<r2@shiran.example.co.il>",
        ),
        mail.dsn(
            "office.bluecedar@example.com",
            ids["Blue Cedar Catering"],
            style="postfix",
            message_id="<b1@mail.example.net>",
        ),
        mail.exim_bounce(
            "accounts.harborlight@example.com",
            ids["Harbor Light Dental Clinic"],
            message_id="<b2@mx.example.org>",
        ),
        mail.dsn(
            "finance.fjord@example.com",
            ids["Fjord Design AB"],
            action="delayed",
            message_id="<d1@mail.example.net>",
        ),
        mail.auto_reply(
            "billing.northwind@example.com",
            how="auto-submitted",
            in_reply_to=ids["Northwind Interiors Ltd"],
            message_id="<a1@northwind.example.com>",
        ),
        mail.auto_reply(
            "yossi.makolet@example.co.il",
            how="subject-he",
            in_reply_to=None,
            message_id="<a2@makolet.example.co.il>",
        ),
        mail.plain_reply("stranger@else.example", "Hello?", message_id="<u1@else.example>"),
    )


def test_replies_bounces_and_auto_replies_steer_the_next_plan(
    tmp_path: Path, imap: Dovecot
) -> None:
    cfg = inbox_config(tmp_path, imap)
    first = run_once(cfg, DAY1)
    assert len(first.plan.sends) == 14
    seed(imap, sent_ids(cfg))
    _, before = make_plan(cfg, DAY2)  # the ledger before the inbox is read

    report = run_once(cfg, DAY2)
    by = {a.customer: a for a in report.plan.actions}
    atlas = by["Atlas Software Inc."]
    assert (atlas.kind, atlas.call) == ("skip", None)
    assert atlas.reason == "replied on 27 Nov: We will pay on 15 December, sorry for the delay."
    shiran = by["מספרת שירן"]
    assert (shiran.kind, shiran.call) == ("manual", "check_paid")
    assert shiran.reason.startswith("replied on 27 Nov: העברתי את התשלום אתמול")
    assert shiran.reason.endswith("; check whether paid")
    for customer in ("Blue Cedar Catering", "Harbor Light Dental Clinic"):
        assert (by[customer].kind, by[customer].call) == ("manual", "bounced")
        assert by[customer].reason.startswith("address bounced: 550 5.")
    # auto-replies, a delay notice and a stranger's mail change nothing
    was = {a.customer: a for a in before.actions}
    for customer in ("Northwind Interiors Ltd", "מכולת השכונה - יוסי ובניו", "Fjord Design AB"):
        assert (by[customer].kind, by[customer].reason) == (
            was[customer].kind,
            was[customer].reason,
        )
    kinds = sorted(r["kind"] for r in inbox_rows(cfg))
    assert kinds == [
        "auto_reply",
        "auto_reply",
        "bounce",
        "bounce",
        "delayed",
        "reply",
        "reply",
        "unmatched",
    ]
    sent_today = {d.action.customer for d in report.deliveries}
    assert not sent_today & {
        "Atlas Software Inc.",
        "מספרת שירן",
        "Blue Cedar Catering",
        "Harbor Light Dental Clinic",
    }

    statuses = sheet_statuses(tmp_path)
    # the plan's "replied on 27 Nov"; the owner reads the date whole, as every date
    owner_reason = atlas.reason.replace("27 Nov", "27 Nov 2026", 1)
    assert f"Not sent: {owner_reason}" in statuses["Atlas Software Inc."]
    assert f"Call: {by['Blue Cedar Catering'].reason}" in statuses["Blue Cedar Catering"]
    html = (cfg.state_dir / "reports" / f"{DAY2.isoformat()}.html").read_text(encoding="utf-8")
    assert 'data-section="inbox"' in html
    assert "We will pay on 15 December, sorry for the delay." in html
    assert "suggested promise date: 15 Dec 2026" in html
    assert "says they have paid: check whether the payment has arrived" in html
    assert "auto-reply (ignored)" in html
    assert re.search(r"address bounced: <bdi[^>]*>550 5\.1\.1", html)  # the server's words isolated

    code, out, err = invoke(
        "plan", "--config", str(cfg.source), "--today", DAY2.isoformat(), "--json"
    )
    assert code == 0, err
    planned = {d["customer"]: d for d in json.loads(out)["debtors"]}
    assert planned["Atlas Software Inc."]["reason"] == atlas.reason

    again = run_once(cfg, DAY2)  # a second run the same day: nothing read twice
    assert len(inbox_rows(cfg)) == 8
    assert all(d.earlier for d in again.deliveries)
    assert imap.seen_flags() and not any(imap.seen_flags().values())  # read-only

    code, out, err = invoke("resolve", "Atlas", "--replied", "--config", str(cfg.source))
    assert code == 0, err
    assert "1 reply marked handled" in out
    code, _, err = invoke("resolve", "Atlas", "--replied", "--config", str(cfg.source))
    assert code == 2 and "no reply from 'Atlas' is waiting" in err
    set_cells(tmp_path, {"מספרת שירן": {"Promise date": "2026-12-15"}})  # handled in the sheet
    _, after = make_plan(cfg, date(2026, 12, 10))
    by = {a.customer: a for a in after.actions}
    assert not by["Atlas Software Inc."].reason.startswith("replied")
    assert by["מספרת שירן"].reason == "promised to pay by 2026-12-15"  # the sheet's rule now
    assert by["Blue Cedar Catering"].call == "bounced"  # until the address cell changes
    set_cells(tmp_path, {"Blue Cedar Catering": {"Email": "orders.bluecedar@example.com"}})
    _, fixed = make_plan(cfg, date(2026, 12, 10))
    assert {a.customer: a for a in fixed.actions}["Blue Cedar Catering"].call != "bounced"


def test_a_new_uidvalidity_reads_the_folder_again_but_no_message_twice(
    tmp_path: Path, imap: Dovecot
) -> None:
    cfg = inbox_config(tmp_path, imap, extra='folders = ["INBOX", "Replies"]\n')
    raw = mail.plain_reply("ap.atlas@example.com", "Paid.", message_id="<same@atlas.example.com>")
    imap.append(raw)
    imap.append(raw, folder="Replies")  # the same mail in two folders: once
    run_once(cfg, DAY1)
    assert [r["kind"] for r in inbox_rows(cfg)] == ["reply"]
    imap.empty()  # Replies deleted: made again, it has a new UIDVALIDITY and starts at UID 1
    imap.append(
        mail.plain_reply("ap.atlas@example.com", "Again", message_id="<n@x>"), raw, folder="Replies"
    )
    run_once(cfg, date(2026, 11, 29))
    assert [r["message_id"] for r in inbox_rows(cfg)] == ["<same@atlas.example.com>", "<n@x>"]


def test_mark_read_marks_only_what_was_processed(tmp_path: Path, imap: Dovecot) -> None:
    cfg = inbox_config(tmp_path, imap, extra="mark_read = true\nmax_per_run = 2\n")
    imap.append(
        *(mail.plain_reply("x@else.example", f"n{i}", message_id=f"<m{i}@x>") for i in range(3))
    )
    report = run_once(cfg, DAY1)
    assert sorted(imap.seen_flags().values()) == [False, True, True]
    assert any("more messages waiting in INBOX: 1" in n for n in report.notes)


def test_a_reply_from_a_debtor_who_then_pays_in_full_is_settled(
    tmp_path: Path, imap: Dovecot
) -> None:
    cfg = inbox_config(tmp_path, imap)
    run_once(cfg, DAY1)
    imap.append(
        mail.plain_reply(
            "ap.atlas@example.com",
            "We will pay next week.",
            in_reply_to=sent_ids(cfg)["Atlas Software Inc."],
            message_id="<pay@atlas>",
        )
    )
    report = run_once(cfg, DAY1 + timedelta(days=1))
    assert {a.customer: a for a in report.plan.actions}["Atlas Software Inc."].reason.startswith(
        "replied on"
    )
    set_cells(tmp_path, {"Atlas Software Inc.": {"Balance": "0"}})
    report = run_once(cfg, DAY1 + timedelta(days=4))
    assert {a.customer: a for a in report.plan.actions}["Atlas Software Inc."].reason == "paid"
    db = sqlite3.connect(cfg.state_dir / "ledger.sqlite3")
    try:
        handled = db.execute("SELECT handled_by FROM replies").fetchall()
    finally:
        db.close()
    assert handled == [("sheet: paid in full",)]
    assert any("replies handled in the sheet: 1" in n for n in report.notes)
