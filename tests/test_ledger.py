"""The send states and their checked transitions, on a real SQLite ledger.

Every move send_state.TRANSITIONS allows is made through Ledger.mark; every move it does not
allow is refused (TransitionError, naming both states) and leaves the row as it was; and the
ledger's other state-changing methods (begin, recover, resolve_ambiguous) keep to the table.
"""

from __future__ import annotations

import typing
from collections import deque
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.message_setup import action, invoice
from xlsdun import models
from xlsdun.config import default_policy
from xlsdun.deliver.base import SendResult
from xlsdun.history import full_history
from xlsdun.ledger import Ledger, SendRecord
from xlsdun.send_state import (
    CONTACT_STATES,
    DONE_STATES,
    INITIAL,
    SOURCES,
    TRANSITIONS,
    SendState,
    TransitionError,
    check,
    settled,
)

TODAY = date(2026, 11, 26)
DEBTOR = "email:a@x.example"
ALLOWED = [(old, new) for old, nexts in TRANSITIONS.items() for new in sorted(nexts)]
FORBIDDEN = [(old, new) for old in SendState for new in SendState if new not in TRANSITIONS[old]]


def _fast(ledger: Ledger) -> Ledger:
    """No fsync per commit: these tests are about states, not durability (test_crash.py)."""
    ledger.db.execute("PRAGMA synchronous=OFF")
    return ledger


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(tmp_path / "ledger.sqlite3") as opened:
        yield _fast(opened)


def path_to(state: SendState) -> list[SendState]:
    """The shortest sequence of allowed moves from INITIAL to `state` (breadth first)."""
    paths = {INITIAL: [INITIAL]}
    queue = deque([INITIAL])
    while queue:
        here = queue.popleft()
        for there in sorted(TRANSITIONS[here]):
            if there not in paths:
                paths[there] = [*paths[here], there]
                queue.append(there)
    return paths[state]


def planned(debtor: str = DEBTOR) -> models.Action:
    return action(invoice(), debtor=debtor)


def new_send(ledger: Ledger, state: SendState = INITIAL, debtor: str = DEBTOR) -> int:
    """A send of today, moved along allowed transitions into `state`."""
    send_id = ledger.begin("run-1", TODAY, planned(debtor), "smtp")
    assert send_id is not None
    for step in path_to(state)[1:]:
        ledger.mark(send_id, step)
    return send_id


def state_of(ledger: Ledger, send_id: int) -> str:
    return str(ledger.db.execute("SELECT state FROM sends WHERE id = ?", (send_id,)).fetchone()[0])


# -- the enum and the table --------------------------------------------------------------------


def test_states_are_the_strings_the_code_and_the_ledger_use() -> None:
    assert [s.value for s in SendState] == [
        "pending",
        "sending",
        "sent",
        "written_to_outbox",
        "failed",
        "deferred",
        "ambiguous",
    ]
    assert SendState.SENT == "sent" and hash(SendState.SENT) == hash("sent")
    assert {"sent": 1}[SendState.SENT] == 1 and f"{SendState.WRITTEN_TO_OUTBOX}" == (
        "written_to_outbox"
    )
    # every run outcome but 'skipped' (never recorded) and every backend result is a state
    assert set(typing.get_args(models.Outcome)) - {"skipped"} <= set(SendState)
    result_outcome = typing.get_type_hints(SendResult)["outcome"]
    assert set(typing.get_args(result_outcome)) <= set(SendState)


def test_the_table_names_every_state_and_only_states() -> None:
    assert set(TRANSITIONS) == set(SendState)
    assert all(nexts <= set(SendState) for nexts in TRANSITIONS.values())
    assert TRANSITIONS[SendState.SENT] == TRANSITIONS[SendState.WRITTEN_TO_OUTBOX] == frozenset()
    for new in SendState:  # SOURCES is the same table read the other way
        assert SOURCES[new] == {old for old in SendState if new in TRANSITIONS[old]}
    for state in SendState:  # every state can be reached from the first one
        assert path_to(state)[-1] is state


def test_contact_and_done_states() -> None:
    assert {"sent", "written_to_outbox", "ambiguous", "sending"} == CONTACT_STATES
    assert CONTACT_STATES | {"failed"} == DONE_STATES
    assert all(isinstance(s, SendState) for s in DONE_STATES)


@pytest.mark.parametrize(
    ("state", "message_id", "done"),
    [
        ("sent", "<m>", True),
        ("written_to_outbox", "<m>", True),
        ("ambiguous", "<m>", True),
        ("sending", "<m>", True),
        ("failed", "<m>", True),  # reached a server: not sent again the same day
        ("failed", None, False),  # a problem in the rows, before any server: a rerun retries
        ("deferred", None, False),
        ("pending", None, False),
    ],
)
def test_settled(state: str, message_id: str | None, done: bool) -> None:
    assert settled(state, message_id) is done
    assert settled(SendState(state), message_id) is done


def test_check_names_both_states() -> None:
    assert check(7, "pending", "sending") is SendState.SENDING
    with pytest.raises(TransitionError, match=r"send 7: 'sent' -> 'pending' .*final"):
        check(7, "sent", "pending")
    with pytest.raises(TransitionError, match=r"'pending' -> 'posted'"):
        check(7, "pending", "posted")
    with pytest.raises(TransitionError, match=r"'lost' -> 'sent'.*unknown state"):
        check(7, "lost", "sent")


# -- Ledger.mark against the table -------------------------------------------------------------


@pytest.mark.parametrize(("old", "new"), ALLOWED, ids=[f"{a}->{b}" for a, b in ALLOWED])
def test_every_allowed_transition_is_made(ledger: Ledger, old: SendState, new: SendState) -> None:
    send_id = new_send(ledger, old)
    ledger.mark(send_id, new.value, detail="moved")  # a plain string, as callers pass today
    record = ledger.sends()[0]
    assert record.state is new and record.detail == "moved"


@pytest.mark.parametrize(("old", "new"), FORBIDDEN, ids=[f"{a}->{b}" for a, b in FORBIDDEN])
def test_every_forbidden_transition_is_refused(
    ledger: Ledger, old: SendState, new: SendState
) -> None:
    send_id = new_send(ledger, old)
    before = ledger.sends()
    with pytest.raises(TransitionError, match=f"'{old.value}' -> '{new.value}'"):
        ledger.mark(send_id, new, detail="should not be written", message_id="<x>")
    assert ledger.sends() == before


def test_an_unknown_state_is_refused_naming_both(ledger: Ledger) -> None:
    send_id = new_send(ledger, SendState.SENDING)
    with pytest.raises(TransitionError, match=r"'sending' -> 'delivered'"):
        ledger.mark(send_id, "delivered")
    assert state_of(ledger, send_id) == "sending"


def test_a_row_in_an_unknown_state_cannot_move(ledger: Ledger) -> None:
    send_id = new_send(ledger)
    ledger.db.execute("UPDATE sends SET state = 'queued' WHERE id = ?", (send_id,))
    with pytest.raises(TransitionError, match=r"'queued' -> 'sending'.*unknown state"):
        ledger.mark(send_id, "sending")
    with pytest.raises(TransitionError, match=r"'queued' -> 'pending'"):  # nor be taken again
        ledger.begin("run-2", TODAY, planned(), "smtp")
    assert state_of(ledger, send_id) == "queued"


def test_a_missing_send_is_refused(ledger: Ledger) -> None:
    with pytest.raises(TransitionError, match="send 99: no such send"):
        ledger.mark(99, "sending")


def test_a_refused_move_inside_a_batch_undoes_the_batch(ledger: Ledger) -> None:
    """The outbox records a batch in one transaction: a bug in it leaves none of the batch."""
    first, second = new_send(ledger), new_send(ledger, debtor="email:b@x.example")
    with pytest.raises(TransitionError), ledger.transaction():
        ledger.mark(first, "sending", message_id="<1>")
        ledger.mark(second, "sent")
    assert state_of(ledger, first) == state_of(ledger, second) == "pending"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from([*SendState, "bogus"]), max_size=12))
def test_random_sequences_follow_the_table(
    tmp_path_factory: pytest.TempPathFactory, moves: list[str]
) -> None:
    """Any sequence of marks: the ledger ends where the table says, refusing every other
    move without a trace (the model is the table alone)."""
    with Ledger(tmp_path_factory.mktemp("seq") / "ledger.sqlite3") as ledger:
        _fast(ledger)
        send_id = new_send(ledger)
        model = INITIAL
        for move in moves:
            if move in TRANSITIONS[model]:
                ledger.mark(send_id, move)
                model = SendState(move)
            else:
                with pytest.raises(TransitionError):
                    ledger.mark(send_id, move)
            assert state_of(ledger, send_id) == model


# -- the other methods that change a state ------------------------------------------------------


@pytest.mark.parametrize("state", list(SendState))
@pytest.mark.parametrize("message_id", [None, "<m>"])
def test_begin_takes_again_only_what_is_not_settled(
    ledger: Ledger, state: SendState, message_id: str | None
) -> None:
    send_id = new_send(ledger, state)
    if message_id:
        ledger.db.execute("UPDATE sends SET message_id = ? WHERE id = ?", (message_id, send_id))
    again = ledger.begin("run-2", TODAY, planned(), "smtp")
    if settled(state, message_id):
        assert again is None and state_of(ledger, send_id) == state
    else:
        assert again == send_id and state_of(ledger, send_id) == "pending"


def test_record_stores_the_backends_outcome(ledger: Ledger) -> None:
    send_id = new_send(ledger, SendState.SENDING)
    result = SendResult("written_to_outbox", detail="0001.eml", path="/o/0001.eml")
    delivery = ledger.record(send_id, planned(), "<m>", result)
    assert delivery.outcome == "written_to_outbox"
    record = ledger.sends()[0]
    assert (record.state, record.path, record.message_id) == (
        "written_to_outbox",
        "/o/0001.eml",
        "<m>",
    )
    with pytest.raises(TransitionError, match="'written_to_outbox' -> 'sent'"):
        ledger.record(send_id, planned(), "<m>", SendResult("sent"))


def test_recover_moves_only_sending_and_keeps_to_the_table(ledger: Ledger) -> None:
    smtp = new_send(ledger, SendState.SENDING)
    written = new_send(ledger, SendState.SENDING, debtor="email:b@x.example")
    lost = new_send(ledger, SendState.SENDING, debtor="email:c@x.example")
    done = new_send(ledger, SendState.SENT, debtor="email:d@x.example")
    ledger.db.execute("UPDATE sends SET backend = 'outbox' WHERE id IN (?, ?)", (written, lost))
    ledger.db.execute("UPDATE sends SET message_id = '<w>' WHERE id = ?", (written,))
    changed = ledger.recover(lambda message_id: "/o/1.eml" if message_id == "<w>" else None)
    assert {rec.id: state for rec, state in changed} == {
        smtp: "ambiguous",
        written: "written_to_outbox",
        lost: "pending",
    }
    assert all(isinstance(state, SendState) for _, state in changed)
    assert state_of(ledger, done) == "sent"
    assert ledger.recover() == []


def test_resolve_moves_only_an_ambiguous_send(ledger: Ledger) -> None:
    arrived = new_send(ledger, SendState.AMBIGUOUS)
    resend = new_send(ledger, SendState.AMBIGUOUS, debtor="email:b@x.example")
    sent = new_send(ledger, SendState.SENT, debtor="email:c@x.example")
    assert ledger.resolve_ambiguous(arrived, arrived=True)
    assert ledger.resolve_ambiguous(resend, arrived=False)
    assert not ledger.resolve_ambiguous(sent, arrived=False)  # not ambiguous: left alone
    assert not ledger.resolve_ambiguous(arrived, arrived=False)  # resolved already
    states = {r.id: r.state for r in ledger.sends()}
    assert states == {arrived: "sent", resend: "deferred", sent: "sent"}
    assert ledger.resent_debtors() == {"email:b@x.example"}


@pytest.mark.parametrize(
    "steps",
    [
        (SendState.DEFERRED,),  # held by a sending limit, or the server is down
        (SendState.FAILED,),  # refused before it reached a server (a missing attachment)
        (SendState.SENDING, SendState.PENDING),  # a 4xx retried when the run was cut off
    ],
)
def test_a_retracted_contact_stays_retracted_when_a_rerun_that_day_does_not_send(
    ledger: Ledger, steps: tuple[SendState, ...]
) -> None:
    """`resolve --resend`, then a rerun the same day takes the send again and cannot send it:
    the contact the owner retracted must not come back from the sheet's Last reminder, which
    xlsdun wrote while the send was ambiguous."""
    sent = invoice(reminder_level="direct", last_reminder=TODAY)  # as the write-back left it
    debtor = sent.debtor_key
    config: Any = SimpleNamespace(policy=default_policy())
    sheet = models.Receivables(invoices=(sent,))

    def contacts() -> tuple[models.Contact, ...]:
        return full_history(sheet, ledger, config).get(debtor, models.DebtorHistory()).contacts

    send_id = new_send(ledger, SendState.AMBIGUOUS, debtor=debtor)
    assert ledger.resolve_ambiguous(send_id, arrived=False)
    assert contacts() == ()
    assert ledger.begin("run-2", TODAY, planned(debtor), "smtp") == send_id
    for step in steps:
        ledger.mark(send_id, step, detail=f"{step}: not sent in this run")
    assert contacts() == ()
    assert ledger.resent_debtors() == {debtor}


def test_records_and_outcomes_carry_the_enum(ledger: Ledger) -> None:
    new_send(ledger, SendState.WRITTEN_TO_OUTBOX)
    new_send(ledger, SendState.WRITTEN_TO_OUTBOX, debtor="email:b@x.example")
    (record, _) = ledger.sends()
    assert isinstance(record, SendRecord) and record.state is SendState.WRITTEN_TO_OUTBOX
    outcomes = ledger.outcomes_on(TODAY)
    assert outcomes["email:a@x.example"] is outcomes["email:b@x.example"]  # shared, as before
    assert outcomes["email:a@x.example"].state is SendState.WRITTEN_TO_OUTBOX
    earlier = ledger.done_today(planned(), TODAY)
    assert type(earlier.outcome) is str and earlier.outcome == "written_to_outbox"
    assert earlier.detail == "already done today: written_to_outbox"


@pytest.mark.parametrize(
    ("state", "reported"),
    [
        (SendState.SENDING, "ambiguous"),
        (SendState.PENDING, "deferred"),
        (SendState.FAILED, "failed"),
    ],
)
def test_done_today_reports_an_unfinished_send_as_an_outcome(
    ledger: Ledger, state: SendState, reported: str
) -> None:
    new_send(ledger, state)
    delivery = ledger.done_today(planned(), TODAY)
    assert delivery.outcome == reported and delivery.earlier
    assert delivery.detail == f"already done today: {state.value}"


def test_briefs_are_the_sends_fields_the_digest_lists(ledger: Ledger) -> None:
    """`briefs` (the digest's light read) gives what `sends` gives, field for field, for the
    same filter: the states asked for, the day asked for, in id order."""
    for debtor, state in [("email:a@x.com", SendState.SENT), ("email:b@x.com", SendState.FAILED)]:
        new_send(ledger, state, debtor=debtor)
    new_send(ledger, SendState.WRITTEN_TO_OUTBOX, debtor="email:c@x.com")
    wanted = ("sent", "written_to_outbox")
    for day in (TODAY, None, date(2000, 1, 1)):
        full = ledger.sends(states=wanted, today=day)
        brief = ledger.briefs(states=wanted, today=day)
        assert [
            (r.id, r.today, r.debtor, r.customer, r.tier, r.variant, r.state) for r in full
        ] == [tuple(b) for b in brief]
    (first, second) = ledger.briefs(states=wanted)
    assert (first.debtor, second.debtor) == ("email:a@x.com", "email:c@x.com")
    assert second.state is SendState.WRITTEN_TO_OUTBOX and first.today == TODAY
