"""Everything the rules look at for one debtor, worked out once: `Context`.

The facts (invoices sorted, split into open, credit and set-aside ones, the totals, the
invoice whose age sets the tier) are computed by `context_for`; the tier rules then narrow
the context with the tier, variant and reason a reminder would carry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ..config import PolicyConfig, Tier
from ..models import (
    Action,
    ActionKind,
    CallReason,
    Contact,
    DebtorHistory,
    FeeLine,
    Invoice,
    Variant,
)
from .exclusions import SetAside, broken_promise, set_aside
from .ladder import Ladder
from .money import fees_for, totals
from .wording import CREDIT_NOTE, PAID

Rows = tuple[tuple[int, str], ...]
"""(sheet row, why) of invoices an action leaves out."""


@dataclass(slots=True)  # not frozen: see below
class Context:
    """One debtor on one day, under one policy.

    Read-only all the same: a rule that narrows it returns a new one (`dataclasses.replace`),
    and test_policy_properties checks that no rule changes the context it is given. Not
    frozen because a frozen dataclass sets each field through `object.__setattr__`: building
    and narrowing frozen contexts made planning 20,000 invoices (4,000 debtors) a tenth
    slower, 115 ms instead of 105 (min of 15, process time; measured).
    """

    key: str  # the debtor key
    invoices: tuple[Invoice, ...]  # all the debtor's, by due date, invoice number, row
    history: DebtorHistory
    last: Contact | None  # the last reminder recorded
    today: date
    policy: PolicyConfig
    ladder: Ladder  # the policy's ladder, worked out once per plan
    approved_column: bool  # the sheet has an Approved column to approve in
    # who, from the first invoice that says
    customer: str
    email: str | None
    language: str
    phone: str | None
    cc: tuple[str, ...]
    contact: str | None  # the person to greet, from the first invoice that names one
    # the invoices sorted out
    open: tuple[Invoice, ...]  # balance above 0
    credits: tuple[Invoice, ...]  # balance below 0: credit notes
    paid_rows: Rows  # the invoices with nothing to pay: PAID or CREDIT_NOTE
    set_aside: tuple[tuple[Invoice, SetAside], ...]  # open, but left out today
    contactable: tuple[Invoice, ...]  # open and not set aside: what a reminder lists
    broken: tuple[Invoice, ...]  # contactable, with a broken promise to pay
    totals: dict[str, Decimal]  # of the contactable invoices, per currency
    basis: Invoice  # the invoice whose age sets the tier (see `context_for`)
    days: int  # how many days the basis is overdue (negative: not yet due)
    natural: Tier | None  # the tier for that age; None: below the first tier
    # narrowed by the tier rules
    tier: Tier | None = None
    variant: Variant = "standard"
    reason: str = ""
    # rows of the debtor's that could not be read (a finding skipped them): what is owed is
    # not known until they are fixed (rule `unread_rows`)
    unread: tuple[int, ...] = ()

    @property
    def excluded(self) -> Rows:
        """Every invoice of the debtor a reminder leaves out, with the reason."""
        return self.paid_rows + tuple((inv.row, s.why) for inv, s in self.set_aside)

    @property
    def age_tier(self) -> Tier:
        """The tier for the debt's age (once `not_yet_due` has let the debtor through)."""
        if self.natural is None:
            raise LookupError("below the first tier: the not_yet_due rule comes first")
        return self.natural

    @property
    def chosen(self) -> Tier:
        """The tier the reminder goes at (once a tier rule has chosen it)."""
        if self.tier is None:
            raise LookupError("no tier chosen yet: the tier rules come first")
        return self.tier

    @property
    def call(self) -> CallReason | None:
        """'overdue' when the debt's age or the chosen tier is past the emailing tiers."""
        tier = self.chosen
        if (self.natural is not None and not self.natural.email) or not tier.email:
            return "overdue"
        return None

    @property
    def approved(self) -> bool:
        """The owner approved the chosen tier for this debt (in the sheet or by command)."""
        tier_id = self.chosen.id
        approvals = self.history.approvals
        return any(i.approved for i in self.contactable) or any(
            (tier_id, i.invoice) in approvals for i in self.contactable
        )

    @property
    def fees(self) -> tuple[FeeLine, ...]:
        return fees_for(self.contactable, self.chosen, self.basis, self.today, self.policy)

    def thread(self, invoices: tuple[Invoice, ...] | None = None) -> tuple[str, ...]:
        """The Message-IDs of the earlier reminders about these invoices, oldest first: every
        mail client threads a follow-up by its References. The renderer ends the chain with
        the reminder followed up (`previous_message_id`, the last one) and drops repeats
        (render.envelope.references)."""
        return tuple(c.message_id for c in self._about(invoices) if c.message_id)

    def _about(self, invoices: tuple[Invoice, ...] | None) -> tuple[Contact, ...]:
        """The earlier contacts about these invoices (a contact that names none, as the
        sheet's hand-kept record, is about all of them), oldest first."""
        numbers = {i.invoice for i in (self.contactable if invoices is None else invoices)}
        return tuple(
            c for c in self.history.contacts if not c.invoices or not numbers.isdisjoint(c.invoices)
        )

    def earlier(self, invoices: tuple[Invoice, ...] | None = None) -> tuple[date, ...]:
        """The days of the earlier reminders about these invoices, oldest first, each once:
        what a follow-up names ("we wrote to you on 26 Nov and 6 Dec")."""
        return tuple(sorted({c.day for c in self._about(invoices) if c.day < self.today}))

    def offered_on(self, invoices: tuple[Invoice, ...] | None = None) -> date | None:
        """The day of the latest plan-tier offer about these invoices before today, or None:
        a later letter refers to that offer instead of making it as if for the first time."""
        days = [c.day for c in self._about(invoices) if c.tier == "plan" and c.day < self.today]
        return max(days, default=None)

    def first_subject(self, invoices: tuple[Invoice, ...] | None = None) -> str | None:
        """The subject of the first reminder of this debt's thread whose subject the ledger
        knows (sends before ledger version 4 have none): a follow-up repeats it."""
        return next((c.subject for c in self._about(invoices) if c.message_id and c.subject), None)

    def action(
        self,
        kind: ActionKind,
        reason: str,
        *,
        invoices: tuple[Invoice, ...] | None = None,
        balance: dict[str, Decimal] | None = None,
        excluded: Rows | None = None,
        tier: str | None = None,
        variant: Variant = "standard",
        fees: tuple[FeeLine, ...] = (),
        next_date: date | None = None,
        call: CallReason | None = None,
    ) -> Action:
        """The debtor's action. Unless given, it lists the contactable invoices and their
        totals, and leaves out (`excluded`) the paid and set-aside ones."""
        return Action(
            debtor=self.key,
            customer=self.customer,
            email=self.email,
            kind=kind,
            reason=reason,
            tier=tier,
            variant=variant,
            language=self.language,
            invoices=self.contactable if invoices is None else invoices,
            balance=self.totals if balance is None else balance,
            fees=fees,
            phone=self.phone,
            cc=self.cc,
            next_date=next_date,
            previous_message_id=self.last.message_id if self.last else None,
            thread=self.thread(invoices) if kind == "send" else (),
            call=call,
            excluded=self.excluded if excluded is None else excluded,
            contact=self.contact,
            earlier=self.earlier(invoices) if kind == "send" else (),
            offered_on=self.offered_on(invoices) if kind == "send" else None,
            first_subject=self.first_subject(invoices) if kind == "send" else None,
        )


def context_for(
    key: str,
    invoices: list[Invoice] | tuple[Invoice, ...],
    history: DebtorHistory,
    today: date,
    policy: PolicyConfig,
    *,
    approved_column: bool = True,
    ladder: Ladder | None = None,
    unread: tuple[int, ...] = (),
) -> Context:
    """The context of debtor `key` with `invoices` (at least one) on `today` (`ladder`: the
    policy's, when the caller has it already; `unread`: the debtor's rows a finding skipped)."""
    ladder = ladder or Ladder.of(policy)
    ordered = tuple(sorted(invoices, key=lambda i: (i.due_date, i.invoice, i.row)))
    open_ = tuple(i for i in ordered if i.balance > 0)
    contactable, left_out = _sort_out(open_, today, policy)
    # with nothing contactable the oldest invoice stands in, so that every context has an age
    # (no rule that reads it runs then: all_set_aside or an earlier rule has decided)
    basis = _basis(contactable, policy) if contactable else ordered[0]
    days = (today - basis.due_date).days
    email, language, phone = _contact_details(ordered)
    contact = next((i.contact for i in ordered if i.contact and i.contact.strip()), None)
    return Context(
        key=key,
        invoices=ordered,
        history=history,
        last=history.last,
        today=today,
        policy=policy,
        ladder=ladder,
        approved_column=approved_column,
        customer=ordered[0].customer,
        email=email,
        language=language,
        phone=phone,
        cc=tuple(dict.fromkeys(c for i in ordered for c in i.cc)),
        contact=contact,
        open=open_,
        credits=tuple(i for i in ordered if i.balance < 0),
        paid_rows=_paid_rows(ordered),
        set_aside=left_out,
        contactable=contactable,
        broken=tuple(i for i in contactable if broken_promise(i, history)),
        totals=totals(contactable),
        basis=basis,
        days=days,
        natural=ladder.natural(days),
        unread=unread,
    )


def _contact_details(invoices: tuple[Invoice, ...]) -> tuple[str | None, str, str | None]:
    """The debtor's email address, language and phone: from the first invoice that has each."""
    return (
        next((i.email for i in invoices if i.email), None),
        next((i.language for i in invoices if i.language), "en") or "en",
        next((i.phone for i in invoices if i.phone), None),
    )


def _paid_rows(invoices: tuple[Invoice, ...]) -> Rows:
    """The invoices with nothing to pay, as the sheet's status shows them."""
    return tuple(
        (i.row, PAID if i.balance == 0 else CREDIT_NOTE) for i in invoices if i.balance <= 0
    )


def _sort_out(
    open_: tuple[Invoice, ...], today: date, policy: PolicyConfig
) -> tuple[tuple[Invoice, ...], tuple[tuple[Invoice, SetAside], ...]]:
    """The open invoices a reminder may list, and those set aside today with the reason."""
    contactable: list[Invoice] = []
    left_out: list[tuple[Invoice, SetAside]] = []
    for inv in open_:
        why = set_aside(inv, today, policy)
        if why is None:
            contactable.append(inv)
        else:
            left_out.append((inv, why))
    return tuple(contactable), tuple(left_out)


def _basis(contactable: tuple[Invoice, ...], policy: PolicyConfig) -> Invoice:
    """The invoice whose age sets the tier: the oldest contactable one, or with `tier_basis =
    "largest"` the largest (the older of two equal)."""
    if policy.tier_basis == "largest":
        return max(contactable, key=lambda i: (i.balance, -i.due_date.toordinal()))
    return contactable[0]
