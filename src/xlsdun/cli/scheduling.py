"""Running every day: `xlsdun schedule` stays running and does the batch itself;
`xlsdun install-schedule` writes the files that make the operating system start it."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .. import logs
from ..report import safe
from .app import Configs, common, main, terminal

if TYPE_CHECKING:
    from rich.console import Console

    from .. import install


@main.command()
@common(configs=Configs.MANY)
@click.option(
    "--poll",
    "poll_seconds",
    default=60.0,
    hidden=True,
    help="Longest sleep between checks, in seconds.",
)
def schedule(config_path: list[str], quiet: bool, poll_seconds: float) -> int:
    """Stay running and do the daily batch at [schedule] time, catching up a missed day.

    Stop it with Ctrl-C or SIGTERM: a run in progress stops after its current send.
    An OS trigger (`xlsdun install-schedule`) is the sturdier choice; see the README.
    """
    from ..scheduler import Daemon

    if not quiet:
        logs.to_stderr()
    try:
        daemon = Daemon(config_path, poll_seconds=poll_seconds)
        daemon.install_signal_handlers()
        return daemon.serve()
    finally:
        logs.detach_all()


@main.command("install-schedule")
@common(today=True, json=True, configs=Configs.PATTERNS)
@click.option("--systemd", "kind", flag_value="systemd", help="A systemd user timer (Linux).")
@click.option("--cron", "kind", flag_value="cron", help="A crontab line (Linux, macOS).")
@click.option("--windows", "kind", flag_value="windows", help="A Task Scheduler task (XML).")
@click.option("--launchd", "kind", flag_value="launchd", help="A launchd agent (macOS).")
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="Where to write the files (default: where the system looks for them).",
)
@click.option("--name", help="Name of the unit/task (default: xlsdun-<folder>).")
def install_schedule(
    config_path: list[str],
    today: date | None,
    as_json: bool,
    quiet: bool,
    kind: str | None,
    out: str | None,
    name: str | None,
) -> int:
    """Write the files that make the OS start 'xlsdun run' daily, and say how to enable them."""
    from .. import install

    kind = kind or install.default_kind()
    trigger = install.make_trigger(config_path, name)
    done = install.install(kind, trigger, Path(out) if out else None, today, named=name is not None)
    if as_json:
        click.echo(json.dumps(_installed_json(done), indent=2))
    else:
        _print_installed(done, terminal(quiet))
    return 0


def _installed_json(done: install.Installed) -> dict[str, object]:
    return {
        "kind": done.kind,
        "files": [str(f) for f in done.files],
        "steps": done.steps,
        "warnings": done.warnings,
    }


def _print_installed(done: install.Installed, console: Console) -> None:
    """What was written, the commands that switch it on, and what to know about it."""
    trigger = done.trigger
    console.print(
        f"Wrote the {done.kind} files for a daily run at "
        f"{trigger.at_hour:02d}:{trigger.at_minute:02d} ({trigger.timezone}):"
    )
    for f in done.files:
        console.print(f"  {f}", markup=False, highlight=False)
    console.print("To enable it:")
    for step in done.steps:
        console.print(f"  {step}", markup=False, highlight=False)
    for w in done.warnings:
        console.print(f"[yellow]Note:[/] {safe(w)}")
