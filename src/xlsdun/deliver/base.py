"""What every delivery backend promises: send one finished message, say what happened.

xlsdun builds each message itself (render.py); a backend only carries it. Errors are
classified here so the engine can decide: retry later, fail one debtor, or stop the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: str  # "sent" | "written_to_outbox"
    detail: str = ""
    path: str | None = None
    envelope: str | None = None


class DeliveryError(Exception):
    """A delivery problem. Subclasses say what the engine should do about it."""


class RecipientRejected(DeliveryError):
    """The server refused this debtor's address: fail this one, put them on the call list."""


class TemporaryFailure(DeliveryError):
    """Try again later (4xx, dropped connection before DATA): this debtor is deferred."""


class QuotaExceeded(DeliveryError):
    """The account hit a sending limit: stop sending, defer the rest (not a failure)."""


class AuthenticationFailed(DeliveryError):
    """Wrong credentials: stop the run at once, nothing more sent."""


class AmbiguousDelivery(DeliveryError):
    """The connection broke after DATA: the message may or may not have arrived."""


class Backend(Protocol):
    name: str

    def open(self) -> None: ...

    def send(self, message: EmailMessage) -> SendResult: ...

    def close(self) -> None: ...
