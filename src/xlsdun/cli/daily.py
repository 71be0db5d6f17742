"""The daily work: `xlsdun plan` (who would get what), `xlsdun preview` (the messages, as a
gallery) and `xlsdun run` (the batch itself, for one config or a bookkeeper's several)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from contextlib import nullcontext
from datetime import date, datetime
from pathlib import Path

import click
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

from .. import config as config_mod
from .. import logs, multi
from ..engine import make_plan
from ..models import Action, Delivery, RunReport
from ..report import clients_json, plan_json, print_clients, print_plan, print_run, run_json
from .app import Configs, common, err, main, terminal, today_in


@main.command("plan")
@common(today=True, json=True)
@click.option(
    "--csv",
    "csv_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the plan to this CSV file (UTF-8, opens in Excel), one row per debtor.",
)
@click.option(
    "--xlsx",
    "xlsx_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the plan to this new .xlsx file, with a filter on its header row.",
)
def plan_cmd(
    config_path: str,
    today: date | None,
    as_json: bool,
    quiet: bool,
    csv_file: Path | None,
    xlsx_file: Path | None,
) -> int:
    """Show who would get what today. Sends nothing; writes only the files asked for."""
    from ..planfile import Kind, refuse_own_file, write_plan

    cfg = config_mod.load(config_path)
    files: dict[Kind, Path | None] = {"csv": csv_file, "xlsx": xlsx_file}
    for kind, target in files.items():
        if target is not None:  # before the workbook is read: a refusal costs nothing
            refuse_own_file(target, cfg, "--" + kind)
    _, plan = make_plan(cfg, today_in(cfg, today))
    written = [
        write_plan(plan.to_frame(), target, kind, cfg)
        for kind, target in files.items()
        if target is not None
    ]
    if as_json:
        click.echo(json.dumps(plan_json(plan), ensure_ascii=False, indent=2))
    elif not quiet:
        print_plan(plan, terminal(quiet))
        for path in written:
            click.echo(f"Plan written to {path}")
    return 0


@main.command()
@common(today=True, json=True)
@click.option(
    "--all-tiers",
    is_flag=True,
    help="Every tier and variant in every language, for a sample debtor.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="Folder for the gallery (default: STATE_DIR/preview/DATE).",
)
@click.option("--open", "open_", is_flag=True, help="Open the gallery in the browser.")
def preview(
    config_path: str,
    today: date | None,
    as_json: bool,
    quiet: bool,
    all_tiers: bool,
    out: str | None,
    open_: bool,
) -> int:
    """Render today's messages (or every tier) into an index.html gallery. Sends nothing."""
    from ..owner_words import words
    from ..preflight import check_templates
    from ..preview import write_gallery
    from ..wiring import make_renderer, preview_folder

    cfg = config_mod.load(config_path)
    day = today_in(cfg, today)
    renderer = make_renderer(cfg)
    check_templates(renderer)
    actions, note = _gallery(cfg, day, all_tiers)
    folder = Path(out) if out else preview_folder(cfg, day)
    w = words(cfg.owner_language, cfg.locale.country)
    index = write_gallery(renderer, actions, folder, day, datetime.now(cfg.zone), note, w)
    if as_json:
        click.echo(json.dumps({"index": str(index), "messages": len(actions)}))
    elif not quiet:
        click.echo(f"{len(actions)} message(s) rendered. Gallery: {index}")
    if open_:
        import webbrowser

        webbrowser.open(index.resolve().as_uri())
    return 0


def _gallery(cfg: config_mod.Config, day: date, all_tiers: bool) -> tuple[list[Action], str]:
    """The messages a preview shows, and the note above them (a key of the owner's catalog, or
    ""): today's (every message the plan would send or holds back), or a sample debtor at
    every tier."""
    from ..preview import all_tier_actions

    if not all_tiers:
        _, plan = make_plan(cfg, day)
        kinds = ("send", "await_approval", "defer")
        return [a for a in plan.actions if a.kind in kinds and a.email], ""
    actions = all_tier_actions(day, cfg.policy)
    charged = any(a.fees for a in actions)
    return actions, "gallery.sample.charged" if charged else "gallery.sample.none"


@main.command()
@common(today=True, json=True, configs=Configs.MANY)
@click.option(
    "--force",
    is_flag=True,
    help="Run even though --today is ahead of the clock or before the last run.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Render today's messages into the preview folder; send and record nothing.",
)
def run(
    config_path: list[str],
    today: date | None,
    as_json: bool,
    quiet: bool,
    dry_run: bool,
    force: bool,
) -> int:
    """The daily batch: send today's reminders and write the outcomes into the workbook.

    With several configs (a bookkeeper's clients) each runs in turn; one client's failure
    does not stop the others, and the exit code is the worst of them.
    """
    if len(config_path) > 1:
        return run_many_configs(
            config_path, today, as_json=as_json, quiet=quiet, dry_run=dry_run, force=force
        )
    report = run_one_config(
        config_path[0], today, show_progress=not (as_json or quiet), dry_run=dry_run, force=force
    )
    if as_json:
        click.echo(json.dumps(run_json(report), ensure_ascii=False, indent=2))
    elif not quiet:  # the installed schedules run --quiet: build no table nobody reads
        print_run(report, terminal(quiet))
    if report.exit_code and quiet:
        for note in report.notes:
            err(note)
    return report.exit_code


def run_one_config(
    path: str, today: date | None, *, show_progress: bool, dry_run: bool, force: bool = False
) -> RunReport:
    """`xlsdun run` for one config: errors propagate to `common`, output stays as before."""
    progress = _progress(show_progress)
    try:
        with progress or nullcontext():
            result = multi.run_client(
                path,
                today=today,
                dry_run=dry_run,
                on_delivery=_progress_callback(progress, "Sending"),
                reraise=True,
                force=force,
            )
        if not dry_run:
            multi.send_combined([result], today)
    finally:
        logs.detach_all()
    assert result.report is not None
    return result.report


def run_many_configs(
    paths: list[str],
    today: date | None,
    *,
    as_json: bool,
    quiet: bool,
    dry_run: bool,
    force: bool = False,
) -> int:
    """`xlsdun run` for several configs: each client in turn, a table (or JSON) of them all,
    and every client's errors on stderr, --quiet or not. The exit code is the worst."""
    results = _run_clients(
        paths, today, show_progress=not (as_json or quiet), dry_run=dry_run, force=force
    )
    code = multi.worst(r.exit_code for r in results)
    if as_json:
        click.echo(json.dumps(clients_json(results, code), ensure_ascii=False, indent=2))
    elif not quiet:  # quiet: nothing is built, only errors are printed (below)
        print_clients(results, terminal(quiet))
    for r in results:
        if r.error:
            err(f"{r.path}: {r.error}")
        elif r.exit_code and r.report is not None:
            for note in r.report.notes:
                err(f"{r.path}: {note}")
    return code


def _run_clients(
    paths: list[str], today: date | None, *, show_progress: bool, dry_run: bool, force: bool
) -> list[multi.ClientResult]:
    progress = _progress(show_progress)
    lines = _ClientProgress(progress)
    try:
        with progress or nullcontext():
            return multi.run_many(
                paths,
                today=today,
                dry_run=dry_run,
                on_start=lines.start,
                on_delivery=lines.delivered,
                force=force,
            )
    finally:
        logs.detach_all()


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


def _progress_callback(progress: Progress | None, label: str) -> Callable[[Delivery], None] | None:
    """A new progress line named `label`, and the function that advances it per send."""
    if progress is None:
        return None
    task = progress.add_task(label, total=None, last="")

    def advance(d: Delivery) -> None:
        progress.update(task, advance=1, last=f"{d.action.customer}: {d.outcome}")

    return advance


class _ClientProgress:
    """A progress line per client, begun as each client's run starts."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.advance: Callable[[Delivery], None] | None = None

    def start(self, path: str) -> None:
        self.advance = _progress_callback(self.progress, Path(path).parent.name or path)

    def delivered(self, d: Delivery) -> None:
        if self.advance:
            self.advance(d)
