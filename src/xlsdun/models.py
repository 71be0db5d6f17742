"""The data that flows through the pipeline: read -> plan -> render -> deliver -> write back.

Every stage takes and returns these plain values and changes none it is given, so each
stage can be tested (and reused from Python) without the others. All are frozen except
`Invoice`, of which a big sheet has hundreds of thousands: a frozen dataclass sets each field
through `object.__setattr__`, which made building them a tenth of the read. Treat invoices as
read-only all the same (tests check that planning changes none).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import pandas as pd

ActionKind = Literal["send", "skip", "manual", "await_approval", "defer"]
Outcome = Literal["sent", "failed", "deferred", "skipped", "ambiguous", "written_to_outbox"]
Variant = Literal["standard", "broken_promise", "thank_you"]
CallReason = Literal["overdue", "no_address", "credit_note", "bounced", "check_paid"]
"""Why the owner should call: past the last tier that emails, no usable address, credit
notes that make the amount owed uncertain, an address whose mail bounced, or a reply that
says it paid (each has its own talking points in the digest)."""

TIER_ORDER: tuple[str, ...] = ("courtesy", "friendly", "direct", "plan", "final", "escalate")
"""The tier ids a config may name, gentlest first (the default ladder's). An id names the
tier's templates; what a tier does (emails or not, needs approval, is the final notice)
comes from the configured ladder, never from its id (see policy/ladder.py)."""

EMAIL_TIERS: tuple[str, ...] = ("courtesy", "friendly", "direct", "plan", "final")
"""The tiers with built-in message templates, which previews show."""


@dataclass(slots=True, unsafe_hash=True)  # hashable like the frozen values that hold it
class Invoice:
    """One open or closed invoice, typed, with the sheet row it came from. Read-only by
    convention, not frozen: see the module docstring."""

    row: int  # 1-based Excel row number in the source sheet
    customer: str
    invoice: str
    due_date: date
    balance: Decimal
    currency: str
    email: str | None = None
    invoice_date: date | None = None
    amount: Decimal | None = None
    customer_id: str | None = None
    language: str | None = None
    phone: str | None = None
    hold_until: date | None = None
    promise_date: date | None = None
    disputed: bool = False
    do_not_contact: bool = False
    approved: bool = False
    cc: tuple[str, ...] = ()
    pay_link: str | None = None
    attachment: str | None = None
    notes: str | None = None
    reminder_level: str | None = None  # the sheet's own record, used when the ledger has none
    last_reminder: date | None = None
    contact: str | None = None  # the person to greet ("Dana"); None: greet the organisation

    @property
    def debtor_key(self) -> str:
        """Who this invoice belongs to: customer id if the sheet has one, else email, else name
        (the first of `debtor_keys`, made alone: the plan, the history and the inbox ask for
        it per invoice)."""
        if self.customer_id:
            return _id_key(self.customer_id)
        if self.email:
            return _email_key(self.email)
        return _name_key(self.customer)

    @property
    def names(self) -> tuple[str, ...]:
        """Every key the row names its debtor by (`debtor_keys`): a skipped row of the same
        debtor may name them by another (an id here, only the email there)."""
        return debtor_keys(self.customer_id, self.email, self.customer)


def _id_key(customer_id: str) -> str:
    return f"id:{customer_id.strip().casefold()}"


def _email_key(email: str) -> str:
    return f"email:{email.strip().casefold()}"


def _name_key(customer: str) -> str:
    return f"name:{' '.join(customer.split()).casefold()}"


def debtor_keys(
    customer_id: str | None, email: str | None, customer: str | None
) -> tuple[str, ...]:
    """The keys a row's cells name its debtor by, the one that groups it first
    (`Invoice.debtor_key`): customer id, email, name (none: a row that names no one)."""
    keys = []
    if customer_id:
        keys.append(_id_key(customer_id))
    if email:
        keys.append(_email_key(email))
    if customer is not None:
        keys.append(_name_key(customer))
    return tuple(keys)


class Keyed(str):
    """An English sentence as a `str` (everything that reads it as text is unchanged, and
    nothing parses it back) that carries its catalog key and parameters, so the owner's side
    can say it in the owner's language: a plan's `policy.wording.Reason`, a finding's
    `problems.Problem`."""

    key: str
    params: dict[str, Any]

    def __new__(cls, text: str, key: str = "", **params: Any) -> Keyed:
        made = super().__new__(cls, text)
        made.key, made.params = key, params
        return made


@dataclass(frozen=True, slots=True)
class Finding:
    """A row-level problem: the row is skipped, the batch goes on. `field` is the field's
    key ("due_date"); `problem` is the English sentence, usually a `problems.Problem` that
    also carries its key and parameters, so the owner's side can say it in Hebrew."""

    row: int
    field: str
    problem: str
    invoice: str | None = None
    # the keys the skipped row names its debtor by (`debtor_keys`), if it looks like one of
    # their invoices: their reminder waits until the row is fixed (policy rule
    # `unread_rows`), as its total would leave the row out
    debtors: tuple[str, ...] = ()
    # the sheet's own header of the field's column ("אימייל"), for the owner's texts
    column: str | None = None


@dataclass(frozen=True, slots=True)
class SheetInfo:
    """Where the receivables were found, so write-back can patch the same place."""

    path: str
    sheet: str
    header_row: int  # 1-based
    headers: dict[int, str]  # 0-based column index -> header text as written
    fields: dict[str, int]  # canonical field -> 0-based column index
    read_only: bool = False  # .xls/.xlsb/.ods: outcomes go to a sidecar workbook
    # 0-based column index -> header text of the columns mapped to no field (nor owned):
    # `xlsdun check` lists them, so an unrecognised "Phone" header does not go unnoticed
    unmapped: dict[int, str] = field(default_factory=dict)
    protected: bool = False  # <sheetProtection sheet="1">: the writer refuses to write it
    # an accounting export's layout as recognised (accounting.py), for `xlsdun check`: what
    # it is ("debit and credit columns ..."), and the rows left out as no invoice by kind
    # ("repeated header", "customer subtotal", ...): not findings, nothing to fix
    layout: tuple[str, ...] = ()
    ignored: dict[str, tuple[int, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Receivables:
    invoices: tuple[Invoice, ...]
    findings: tuple[Finding, ...] = ()
    sheet: SheetInfo | None = None
    owned: dict[int, dict[str, object]] = field(default_factory=dict)  # row -> owned cells now


@dataclass(frozen=True, slots=True)
class Contact:
    """One reminder recorded in the ledger for a debtor (sent, in the outbox, or ambiguous)."""

    day: date
    tier: str
    variant: Variant = "standard"
    message_id: str | None = None
    invoices: tuple[str, ...] = ()
    subject: str | None = None  # as sent; None for sends recorded before ledger version 4


@dataclass(frozen=True, slots=True)
class Reply:
    """A debtor's own answer found in the inbox, not yet dealt with by the owner."""

    day: date
    first_line: str  # the reply's first line, the quoted reminder stripped
    paid_hint: bool = False  # "paid", "שילמתי", "העברתי": check whether paid, never assume
    promise_hint: date | None = None  # a date it names: a suggested promise date
    # the Promise date / Hold until dates the debtor's rows had when the reply came: a date
    # not among them, on or after the reply, is the owner's answer in the sheet
    sheet_dates: frozenset[date] = frozenset()


@dataclass(frozen=True, slots=True)
class Bounce:
    """An address of the debtor's that bounced: no more mail to it until the cell changes."""

    address: str
    reason: str
    day: date


@dataclass(frozen=True, slots=True)
class DebtorHistory:
    contacts: tuple[Contact, ...] = ()
    # (tier, invoice) approvals given with `xlsdun approve`: they hold for that debt only
    approvals: frozenset[tuple[str, str]] = frozenset()
    thanked_invoices: frozenset[str] = frozenset()
    # what the inbox told (inbox/): replies not yet handled, bounced addresses still in the cells
    replies: tuple[Reply, ...] = ()
    bounces: tuple[Bounce, ...] = ()

    @property
    def last(self) -> Contact | None:
        return max(self.contacts, key=lambda c: c.day) if self.contacts else None

    @property
    def sent_count(self) -> int:
        return len(self.contacts)


@dataclass(frozen=True, slots=True)
class FeeLine:
    """A late fee or interest line: shown in the message, never written into the sheet's amounts."""

    label: str  # "late_fee" | "interest"
    currency: str
    amount: Decimal
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Action:
    """What the plan decided for one debtor today, and why."""

    debtor: str  # debtor_key
    customer: str
    email: str | None
    kind: ActionKind
    reason: str
    tier: str | None = None
    variant: Variant = "standard"
    language: str = "en"
    invoices: tuple[Invoice, ...] = ()
    balance: dict[str, Decimal] = field(default_factory=dict)
    fees: tuple[FeeLine, ...] = ()
    phone: str | None = None
    cc: tuple[str, ...] = ()
    next_date: date | None = None
    previous_message_id: str | None = None
    # the Message-IDs of this debt's earlier reminders, oldest first (the References chain)
    thread: tuple[str, ...] = ()
    call: CallReason | None = None  # set: the owner should pick up the phone, and why
    excluded: tuple[tuple[int, str], ...] = ()  # (sheet row, why) for the debtor's other invoices
    contact: str | None = None  # the person to greet: the first Contact cell of the debtor
    # the days of the earlier reminders about these invoices, oldest first, each once
    earlier: tuple[date, ...] = ()
    # the day of the latest plan-tier offer about these invoices (a repeat plan letter or a
    # final notice refers to it; the early-payment discount is offered once)
    offered_on: date | None = None
    # the subject of the first reminder of this debt's thread whose subject is known
    first_subject: str | None = None

    @property
    def invoice_ids(self) -> tuple[str, ...]:
        return tuple(i.invoice for i in self.invoices)

    def days_overdue(self, today: date) -> int | None:
        """Days past the due date of the most overdue open invoice as of `today` (negative:
        not yet due); None when none of the action's invoices is open."""
        due = [i.due_date for i in self.invoices if i.balance > 0]
        return (today - min(due)).days if due else None

    @property
    def call_list(self) -> bool:
        return self.call is not None


@dataclass(frozen=True, slots=True)
class Plan:
    today: date
    actions: tuple[Action, ...]
    findings: tuple[Finding, ...] = ()
    send_day: bool = True
    next_send_day: date | None = None
    approved_column: bool = True  # the sheet has an Approved column to approve in
    contacted_today: int = 0  # debtors already reminded as of `today` (a repeat run)

    @property
    def needs_owner(self) -> bool:
        """A customer to call or a row to fix: news for the owner even with nothing to send."""
        return bool(self.findings) or any(a.call_list for a in self.actions)

    @property
    def sends(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.kind == "send")

    def to_frame(self) -> pd.DataFrame:
        """The plan as a pandas DataFrame, one row per debtor action (planframe.py)."""
        from .planframe import plan_frame  # pandas loads only when a frame is asked for

        return plan_frame(self)


class FailureKind(StrEnum):
    """Why a delivery `failed`, as data from where it is known (the renderer, the mail
    server) to the digest, which picks the owner's talking points by it."""

    ATTACHMENT = "attachment"  # an invoice file the sheet names is missing or refused
    ADDRESS = "address"  # the sheet's address (or Cc) is not a valid address
    MESSAGE = "message"  # the message could not be built or encoded from the sheet's data
    REFUSED = "refused"  # the mail server refused the recipient or the message


@dataclass(frozen=True, slots=True)
class Delivery:
    """What happened to one action in this run."""

    action: Action
    outcome: Outcome
    message_id: str | None = None
    detail: str = ""
    path: str | None = None  # the .eml written, for the outbox backend
    earlier: bool = False  # an earlier run today recorded it; this run did nothing for it
    failure: FailureKind | None = None  # set when `outcome` is "failed": what failed


@dataclass(slots=True)
class RunReport:
    today: date
    run_id: str
    plan: Plan
    deliveries: list[Delivery] = field(default_factory=list)
    workbook_written: bool = False
    workbook_path: str | None = None
    outbox_dir: str | None = None
    notes: list[str] = field(default_factory=list)
    exit_code: int = 0
    dry_run: bool = False
    html_report: str | None = None  # the run's HTML report, once written
