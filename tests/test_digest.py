"""The owner digest (a parsed .eml), the HTML report, and the logs, on the sample run."""

from __future__ import annotations

import email
import email.policy
import io
import re
import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from rich.console import Console

from support.chromium import CHROMIUM, headless
from support.sample_setup import TODAY, copy_sample, invoke, run_json
from xlsdun import config as config_mod
from xlsdun import logs
from xlsdun.digest import did_anything
from xlsdun.engine import make_plan
from xlsdun.ledger import Ledger
from xlsdun.models import RunReport
from xlsdun.report import print_run
from xlsdun.wiring import ledger_path


def parse(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def test_digest_is_one_email_with_every_section_and_the_ledgers_numbers(demo: Path) -> None:
    run_json(demo)
    msg = parse(demo / "outbox" / f"digest-{TODAY}.eml")
    assert msg["To"] == "owner@example.co.il"
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["Subject"].endswith("14 in the outbox")  # the outbox: not "sent"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    for section in ("outcomes", "tiers", "calls", "promises", "approvals", "deferred"):
        assert f'data-section="{section}"' in html, section
    for heading in (
        "TODAY'S REMINDERS",
        "OUTSTANDING BY REMINDER STAGE",
        "CALL LIST",
        "PROMISES DUE TODAY",
        "BROKEN PROMISES",
        "AWAITING YOUR APPROVAL",
        "DEFERRED, AND WHY",
    ):
        assert heading in text, heading

    with Ledger(demo / ".xlsdun" / "ledger.sqlite3") as ledger:
        counts = ledger.state_counts(date.fromisoformat(TODAY))
    assert counts == {"written_to_outbox": 14}
    shown = dict(re.findall(r'data-outcome="(\w+)"><strong>(\d+)</strong>', html))
    assert {k: int(v) for k, v in shown.items()} == counts
    assert "written to the outbox: 14" in text

    # The call list: escalate, no address, 90+ first contact; phones and talking points.
    assert "04-6771234" in text and "052-7654321" in text
    assert "no valid email address" in text and "legal advice" in text
    assert 'href="tel:+972527654321"' in html  # dialled in the international form
    assert 'href="https://wa.me/972527654321?text=' in html  # a mobile: WhatsApp too
    assert "wa.me/97246771234" not in html  # a landline: no WhatsApp link
    assert "Meridian Print House" in text.split("AWAITING YOUR APPROVAL")[1]
    assert "Coastal Pharmacy Herzliya" in text.split("BROKEN PROMISES")[1]
    # Email-safe bars: table cells with widths, no images or scripts.
    assert "bgcolor=" in html and "<img" not in html and "<script" not in html


def test_outstanding_by_tier_adds_up_to_the_open_balances(demo: Path) -> None:
    data = run_json(demo)
    msg = parse(demo / "outbox" / f"digest-{TODAY}.eml")
    text = msg.get_body(("plain",)).get_content()
    block = text.split("OUTSTANDING BY REMINDER STAGE")[1].split("Produced by")[0]
    shown: dict[str, float] = {}
    totals: dict[str, float] = {}
    for line in block.splitlines():
        found = re.findall(r"(₪|US\$|€)([\d,]+\.\d\d)", line)
        if not found:
            continue
        ((sign, amount),) = found
        currency = {"₪": "ILS", "US$": "USD", "€": "EUR"}[sign]
        if "Total" in line:  # each currency's own total, once, above its bars
            assert line.strip().startswith("Total:") and currency not in totals
            totals[currency] = float(amount.replace(",", ""))
        else:
            shown[currency] = shown.get(currency, 0) + float(amount.replace(",", ""))
    expected: dict[str, float] = {}
    for d in data["debtors"]:
        if d["reason"] != "paid":
            for currency, amount in d["balance"].items():
                expected[currency] = expected.get(currency, 0) + amount
    assert shown == pytest.approx(expected)
    assert totals == pytest.approx(expected)


def test_no_second_digest_when_a_run_did_nothing(demo: Path) -> None:
    run_json(demo)
    run_json(demo)
    assert [p.name for p in (demo / "outbox").glob("digest-*.eml")] == [f"digest-{TODAY}.eml"]


def test_digest_off_sends_nothing_but_the_report_is_still_written(demo: Path) -> None:
    toml = demo / "xlsdun.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace(
            'email = "owner@example.co.il"', 'email = "owner@example.co.il"\ndigest = "off"'
        ),
        encoding="utf-8",
    )
    run_json(demo)
    assert not list((demo / "outbox").glob("digest-*"))
    assert (demo / ".xlsdun" / "reports" / f"{TODAY}.html").exists()


def test_a_broken_digest_never_fails_the_run(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import xlsdun.digest

    def boom(*args: object, **kwargs: object) -> str:
        raise OSError("disk full")

    monkeypatch.setattr(xlsdun.digest, "send", boom)
    data = run_json(demo)
    assert sum(d["outcome"] == "written_to_outbox" for d in data["debtors"]) == 14
    assert any("digest" in n and "disk full" in n for n in data["notes"])
    log = (demo / ".xlsdun" / "logs" / "xlsdun.log").read_text(encoding="utf-8")
    assert "owner digest or report failed" in log


def test_report_command_shows_the_latest_report(demo: Path) -> None:
    code, _, err = invoke("report", "--config", str(demo / "xlsdun.toml"))
    assert code == 2 and "no report yet" in err
    run_json(demo)
    page = demo / ".xlsdun" / "reports" / f"{TODAY}.html"
    code, out, _ = invoke("report", "--config", str(demo / "xlsdun.toml"))
    assert code == 0 and out.strip() == str(page)
    html = page.read_text(encoding="utf-8")
    assert 'data-section="aging"' in html and 'data-section="calls"' in html
    assert "over 90 days" in html


def test_log_lines_carry_the_run_id_and_never_a_secret(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = run_json(demo)
    lines = (demo / ".xlsdun" / "logs" / "xlsdun.log").read_text(encoding="utf-8").splitlines()
    assert len(lines) >= 16 and all(f"run={data['run_id']}" in ln for ln in lines)
    logs.add_secret("hunter2-very-secret")
    assert logs.redact("login failed for bob with hunter2-very-secret") == (
        "login failed for bob with ***"
    )
    assert "s3cr" not in logs.redact("smtp password=s3cr3t and AUTH PLAIN AGJvYgBzM2NyM3Q=")
    assert "AGJvYgBz" not in logs.redact("AUTH PLAIN AGJvYgBzM2NyM3Q=")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium not installed")
def test_report_opens_in_headless_chromium(demo: Path, tmp_path: Path) -> None:
    run_json(demo)
    page = demo / ".xlsdun" / "reports" / f"{TODAY}.html"
    shot = tmp_path / "report.png"
    proc = headless(
        ["--enable-logging=stderr", f"--screenshot={shot}", "--window-size=1000,1400"],
        page.as_uri(),
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert shot.exists() and shot.stat().st_size > 20_000
    assert "Uncaught" not in proc.stderr and "CONSOLE" not in proc.stderr


def test_reruns_the_same_day_mail_the_owner_once_plus_once_for_what_is_new(demo: Path) -> None:
    """Four reruns that defer used to mean four digests (issue 12): one a day, then one more
    only when something new needs the owner, saying what is new."""
    toml = demo / "xlsdun.toml"
    toml.write_text(
        toml.read_text("utf-8").replace("[delivery]", "[delivery]\nmax_per_run = 5"), "utf-8"
    )

    def digests() -> list[Path]:
        return sorted((demo / "outbox").glob("digest-*.eml"), key=lambda p: p.stat().st_mtime)

    for _ in range(2):  # 5 sent and 9 held back, then 5 more and the same 4 held back
        code, _, err = invoke("run", "--config", str(toml), "--today", TODAY)
        assert code == 0, err
    assert len(digests()) == 1
    first = parse(digests()[0]).get_body(("plain",)).get_content()
    assert "NEW SINCE" not in first and "DEFERRED" in first
    excel = demo / "~$receivables.xlsx"  # Excel has it open: something new needs the owner
    excel.write_bytes(b"owner")
    for _ in range(2):  # the last 4 sent, the workbook not written (exit 3); then again
        code, _, _ = invoke("run", "--config", str(toml), "--today", TODAY)
        assert code == 3
    assert len(digests()) == 2
    update = parse(digests()[1])
    assert "update" in update["Subject"]
    text = update.get_body(("plain",)).get_content()
    assert "NEW SINCE TODAY'S EARLIER DIGEST" in text and "problem" in text
    html = update.get_body(("html",)).get_content()
    assert 'data-section="new"' in html
    excel.unlink()


def test_call_list_says_why_each_debtor_is_there(tmp_path: Path) -> None:
    """A credit-note debtor 59 days overdue was "90+ days overdue" with legal talking points;
    the approve command in the digest broke in the shell for a name with a quote."""
    from dataclasses import replace
    from datetime import timedelta
    from decimal import Decimal

    from xlsdun.config import default_policy
    from xlsdun.digest import approve_command
    from xlsdun.digest_calls import call_kind as _call_kind
    from xlsdun.digest_calls import days_overdue
    from xlsdun.models import Invoice, Receivables
    from xlsdun.owner_words import words
    from xlsdun.policy import plan

    day = date.fromisoformat(TODAY)

    def inv(n: int, days: int, balance: str, name: str = "Acme", email: str | None = None):
        return Invoice(n, name, f"I{n}", day - timedelta(days=days), Decimal(balance), "ILS", email)

    actions = plan(
        Receivables(
            (
                inv(2, 59, "900", "Credit Co", "c@credit.example"),
                inv(3, 10, "-100", "Credit Co", "c@credit.example"),
                inv(4, 130, "500", 'קבוצת נדל"ן השרון', "nadlan@x.example"),
                inv(5, 20, "70", "No Mail Ltd"),
            )
        ),
        {},
        day,
        default_policy(),
    ).actions
    kinds = {a.customer: _call_kind(a, None) for a in actions}
    assert kinds == {
        "Credit Co": "credit_note",
        'קבוצת נדל"ן השרון': "escalate",
        "No Mail Ltd": "no_address",
    }
    nadlan = next(a for a in actions if a.customer.startswith("קבוצת"))
    assert days_overdue(nadlan, day, words("en")) == "130 days overdue"
    assert approve_command(nadlan) == "xlsdun approve nadlan@x.example"
    command = approve_command(replace(nadlan, debtor='name:קבוצת נדל"ן השרון'))
    word = command.removeprefix("xlsdun approve ")
    echoed = subprocess.run(
        ["sh", "-c", f"printf '%s' {word}"], capture_output=True, text=True, check=True
    )
    assert echoed.stdout == nadlan.customer  # the shell gives back the name, quote and all


def test_sends_an_earlier_run_recorded_today_are_not_this_runs_work(tmp_path: Path) -> None:
    """What `Ledger.done_today` hands back (a send another run of the day recorded) is
    listed, but makes no digest and no counts: this run did nothing for it."""
    toml = copy_sample(tmp_path)
    cfg = config_mod.load(toml)
    day = date.fromisoformat(TODAY)
    _, plan = make_plan(cfg, day)  # the plan as it stood before the first run
    assert invoke("run", "--config", str(toml), "--today", TODAY)[0] == 0
    with Ledger(ledger_path(cfg)) as ledger:
        again = [ledger.done_today(a, day) for a in plan.actions if a.kind == "send"]
    assert len(again) == 14 and all(d.earlier for d in again)
    report = RunReport(today=day, run_id="again", plan=plan, deliveries=again)
    assert did_anything(report)  # the call list still needs the owner (send_once: once a day)
    calm = replace(plan, actions=tuple(a for a in plan.actions if not a.call_list), findings=())
    assert not did_anything(replace(report, plan=calm))  # the sends alone: not this run's work
    out = io.StringIO()
    print_run(report, Console(file=out, width=140))
    assert "Nothing new to send today" in out.getvalue()
    assert "Reminders:" not in out.getvalue()


class Recording:
    """A backend that keeps what it is asked to send."""

    name = "smtp"

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.sent: list[email.message.EmailMessage] = []

    def open(self) -> None:
        self.calls.append("open")

    def send(self, message: email.message.EmailMessage):
        from xlsdun.deliver.base import SendResult

        self.calls.append("send")
        self.sent.append(message)
        return SendResult("sent")

    def close(self) -> None:
        self.calls.append("close")


def test_the_digest_goes_through_the_backend_it_is_given(tmp_path: Path) -> None:
    """The digest builds no backend of its own: the caller hands it one (a factory, called
    only when the digest goes by mail)."""
    from dataclasses import replace

    from xlsdun import digest

    cfg = config_mod.load(copy_sample(tmp_path))
    day = date.fromisoformat(TODAY)
    item = digest.failed(str(cfg.source), "the workbook is open in Excel", 3, day, cfg)
    made: list[Recording] = []

    def connect() -> Recording:
        made.append(Recording())
        return made[-1]

    smtp = replace(cfg, delivery=replace(cfg.delivery, backend="smtp"))
    assert digest.send(smtp, [item], day, connect) == "owner@example.co.il"
    (backend,) = made
    assert backend.calls == ["open", "send", "close"]
    assert backend.sent[0]["To"] == "owner@example.co.il"
    assert "1 problem" in backend.sent[0]["Subject"]

    where = digest.send(cfg, [item], day, connect)  # the outbox: a file, no backend made
    assert Path(where).name == f"digest-{TODAY}.eml" and len(made) == 1


def test_aging_buckets_and_tier_bars_from_the_plan(tmp_path: Path) -> None:
    from decimal import Decimal

    from xlsdun.digest import _age_bucket, _outstanding
    from xlsdun.ledger import SendRecord

    assert [_age_bucket(d) for d in (-3, 0, 1, 30, 31, 60, 61, 90, 91, 400)] == [
        "not yet due",
        "not yet due",
        "1–30 days",
        "1–30 days",
        "31–60 days",
        "31–60 days",
        "61–90 days",
        "61–90 days",
        "over 90 days",
        "over 90 days",
    ]
    cfg = config_mod.load(copy_sample(tmp_path))
    day = date.fromisoformat(TODAY)
    _, plan = make_plan(cfg, day)
    tiers, aging = _outstanding(plan.actions, day, cfg, {})
    open_total: dict[str, Decimal] = {}
    for a in plan.actions:
        if a.reason != "paid" and any(i.balance > 0 for i in a.invoices):
            for currency, amount in a.balance.items():
                if amount > 0:
                    open_total[currency] = open_total.get(currency, Decimal(0)) + amount
    for bars in (tiers, aging):
        totals: dict[str, Decimal] = {}
        for bar in bars:
            totals[bar.currency] = totals.get(bar.currency, Decimal(0)) + bar.amount
            assert 1 <= bar.percent <= 100
        assert totals == open_total
    # the stage reached, not the stage the age calls for: before any reminder, none; after
    # one, its tier (the sheet's own Reminder level, or the ledger's last reminder)
    sheet_levels = {i.reminder_level for a in plan.actions for i in a.invoices} - {None}
    assert {b.label for b in tiers} <= {"not yet due", "not reminded", *sheet_levels}
    first = next(a for a in plan.actions if a.kind == "send" and a.tier == "friendly")
    record = SendRecord(
        id=1, run_id="r", today=day, debtor=first.debtor, customer=first.customer,
        email=first.email, tier="final", variant="standard", invoices=(), balance={},
        state="sent", message_id="<m@x>", detail="", path=None, logged=True, updated_at="",
    )  # type: ignore[arg-type]  # fmt: skip
    reached, _ = _outstanding((first,), day, cfg, {first.debtor: record})
    assert [b.label for b in reached] == ["final"] * len(reached)


@pytest.mark.parametrize(
    ("language", "name"), [("he", "xlsdun עבור רינה דהן"), ("en", "xlsdun for Rina Dahan")]
)
def test_the_digest_comes_from_the_sender_in_the_owners_language(
    tmp_path: Path, language: str, name: str
) -> None:
    """A Hebrew owner's digest is from [sender.he]'s name, not [sender]'s English one."""
    toml = copy_sample(tmp_path)
    text = toml.read_text("utf-8")
    toml.write_text(text.replace('language = "en"', f'language = "{language}"', 1), "utf-8")
    assert invoke("run", "--config", str(toml), "--today", TODAY)[0] == 0
    digest = tmp_path / "outbox" / f"digest-{TODAY}.eml"
    msg = email.message_from_bytes(digest.read_bytes(), policy=email.policy.default)
    assert msg["From"].addresses[0].display_name == name


def test_a_direction_override_in_a_name_is_closed_in_the_digests_text() -> None:
    """A cell's open override (U+202E) or isolate would turn the amount and reason after a
    customer's name around in the text part: every value shown is closed at its end."""
    from markupsafe import Markup

    from xlsdun.digest import _closed

    assert _closed("\u202eevil\u2066x") == "\u202eevil\u2066x\u2069\u202c"
    assert _closed("Acme Ltd") == "Acme Ltd"
    assert _closed(Markup("<b>\u202e</b>")) == Markup("<b>\u202e</b>")  # HTML is isolated apart
    assert _closed(3) == 3
