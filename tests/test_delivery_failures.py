"""What a delivery problem means, as data: the state a message is recorded in, whether the run
stops, its exit code, and (for a failure) its `FailureKind`, from where the problem is known
(the renderer, the backend, an earlier run's ledger record) to the digest's call list."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from xlsdun.config import DeliveryConfig
from xlsdun.deliver.base import (
    AmbiguousDelivery,
    AuthenticationFailed,
    Backoff,
    ConnectionLost,
    DeliveryError,
    QuotaExceeded,
    RecipientRejected,
    SendResult,
    ServerUnavailable,
    TemporaryFailure,
)
from xlsdun.delivery import Unrendered, already_done, render_one
from xlsdun.digest_calls import call_kind as _call_kind
from xlsdun.ledger import Ledger
from xlsdun.models import Delivery, FailureKind
from xlsdun.render import builtin_renderer, sample_action
from xlsdun.sending import Batch, Sender, within_limits

TODAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


class Refusing:
    """A backend whose every send raises the given error (after `ok` sends went through)."""

    name = "smtp"

    def __init__(self, error: DeliveryError, ok: int = 0) -> None:
        self.error, self.ok, self.sent = error, ok, 0

    def open(self) -> None:
        pass

    def send(self, message: EmailMessage) -> SendResult:
        if self.sent < self.ok:
            self.sent += 1
            return SendResult("sent", detail="250 ok")
        raise self.error

    def close(self) -> None:
        pass


def action(n: int = 0, **changes: Any):
    base = sample_action("en", "friendly", today=TODAY)
    return replace(base, debtor=f"email:debtor{n}@example.com", **changes)


def sender(ledger: Ledger, backend: Any) -> Sender:
    return Sender(
        ledger=ledger,
        backend=backend,
        renderer=builtin_renderer(),
        run_id="run",
        today=TODAY,
        now=NOW,
        backoff=Backoff(budget=0),  # a 4xx is not retried: the budget is spent
    )


@pytest.fixture
def ledger(tmp_path: Path):
    with Ledger(tmp_path / "ledger.sqlite3") as opened:
        yield opened


# -- the renderer's problems -------------------------------------------------------------------


def test_a_missing_attachment_and_a_bad_address_fail_with_their_kind() -> None:
    renderer = builtin_renderer()
    first = action()
    missing = replace(
        first,
        invoices=(
            replace(first.invoices[0], attachment="no-such-invoice.pdf"),
            *first.invoices[1:],
        ),
    )
    rendered = render_one(renderer, missing, TODAY, NOW)
    assert isinstance(rendered, Unrendered)
    assert (rendered.outcome, rendered.failure) == ("failed", FailureKind.ATTACHMENT)
    assert rendered.delivery(missing) == Delivery(
        missing, "failed", None, rendered.detail, failure=FailureKind.ATTACHMENT
    )

    bad = render_one(renderer, action(email="not an address"), TODAY, NOW)
    assert isinstance(bad, Unrendered)
    assert (bad.outcome, bad.failure) == ("failed", FailureKind.ADDRESS)

    good = render_one(renderer, action(), TODAY, NOW)
    assert isinstance(good, EmailMessage)


# -- the backend's problems: one ordered table in Sender -------------------------------------------


@pytest.mark.parametrize(
    ("error", "state", "failure", "stop", "exit_code"),
    [
        (RecipientRejected("address rejected: 550 5.1.1 no such user"), "failed",
         FailureKind.REFUSED, None, 0),
        (DeliveryError("the message could not be encoded for sending (x)"), "failed",
         FailureKind.REFUSED, None, 0),
        (AuthenticationFailed("the mail server refused the login (535)"), "deferred", None,
         "not sent: the mail server refused the login (535)", 2),
        (QuotaExceeded("the mail account hit a sending limit (550 5.4.5)"), "deferred", None,
         "not sent, waits for the next run: the mail account hit a sending limit (550 5.4.5)", 0),
        (ServerUnavailable("cannot connect"), "deferred", None,
         "not sent, waits for the next run: cannot connect", 1),
        (AmbiguousDelivery("it may or may not have arrived"), "ambiguous", None, None, 1),
        (TemporaryFailure("temporary failure (451 4.3.0)"), "deferred", None, None, 0),
        (ConnectionLost("the connection broke"), "deferred", None,
         "not sent, waits for the next run: the connection dropped again (the connection broke)",
         1),
    ],
)  # fmt: skip
def test_each_delivery_error_settles_the_message_and_the_run(
    ledger: Ledger,
    error: DeliveryError,
    state: str,
    failure: FailureKind | None,
    stop: str | None,
    exit_code: int,
) -> None:
    run = sender(ledger, Refusing(error))
    first = run.deliver(action(1))
    assert (first.outcome, first.failure) == (state, failure)
    assert first.message_id is not None  # built, then refused: a rerun does not retry it
    record = ledger.existing(action(1).debtor, TODAY)
    assert record is not None and record.state == state and record.detail == first.detail
    assert (run.stop, run.stop_exit) == (stop, exit_code)
    if stop is not None:  # the rest waits, with the first problem as its reason
        second = run.deliver(action(2))
        assert (second.outcome, second.detail, second.message_id) == ("deferred", stop, None)


def test_a_second_drop_after_data_stops_the_run(ledger: Ledger) -> None:
    run = sender(ledger, Refusing(AmbiguousDelivery("dropped after DATA")))
    assert run.deliver(action(1)).outcome == "ambiguous" and run.stop is None
    assert run.deliver(action(2)).outcome == "ambiguous"
    assert run.stop == (
        "not sent, waits for the next run: the connection to the mail server dropped twice"
    )
    assert run.deliver(action(3)).outcome == "deferred"


# -- an earlier run's record --------------------------------------------------------------------


def test_a_failure_an_earlier_run_recorded_keeps_its_kind(ledger: Ledger) -> None:
    """The ledger keeps a failure's text, not its kind: `already_done` derives it, once."""
    first = sender(ledger, Refusing(RecipientRejected("address rejected: 550 5.1.1")))
    failed = first.deliver(action(1))
    assert failed.failure is FailureKind.REFUSED
    sent = sender(ledger, Refusing(DeliveryError("unused"), ok=1)).deliver(action(2))
    assert sent.outcome == "sent"

    again = already_done(ledger, action(1), TODAY)
    assert again.earlier and again.outcome == "failed"
    assert again.failure is FailureKind.REFUSED
    assert _call_kind(action(1), again) == "bad_address"
    done = already_done(ledger, action(2), TODAY)
    assert done.earlier and done.outcome == "sent" and done.failure is None
    # a second run of the day meets them through `begin`, and reports them as earlier
    rerun = sender(ledger, Refusing(DeliveryError("never offered")))
    assert rerun.deliver(action(1)) == again
    assert rerun.hold(action(2), "a limit") == done


# -- the digest reads the kind, not the text ------------------------------------------------------


@pytest.mark.parametrize(
    ("failure", "detail", "talking_points"),
    [
        (FailureKind.ATTACHMENT, "attachment file not found: a.pdf (invoice 7)", "attachment"),
        (FailureKind.ATTACHMENT, "refused: outside the folder", "attachment"),
        (FailureKind.ADDRESS, "invalid email address 'attachment@x' (Email)", "bad_address"),
        (FailureKind.REFUSED, "message refused: 552 attachment too large", "bad_address"),
        (FailureKind.MESSAGE, "message not built: the Subject header holds a line break",
         "bad_address"),
        (None, "already done today: failed", "bad_address"),
    ],
)  # fmt: skip
def test_the_call_list_follows_the_failure_kind(
    failure: FailureKind | None, detail: str, talking_points: str
) -> None:
    planned = action()
    delivery = Delivery(planned, "failed", None, detail, failure=failure)
    assert _call_kind(planned, delivery) == talking_points


# -- the sending limits -----------------------------------------------------------------------------


class LedgerToday:
    """What `within_limits` asks the ledger: today's settled sends and the contacts made."""

    def __init__(self, settled: tuple[str, ...] = (), contacts: int = 0) -> None:
        self.records = [SimpleNamespace(debtor=d, state="sent", message_id="<m>") for d in settled]
        self.contacts = contacts

    def sends(self, *, today: date) -> list[SimpleNamespace]:
        return self.records

    def sent_on(self, today: date) -> int:
        return self.contacts


def test_limits_hold_back_the_rest_and_say_which_limit() -> None:
    sends = tuple(action(n) for n in range(5))
    fake: Any = LedgerToday()
    assert within_limits(sends, fake, TODAY, DeliveryConfig()) == Batch(sends)

    batch = within_limits(sends, fake, TODAY, DeliveryConfig(max_per_day=3))
    assert batch.now == sends[:3] and batch.held == sends[3:]
    assert batch.why == "daily sending limit reached (max_per_day = 3): waits for the next run"

    per_run = within_limits(sends, fake, TODAY, DeliveryConfig(max_per_run=2, max_per_day=3))
    assert per_run.now == sends[:2] and per_run.held == sends[2:]
    assert per_run.why.startswith("sending limit per run reached (max_per_run = 2)")

    # sends already settled today take no room; today's earlier contacts count against the day
    later: Any = LedgerToday(settled=(sends[0].debtor,), contacts=1)
    batch = within_limits(sends, later, TODAY, DeliveryConfig(max_per_day=3))
    assert batch.now == sends[:3] and batch.held == sends[3:]
