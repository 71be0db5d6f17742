"""A planned send's Delivery when no backend decides it: a message that could not be built,
or a send an earlier run of the day already settled.

Both the SMTP path (sending.py) and the outbox path (outbox_batch.py) ask here, so a failure
carries the same `FailureKind` whichever way the run sends, and the digest reads that kind
instead of guessing it from the failure's text.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any, Literal

from .mime import known_headers
from .models import Action, Delivery, FailureKind

if TYPE_CHECKING:
    from .ledger import Ledger
    from .render import RenderError


@dataclass(frozen=True, slots=True)
class Unrendered:
    """Why a debtor's message was not built: recorded as `failed` (the sheet must change) or
    `deferred` (a template problem: the next run tries again)."""

    outcome: Literal["failed", "deferred"]
    detail: str
    failure: FailureKind | None = None  # set when `outcome` is "failed"

    def delivery(self, action: Action) -> Delivery:
        return Delivery(action, self.outcome, None, self.detail, failure=self.failure)


def render_one(
    renderer: Any, action: Action, today: date, now: datetime
) -> EmailMessage | Unrendered:
    """The message, or why not: a problem in the debtor's rows (a missing or refused
    attachment, an invalid address) fails that debtor (the owner fixes the sheet and
    reruns), any other template problem defers it."""
    from .render import RenderError, SheetProblem

    try:
        message: EmailMessage = renderer.render(action, today=today, now=now)
    except SheetProblem as exc:
        return Unrendered("failed", str(exc), failure_of(exc))
    except RenderError as exc:
        return Unrendered("deferred", f"template error: {exc}")
    return message


def message_subject(message: Any) -> str | None:
    """The Subject a message goes out with, as plain text (the ledger keeps it: a follow-up
    repeats the first reminder's); from the assembled headers when the message has them."""
    known = known_headers(message)
    if known is not None:
        return known[0].get("Subject") or None
    subject = message["Subject"]
    return str(subject) if subject is not None else None


def failure_of(problem: RenderError) -> FailureKind:
    """What a render error that stops one debtor's message is about (the dry run shows a
    template error as a failure too: the message could not be built)."""
    from .render import BadAddress, MissingAttachment

    if isinstance(problem, MissingAttachment):
        return FailureKind.ATTACHMENT
    if isinstance(problem, BadAddress):
        return FailureKind.ADDRESS
    return FailureKind.MESSAGE


def already_done(ledger: Ledger, action: Action, today: date) -> Delivery:
    """What an earlier run of the day did for this debtor (`Ledger.done_today`), with its
    failure kind derived here, the one place that does: the ledger keeps a failure's text,
    not its kind. A `failed` send is settled, and so met here, only once it has a
    Message-ID, i.e. the message was built and the backend refused it (a failure before
    that is tried again by the next run instead)."""
    done = ledger.done_today(action, today)
    return replace(done, failure=FailureKind.REFUSED) if done.outcome == "failed" else done
