"""A bookkeeper's batch: several workbooks, one locked, one with a broken config."""

from __future__ import annotations

import email
import email.policy
import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from support.sample_setup import SAMPLE, TODAY
from xlsdun.cli import main
from xlsdun.multi import expand


def make_clients(root: Path, digest: str) -> Path:
    """clients/a normal, clients/b open in Excel, clients/c with a config error."""
    for name, business in (("a", "Alpha Ltd"), ("b", "Beta Ltd"), ("c", "Gamma Ltd")):
        folder = root / "clients" / name
        folder.mkdir(parents=True)
        shutil.copy(SAMPLE / "receivables.xlsx", folder / "receivables.xlsx")
        text = (SAMPLE / "xlsdun.toml").read_text(encoding="utf-8")
        text = text.replace('business = "Dahan Home Services Ltd"', f'business = "{business}"')
        text = text.replace(
            'email = "owner@example.co.il"', f'email = "books@example.com"\ndigest = "{digest}"'
        )
        (folder / "xlsdun.toml").write_text(text, encoding="utf-8")
    (root / "clients" / "b" / "~$receivables.xlsx").write_bytes(b"owner file")
    bad = root / "clients" / "c" / "xlsdun.toml"
    bad.write_text(
        bad.read_text(encoding="utf-8").replace("cadence_days = 7", 'cadence_days = "weekly"'),
        encoding="utf-8",
    )
    return root / "clients"


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_one_failing_client_does_not_stop_the_others(tmp_path: Path) -> None:
    clients = make_clients(tmp_path, "combined")
    result = invoke(
        "run", "--config", str(clients / "*" / "xlsdun.toml"), "--today", TODAY, "--json"
    )
    data = json.loads(result.stdout)
    by = {Path(c["config"]).parent.name: c for c in data["clients"]}
    assert result.exit_code == 3 == data["exit_code"]  # the worst of 0, 3 and 2

    assert by["a"]["exit_code"] == 0 and by["a"]["error"] is None
    sent_a = [d for d in by["a"]["run"]["debtors"] if d["outcome"] == "written_to_outbox"]
    assert len(sent_a) == 14
    assert by["b"]["exit_code"] == 3  # sent, but the workbook waits for Excel to close
    assert any("open in Microsoft Excel" in n for n in by["b"]["run"]["notes"])
    assert by["c"]["exit_code"] == 2 and by["c"]["run"] is None
    assert "cadence_days" in by["c"]["error"]
    assert "cadence_days" in result.stderr  # cron mails stderr: the failure reaches someone

    # One combined digest, in the first client's outbox, saying what happened to each.
    assert not list((clients / "a" / "outbox").glob("digest-2*.eml"))
    msg = email.message_from_bytes(
        (clients / "a" / "outbox" / f"digest-combined-{TODAY}.eml").read_bytes(),
        policy=email.policy.default,
    )
    assert msg["To"] == "books@example.com"
    assert "3 clients" in msg["Subject"] and "2 problems" in msg["Subject"]
    text = msg.get_body(("plain",)).get_content()
    overview = text.split("CLIENTS")[1].split("=====")[0]
    assert "Alpha Ltd: ok; sent 14" in overview
    assert "Beta Ltd: workbook not updated (open elsewhere); sent 14" in overview
    assert "c: run failed" in overview and "cadence_days" in overview
    html = msg.get_body(("html",)).get_content()
    assert html.count('data-section="calls"') == 3 and 'data-section="error"' in html


def test_per_client_digests_and_a_summary_table(tmp_path: Path) -> None:
    clients = make_clients(tmp_path, "per_client")
    result = invoke(
        "run",
        "--config",
        str(clients / "a" / "xlsdun.toml"),
        "--config",
        str(clients / "b" / "xlsdun.toml"),
        "--config",
        str(clients / "c" / "xlsdun.toml"),
        "--today",
        TODAY,
    )
    assert result.exit_code == 3
    assert "Clients" in result.stdout and "Alpha Ltd" in result.stdout
    assert (clients / "a" / "outbox" / f"digest-{TODAY}.eml").exists()
    beta = email.message_from_bytes(
        (clients / "b" / "outbox" / f"digest-{TODAY}.eml").read_bytes(), policy=email.policy.default
    )
    assert "1 problem" in beta["Subject"]
    assert not list(clients.rglob("digest-combined-*"))
    for name in ("a", "b"):  # each client keeps its own ledger, log and report
        state = clients / name / ".xlsdun"
        assert (state / "ledger.sqlite3").exists() and (
            state / "reports" / f"{TODAY}.html"
        ).exists()
        log = (state / "logs" / "xlsdun.log").read_text(encoding="utf-8")
        other = "b" if name == "a" else "a"
        assert f"client={name} " in log and f"client={other} " not in log


def test_expand_keeps_order_dedupes_and_keeps_unmatched_patterns(tmp_path: Path) -> None:
    for name in ("b", "a"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "xlsdun.toml").write_text("", encoding="utf-8")
    pattern = str(tmp_path / "*" / "xlsdun.toml")
    missing = str(tmp_path / "nope" / "*.toml")
    assert expand([pattern, str(tmp_path / "a" / "xlsdun.toml"), missing]) == [
        str(tmp_path / "a" / "xlsdun.toml"),
        str(tmp_path / "b" / "xlsdun.toml"),
        missing,
    ]


def test_single_config_commands_refuse_several(tmp_path: Path) -> None:
    clients = make_clients(tmp_path, "per_client")
    result = invoke("plan", "--config", str(clients / "*" / "xlsdun.toml"), "--today", TODAY)
    assert result.exit_code == 2 and "takes one config" in result.stderr


def test_combined_digests_group_by_owner_and_skip_quiet_batches(tmp_path: Path) -> None:
    from dataclasses import replace
    from datetime import date

    from support.sample_setup import copy_sample
    from xlsdun import config as config_mod
    from xlsdun.models import Plan, RunReport
    from xlsdun.multi import ClientResult, _combined_groups, _worth_telling

    cfg = config_mod.load(copy_sample(tmp_path))

    def client(name: str, owner: str | None, digest: str = "combined") -> ClientResult:
        return ClientResult(
            f"{name}/xlsdun.toml", replace(cfg, owner_email=owner, owner_digest=digest)
        )

    a, b = client("a", "Books@Example.com"), client("b", "books@example.com")
    c, d = client("c", "other@example.com"), client("d", "books@example.com", "per_client")
    e, broken = client("e", None), ClientResult("f/xlsdun.toml", error="bad config")
    assert _combined_groups([a, b, c, d, e, broken]) == [[a, b], [c]]

    day = date(2026, 11, 26)
    quiet = RunReport(today=day, run_id="r", plan=Plan(day, ()))
    assert not _worth_telling(ClientResult("q", cfg, report=quiet))
    assert _worth_telling(ClientResult("p", cfg, report=replace(quiet, exit_code=3)))
    assert _worth_telling(broken)
