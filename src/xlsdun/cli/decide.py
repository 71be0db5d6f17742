"""The owner's decisions about one customer: `xlsdun approve` and `xlsdun resolve`. What
they do is the library's (decisions.py); here they are parsed and printed."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import click

from .. import config as config_mod
from .. import decisions
from ..errors import RunError
from .app import common, main, today_in


@main.command()
@common(today=True)
@click.argument("customer")
def approve(config_path: str, today: date | None, quiet: bool, customer: str) -> int:
    """Approve the reminder awaiting approval for CUSTOMER (name, email or customer id)."""
    cfg = config_mod.load(config_path)
    done = decisions.approve(cfg, customer, today_in(cfg, today))
    if not quiet:
        for line in _approval_lines(done):
            click.echo(line)
    return 0


def _approval_lines(done: decisions.Approval) -> list[str]:
    if done.approved is not None:
        a = done.approved
        return [f"Approved: the {a.tier} reminder to {a.customer} goes out on the next run."]
    return [
        f"Already approved: the {a.tier} reminder to {a.customer} goes out "
        + ("on the next run" if a.kind == "send" else f"on {a.next_date}")
        + "."
        for a in done.earlier
    ]


@main.command()
@common(json=True)
@click.argument("customer")
@click.option(
    "--sent", is_flag=True, help="It arrived: record it as sent (it counts as a reminder)."
)
@click.option("--resend", is_flag=True, help="It did not arrive: the next run sends it again.")
@click.option(
    "--replied",
    is_flag=True,
    help="You have dealt with the customer's reply: reminders may go to them again.",
)
def resolve(
    config_path: str,
    as_json: bool,
    quiet: bool,
    customer: str,
    sent: bool,
    resend: bool,
    replied: bool,
) -> int:
    """Settle a reminder that may or may not have arrived (a send cut off by a crash or a
    dropped connection) for CUSTOMER (name, email or customer id); or, with --replied, say
    you have dealt with their reply."""
    if sent + resend + replied != 1:  # the owner must say one thing
        raise RunError(
            "say what happened: --sent (it arrived), --resend (send it again) or --replied "
            "(you have dealt with their reply)"
        )
    cfg = config_mod.load(config_path)
    if replied:
        handled = decisions.resolve_replied(cfg, customer)
        if as_json:
            click.echo(json.dumps(_replied_json(handled), ensure_ascii=False, indent=2))
        elif not quiet:
            click.echo(
                f"{handled.customer}: {handled.replies} reply(ies) marked handled; the next run "
                f"may remind them again."
            )
        return 0
    done = decisions.resolve(cfg, customer, arrived=sent)
    if as_json:
        click.echo(json.dumps(_resolution_json(done), ensure_ascii=False, indent=2))
    elif not quiet:
        what = "recorded as sent" if done.arrived else "will be sent again by the next run"
        for r in done.records:
            click.echo(f"{r.customer}: the {r.tier} reminder of {r.today.isoformat()} {what}.")
    return 0


def _replied_json(handled: decisions.RepliesHandled) -> dict[str, Any]:
    return {"replied": {"customer": handled.customer, "replies": handled.replies}}


def _resolution_json(done: decisions.Resolution) -> dict[str, Any]:
    return {
        "resolved": [
            {
                "customer": r.customer,
                "today": r.today.isoformat(),
                "tier": r.tier,
                "message_id": r.message_id,
                "state": done.state,
            }
            for r in done.records
        ]
    }
