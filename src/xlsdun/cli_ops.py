"""The operations commands: `schedule`, `install-schedule`, `report`, `doctor`, and the
multi-config side of `run`. Registered on the `xlsdun` group when cli.py is imported."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from contextlib import nullcontext
from datetime import date
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from . import config as config_mod
from . import logs, multi
from .cli import EXIT_INPUT, RunError, _console, _err, common, main, many_configs
from .models import Delivery, RunReport
from .report import print_run, run_json, safe


def keep_globs(func: Callable[..., int]) -> Callable[..., int]:
    """Pass `--config` patterns through unexpanded: a trigger that keeps a glob picks up a
    new client folder without reinstalling."""
    func.xlsdun_keep_globs = True  # type: ignore[attr-defined]
    return func


def _day(today: str | None) -> date | None:
    return date.fromisoformat(today) if today else None


def _progress(enabled: bool) -> Progress | None:
    """A live line while sending, only on a terminal (never under cron or --json)."""
    if not enabled or not sys.stdout.isatty():
        return None
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed} done  {task.fields[last]}"),
        transient=True,
    )


def _progress_callback(progress: Progress | None, label: str) -> Any:
    if progress is None:
        return None
    task = progress.add_task(label, total=None, last="")

    def advance(d: Delivery) -> None:
        progress.update(task, advance=1, last=f"{d.action.customer}: {d.outcome}")

    return advance


def run_one_config(
    path: str, today: str | None, *, show_progress: bool, dry_run: bool, force: bool = False
) -> RunReport:
    """`xlsdun run` for one config: errors propagate to `common`, output stays as before."""
    progress = _progress(show_progress)
    try:
        with progress or nullcontext():
            result = multi.run_client(
                path,
                today=_day(today),
                dry_run=dry_run,
                on_delivery=_progress_callback(progress, "Sending"),
                reraise=True,
                force=force,
            )
        if not dry_run:
            multi.send_combined([result], _day(today))
    finally:
        logs.detach_all()
    assert result.report is not None
    return result.report


def run_many_configs(
    paths: list[str],
    today: str | None,
    *,
    as_json: bool,
    quiet: bool,
    dry_run: bool,
    force: bool = False,
) -> int:
    progress = _progress(not (as_json or quiet))
    callback: dict[str, Any] = {}

    def start(path: str) -> None:
        callback["f"] = _progress_callback(progress, Path(path).parent.name or path)

    def delivered(d: Delivery) -> None:
        if callback.get("f"):
            callback["f"](d)

    try:
        with progress or nullcontext():
            results = multi.run_many(
                paths,
                today=_day(today),
                dry_run=dry_run,
                on_start=start,
                on_delivery=delivered,
                force=force,
            )
    finally:
        logs.detach_all()
    code = multi.worst(r.exit_code for r in results)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "exit_code": code,
                    "clients": [
                        {
                            "config": r.path,
                            "name": r.name,
                            "exit_code": r.exit_code,
                            "error": r.error,
                            "run": run_json(r.report) if r.report else None,
                        }
                        for r in results
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    elif not quiet:  # quiet: nothing is built, only errors are printed (below)
        console = _console(quiet)
        for r in results:
            console.rule(f"{safe(r.name)} — {safe(r.path)}")
            if r.report is not None:
                print_run(r.report, console)
            else:
                console.print(f"[bold red]Not run:[/] {safe(r.error)}")
        console.print(_clients_table(results))
    for r in results:
        if r.error:
            _err(f"{r.path}: {r.error}")
        elif r.exit_code and r.report is not None:
            for note in r.report.notes:
                _err(f"{r.path}: {note}")
    return code


def _clients_table(results: list[multi.ClientResult]) -> Table:
    table = Table(title="Clients", title_justify="left")
    for col in ("Client", "Result", "Sent", "Failed", "Deferred", "Exit"):
        table.add_column(
            col, justify="right" if col in ("Sent", "Failed", "Deferred", "Exit") else "left"
        )
    for r in results:
        outcomes: dict[str, int] = {}
        for d in r.report.deliveries if r.report else []:
            if not d.earlier:
                outcomes[d.outcome] = outcomes.get(d.outcome, 0) + 1
        if r.error:
            result = f"[bold red]{safe(r.error[:70])}[/]"
        elif r.exit_code:
            notes = r.report.notes if r.report is not None else []
            result = f"[yellow]{safe((notes or ['see above'])[-1][:70])}[/]"
        else:
            result = "[green]ok[/]"
        sent = outcomes.get("sent", 0) + outcomes.get("written_to_outbox", 0)
        table.add_row(
            safe(r.name),
            result,
            str(sent),
            str(outcomes.get("failed", 0)),
            str(outcomes.get("deferred", 0)),
            str(r.exit_code),
        )
    return table


@main.command()
@common
@click.option(
    "--poll",
    "poll_seconds",
    default=60.0,
    hidden=True,
    help="Longest sleep between checks, in seconds.",
)
@many_configs
def schedule(
    config_path: list[str], today: str | None, as_json: bool, quiet: bool, poll_seconds: float
) -> int:
    """Stay running and do the daily batch at [schedule] time, catching up a missed day.

    Stop it with Ctrl-C or SIGTERM: a run in progress stops after its current send.
    An OS trigger (`xlsdun install-schedule`) is the sturdier choice; see the README.
    """
    from .scheduler import Daemon

    if today:
        raise RunError("schedule runs on the real date; --today is for 'run' and 'plan'")
    if not quiet:
        logs.to_stderr()
    try:
        daemon = Daemon(config_path, poll_seconds=poll_seconds)
        daemon.install_signal_handlers()
        return daemon.serve()
    finally:
        logs.detach_all()


@main.command("install-schedule")
@common
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
@keep_globs
def install_schedule(
    config_path: list[str],
    today: str | None,
    as_json: bool,
    quiet: bool,
    kind: str | None,
    out: str | None,
    name: str | None,
) -> int:
    """Write the files that make the OS start 'xlsdun run' daily, and say how to enable them."""
    from . import install

    kind = kind or install.default_kind()
    trigger = install.make_trigger(config_path, name)
    try:
        done = install.install(
            kind, trigger, Path(out) if out else None, _day(today), named=name is not None
        )
    except install.UnsafeTrigger as exc:
        raise RunError(str(exc)) from None
    trigger = done.trigger
    if as_json:
        click.echo(
            json.dumps(
                {
                    "kind": kind,
                    "files": [str(f) for f in done.files],
                    "steps": done.steps,
                    "warnings": done.warnings,
                },
                indent=2,
            )
        )
        return 0
    console = _console(quiet)
    console.print(
        f"Wrote the {kind} files for a daily run at "
        f"{trigger.at_hour:02d}:{trigger.at_minute:02d} ({trigger.timezone}):"
    )
    for f in done.files:
        console.print(f"  {f}", markup=False, highlight=False)
    console.print("To enable it:")
    for step in done.steps:
        console.print(f"  {step}", markup=False, highlight=False)
    for w in done.warnings:
        console.print(f"[yellow]Note:[/] {safe(w)}")
    return 0


@main.command()
@common
@click.option("--open", "open_", is_flag=True, help="Open the report in the browser.")
@many_configs
def report(
    config_path: list[str], today: str | None, as_json: bool, quiet: bool, open_: bool
) -> int:
    """Show the latest HTML report (or --today's) from the state folder."""
    from .digest import latest_report, report_path

    found: list[dict[str, str | None]] = []
    for path in config_path:
        cfg = config_mod.load(path)
        page = report_path(cfg, date.fromisoformat(today)) if today else latest_report(cfg)
        found.append(
            {"config": path, "report": str(page) if page is not None and page.exists() else None}
        )
    if as_json:
        click.echo(json.dumps({"reports": found}, indent=2))
    else:
        for item in found:
            if item["report"] and not quiet:
                click.echo(item["report"])
            elif not item["report"] and today:
                _err(
                    f"{item['config']}: no report for {today}; without --today, "
                    f"'xlsdun report' shows the latest one."
                )
            elif not item["report"]:
                _err(f"{item['config']}: no report yet; 'xlsdun run' writes one after each run.")
    if open_:
        import webbrowser

        for item in found:
            if item["report"]:
                webbrowser.open(Path(item["report"]).resolve().as_uri())
    return 0 if all(item["report"] for item in found) else EXIT_INPUT


@main.command()
@common
@click.option("--no-login", is_flag=True, help="Do not try the mail server login.")
@many_configs
def doctor(
    config_path: list[str], today: str | None, as_json: bool, quiet: bool, no_login: bool
) -> int:
    """Check config, workbook, locks, templates, mail login, time zone and scheduler."""
    from .doctor import FAIL, WARN, check_all

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
    console = _console(quiet)
    marks = {"ok": "[green]✓[/]", WARN: "[yellow]![/]", FAIL: "[bold red]✗[/]"}
    current = None
    for c in checks:
        if c.config != current and len(config_path) > 1:
            console.rule(safe(c.config))
        current = c.config
        console.print(f"{marks[c.status]} {safe(c.name)}: ", end="")
        console.print(c.message, markup=False, highlight=False)
        if c.fix and c.status != "ok":
            console.print(f"    [bold]fix:[/] {safe(c.fix)}", highlight=False)
    problems = sum(c.status == FAIL for c in checks)
    warnings = sum(c.status == WARN for c in checks)
    console.print(f"{problems} problem(s), {warnings} warning(s).")
    for c in checks:
        if c.status == FAIL and quiet:
            _err(f"{c.config}: {c.name}: {c.message}")
    return EXIT_INPUT if failed else 0
