"""Email and Cc cells: one strict rule, and a cell that fails it is never used in part.

The rule itself (addresses.py), the reader's findings, the message builder's own refusal,
and a real run against an SMTP server on 127.0.0.1 that records every RCPT TO.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest

from support.sample_setup import EXPECTED_SENDS, TODAY, invoke, set_cells
from support.smtp_server import (
    SERVER_WARNINGS,
    SmtpServer,
    ledger_states,
    sheet_statuses,
    smtp_sample,
)
from xlsdun.addresses import is_valid, parse_list
from xlsdun.delivery import Unrendered, render_one
from xlsdun.models import FailureKind
from xlsdun.render import BadAddress, builtin_renderer, sample_action
from xlsdun.workbook.coerce import split_emails
from xlsdun.workbook.read import read_receivables

pytestmark = [pytest.mark.filterwarnings(w) for w in SERVER_WARNINGS]

VALID = [
    "a@b.co",
    "billing@x.example",
    "first.last+tag@sub.domain.co.il",
    "o'brien@example.ie",
    "x_y-z@a-b.example",
    "user@xn--4dbrk0ce.xn--4dbrk0ce",  # a Hebrew domain, written in its xn-- form
    "=cmd|'/Ccalc'!A0@x.example",  # odd but a valid dot-atom; nothing for a shell here
    "a" * 64 + "@" + "b" * 63 + ".example",
]
INVALID = [
    "",
    "plain",
    "a@b",
    "a@b.c",  # a one-letter top-level domain
    "a@b.c0m",
    "a@1.2.3.4",
    "a@[127.0.0.1]",
    ".a@b.co",
    "a.@b.co",
    "a..b@b.co",
    "a@-b.co",
    "a@b-.co",
    "a@b..co",
    "a b@c.co",
    '"a b"@c.co',
    "Name <a@b.co>",
    "a@b.co\nBcc: attacker@evil.example",
    "billing@x.example Bcc: attacker@evil.example",
    "=cmd|'/C calc'!A0@x.example",
    "old@x.co.il -> new@x.co.il",
    "ap\x00@x.example",
    "ap@x.example\x00",
    "חשבונות@x.co.il",  # a non-ASCII local part: no server here takes it
    "a@דוגמה.ישראל",  # an international domain not in its xn-- form
    "a\u202e@x.example",
    "a" * 65 + "@b.example",
    "a@" + "b" * 64 + ".example",
    "a@" + ".".join(["b" * 60] * 5) + ".example",  # over 254 in all
]


@pytest.mark.parametrize("address", VALID)
def test_valid_addresses(address: str) -> None:
    assert is_valid(address)


@pytest.mark.parametrize("address", INVALID)
def test_invalid_addresses(address: str) -> None:
    assert not is_valid(address)


def test_a_cell_is_all_valid_or_not_used_at_all() -> None:
    assert parse_list("a@x.example") == ("a@x.example",)
    assert parse_list(" a@x.example ; b@y.example,c@z.example ;") == (
        "a@x.example",
        "b@y.example",
        "c@z.example",
    )
    assert parse_list("a@x.example b@y.example") is None  # only , and ; separate
    assert parse_list("a@x.example; not-an-address") is None
    assert parse_list(" ; ") is None
    assert split_emails("billing@x.example\nBcc: attacker@evil.example") == (
        None,
        (),
        "billing@x.example Bcc: attacker@evil.example",
    )
    assert split_emails("a@x.example; b@y.example") == ("a@x.example", ("b@y.example",), None)
    assert split_emails(None) == (None, (), None)


def test_the_reader_keeps_no_part_of_an_invalid_cell(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Customer", "Email", "Invoice", "Due date", "Balance", "CC"])
    rows = [
        ("Inject", "billing@x.example\nBcc: attacker@evil.example", None),
        ("Formula", "=cmd|'/C calc'!A0@x.example", None),
        ("Arrow", "old@x.co.il -> new@x.co.il", None),
        ("Hebrew", "חשבונות@x.co.il", None),
        ("Cc inject", "ap@cc.example", "books@cc.example\r\nBcc: attacker@evil.example"),
        ("Cc spaces", "ap@sp.example", "a@sp.example b@sp.example"),
        ("Fine", "ap@fine.example; boss@fine.example", "books@fine.example"),
        ("NUL", "ap_x0000_@x.example", None),  # Excel's escape: calamine reads a NUL
    ]
    for n, (customer, address, cc) in enumerate(rows, start=1):
        ws.append([customer, address, f"INV-{n}", datetime(2026, 10, 1), 100, cc])
    ws["B3"].data_type = "s"  # text as typed, not a formula
    path = tmp_path / "r.xlsx"
    wb.save(path)

    rec = read_receivables(path)
    by = {i.customer: i for i in rec.invoices}
    for customer in ("Inject", "Formula", "Arrow", "Hebrew", "NUL"):
        assert by[customer].email is None and by[customer].cc == (), customer
    assert by["Cc inject"].email == "ap@cc.example" and by["Cc inject"].cc == ()
    assert by["Cc spaces"].email == "ap@sp.example" and by["Cc spaces"].cc == ()
    assert by["Fine"].email == "ap@fine.example"
    assert by["Fine"].cc == ("boss@fine.example", "books@fine.example")
    problems = {(f.row, f.field): f.problem for f in rec.findings}
    assert problems[(2, "email")] == (
        "invalid email address 'billing@x.example Bcc: attacker@evil.example'"
    )
    assert problems[(6, "cc")].startswith("invalid cc address 'books@cc.example")
    assert problems[(9, "email")] == "invalid email address 'ap\\x00@x.example'"
    assert set(problems) == {(2, "email"), (3, "email"), (4, "email"), (5, "email")} | {
        (6, "cc"),
        (7, "cc"),
        (9, "email"),
    }
    assert not any("attacker" in (i.email or "") + "".join(i.cc) for i in rec.invoices)


@pytest.mark.parametrize(
    ("email", "cc"),
    [
        ("ap@acme.example\r\nBcc: x@evil.example", ()),
        ("ap\x00@acme.example", ()),
        ("חשבונות@acme.example", ()),
        ("ap@acme.example", ("books@acme.example\nBcc: x@evil.example",)),
        ("ap@acme.example", ("old@x.co.il -> new@x.co.il",)),
        ("a" * 300 + "@acme.example", ()),
    ],
)
def test_the_message_builder_refuses_what_the_reader_would(email: str, cc: tuple[str]) -> None:
    """Defence in depth: an address that reaches rendering by another path is refused too,
    as that debtor's failed delivery (the call list), not a template error retried daily."""
    from dataclasses import replace

    action = replace(sample_action("en", "friendly", today=date(2026, 11, 26)), email=email, cc=cc)
    renderer = builtin_renderer()
    now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    with pytest.raises(BadAddress):
        renderer.render(action, today=date(2026, 11, 26), now=now)
    refused = render_one(renderer, action, date(2026, 11, 26), now)
    assert isinstance(refused, Unrendered)
    kind, detail = refused.outcome, refused.detail
    assert kind == "failed" and detail.startswith("invalid email address '")
    assert "\n" not in detail and "\x00" not in detail
    assert refused.failure is FailureKind.ADDRESS


# -- a real run: what the SMTP server is asked to deliver ----------------------------------------

BAD_EMAIL = {
    "Northwind Interiors Ltd": "billing@x.example\nBcc: attacker@evil.example",
    "Blue Cedar Catering": "=cmd|'/C calc'!A0@x.example",
    "Atlas Software Inc.": "old@x.co.il -> new@x.co.il",
    "Fjord Design AB": "חשבונות@fjord.example",
}
BAD_CC = {  # a valid Email, an invalid Cc: the reminder goes, without that Cc
    "Harbor Light Dental Clinic": "books@harbor.example\nBcc: attacker@evil.example",
    "Silverline Fitness Studio": "=cmd|'/C calc'!A0@x.example",
}
GOOD_CC = {"Oakridge Property Management": "boss@oakridge.example; books@oakridge.example"}


def test_smtp_gets_only_valid_addresses_and_no_injected_header(
    smtp_server: Callable[..., SmtpServer], smtp_env: Callable, tmp_path: Path
) -> None:
    server = smtp_server(security="none")
    smtp_env(server)
    folder = tmp_path / "demo"
    toml = smtp_sample(folder, server)
    cells = {c: {"Email": v} for c, v in BAD_EMAIL.items()}
    cells.update({c: {"CC": v} for c, v in {**BAD_CC, **GOOD_CC}.items()})
    set_cells(folder, cells)

    code, out, err = invoke("run", "--config", str(toml), "--today", TODAY, "--json")
    assert code == 0, err
    report = json.loads(out)
    debtors = {d["customer"]: d for d in report["debtors"]}

    recipients = [a for r in server.received for a in r.rcpt_tos]
    assert recipients and all(is_valid(a) for a in recipients)
    wire = b"".join(r.data for r in server.received)
    assert b"attacker" not in wire and b"calc" not in wire and b"new@x.co.il" not in wire
    for received in server.received:
        assert received.message["Bcc"] is None
        assert "attacker" not in str(received.message["Cc"] or "")

    for customer in BAD_EMAIL:  # on the call list, nothing sent, the reason in the sheet
        assert debtors[customer]["action"] == "manual", customer
        assert "no valid email address" in debtors[customer]["reason"], customer
        assert any("invalid email address" in s for s in sheet_statuses(folder)[customer])
    states = ledger_states(folder)
    assert set(states) == set(EXPECTED_SENDS) - set(BAD_EMAIL)
    assert set(states.values()) == {"sent"}

    by_customer = {
        r.message["To"].addresses[0].display_name: r for r in server.received if r.message["To"]
    }
    for customer in BAD_CC:
        assert by_customer[customer].message["Cc"] is None, customer
        assert len(by_customer[customer].rcpt_tos) == 1
    oakridge = by_customer["Oakridge Property Management"]
    assert oakridge.rcpt_tos[1:] == ["boss@oakridge.example", "books@oakridge.example"]
