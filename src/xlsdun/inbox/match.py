"""Whose message is it: by In-Reply-To / References against the Message-IDs of the reminders
in the ledger; else by the sender's address against the debtors' addresses (any of them,
case-insensitive); else, for a company's other address, by its domain when exactly one
debtor has it and it is not a public mail service.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from email.message import Message
from email.utils import getaddresses

from ..models import Invoice
from .store import SentIndex

_IDS = re.compile(r"<[^<>\s]{1,250}>")
PUBLIC_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "walla.co.il",
        "walla.com",
        "012.net.il",
        "bezeqint.net",
        "netvision.net.il",
        "zahav.net.il",
        "013.net",
        "gmx.com",
        "gmx.net",
        "yandex.com",
        "mail.ru",
    }
)


@dataclass(slots=True)
class Directory:
    """The debtors as the workbook has them now, by address and by company domain."""

    by_address: dict[str, set[str]] = field(default_factory=dict)
    by_domain: dict[str, set[str]] = field(default_factory=dict)
    customers: dict[str, str] = field(default_factory=dict)  # debtor -> its first row's name
    dates: dict[str, set[date]] = field(default_factory=dict)  # Promise date / Hold until

    @classmethod
    def of(cls, invoices: Iterable[Invoice]) -> Directory:
        d = cls()
        for inv in invoices:
            key = inv.debtor_key
            d.customers.setdefault(key, inv.customer)
            for when in (inv.promise_date, inv.hold_until):
                if when is not None:
                    d.dates.setdefault(key, set()).add(when)
            for a in {a.casefold() for a in (inv.email, *inv.cc) if a}:
                d.by_address.setdefault(a, set()).add(key)
                domain = a.rpartition("@")[2]
                if domain not in PUBLIC_DOMAINS:
                    d.by_domain.setdefault(domain, set()).add(key)
        return d


@dataclass(frozen=True, slots=True)
class Match:
    debtor: str
    customer: str
    how: str  # "thread", "address", "domain"
    address: str | None = None  # the address the matched reminder went to (thread)


def sender_address(msg: Message) -> str:
    """The From address (Reply-To's is not the sender's), lower case; "" if none."""
    found = getaddresses([str(msg.get("From", "") or "")])
    return found[0][1].strip().casefold() if found and "@" in found[0][1] else ""


def thread_ids(msg: Message) -> list[str]:
    """In-Reply-To first, then References from the newest back."""
    ids = _IDS.findall(str(msg.get("In-Reply-To", "") or ""))
    ids += reversed(_IDS.findall(str(msg.get("References", "") or "")))
    return list(dict.fromkeys(ids))


def by_ids(ids: Iterable[str], sent: SentIndex) -> Match | None:
    """The reminder one of `ids` names, newest first."""
    for message_id in ids:
        hit = sent.by_message_id.get(message_id)
        if hit is not None:
            return Match(hit[0], hit[1], "thread", hit[2])
    return None


def by_address(address: str, directory: Directory, sent: SentIndex) -> Match | None:
    """The one debtor with this address (in the workbook, else in the sends), or its
    company domain's one debtor; several debtors sharing it match none (the owner sees it)."""
    keys = directory.by_address.get(address) or sent.by_address.get(address) or set()
    how = "address"
    if not keys:
        domain = address.rpartition("@")[2]
        keys = set() if domain in PUBLIC_DOMAINS else directory.by_domain.get(domain, set())
        how = "domain"
    if len(keys) != 1:
        return None
    key = next(iter(keys))
    names = directory.customers  # the workbook's name now, else the one the ledger sent to
    customer = names[key] if key in names else sent.customers.get(key, key)
    return Match(key, customer, how)
