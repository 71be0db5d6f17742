"""The owner's digest after a run, and the day's HTML report in the state dir.

The owner trusts xlsdun to run without them, so once a day they get one short email that
says what happened and what only they can do: whom to call (with talking points from the
collection guide), what waits for their approval, which promises fall due or were broken,
and what was held back. The numbers come from the ledger, the truth, not from the run's
memory. The same content, plus an aging chart, is written to `reports/YYYY-MM-DD.html`.
"""

from __future__ import annotations

import os
import re
import shlex
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import jinja2

from . import logs
from .builtin_templates import DIGEST_TEMPLATES
from .config import Config
from .deliver.base import BackendFactory
from .inbox.digest import InboxLine, inbox_lines
from .ledger import Ledger
from .models import Action, Delivery, FailureKind, RunReport
from .policy import how_to_approve
from .policy.wording import PAID
from .private import private_dir
from .send_state import SendState
from .writeback import UP_TO_DATE

TEMPLATES = DIGEST_TEMPLATES
OUTCOME_LABELS = {
    "sent": "sent",
    "written_to_outbox": "written to the outbox",
    "failed": "failed",
    "deferred": "deferred",
    "ambiguous": "ambiguous (may or may not have arrived)",
    "pending": "pending",
    "sending": "being sent",
}
AGING_BUCKETS: tuple[tuple[str, int | None, int | None], ...] = (
    ("not yet due", None, 0),
    ("1–30 days", 1, 30),
    ("31–60 days", 31, 60),
    ("61–90 days", 61, 90),
    ("over 90 days", 91, None),
)

# Talking points for the call list, after the collection guide (shared/seed/README.md).
TALKING_POINTS: dict[str, tuple[str, ...]] = {
    "escalate": (
        "Keep it calm and professional; ask when it suits them to talk, and keep that door open.",
        "Open by asking how they find the work or service; then name the amount and the due "
        "dates plainly.",
        "Explain what the unpaid amount does to your business (your own suppliers, payroll).",
        "Ask what would let them settle it{plan_offer}.",
        "If nothing moves, say that the next step is legal advice — and that there is still "
        "room to talk.",
        "Thank them for their time and end on a positive note.",
    ),
    "no_address": (
        "Ask for the email address they want invoices and reminders at, and put it in the sheet.",
        "Name the amount and the due date plainly; ask when they can pay.",
        "Thank them for their cooperation.",
    ),
    "bad_address": (
        "The mail server refused their address: ask for the right one and fix it in the sheet.",
        "Name the amount and the due date plainly; ask when they can pay.",
        "Thank them for their cooperation.",
    ),
    "attachment": (
        "The invoice file named in the sheet was not sent (the reason is above): put it in the "
        "attachments folder and fix the Attachment cell; the reminder goes out on the next run.",
        "If it cannot wait, call: name the amount and offer to send the invoice again.",
    ),
    "ambiguous": (
        "A reminder may or may not have reached them: ask whether it arrived before sending "
        "anything else.",
        "Then record the answer in xlsdun so the next reminder follows on.",
    ),
    "bounced": (
        "Their address bounced (the server's reason is above): ask for the right one and put "
        "it in the sheet; mail resumes once the address cell changes.",
        "Name the amount and the due date plainly; ask when they can pay.",
    ),
    "check_paid": (
        "They replied that they paid: check the bank before anything else.",
        "If it arrived, mark it paid in the sheet; if not, call and ask for the transfer's "
        "details. Then run 'xlsdun resolve CUSTOMER --replied'.",
    ),
    "credit_note": (
        "The sheet has credit notes for this customer, so the amount they owe is not certain: "
        "check it before asking for payment.",
        "Settle the credit in the sheet (or agree the amount with them); reminders resume by "
        "themselves once only open invoices are left.",
        "Thank them for their cooperation.",
    ),
}
CALL_WHY = {
    "escalate": "overdue past the last email reminder",
    "credit_note": "credit notes: check what is owed",
    "no_address": "no valid email address",
    "bad_address": "email address refused or invalid",
    "attachment": "invoice attachment missing or refused",
    "ambiguous": "send interrupted: did it arrive?",
    "bounced": "address bounced",
    "check_paid": "replied that they paid: check",
}


@dataclass(slots=True)
class Bar:
    label: str
    currency: str
    amount: Decimal
    count: int
    percent: int  # of the largest bar in the same currency


@dataclass(slots=True)
class CallItem:
    customer: str
    kind: str  # a key of TALKING_POINTS
    why: str
    phone: str | None
    email: str | None
    balance: str
    detail: str
    points: tuple[str, ...]


@dataclass(slots=True)
class Line:
    customer: str
    balance: str
    detail: str


@dataclass(slots=True)
class ClientDigest:
    """One client's part of a digest (a bookkeeper's combined digest has several)."""

    name: str
    config: str
    today: date
    run_id: str | None = None
    exit_code: int = 0
    error: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    tiers: list[Bar] = field(default_factory=list)
    aging: list[Bar] = field(default_factory=list)
    calls: list[CallItem] = field(default_factory=list)
    promises_today: list[Line] = field(default_factory=list)
    promises_broken: list[Line] = field(default_factory=list)
    approvals: list[Line] = field(default_factory=list)
    deferred: list[Line] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    workbook: str = ""
    workbook_written: bool = False
    report_path: str | None = None
    new: list[str] = field(default_factory=list)  # what is new since today's earlier digest
    inbox: list[InboxLine] = field(default_factory=list)  # replies and bounces (inbox/digest.py)

    def needs(self) -> dict[str, str]:
        """What needs the owner, by a stable key: a later run the same day mails the owner
        again only for keys they have not been told about."""
        items = {
            f"call:{c.kind}:{c.customer}": f"to call: {c.customer} ({c.why})" for c in self.calls
        }
        items.update(
            (f"approval:{x.customer}", f"awaiting approval: {x.customer}") for x in self.approvals
        )
        items.update(
            (f"broken:{x.customer}", f"broken promise: {x.customer}") for x in self.promises_broken
        )
        items.update((f"deferred:{x.customer}", f"deferred: {x.customer}") for x in self.deferred)
        items.update(
            (f"inbox:{x.customer}:{x.what}", f"{x.customer}: {x.what}")
            for x in self.inbox
            if x.lines or x.what.startswith("bounced")
        )
        if self.error or self.exit_code:
            items[f"problem:{self.exit_code}:{self.error or ''}"] = f"problem: {self.status}"
        return items

    @property
    def sent(self) -> int:
        return self.counts.get("sent", 0) + self.counts.get("written_to_outbox", 0)

    @property
    def status(self) -> str:
        if self.error:
            return "run failed"
        return {
            0: "ok",
            1: "some deliveries failed",
            2: "stopped: fix the settings",
            3: "workbook not updated (open elsewhere)",
        }.get(self.exit_code, "problem")


def money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def _balance(balance: dict[str, Decimal]) -> str:
    return ", ".join(money(a, c) for c, a in balance.items() if a) or "-"


def _bars(totals: dict[tuple[str, str], tuple[Decimal, int]], order: list[str]) -> list[Bar]:
    top: dict[str, Decimal] = defaultdict(Decimal)
    for (_, currency), (amount, _) in totals.items():
        top[currency] = max(top[currency], amount)
    bars = []
    for (label, currency), (amount, count) in totals.items():
        pct = int(round(100 * amount / top[currency])) if top[currency] else 0
        bars.append(Bar(label, currency, amount, count, max(pct, 1)))
    rank = {label: i for i, label in enumerate(order)}
    return sorted(bars, key=lambda b: (b.currency, rank.get(b.label, len(rank)), b.label))


def _tier_of(days: int, config: Config) -> str:
    for tier in config.policy.ladder:
        if tier.enabled and tier.covers(days):
            return tier.id
    return "not yet due" if days <= 0 else "below the ladder"


def _open_balance(action: Action) -> dict[str, Decimal]:
    return {c: a for c, a in action.balance.items() if a > 0}


def collect(config: Config, report: RunReport, ledger: Ledger) -> ClientDigest:
    """Everything the owner needs from this run, with the counts taken from the ledger."""
    today, plan = report.today, report.plan
    d = ClientDigest(
        name=config.sender.business or config.source.parent.name,
        config=str(config.source),
        today=today,
        run_id=report.run_id,
        exit_code=report.exit_code,
        counts=ledger.state_counts(today),
        notes=[n for n in report.notes if n != UP_TO_DATE],
        workbook=str(config.workbook.path),
        workbook_written=report.workbook_written,
    )
    d.tiers, d.aging = _outstanding(plan.actions, today, config)
    d.calls = _calls(plan.actions, report.deliveries, today, config)
    d.calls += _ambiguous_calls(ledger, plan.actions)
    for a in plan.actions:
        _promises(d, a, today)
        _waiting(d, a, plan.approved_column)
    d.deferred += _deferred_deliveries(report.deliveries)
    d.findings = [f"row {f.row}: {f.field}: {f.problem}" for f in plan.findings]
    d.inbox = inbox_lines(ledger, today)
    return d


Totals = dict[tuple[str, str], tuple[Decimal, int]]  # (label, currency) -> (amount, count)


def _outstanding(
    actions: tuple[Action, ...], today: date, config: Config
) -> tuple[list[Bar], list[Bar]]:
    """The open balances as bars: per debtor by their tier, and per invoice by its age."""
    tier_totals: Totals = {}
    aging: Totals = {}
    for a in actions:
        open_invoices = [i for i in a.invoices if i.balance > 0]
        if not open_invoices or a.reason == PAID:
            continue
        oldest = min(i.due_date for i in open_invoices)
        tier = _tier_of((today - oldest).days, config)
        for currency, amount in _open_balance(a).items():
            _add(tier_totals, (tier, currency), amount)
        for inv in open_invoices:
            _add(aging, (_age_bucket((today - inv.due_date).days), inv.currency), inv.balance)
    ladder = ["not yet due", *(t.id for t in config.policy.ladder)]
    return _bars(tier_totals, ladder), _bars(aging, [b[0] for b in AGING_BUCKETS])


def _add(totals: Totals, key: tuple[str, str], amount: Decimal) -> None:
    total, n = totals.get(key, (Decimal(0), 0))
    totals[key] = (total + amount, n + 1)


def _age_bucket(days: int) -> str:
    return next(
        label
        for label, lo, hi in AGING_BUCKETS
        if (lo is None or days >= lo) and (hi is None or days <= hi)
    )


def _calls(
    actions: tuple[Action, ...], deliveries: list[Delivery], today: date, config: Config
) -> list[CallItem]:
    """The debtors to phone, from the plan and this run's failed sends, with talking points."""
    by_debtor = {x.action.debtor: x for x in deliveries}
    plan_offer = _plan_offer(config)
    calls = []
    for a in actions:
        delivery = by_debtor.get(a.debtor)
        kind = _call_kind(a, delivery)
        if kind is None:
            continue
        calls.append(
            CallItem(
                customer=a.customer,
                kind=kind,
                why=_days_overdue(a, today) if kind == "escalate" else CALL_WHY[kind],
                phone=a.phone,
                email=a.email,
                balance=_balance(_open_balance(a)),
                detail=(
                    delivery.detail
                    if delivery is not None and delivery.outcome == "failed"
                    else a.reason
                ),
                points=tuple(p.format(plan_offer=plan_offer) for p in TALKING_POINTS[kind]),
            )
        )
    return calls


def _ambiguous_calls(ledger: Ledger, actions: tuple[Action, ...]) -> list[CallItem]:
    """Every send still `ambiguous`: only the debtor can say whether it arrived."""
    phones = {a.debtor: a.phone for a in actions if a.phone}
    return [
        CallItem(
            customer=rec.customer,
            kind="ambiguous",
            why=CALL_WHY["ambiguous"],
            phone=phones.get(rec.debtor),
            email=rec.email,
            balance=_balance(rec.balance),
            detail=f"{rec.tier or ''} reminder of {rec.today.isoformat()} "
            f"(Message-ID {rec.message_id or 'unknown'})",
            points=TALKING_POINTS["ambiguous"],
        )
        for rec in ledger.sends(states=(SendState.AMBIGUOUS,))
    ]


def _promises(d: ClientDigest, a: Action, today: date) -> None:
    """Payment promises that fall due today, or that were broken."""
    due_today = [i for i in a.invoices if i.promise_date == today and i.balance > 0]
    if due_today:
        d.promises_today.append(
            Line(
                a.customer,
                _balance(_open_balance(a)),
                "promised to pay today: invoice " + ", ".join(i.invoice for i in due_today),
            )
        )
    if a.variant == "broken_promise":
        promised = sorted({i.promise_date for i in a.invoices if i.promise_date})
        when = ", ".join(p.isoformat() for p in promised) or "earlier"
        d.promises_broken.append(
            Line(a.customer, _balance(_open_balance(a)), f"promised {when}, still unpaid")
        )


def _waiting(d: ClientDigest, a: Action, approved_column: bool) -> None:
    """What the plan holds back: for the owner's approval, or deferred (and why)."""
    if a.kind == "await_approval":
        d.approvals.append(
            Line(
                a.customer,
                _balance(_open_balance(a)),
                f"'{a.tier}' reminder: " + approve_hint(a, approved_column),
            )
        )
    if a.kind == "defer":
        d.deferred.append(Line(a.customer, _balance(_open_balance(a)), a.reason))


def _deferred_deliveries(deliveries: list[Delivery]) -> list[Line]:
    """Sends this run deferred (a limit, a server that would not take them), and why."""
    return [
        Line(
            x.action.customer,
            _balance(_open_balance(x.action)),
            x.detail or "deferred to the next run",
        )
        for x in deliveries
        if x.outcome == "deferred"
    ]


# The talking points for a failed send, by what failed (anything the owner fixes in the
# address or with the debtor, rather than in the attachments folder, is "bad_address").
FAILED_CALL: dict[FailureKind, str] = {
    FailureKind.ATTACHMENT: "attachment",
    FailureKind.ADDRESS: "bad_address",
    FailureKind.MESSAGE: "bad_address",
    FailureKind.REFUSED: "bad_address",
}


def _call_kind(action: Action, delivery: Delivery | None) -> str | None:
    """Which talking points fit: a failed send first, then the plan's own reason to call."""
    if delivery is not None and delivery.outcome == "failed":
        return FAILED_CALL[delivery.failure] if delivery.failure else "bad_address"
    if action.call == "no_address" or (action.kind == "manual" and not action.email):
        return "no_address"
    if action.call in ("credit_note", "bounced", "check_paid"):
        return action.call
    if action.call == "overdue":
        return "escalate"
    return None


def _days_overdue(action: Action, today: date) -> str:
    due = [i.due_date for i in action.invoices if i.balance > 0]
    days = (today - min(due)).days if due else 0
    if days <= 0:
        return CALL_WHY["escalate"]
    return "1 day overdue" if days == 1 else f"{days} days overdue"


_SHELL_SAFE = re.compile(r"[A-Za-z0-9@._+-]+")


def approve_hint(action: Action, approved_column: bool) -> str:
    """How to approve, with a command that can be pasted into any shell as it is: the
    customer's email where it is plain, else the name in POSIX single quotes."""
    who = action.debtor.split(":", 1)[-1]  # the debtor's own key: unique, as approve matches
    if not _SHELL_SAFE.fullmatch(who):
        who = shlex.quote(action.customer)
    return how_to_approve(approved_column, f"xlsdun approve {who}")


def _plan_offer(config: Config) -> str:
    parts = [f"offer {config.policy.installments} monthly instalments they can keep"]
    if config.policy.early_payment_discount:
        pct = (config.policy.early_payment_discount * 100).normalize()
        parts.append(f"or {pct:f}% off for paying now")
    return "; " + " ".join(parts)


def failed(
    config_path: str, error: str, exit_code: int, today: date, config: Config | None = None
) -> ClientDigest:
    """A client whose run did not happen: the owner must hear about it too."""
    name = (config.sender.business if config else "") or Path(config_path).parent.name
    return ClientDigest(
        name=name or config_path,
        config=config_path,
        today=today,
        exit_code=exit_code,
        error=error,
        workbook=str(config.workbook.path) if config else "",
    )


def did_anything(report: RunReport) -> bool:
    """A run worth a digest: it sent (or tried to send) something, or hit a problem."""
    fresh = [x for x in report.deliveries if not x.earlier]
    return bool(fresh) or report.exit_code != 0


# -- rendering ---------------------------------------------------------------------------------


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html", "html.j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["money"] = lambda bar: money(bar.amount, bar.currency)
    env.filters["outcome"] = lambda state: OUTCOME_LABELS.get(state, state.replace("_", " "))
    env.filters["textbar"] = lambda pct: "█" * max(1, round(pct / 5))
    return env


def _context(
    clients: list[ClientDigest],
    today: date,
    *,
    report: bool = False,
    now: datetime | None = None,
) -> dict[str, Any]:
    return {
        "clients": clients,
        "today": today,
        "combined": len(clients) > 1,
        "report": report,
        "total_sent": sum(c.sent for c in clients),
        "total_calls": sum(len(c.calls) for c in clients),
        "total_approvals": sum(len(c.approvals) for c in clients),
        "failed_clients": [c for c in clients if c.error or c.exit_code],
        "new": [] if report else list(dict.fromkeys(n for c in clients for n in c.new)),
        "generated": (now or datetime.now().astimezone()).isoformat(timespec="minutes"),
    }


def subject(clients: list[ClientDigest], today: date) -> str:
    parts = [f"{sum(c.sent for c in clients)} reminder(s) sent"]
    calls = sum(len(c.calls) for c in clients)
    if calls:
        parts.append(f"{calls} to call")
    approvals = sum(len(c.approvals) for c in clients)
    if approvals:
        parts.append(f"{approvals} awaiting approval")
    problems = [c for c in clients if c.error or c.exit_code]
    if problems:
        parts.append(f"{len(problems)} problem(s)")
    who = clients[0].name if len(clients) == 1 else f"{len(clients)} clients"
    update = "update, " if any(c.new for c in clients) else ""
    return f"xlsdun {today.isoformat()} — {who}: {update}" + ", ".join(parts)


def build_message(
    clients: list[ClientDigest],
    *,
    to: str,
    sender_name: str,
    sender_email: str,
    today: date,
    now: datetime | None = None,
) -> EmailMessage:
    """The digest as a multipart/alternative email (text + HTML with table bars, no images)."""
    env = _env()
    ctx = _context(clients, today, now=now)
    msg = EmailMessage()
    msg["Subject"] = subject(clients, today)
    msg["From"] = Address(display_name=f"xlsdun for {sender_name}", addr_spec=sender_email)
    msg["To"] = to
    msg["Date"] = format_datetime(now or datetime.now().astimezone())
    msg["Message-ID"] = make_msgid(domain=sender_email.rpartition("@")[2] or "xlsdun.local")
    msg["X-Xlsdun-Digest"] = today.isoformat()
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(env.get_template("digest.txt.j2").render(ctx))
    msg.add_alternative(env.get_template("digest.html.j2").render(ctx), subtype="html")
    return msg


def render_report(clients: list[ClientDigest], today: date, now: datetime | None = None) -> str:
    context = _context(clients, today, report=True, now=now)
    return _env().get_template("report.html.j2").render(context)


# -- writing and sending -----------------------------------------------------------------------


def _atomic_write(path: Path, data: bytes) -> None:
    private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)  # mkstemp: 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def report_path(config: Config, today: date) -> Path:
    return config.state_dir / "reports" / f"{today.isoformat()}.html"


def write_report(config: Config, client: ClientDigest) -> Path:
    path = report_path(config, client.today)
    client.report_path = str(path)
    page = render_report([client], client.today, datetime.now(config.zone))
    _atomic_write(path, page.encode("utf-8"))
    return path


def latest_report(config: Config) -> Path | None:
    folder = config.state_dir / "reports"
    found = sorted(folder.glob("????-??-??.html")) if folder.exists() else []
    return found[-1] if found else None


def send(config: Config, clients: list[ClientDigest], today: date, connect: BackendFactory) -> str:
    """Deliver a digest: into the outbox folder, or by mail through the backend `connect`
    makes (the caller's, made from the config); return where it went."""
    if not config.owner_email:
        raise ValueError(f"{config.source}: no [owner] email to send the digest to")
    msg = build_message(
        clients,
        to=config.owner_email,
        sender_name=config.sender.name,
        sender_email=config.sender.email,
        today=today,
        now=datetime.now(config.zone),  # the owner's own clock, in the footer and the Date
    )
    if config.delivery.backend == "outbox":
        stem = "digest-combined" if len(clients) > 1 else "digest"
        folder = config.delivery.outbox_dir
        path = folder / f"{stem}-{today.isoformat()}.eml"
        n = 2
        while path.exists():
            path = folder / f"{stem}-{today.isoformat()}-{n}.eml"
            n += 1
        _atomic_write(path, msg.as_bytes())
        return str(path)
    backend = connect()
    backend.open()
    try:
        backend.send(msg)
    finally:
        backend.close()
    return config.owner_email


def send_once(
    config: Config,
    clients: list[ClientDigest],
    today: date,
    ledger: Ledger,
    connect: BackendFactory,
) -> str | None:
    """One digest per owner per day, and another only when something new needs them (it then
    opens with what is new). The ledger remembers what each owner was told today."""
    assert config.owner_email
    needs: dict[str, str] = {}
    for c in clients:
        prefix = f"{c.config}|" if len(clients) > 1 else ""
        needs.update((prefix + k, v) for k, v in c.needs().items())
    told = ledger.digest_items(today, config.owner_email)
    if told is not None:
        fresh = [text for key, text in needs.items() if key not in told]
        if not fresh:
            logs.log.info("owner digest: already sent today and nothing new needs the owner")
            return None
        for c in clients:
            c.new = fresh
    where = send(config, clients, today, connect)
    ledger.record_digest(today, config.owner_email, set(needs))
    logs.log.info("owner digest sent: %s", where)
    return where


def after_run(
    config: Config, report: RunReport, ledger: Ledger, connect: BackendFactory
) -> ClientDigest | None:
    """Write today's HTML report and (per client) send the digest, by mail through the
    backend `connect` makes (the run's caller says which). Never fails the run.

    A problem here is logged and noted in the report: the reminders already went out and
    their outcomes are in the ledger, which matters more than the summary of them.
    """
    try:
        client = collect(config, report, ledger)
        report.html_report = str(write_report(config, client))
        logs.log.info("report written: %s", client.report_path)
        if config.owner_digest == "per_client" and config.owner_email and did_anything(report):
            send_once(config, [client], report.today, ledger, connect)
        return client
    except Exception as exc:  # noqa: BLE001 - the run's outcomes must survive any digest bug
        logs.log.exception("owner digest or report failed")
        report.notes.append(
            f"the owner digest or report could not be made ({exc}); "
            f"the reminders and their outcomes are not affected"
        )
        return None
