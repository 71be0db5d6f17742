"""How things stand: `xlsdun report` (where the latest run's HTML report is) and
`xlsdun doctor` (everything an unattended run depends on, and what to fix)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .. import config as config_mod
from ..errors import EXIT_INPUT
from ..report import safe
from .app import Configs, common, err, main, terminal

if TYPE_CHECKING:
    from rich.console import Console

    from ..doctor import Check


@main.command()
@common(today=True, json=True, configs=Configs.MANY)
@click.option("--open", "open_", is_flag=True, help="Open the report in the browser.")
def report(
    config_path: list[str], today: date | None, as_json: bool, quiet: bool, open_: bool
) -> int:
    """Show the latest HTML report (or --today's) from the state folder."""
    found = [_report_of(path, today) for path in config_path]
    if as_json:
        click.echo(json.dumps({"reports": found}, indent=2))
    else:
        for item in found:
            _say_report(item, today, quiet)
    if open_:
        import webbrowser

        for item in found:
            if item["report"]:
                webbrowser.open(Path(item["report"]).resolve().as_uri())
    return 0 if all(item["report"] for item in found) else EXIT_INPUT


def _report_of(path: str, today: date | None) -> dict[str, str | None]:
    """The config and its report of `today` (default: the latest), None if there is none."""
    from ..digest import latest_report, report_path

    cfg = config_mod.load(path)
    page = report_path(cfg, today) if today else latest_report(cfg)
    return {"config": path, "report": str(page) if page is not None and page.exists() else None}


def _say_report(item: dict[str, str | None], today: date | None, quiet: bool) -> None:
    """The report's path on stdout, or on stderr why there is none."""
    if item["report"]:
        if not quiet:
            click.echo(item["report"])
    elif today:
        err(
            f"{item['config']}: no report for {today}; without --today, "
            f"'xlsdun report' shows the latest one."
        )
    else:
        err(f"{item['config']}: no report yet; 'xlsdun run' writes one after each run.")


@main.command()
@common(json=True, configs=Configs.MANY)
@click.option("--no-login", is_flag=True, help="Do not try the mail server login.")
def doctor(config_path: list[str], as_json: bool, quiet: bool, no_login: bool) -> int:
    """Check config, workbook, locks, templates, mail login, time zone and scheduler."""
    from ..doctor import FAIL, check_all

    checks = check_all(config_path, smtp_login=not no_login)
    failed = any(c.status == FAIL for c in checks)
    if as_json:
        click.echo(
            json.dumps(
                {"ok": not failed, "checks": [c.as_dict() for c in checks]},
                ensure_ascii=False,
                indent=2,
            )
        )
        return EXIT_INPUT if failed else 0
    _print_checks(checks, terminal(quiet), several=len(config_path) > 1)
    for c in checks:
        if c.status == FAIL and quiet:
            err(f"{c.config}: {c.name}: {c.message}")
    return EXIT_INPUT if failed else 0


def _print_checks(checks: list[Check], console: Console, *, several: bool) -> None:
    """A line per check (under a rule per config when there are several), its fix, a count."""
    from ..doctor import FAIL, WARN

    marks = {"ok": "[green]✓[/]", WARN: "[yellow]![/]", FAIL: "[bold red]✗[/]"}
    current = None
    for c in checks:
        if c.config != current and several:
            console.rule(safe(c.config))
        current = c.config
        console.print(f"{marks[c.status]} {safe(c.name)}: ", end="")
        console.print(c.message, markup=False, highlight=False)
        if c.fix and c.status != "ok":
            console.print(f"    [bold]fix:[/] {safe(c.fix)}", highlight=False)
    problems = sum(c.status == FAIL for c in checks)
    warnings = sum(c.status == WARN for c in checks)
    console.print(f"{problems} problem(s), {warnings} warning(s).")
