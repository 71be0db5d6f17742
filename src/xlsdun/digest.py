"""The owner's digest after a run, and the day's HTML report in the state dir.

The owner trusts xlsdun to run without them, so once a day they get one short email that
says what happened and what only they can do: whom to call (with talking points from the
collection guide), what waits for their approval, which promises fall due or were broken,
and what was held back. The numbers come from the ledger, the truth, not from the run's
memory. The same content, plus an aging chart, is written to `reports/YYYY-MM-DD.html`.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import tempfile
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from . import logs, mime
from .builtin_templates import DIGEST_TEMPLATES
from .config import Config
from .deliver.base import BackendFactory
from .digest_calls import (
    CallContext,
    CallGroup,
    CallItem,
    ambiguous_calls,
    balance_text,
    calls,
    groups,
    last_contacts,
    open_amounts,
)
from .inbox.digest import InboxLine, inbox_lines
from .ledger import Ledger, SendBrief
from .models import Action, Delivery, RunReport
from .owner_words import Words, words
from .policy.wording import PAID, UNREAD
from .private import private_dir
from .writeback import UP_TO_DATE

TEMPLATES = DIGEST_TEMPLATES
AGING_BUCKETS: tuple[tuple[str, int | None, int | None], ...] = (
    ("not yet due", None, 0),
    ("1–30 days", 1, 30),
    ("31–60 days", 31, 60),
    ("61–90 days", 61, 90),
    ("over 90 days", 91, None),
)
"""The aging buckets, by key (owner_words translates them: "age.<key>")."""
EN = words("en")


@dataclass(slots=True)
class Bar:
    label: str  # a tier id or an aging bucket's key; the owner reads `Words.label` of it
    currency: str
    amount: Decimal
    count: int
    percent: int  # of the largest bar in the same currency


@dataclass(slots=True)
class CurrencyBars:
    """The bars of one currency, with its total: amounts in different currencies are never
    drawn against each other (2,800 EUR is not a bar as long as 78,185 ILS)."""

    currency: str
    total: Decimal
    bars: list[Bar]


@dataclass(slots=True)
class Line:
    customer: str
    amounts: tuple[str, ...]
    detail: str
    command: str = ""  # a command the owner may run for this line (approve), shown quoted

    @property
    def balance(self) -> str:
        return balance_text(self.amounts)


@dataclass(slots=True)
class Sent:
    """Who got which reminder today: one reminder kind and the customers who got it."""

    reminder: str
    customers: list[str]


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
    who: list[Sent] = field(default_factory=list)
    approved: list[tuple[str, str, str, str]] = field(default_factory=list)  # (see _approved)
    approve_how: str = ""  # how to approve, said once under the approvals' heading
    findings: list[str] = field(default_factory=list)
    rows_to_fix: int = 0  # the rows the findings are about (a row may have several)
    notes: list[str] = field(default_factory=list)
    workbook: str = ""
    workbook_written: bool = False
    report_path: str | None = None
    new: list[str] = field(default_factory=list)  # what is new since today's earlier digest
    inbox: list[InboxLine] = field(default_factory=list)  # replies and bounces (inbox/digest.py)
    w: Words = EN  # the owner's language

    def needs(self) -> dict[str, str]:
        """What needs the owner, by a stable key: a later run the same day mails the owner
        again only for keys they have not been told about."""
        w = self.w
        items = {
            f"call:{c.kind}:{c.customer}": w("need.call", customer=c.customer, why=c.why)
            for c in self.calls
        }
        items.update(
            (f"approval:{x.customer}", w("need.approval", customer=x.customer))
            for x in self.approvals
        )
        items.update(
            (f"broken:{x.customer}", w("need.broken", customer=x.customer))
            for x in self.promises_broken
        )
        items.update((f"row:{text}", text) for text in self.findings)  # a row to fix
        items.update(
            (f"deferred:{x.customer}", w("need.deferred", customer=x.customer))
            for x in self.deferred
        )
        # an approved reminder that went out: the owner hears it did, even on a rerun the
        # same day after approving (the earlier digest listed it as awaiting approval)
        items.update(
            (
                f"approved:{debtor}:{tier}",
                w(
                    "need.approved",
                    reminder=w.reminder(tier),
                    customer=customer,
                    outcome=w(f"logoutcome.{state}"),
                ),
            )
            for debtor, tier, customer, state in self.approved
        )
        items.update(
            (f"inbox:{x.customer}:{x.key}", w("need.inbox", customer=x.customer, what=x.what))
            for x in self.inbox
            if x.needs_owner
        )
        if self.error or self.exit_code:
            key = f"problem:{self.exit_code}:{self.error or ''}"
            items[key] = w("need.problem", status=self.status)
        return items

    @property
    def sent(self) -> int:
        return self.counts.get("sent", 0) + self.counts.get("written_to_outbox", 0)

    @property
    def ok(self) -> bool:
        return not self.error and not self.exit_code

    @property
    def status(self) -> str:
        if self.error:
            return self.w("client.failed")
        if self.exit_code == 0 and self.rows_to_fix:  # ran, but rows wait for the owner's fix
            return self.w.count("client.rows", self.rows_to_fix)
        if self.exit_code in (0, 1, 2, 3):
            return self.w(f"client.{self.exit_code}")
        return self.w("client.problem")

    @property
    def clean(self) -> bool:
        """Nothing for the owner to put right: the badge is green (amber for rows to fix)."""
        return self.ok and not self.rows_to_fix

    @property
    def call_groups(self) -> list[CallGroup]:
        return groups(self.calls, self.w)

    @property
    def tier_groups(self) -> list[CurrencyBars]:
        return by_currency(self.tiers)

    @property
    def aging_groups(self) -> list[CurrencyBars]:
        return by_currency(self.aging)


def by_currency(bars: list[Bar]) -> list[CurrencyBars]:
    found: dict[str, CurrencyBars] = {}
    for b in bars:
        group = found.setdefault(b.currency, CurrencyBars(b.currency, Decimal(0), []))
        group.total += b.amount
        group.bars.append(b)
    return list(found.values())


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


def collect(config: Config, report: RunReport, ledger: Ledger) -> ClientDigest:
    """Everything the owner needs from this run, with the counts taken from the ledger, in
    the owner's language."""
    today, plan = report.today, report.plan
    w = words(config.owner_language, config.locale.country)
    business = config.sender.for_language(w.language).business  # in the owner's language
    d = ClientDigest(
        name=business or config.sender.business or config.source.parent.name,
        config=str(config.source),
        today=today,
        run_id=report.run_id,
        exit_code=report.exit_code,
        counts=ledger.state_counts(today),
        notes=[w.reason(n) for n in report.notes if n != UP_TO_DATE],
        workbook=str(config.workbook.path),
        workbook_written=report.workbook_written,
        w=w,
    )
    latest = last_contacts(ledger)
    d.tiers, d.aging = _outstanding(plan.actions, today, config, latest)
    ctx = CallContext(config, w, today, latest)
    d.calls = calls(plan.actions, report.deliveries, ctx)
    d.calls += ambiguous_calls(ledger, plan.actions, ctx)
    for a in plan.actions:
        _promises(d, a, today)
        _waiting(d, a, plan.approved_column)
    d.deferred += _deferred_deliveries(report.deliveries, w)
    sent = ledger.briefs(states=("sent", "written_to_outbox"), today=today)
    d.who = _who(sent, config, w)
    d.approved = _approved(sent, config)
    how = "approve.column" if plan.approved_column else "approve.no_column"
    d.approve_how = w(how) if d.approvals else ""
    # a row with a problem is not always skipped (a bad address: the debtor is on the call
    # list), so the line names the row and the problem, all in the owner's words (the
    # finding's key and parameters: problems.py; a quoted cell stays as the sheet has it)
    d.rows_to_fix = len({f.row for f in plan.findings})
    d.findings = [
        w("row_problem", row=f.row, field=w.field(f.field, f.column), problem=w.problem(f.problem))
        for f in plan.findings
    ]
    d.inbox = inbox_lines(ledger, today, w)
    return d


def _who(sent: list[SendBrief], config: Config, w: Words) -> list[Sent]:
    """Today's reminders by kind, gentlest tier first, each with the customers who got it."""
    rank = {t.id: i for i, t in enumerate(config.policy.ladder)}
    records = sorted(sent, key=lambda r: (rank.get(r.tier or "", len(rank)), r.variant, r.id))
    found: dict[str, Sent] = {}
    for r in records:
        reminder = w.reminder(r.tier, r.variant)
        found.setdefault(reminder, Sent(reminder, [])).customers.append(r.customer)
    return list(found.values())


def _approved(sent: list[SendBrief], config: Config) -> list[tuple[str, str, str, str]]:
    """Today's reminders of a tier that needs approval, which went out: (debtor, tier,
    customer, state)."""
    needs_approval = {t.id for t in config.policy.ladder if t.approve}
    return [
        (r.debtor, r.tier or "", r.customer, str(r.state))
        for r in sent
        if r.tier in needs_approval and r.variant != "thank_you"
    ]


Totals = dict[tuple[str, str], tuple[Decimal, int]]  # (label, currency) -> (amount, count)


def _outstanding(
    actions: tuple[Action, ...],
    today: date,
    config: Config,
    latest: Mapping[str, SendBrief],
) -> tuple[list[Bar], list[Bar]]:
    """The open balances as bars: per debtor by the reminder stage they have reached (the
    last reminder's tier, this run's included: `latest`), and per invoice by its age."""
    tier_totals: Totals = {}
    aging: Totals = {}
    for a in actions:
        open_invoices = [i for i in a.invoices if i.balance > 0]
        if not open_invoices or a.reason == PAID:
            continue
        tier = _stage_of(a, latest.get(a.debtor), today)
        for currency, amount in a.balance.items():
            if amount > 0:
                _add(tier_totals, (tier, currency), amount)
        for inv in open_invoices:
            _add(aging, (_age_bucket((today - inv.due_date).days), inv.currency), inv.balance)
    ladder = ["not yet due", NOT_REMINDED, *(t.id for t in config.policy.ladder)]
    return _bars(tier_totals, ladder), _bars(aging, [b[0] for b in AGING_BUCKETS])


NOT_REMINDED = "not reminded"  # a debtor no reminder has reached yet (catalog: tier.<this>)


def _stage_of(action: Action, last: SendBrief | None, today: date) -> str:
    """The reminder stage a debtor has reached: the ledger's last reminder, else the sheet's
    own Reminder level; none yet: "not yet due" or "not reminded". Not the stage their age
    would call for: that one they may never have been sent (a debtor held for a bad row,
    a first reminder capped lower)."""
    if last is not None and last.tier:
        return last.tier
    level = next((i.reminder_level for i in action.invoices if i.reminder_level), None)
    if level:
        return level
    due = min(i.due_date for i in action.invoices if i.balance > 0)
    return "not yet due" if due >= today else NOT_REMINDED


def _add(totals: Totals, key: tuple[str, str], amount: Decimal) -> None:
    total, n = totals.get(key, (Decimal(0), 0))
    totals[key] = (total + amount, n + 1)


def _age_bucket(days: int) -> str:
    return next(
        label
        for label, lo, hi in AGING_BUCKETS
        if (lo is None or days >= lo) and (hi is None or days <= hi)
    )


def _promises(d: ClientDigest, a: Action, today: date) -> None:
    """Payment promises that fall due today, or that were broken."""
    w = d.w
    due_today = [i for i in a.invoices if i.promise_date == today and i.balance > 0]
    if due_today:
        d.promises_today.append(
            Line(
                a.customer,
                open_amounts(a, w),
                w("line.promised_today", invoices=", ".join(i.invoice for i in due_today)),
            )
        )
    if a.variant == "broken_promise":
        promised = sorted({i.promise_date for i in a.invoices if i.promise_date})
        when = ", ".join(w.day(p) for p in promised) or w("line.earlier")
        line = Line(a.customer, open_amounts(a, w), w("line.broken", when=when))
        d.promises_broken.append(line)


def _waiting(d: ClientDigest, a: Action, approved_column: bool) -> None:
    """What the plan holds back: for the owner's approval, or deferred (and why)."""
    if a.kind == "await_approval":
        reminder = d.w.reminder(a.tier, a.variant)
        d.approvals.append(Line(a.customer, open_amounts(a, d.w), reminder, approve_command(a)))
    if a.kind == "defer" or getattr(a.reason, "key", "") in UNREAD:  # a row to fix
        d.deferred.append(Line(a.customer, open_amounts(a, d.w), d.w.reason(a.reason)))


def _deferred_deliveries(deliveries: list[Delivery], w: Words) -> list[Line]:
    """Sends this run deferred (a limit, a server that would not take them), and why."""
    return [
        Line(
            x.action.customer,
            open_amounts(x.action, w),
            x.detail or w("line.deferred_default"),
        )
        for x in deliveries
        if x.outcome == "deferred"
    ]


_SHELL_SAFE = re.compile(r"[A-Za-z0-9@._+-]+")


def approve_command(action: Action) -> str:
    """The command that approves `action`, pasted into any shell as it is: the customer's
    email where it is plain, else the name in POSIX single quotes."""
    who = action.debtor.split(":", 1)[-1]  # the debtor's own key: unique, as approve matches
    if not _SHELL_SAFE.fullmatch(who):
        who = shlex.quote(action.customer)
    return f"xlsdun approve {who}"


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
        w=words(config.owner_language, config.locale.country) if config else EN,
    )


def did_anything(report: RunReport) -> bool:
    """A run worth a digest: it sent (or tried to send) something, hit a problem, or left the
    owner something to do on a send day: a customer to call, a row that could not be used
    (`send_once` keeps it to one a day unless something new needs the owner)."""
    fresh = [x for x in report.deliveries if not x.earlier]
    if fresh or report.exit_code != 0:
        return True
    if not report.plan.send_day:  # a weekend or a holiday: only what went wrong or out
        return False
    return report.plan.needs_owner


# -- rendering ---------------------------------------------------------------------------------


@functools.cache
def _env() -> jinja2.Environment:
    """The digest's and report's templates, loaded and compiled once a process (a run
    renders the report and then the digest)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html", "html.j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_closed,
    )
    env.filters["money"] = lambda bar, w: w.money(bar.amount, bar.currency)
    env.filters["total"] = lambda group, w: w.money(group.total, group.currency)
    env.filters["textbar"] = lambda pct: "█" * max(1, round(pct / 5))
    env.filters["path"] = ltr_path
    return env


def _closed(value: object) -> object:
    """Every value a digest template shows, with any direction override or isolate a cell
    left open closed at its end (a customer named "\u202eevil" would turn the amount and
    reason after it around in the text part; the HTML isolates names in <bdi> too)."""
    if value.__class__ is not str or value.isascii():
        return value  # Markup (already safe HTML), numbers, the usual ASCII text
    from .render.cleaning import close_bidi  # loaded by then: the run rendered its messages

    return close_bidi(value)


LRM = "\u200e"


def ltr_path(path: str) -> str:
    """A file path read left to right even where its folders have Hebrew names: a slash
    between two Hebrew names would otherwise take their direction, and "/tmp/עסק/חובות.xlsx"
    shows its folders in reverse order. A left-to-right mark on each side of each separator
    holds them in place (plain text: the text part and the HTML alike)."""
    return path.replace("/", f"{LRM}/{LRM}").replace("\\", f"{LRM}\\{LRM}")


def _owner_words(clients: list[ClientDigest]) -> Words:
    """One digest, one language: a combined digest's clients share the owner's config."""
    return clients[0].w if clients else EN


def _context(
    clients: list[ClientDigest],
    today: date,
    *,
    report: bool = False,
    now: datetime | None = None,
) -> dict[str, Any]:
    w = _owner_words(clients)

    def marked(key: str, **params: object) -> Markup:
        """`w(key)` for HTML: the text escaped, values already Markup (isolated) kept."""
        return Markup(escape(w.template(key))).format(**params)

    return {
        "clients": clients,
        "wx": marked,
        "today": today,
        "day": w.day(today),
        "w": w,
        "lang": w.language,
        "dir": "rtl" if w.rtl else "ltr",
        "start": "right" if w.rtl else "left",
        "end": "left" if w.rtl else "right",
        "combined": len(clients) > 1,
        "report": report,
        "summary": _counts(clients, w),
        "failed_clients": [c for c in clients if not c.ok],
        "new": [] if report else list(dict.fromkeys(n for c in clients for n in c.new)),
        "generated": w.moment(now or datetime.now().astimezone()),
    }


def _counts(clients: list[ClientDigest], w: Words) -> list[str]:
    """The run in a few counts, for the subject and the digest's first line, what needs the
    owner first (problems, approvals, calls), then the reminders: "in the outbox" when that
    is where they went, "sent" when a server took them."""
    parts = []
    problems = [c for c in clients if not c.ok]
    if problems:
        parts.append(w.count("count.problems", len(problems)))
    approvals = sum(len(c.approvals) for c in clients)
    if approvals:
        parts.append(w.count("count.approvals", approvals))
    n_calls = sum(len(c.calls) for c in clients)
    if n_calls:
        parts.append(w.count("count.calls", n_calls))
    rows = sum(c.rows_to_fix for c in clients)
    if rows:
        parts.append(w.count("count.rows", rows))
    sent = sum(c.counts.get("sent", 0) for c in clients)
    outbox = sum(c.counts.get("written_to_outbox", 0) for c in clients)
    if sent:
        parts.append(w.count("count.sent", sent))
    if outbox:  # the short form once the reader knows the counts are reminders
        parts.append(w.count("count.outbox_more" if parts else "count.outbox", outbox))
    if not sent and not outbox:
        parts.append(w("count.none"))
    return parts


def subject(clients: list[ClientDigest], today: date) -> str:
    w = _owner_words(clients)
    who = clients[0].name if len(clients) == 1 else w("subject.clients", n=len(clients))
    update = w("subject.update") if any(c.new for c in clients) else ""
    parts = ", ".join(_counts(clients, w))
    return w("subject", day=w.day(today), who=who, update=update, parts=parts)


class FoldedSubject(str):
    """A Subject folded by xlsdun's own folder (mime.py), as the reminders' are: the email
    package's folder drops the space between an ASCII word and a Hebrew one ("14 תזכורות"
    came out "14תזכורות"). The email package uses a value's own `fold` when it has one."""

    name = "Subject"

    def fold(self, *, policy: Any) -> str:
        value = mime.fold("Subject", mime.unstructured_tokens(str(self)))
        return f"Subject: {value}{policy.linesep}"


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
    msg["Subject"] = FoldedSubject(subject(clients, today))
    name = _owner_words(clients)("from", name=sender_name)
    msg["From"] = Address(display_name=name, addr_spec=sender_email)
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
        sender_name=config.sender.for_language(config.owner_language).name,
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
