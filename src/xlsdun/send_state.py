"""A send's states and the moves allowed between them: the one table the ledger checks.

A send is recorded `pending`, turns `sending` (committed before the message leaves) and ends
`sent` / `written_to_outbox` / `failed` / `deferred`; a `sending` found after a crash becomes
`ambiguous` (never resent automatically) until the owner runs `xlsdun resolve`. A move the
table does not list is a bug in xlsdun, not the owner's mistake: `TransitionError` says so,
naming both states, before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final


class SendState(StrEnum):
    """The `state` column of `sends`. A `StrEnum`, so "sent" and SendState.SENT are equal,
    hash alike and store as the same text: callers passing strings keep working."""

    PENDING = "pending"  # recorded; not offered to any server yet (the next run sends it)
    SENDING = "sending"  # committed just before the message leaves: a crash here is ambiguous
    SENT = "sent"  # accepted by the mail server, or confirmed by the owner
    WRITTEN_TO_OUTBOX = "written_to_outbox"  # a durable .eml in the outbox folder
    FAILED = "failed"  # refused for this debtor (bad address, a problem in their rows)
    DEFERRED = "deferred"  # not sent on purpose: the next run sends it
    AMBIGUOUS = "ambiguous"  # may or may not have arrived: waits for `xlsdun resolve`


INITIAL: Final = SendState.PENDING
"""Every send is recorded in this state first (Ledger.begin)."""

TRANSITIONS: Final[Mapping[SendState, frozenset[SendState]]] = {
    # begin() takes the row again (a rerun); the message is then refused at rendering
    # (failed), held (deferred), or its connection is retried before it left (pending)
    SendState.PENDING: frozenset(
        {SendState.PENDING, SendState.SENDING, SendState.FAILED, SendState.DEFERRED}
    ),
    # the backend's answer; back to pending to retry (4xx, connection lost before DATA) or
    # when crash recovery finds no outbox file; recovery also makes written_to_outbox and
    # ambiguous
    SendState.SENDING: frozenset(
        {
            SendState.PENDING,
            SendState.SENT,
            SendState.WRITTEN_TO_OUTBOX,
            SendState.FAILED,
            SendState.DEFERRED,
            SendState.AMBIGUOUS,
        }
    ),
    # the next run takes it again
    SendState.DEFERRED: frozenset({SendState.PENDING}),
    # only a failure that reached no server is taken again (see `settled`)
    SendState.FAILED: frozenset({SendState.PENDING}),
    # the owner's answer: xlsdun resolve --sent / --resend
    SendState.AMBIGUOUS: frozenset({SendState.SENT, SendState.DEFERRED}),
    SendState.SENT: frozenset(),
    SendState.WRITTEN_TO_OUTBOX: frozenset(),
}
"""Every move a send may make (from -> allowed next states), as the code makes them."""

SOURCES: Final[Mapping[SendState, frozenset[SendState]]] = {
    to: frozenset(old for old, nexts in TRANSITIONS.items() if to in nexts) for to in SendState
}
"""The table read the other way (to -> the states it may be reached from): what the ledger's
guarded UPDATE puts in its WHERE clause."""

CONTACT_STATES: Final = frozenset(
    {SendState.SENT, SendState.WRITTEN_TO_OUTBOX, SendState.AMBIGUOUS, SendState.SENDING}
)
"""A contact made, or possibly made: it counts in the history and against the day's limit."""

DONE_STATES: Final = CONTACT_STATES | {SendState.FAILED}
"""Today's send for the debtor is over: a rerun of the day does not take it again."""


class TransitionError(ValueError):
    """A state change the table does not allow, or a state xlsdun does not know: a bug."""


def check(send_id: int, old: str, new: str) -> SendState:
    """`new` as a SendState, if `old` may move to it; else a TransitionError naming both."""
    current, target = known(old), known(new)
    if current is None or target is None or target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) if current else "none (unknown state)"
        was, to = str(old), str(new)  # the value, also of a SendState
        raise TransitionError(
            f"send {send_id}: {was!r} -> {to!r} is not an allowed transition "
            f"(from {was!r}: {allowed or 'none, it is final'})"
        )
    return target


def known(value: str) -> SendState | None:
    """`value` as a SendState; None if xlsdun has no such state."""
    try:
        return SendState(value)
    except ValueError:
        return None


def resolved(arrived: bool) -> SendState:
    """Where the owner's answer to an `ambiguous` send takes it: `sent` if it arrived, else
    `deferred` (no longer a contact: the next run sends it)."""
    return SendState.SENT if arrived else SendState.DEFERRED


def settled(state: str, message_id: str | None) -> bool:
    """Whether today's send for a debtor is done with. A failure before the message was built
    (a missing attachment) reached no server: once the owner fixes it, a rerun may try again."""
    if state == SendState.FAILED and message_id is None:
        return False
    return state in DONE_STATES
