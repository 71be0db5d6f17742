"""What every delivery backend promises: send one finished message, say what happened.

xlsdun builds each message itself (render.py); a backend only carries it. Errors are
classified here so the engine can decide: retry later, fail one debtor, or stop the run.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Literal, Protocol

from ..errors import EXIT_FAILED, XlsdunError
from ..logs import redact
from ..models import FailureKind


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: Literal["sent", "written_to_outbox"]
    detail: str = ""
    path: str | None = None
    envelope: str | None = None


class DeliveryError(XlsdunError):
    """A delivery problem. Subclasses say what the engine should do about it.

    `envelope` (JSON text) records what was offered to the server, when it got that far.
    The message goes to the ledger, the report, the digest and stderr, so every known
    secret is taken out of it here too (the backends already leave the server's words out
    of a refused login).
    """

    exit_code = EXIT_FAILED  # a delivery problem that ends a run means messages did not go
    # what a message that fails with this error (rather than waiting) failed at: the backend
    # took the built message and its server (or its encoding for the server) refused it
    failure = FailureKind.REFUSED

    def __init__(self, message: str, envelope: str | None = None) -> None:
        super().__init__(redact(message))
        self.envelope = envelope


class RecipientRejected(DeliveryError):
    """The server refused this debtor's address: fail this one, put them on the call list."""


class TemporaryFailure(DeliveryError):
    """A 4xx reply: nothing was accepted; retry with backoff, else defer to the next run."""


class ConnectionLost(DeliveryError):
    """The connection broke before the message was handed over: safe to send on a new one."""


class ServerUnavailable(DeliveryError):
    """No connection to the mail server at all: stop sending, the rest waits for next run."""


class QuotaExceeded(DeliveryError):
    """The account hit a sending limit: stop sending, defer the rest (not a failure)."""


class AuthenticationFailed(DeliveryError):
    """Wrong credentials (or no right to send as this sender): stop the run at once."""


class AmbiguousDelivery(DeliveryError):
    """The connection broke after DATA: the message may or may not have arrived."""


class Backend(Protocol):
    name: str

    def open(self) -> None: ...

    def send(self, message: EmailMessage) -> SendResult: ...

    def close(self) -> None: ...


BackendFactory = Callable[[], Backend]
"""Makes the backend when it is needed (the digest's, only if it goes by mail): callers pass
one made from the config (`wiring.make_backend`), so the digest builds none of its own."""


@dataclass(slots=True)
class Timing:
    """The run's clock and sleep: injectable, so tests of backoff and rate limits are instant."""

    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], float] = time.monotonic


@dataclass(slots=True)
class Backoff:
    """Exponential backoff for 4xx replies, bounded by one time budget for the whole run.

    A daily unattended run must end: once the budget is spent, a 4xx defers that debtor
    to the next run instead of waiting.
    """

    budget: float = 120.0
    initial: float = 5.0
    spent: float = 0.0

    def delay(self, attempt: int) -> float | None:
        """Seconds to wait before retry number `attempt` (0-based), or None: give up."""
        wait = self.initial * (2**attempt)
        if self.spent + wait > self.budget:
            return None
        self.spent += wait
        return wait


@dataclass(slots=True)
class RateLimit:
    """At most `per_minute` messages in any 60 seconds (None: no limit)."""

    per_minute: int | None
    timing: Timing
    _sent: deque[float] = field(default_factory=deque)

    def wait(self) -> None:
        if not self.per_minute:
            return
        now = self.timing.now()
        while self._sent and now - self._sent[0] >= 60.0:
            self._sent.popleft()
        if len(self._sent) >= self.per_minute:
            self.timing.sleep(60.0 - (now - self._sent[0]))
            self._sent.popleft()
        self._sent.append(self.timing.now())
