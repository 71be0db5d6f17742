"""The owner's decisions about one customer's reminder: approving one that waits for them
(`xlsdun approve`) and settling one that may or may not have arrived (`xlsdun resolve`).

Library functions, so a script can do what the CLI does: each finds the customer as the
owner names them, checks there is something to decide, records the decision in the ledger
and returns what it did. Every refusal is a `RunError` (exit 2) that says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol, TypeVar

from .config import Config
from .engine import make_plan
from .errors import RunError
from .ledger import Ledger, SendRecord
from .models import Action
from .runlock import run_lock
from .send_state import SendState, resolved
from .wiring import ledger_path


class _Named(Protocol):
    """An action or a send record: what names its customer."""

    @property
    def customer(self) -> str: ...
    @property
    def email(self) -> str | None: ...
    @property
    def debtor(self) -> str: ...


_N = TypeVar("_N", bound=_Named)


def matching(customer: str, items: Sequence[_N]) -> list[_N]:
    """The items for CUSTOMER: by exact name, email or customer id; failing those, by part of
    the name (the owner types "Meridian" for "Meridian Print House")."""
    wanted = customer.strip().casefold()
    if not wanted:  # "" is part of every name
        raise RunError("say which customer: their name, email address or customer ID")
    exact = [
        x
        for x in items
        if wanted in (x.customer.casefold(), (x.email or "").casefold())
        or x.debtor.split(":", 1)[-1] == wanted
    ]
    return exact or [x for x in items if wanted in x.customer.casefold()]


# -- approve ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Approval:
    """What `approve` did: the reminder it approved now, or, when none was waiting, the ones
    approved before (approving twice is fine, not an error)."""

    approved: Action | None
    earlier: tuple[Action, ...] = ()


def approve(config: Config, customer: str, today: date) -> Approval:
    """Approve the reminder awaiting approval for CUSTOMER in today's plan: the ledger keeps
    the go-ahead for that tier and those invoices, and the next run sends it."""
    _, plan = make_plan(config, today)
    matches = matching(customer, plan.actions)
    waiting = _awaiting_approval(customer, matches)
    if waiting is None:
        return Approval(None, _approved_before(customer, config, matches))
    assert waiting.tier is not None  # a reminder awaits approval for its tier
    with Ledger(ledger_path(config)) as ledger:
        ledger.approve(waiting.debtor, waiting.tier, waiting.invoice_ids)
    return Approval(waiting)


def _awaiting_approval(customer: str, matches: list[Action]) -> Action | None:
    """The one customer's reminder that awaits approval; several customers are refused."""
    waiting = [a for a in matches if a.kind == "await_approval"]
    if len({a.debtor for a in waiting}) > 1:
        names = ", ".join(sorted(a.customer for a in waiting))
        raise RunError(
            f"'{customer}' matches several customers awaiting approval: {names}. "
            f"Give the full name or email."
        )
    return waiting[0] if waiting else None


def _approved_before(customer: str, config: Config, matches: list[Action]) -> tuple[Action, ...]:
    """The matching reminders of a tier that needs approval which go out anyway: approved
    already. None of them: there is nothing to approve, and the owner is told what was found."""
    approved = tuple(
        a for a in matches if a.kind in ("send", "defer") and _needs_approval(config, a)
    )
    if approved:
        return approved
    found = ", ".join(f"{a.customer} ({a.kind.replace('_', ' ')})" for a in matches)
    raise RunError(
        f"no reminder for '{customer}' is awaiting approval today"
        + (f"; found: {found}" if found else "; no customer of that name in the workbook")
    )


def _needs_approval(config: Config, action: Action) -> bool:
    if not action.tier:
        return False
    try:
        return config.policy.tier(action.tier).approve
    except KeyError:  # a tier the ladder no longer has
        return False


# -- resolve ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Resolution:
    """What `resolve` settled: the sends, and the owner's answer (it arrived, or send again)."""

    records: tuple[SendRecord, ...]
    arrived: bool

    @property
    def state(self) -> SendState:
        """The state the sends are in now (`send_state.resolved`): the ledger's own answer."""
        return resolved(self.arrived)


def resolve(config: Config, customer: str, *, arrived: bool) -> Resolution:
    """Settle CUSTOMER's sends that may or may not have arrived (`ambiguous`: cut off by a
    crash or a dropped connection): recorded as sent, or left for the next run to send again.
    Under the run lock, so a run never sees a send change state under it."""
    path = ledger_path(config)
    if not path.exists():
        raise RunError(f"no ledger in {config.state_dir}: nothing has been sent yet")
    with run_lock(config.state_dir), Ledger(path) as ledger:
        waiting = ledger.sends(states=(SendState.AMBIGUOUS,))
        matches = _one_customer(customer, waiting)
        done = tuple(r for r in matches if ledger.resolve_ambiguous(r.id, arrived=arrived))
    return Resolution(done, arrived)


@dataclass(frozen=True, slots=True)
class RepliesHandled:
    """What `resolve --replied` marked handled: the customer and how many replies."""

    customer: str
    debtor: str
    replies: int


def resolve_replied(config: Config, customer: str) -> RepliesHandled:
    """The owner has dealt with CUSTOMER's reply (inbox/): the next run may remind them
    again. Under the run lock, like the other decisions."""
    from .inbox import store

    path = ledger_path(config)
    if not path.exists():
        raise RunError(f"no ledger in {config.state_dir}: no reply has been read yet")
    with run_lock(config.state_dir), Ledger(path) as ledger:
        waiting = [
            _Waiting(r["customer"], r["email"], r["debtor"]) for r in store.pending_replies(ledger)
        ]
        matches = matching(customer, waiting)
        debtors = {w.debtor for w in matches}
        if len(debtors) > 1:
            names = ", ".join(sorted({w.customer for w in matches}))
            raise RunError(
                f"'{customer}' matches several customers: {names}. Give the full name or email."
            )
        if not matches:
            names = ", ".join(sorted({w.customer for w in waiting})) or "none"
            raise RunError(f"no reply from '{customer}' is waiting to be handled; waiting: {names}")
        done = store.handle_replies(ledger, debtors, "resolve --replied")
    return RepliesHandled(matches[0].customer, matches[0].debtor, done)


@dataclass(frozen=True, slots=True)
class _Waiting:
    """An unhandled reply as `matching` names it."""

    customer: str
    email: str | None
    debtor: str


def _one_customer(customer: str, waiting: list[SendRecord]) -> list[SendRecord]:
    """The waiting sends of the one customer CUSTOMER names; none or several is refused."""
    matches = matching(customer, waiting)
    if len({r.debtor for r in matches}) > 1:
        names = ", ".join(sorted({r.customer for r in matches}))
        raise RunError(
            f"'{customer}' matches several customers: {names}. Give the full name or email."
        )
    if not matches:
        names = ", ".join(sorted({r.customer for r in waiting})) or "none"
        raise RunError(f"no reminder to '{customer}' is waiting to be resolved; waiting: {names}")
    return matches
