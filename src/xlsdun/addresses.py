"""Which email addresses xlsdun will mail: one strict rule for the reader and the message builder.

A workbook may come from anyone, and an address cell ends up in the SMTP envelope and the
headers, so the rule is narrow on purpose: a plain ASCII `local@domain` as people write it
(no display names, no quoting, no comments, no spaces or control characters), within the
RFC 5321 lengths. A cell holds one address, or several separated by `,` or `;`, each valid;
a cell that fails is never used in part. A domain written in another script (`דוגמה.ישראל`)
is refused: its `xn--` form works.

Written by hand rather than with `email-validator`: that costs ~20 µs an address plus its
import (the reader checks each distinct cell once; at 20,000 invoices that is a third of
the read) and refuses reserved test domains this project's own samples use.
"""

from __future__ import annotations

import re

MAX_ADDRESS = 254  # RFC 5321 4.5.3.1.3, the path less its angle brackets
MAX_LOCAL = 64  # RFC 5321 4.5.3.1.1

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"  # LDH, at most 63
_TLD = r"(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{0,58}[A-Za-z0-9])"
_ADDRESS = re.compile(rf"(?P<local>{_ATOM}(?:\.{_ATOM})*)@(?:{_LABEL}\.)+{_TLD}")
_SEPARATORS = re.compile(r"[,;]")


def is_valid(address: str) -> bool:
    """True for an address xlsdun may put in an envelope and a header, exactly as given."""
    if len(address) > MAX_ADDRESS:
        return False
    m = _ADDRESS.fullmatch(address)
    return m is not None and len(m["local"]) <= MAX_LOCAL


def parse_list(text: str) -> tuple[str, ...] | None:
    """The addresses of one cell, in order; None if any of them is not valid.

    Only `,` and `;` separate addresses (spaces around them are ignored, an empty part such
    as a trailing `;` too): "old@x.co.il -> new@x.co.il" or a line break followed by
    "Bcc: ..." is one invalid entry, not two addresses and some noise.
    """
    if "," not in text and ";" not in text:  # the usual cell: no split (a tenth of the read)
        found: tuple[str, ...] = (text.strip(),) if text.strip() else ()
    else:
        found = tuple(p for p in (part.strip() for part in _SEPARATORS.split(text)) if p)
    if not found or not all(map(is_valid, found)):
        return None
    return found


__all__ = ["MAX_ADDRESS", "MAX_LOCAL", "is_valid", "parse_list"]
