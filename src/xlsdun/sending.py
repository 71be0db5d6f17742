"""Sending a run's planned messages through a mail server, the ledger a step ahead of the wire,
and the sending limits that hold the rest back for the next run.

The outbox takes its own batched path (outbox_batch.py) with the same `Sender`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import EmailMessage

from .config import DeliveryConfig
from .deliver.base import (
    AmbiguousDelivery,
    AuthenticationFailed,
    Backend,
    Backoff,
    ConnectionLost,
    DeliveryError,
    QuotaExceeded,
    RateLimit,
    SendResult,
    ServerUnavailable,
    TemporaryFailure,
    Timing,
)
from .delivery import Unrendered, already_done, message_subject, render_one
from .errors import EXIT_FAILED, EXIT_INPUT, EXIT_OK
from .ledger import Ledger
from .models import Action, Delivery, Outcome
from .send_state import SendState, settled

WAITS = "not sent, waits for the next run: "

# Errors that would repeat for every message: the run stops sending, and each message left
# waits as `deferred` with the first one's reason. (error, reason's prefix, exit code)
_STOPS: tuple[tuple[type[DeliveryError], str, int], ...] = (
    (AuthenticationFailed, "not sent: ", EXIT_INPUT),
    (QuotaExceeded, WAITS, EXIT_OK),  # a limit, not a failure
    (ServerUnavailable, WAITS, EXIT_FAILED),
)


@dataclass
class Sender:
    """Sends the planned messages one by one, keeping the ledger a step ahead of the wire.

    The connection is opened before a row turns `sending`, so a crash while connecting leaves
    it `pending` (sent next run). `sending` is committed before MAIL FROM and `sent` right
    after the 250. A 4xx is retried with backoff within the run's budget; a connection that
    drops before DATA is reopened (once per run) and the message offered again; one that
    drops after DATA leaves the message `ambiguous`, never resent.
    """

    ledger: Ledger
    backend: Backend
    renderer: object
    run_id: str
    today: date
    now: datetime
    backoff: Backoff = field(default_factory=Backoff)
    rate: RateLimit | None = None
    timing: Timing = field(default_factory=Timing)
    reconnects_left: int = 1
    stop: str | None = None  # why sending stopped (quota, login, server)
    stop_exit: int = EXIT_OK

    def deliver(self, action: Action) -> Delivery:
        if self.stop:
            return self.hold(action, self.stop)
        send_id = self.ledger.begin(self.run_id, self.today, action, self.backend.name)
        if send_id is None:
            return already_done(self.ledger, action, self.today)
        message = render_one(self.renderer, action, self.today, self.now)
        if isinstance(message, Unrendered):
            self.ledger.mark(send_id, message.outcome, detail=message.detail)
            return message.delivery(action)
        message_id = str(message["Message-ID"])
        try:
            result = self._transmit(send_id, message, message_id)
        except DeliveryError as exc:
            return self._not_sent(send_id, action, message_id, exc)
        return self.ledger.record(send_id, action, message_id, result)

    def _transmit(self, send_id: int, message: EmailMessage, message_id: str) -> SendResult:
        attempt = 0
        subject = message_subject(message)  # once: a retry sends the same message
        while True:
            try:
                self.backend.open()
                if self.rate is not None:
                    self.rate.wait()
                self.ledger.mark(send_id, SendState.SENDING, message_id=message_id, subject=subject)
                return self.backend.send(message)
            except ConnectionLost as exc:
                self._reconnect(send_id, exc)
            except TemporaryFailure as exc:
                self._wait_to_retry(send_id, exc, attempt)
                attempt += 1

    def _reconnect(self, send_id: int, exc: ConnectionLost) -> None:
        """A connection that broke before the message was handed over: offer it again on a
        new one, once per run."""
        if self.reconnects_left <= 0:
            raise ServerUnavailable(f"the connection dropped again ({exc})", exc.envelope) from None
        self.reconnects_left -= 1
        self.ledger.mark(send_id, SendState.PENDING, detail=f"reconnecting: {exc}")

    def _wait_to_retry(self, send_id: int, exc: TemporaryFailure, attempt: int) -> None:
        """A 4xx: wait and offer it again, while the run's retry budget lasts."""
        wait = self.backoff.delay(attempt)
        if wait is None:
            raise exc
        self.ledger.mark(send_id, SendState.PENDING, detail=f"retrying in {wait:g} s: {exc}")
        self.timing.sleep(wait)

    def _not_sent(
        self, send_id: int, action: Action, message_id: str, exc: DeliveryError
    ) -> Delivery:
        state, detail = self._settle(exc)
        self.ledger.mark(
            send_id, state, message_id=message_id, detail=detail, envelope=exc.envelope
        )
        failure = exc.failure if state == "failed" else None
        return Delivery(action, state, message_id, detail, failure=failure)

    def _settle(self, exc: DeliveryError) -> tuple[Outcome, str]:
        """The state and detail for a message that could not be sent; stops the run if the
        problem would repeat for every message."""
        for error, reason, exit_code in _STOPS:
            if isinstance(exc, error):
                self._halt(f"{reason}{exc}", exit_code)
                return "deferred", self.stop or str(exc)
        if isinstance(exc, AmbiguousDelivery):
            self._lost_after_data()
            return "ambiguous", str(exc)
        if isinstance(exc, TemporaryFailure | ConnectionLost):
            return "deferred", f"waits for the next run: {exc}"
        return "failed", str(exc)

    def _lost_after_data(self) -> None:
        """The connection broke after DATA: the run fails (exit 1), and stops sending the
        second time it happens."""
        self.stop_exit = max(self.stop_exit, EXIT_FAILED)
        if self.reconnects_left <= 0:
            self._halt(f"{WAITS}the connection to the mail server dropped twice", EXIT_FAILED)
        self.reconnects_left -= 1

    def _halt(self, why: str, exit_code: int) -> None:
        if self.stop is None:
            self.stop = why
        self.stop_exit = max(self.stop_exit, exit_code)

    def hold(self, action: Action, why: str) -> Delivery:
        """Record a planned send as `deferred` without sending: the next run sends it."""
        send_id = self.ledger.begin(self.run_id, self.today, action, self.backend.name)
        if send_id is None:
            return already_done(self.ledger, action, self.today)
        self.ledger.mark(send_id, SendState.DEFERRED, detail=why)
        return Delivery(action, "deferred", None, why)

    def close(self) -> None:
        self.backend.close()


# -- the sending limits -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Batch:
    """A run's planned sends split by the sending limits: sent now, or held for the next run
    (recorded `deferred` with `why`)."""

    now: tuple[Action, ...]
    held: tuple[Action, ...] = ()
    why: str = ""


def within_limits(
    sends: tuple[Action, ...], ledger: Ledger, today: date, delivery: DeliveryConfig
) -> Batch:
    """Apply max_per_run and max_per_day to the sends not already settled today."""
    done = {r.debtor for r in ledger.sends(today=today) if settled(r.state, r.message_id)}
    todo = [a for a in sends if a.debtor not in done]
    room, why = _room(ledger.sent_on(today), delivery)
    held = tuple(todo[room:])
    if not held:
        return Batch(sends)
    keys = {a.debtor for a in held}
    now = tuple(a for a in sends if a.debtor not in keys)
    return Batch(now, held, f"{why}: waits for the next run")


def _room(sent_today: int, delivery: DeliveryConfig) -> tuple[int, str]:
    """How many more may go in this run, and which limit says so."""
    room = max(delivery.max_per_day - sent_today, 0)
    if delivery.max_per_run is not None and delivery.max_per_run < room:
        return delivery.max_per_run, (
            f"sending limit per run reached (max_per_run = {delivery.max_per_run})"
        )
    return room, f"daily sending limit reached (max_per_day = {delivery.max_per_day})"
