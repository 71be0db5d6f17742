"""What stops a message: a template that does not render (RenderError), or something in the
debtor's rows (SheetProblem: an attachment, an address), which fails that debtor only."""

from __future__ import annotations

from ..attachments import AttachmentProblem
from ..errors import XlsdunError
from .cleaning import clean_line, shorten


class RenderError(XlsdunError):
    """A template could not be rendered; the message starts with "file:line:"."""

    def __init__(self, message: str, *, path: str = "", line: int = 0) -> None:
        self.path, self.line, self.detail = path, line, message
        super().__init__(f"{path}:{line}: {message}" if path else message)


class SheetProblem(RenderError):
    """Something in the debtor's rows stops this message (an attachment, an address).

    Not a template problem: the delivery fails with this text and the debtor goes on the
    call list; once the owner fixes the sheet, a same-day rerun may try again.
    """


class MissingAttachment(SheetProblem):
    """An invoice's Attachment cell gives no file (missing, or refused: `refusal` says why)."""

    def __init__(self, problem: AttachmentProblem, invoice: str) -> None:
        name = shorten(clean_line(problem.name), 120)
        super().__init__(f"{problem}: {name} (invoice {shorten(invoice, 120)})")
        # (not `.path`: RenderError's is the template's file and line)
        self.invoice, self.refusal = invoice, problem.refusal


class BadAddress(SheetProblem):
    """A recipient address that fails `addresses.is_valid`: never mailed, not even in part."""
