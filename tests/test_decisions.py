"""The owner's decisions as library calls (xlsdun.decisions), without the CLI: approving a
reminder that waits for them, settling one that may or may not have arrived."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from support.sample_setup import TODAY, ambiguous_sends
from xlsdun import config as config_mod
from xlsdun import decisions
from xlsdun.engine import make_plan
from xlsdun.errors import EXIT_INPUT, EXIT_LOCKED, RunError
from xlsdun.ledger import Ledger
from xlsdun.models import Action
from xlsdun.runlock import run_lock
from xlsdun.wiring import ledger_path

DAY = date.fromisoformat(TODAY)
MERIDIAN = "Meridian Print House"  # the sample's final notice, awaiting approval


def _action(customer: str, email: str | None = None, debtor: str | None = None) -> Action:
    return Action(
        debtor=debtor or f"email:{email or customer.lower()}",
        customer=customer,
        email=email,
        kind="send",
        reason="",
        tier="friendly",
    )


def _kind(cfg: config_mod.Config, customer: str) -> str:
    _, plan = make_plan(cfg, DAY)
    return next(a.kind for a in plan.actions if a.customer == customer)


# -- matching --------------------------------------------------------------------------------


def test_matching_prefers_an_exact_name_email_or_id_to_part_of_a_name() -> None:
    items = [
        _action("Acme", "ap@acme.example"),
        _action("Acme Holdings", "hq@acme.example"),
        _action("Zed", None, debtor="id:c-17"),
    ]
    assert decisions.matching(" acme ", items) == [items[0]]  # exact, any case
    assert decisions.matching("HQ@acme.example", items) == [items[1]]
    assert decisions.matching("c-17", items) == [items[2]]
    assert decisions.matching("hold", items) == [items[1]]  # part of a name
    assert decisions.matching("nobody", items) == []


def test_matching_refuses_an_empty_customer() -> None:
    with pytest.raises(RunError, match="say which customer") as error:
        decisions.matching("  ", [_action("Acme")])
    assert error.value.exit_code == EXIT_INPUT


# -- approve ---------------------------------------------------------------------------------


def test_approve_records_the_go_ahead_and_the_plan_sends_it(demo: Path) -> None:
    cfg = config_mod.load(demo / "xlsdun.toml")
    assert _kind(cfg, MERIDIAN) == "await_approval"
    done = decisions.approve(cfg, "meridian", DAY)
    assert done.approved is not None and done.earlier == ()
    assert (done.approved.customer, done.approved.tier) == (MERIDIAN, "final")
    assert _kind(cfg, MERIDIAN) == "send"


def test_approving_again_returns_the_earlier_approval(demo: Path) -> None:
    cfg = config_mod.load(demo / "xlsdun.toml")
    decisions.approve(cfg, MERIDIAN, DAY)
    again = decisions.approve(cfg, MERIDIAN, DAY)
    assert again.approved is None
    assert [(a.customer, a.kind, a.tier) for a in again.earlier] == [(MERIDIAN, "send", "final")]


@pytest.mark.parametrize(
    ("customer", "says"),
    [
        ("Nobody Ltd", "no customer of that name in the workbook"),
        ("Blue Cedar Catering", "found: Blue Cedar Catering (send)"),
        ("", "say which customer"),
    ],
)
def test_nothing_to_approve_is_refused_and_records_nothing(
    demo: Path, customer: str, says: str
) -> None:
    cfg = config_mod.load(demo / "xlsdun.toml")
    with pytest.raises(RunError, match="awaiting approval|say which") as error:
        decisions.approve(cfg, customer, DAY)
    assert says in str(error.value) and error.value.exit_code == EXIT_INPUT
    assert not ledger_path(cfg).exists()


def test_a_name_that_matches_several_customers_awaiting_approval_is_refused(demo: Path) -> None:
    toml = demo / "xlsdun.toml"
    toml.write_text(  # the direct tier needs approval too: three more customers wait
        toml.read_text("utf-8").replace(
            'id = "courtesy"\nenabled = true\n',
            'id = "courtesy"\nenabled = true\n\n[[policy.ladder]]\nid = "direct"\napprove = true\n',
        ),
        "utf-8",
    )
    cfg = config_mod.load(toml)
    with pytest.raises(RunError) as error:
        decisions.approve(cfg, "de", DAY)  # Harbor Light Dental Clinic, Fjord Design AB
    assert str(error.value) == (
        "'de' matches several customers awaiting approval: Fjord Design AB, Harbor Light "
        "Dental Clinic. Give the full name or email."
    )
    assert decisions.approve(cfg, "Fjord Design AB", DAY).approved is not None


# -- resolve ---------------------------------------------------------------------------------


def _states(cfg: config_mod.Config) -> dict[str, str]:
    with Ledger(ledger_path(cfg)) as ledger:
        return {r.customer: r.state for r in ledger.sends()}


@pytest.mark.parametrize(("arrived", "state"), [(True, "sent"), (False, "deferred")])
def test_resolve_settles_the_customers_send(demo: Path, arrived: bool, state: str) -> None:
    cfg = config_mod.load(demo / "xlsdun.toml")
    ambiguous_sends(cfg, "Acme Ltd", "Zed Corp")
    done = decisions.resolve(cfg, "acme.ltd@example.com", arrived=arrived)
    assert [r.customer for r in done.records] == ["Acme Ltd"]
    assert done.arrived is arrived and done.state == state
    assert _states(cfg) == {"Acme Ltd": state, "Zed Corp": "ambiguous"}
    with pytest.raises(RunError, match=r"'Acme' is waiting to be resolved; waiting: Zed Corp"):
        decisions.resolve(cfg, "Acme", arrived=arrived)


def test_resolve_without_a_ledger_says_nothing_was_sent(demo: Path) -> None:
    cfg = config_mod.load(demo / "xlsdun.toml")
    with pytest.raises(RunError, match="nothing has been sent yet") as error:
        decisions.resolve(cfg, "Acme", arrived=True)
    assert error.value.exit_code == EXIT_INPUT


def test_resolve_refuses_several_customers_and_changes_nothing(demo: Path) -> None:
    cfg = config_mod.load(demo / "xlsdun.toml")
    ambiguous_sends(cfg, "Acme Ltd", "Acme Holdings")
    with pytest.raises(RunError) as error:
        decisions.resolve(cfg, "acme", arrived=True)
    assert str(error.value) == (
        "'acme' matches several customers: Acme Holdings, Acme Ltd. Give the full name or email."
    )
    assert set(_states(cfg).values()) == {"ambiguous"}


def test_resolve_waits_for_no_run_it_finds_running(demo: Path) -> None:
    """A run holds the lock: the owner's answer is refused (exit 3), not applied under it."""
    cfg = config_mod.load(demo / "xlsdun.toml")
    ambiguous_sends(cfg, "Acme Ltd")
    with run_lock(cfg.state_dir), pytest.raises(RunError) as error:
        decisions.resolve(cfg, "Acme Ltd", arrived=True)
    assert error.value.exit_code == EXIT_LOCKED
    assert _states(cfg) == {"Acme Ltd": "ambiguous"}
