"""The `xlsdun` command: a thin click layer over the Python API.

It parses options, calls the library, prints, and maps errors to the exit codes in
DESIGN.md. No traceback reaches the user unless --debug is given.
"""

from __future__ import annotations

import functools
import json
import shutil
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from . import __version__
from . import config as config_mod
from .engine import EXIT_FAILED, EXIT_INPUT, RunError, make_plan
from .errors import known_exit
from .report import plain, plan_json, print_plan, print_run, run_json, safe

STARTER_CONFIG = """\
# xlsdun configuration. Paths are relative to this file.
# Full reference: see the README ("Configuration").
state_dir = ".xlsdun"            # ledger, backups, logs (holds customer data: keep it private)
templates = "templates"          # your copies of the message templates (override the built-ins)

[workbook]
path = "receivables.xlsx"        # your receivables workbook (.xlsx or .xlsm)
# sheet = "Receivables"          # optional: found automatically
# header_row = 4                 # optional: found automatically

[columns]
# Map your own headers if xlsdun does not recognise them, e.g.:
# invoice = "Doc. no."

[sender]
name = "Your Name"
email = "accounts@example.com"
reply_to = "accounts@example.com"
business = "Your Business Ltd"
phone = ""
signature = "Your Name"
bank_details = ""
pay_link = ""

[locale]
language = "en"                  # "en" or "he": the default when a row has no Language
currency = "ILS"
country = "IL"                   # send days and public holidays
timezone = "Asia/Jerusalem"

[delivery]
backend = "outbox"               # "outbox" (files to read first), "smtp" or "gmail"
outbox_dir = "outbox"

[policy]
cadence_days = 7

[schedule]
time = "09:00"

[owner]
email = "owner@example.com"
"""


# Dates before 1900 are not invoice dates (the reader refuses them too); the far end leaves
# room for every date the plan computes from `today` (deadlines, next send days).
EARLIEST_TODAY, LATEST_TODAY = date(1900, 1, 1), date(2999, 12, 31)


def _console(quiet: bool) -> Console:
    return Console(quiet=quiet, soft_wrap=False, width=None if sys.stdout.isatty() else 140)


def _err(message: str) -> None:
    click.echo(f"xlsdun: error: {plain(message)}", err=True)


def _today(value: str | None, cfg: config_mod.Config | None) -> date:
    if value:
        return date.fromisoformat(value)
    if cfg is not None:
        return datetime.now(cfg.zone).date()
    return date.today()


def _parse_today(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-11-26") from None
    if not EARLIEST_TODAY <= day <= LATEST_TODAY:
        raise click.BadParameter(
            f"{value} is outside the dates xlsdun works with ({EARLIEST_TODAY.isoformat()} to "
            f"{LATEST_TODAY.isoformat()}); check the year."
        )
    return value


def many_configs(func: Callable[..., int]) -> Callable[..., int]:
    """Mark a command that takes several configs (`config_path` becomes a list of paths)."""
    func.xlsdun_many_configs = True  # type: ignore[attr-defined]
    return func


def _config_paths(func: Callable[..., int], given: tuple[str, ...]) -> str | list[str]:
    """Expand globs here (Windows shells don't); one path for single-config commands."""
    from .multi import expand

    if getattr(func, "xlsdun_keep_globs", False):
        return list(given or ("xlsdun.toml",))
    paths = expand(given or ("xlsdun.toml",))
    if getattr(func, "xlsdun_many_configs", False):
        return paths
    if len(paths) != 1:
        raise RunError(f"this command takes one config, got {len(paths)}: {', '.join(paths)}")
    return paths[0]


def common(func: Callable[..., int]) -> Callable[..., Any]:
    """The options every command takes, and the one place errors become exit codes."""

    @click.option(
        "--config",
        "config_path",
        multiple=True,
        default=("xlsdun.toml",),
        show_default=True,
        type=click.Path(dir_okay=False),
        help="The config file; repeat it, or give a quoted glob such as "
        "'clients/*/xlsdun.toml', to run several (run, schedule, doctor, report).",
    )
    @click.option(
        "--today",
        callback=_parse_today,
        metavar="YYYY-MM-DD",
        help="Run as of this date (default: today in the configured time zone).",
    )
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable summary on stdout.")
    @click.option("--quiet", is_flag=True, help="Print nothing but errors (for cron).")
    @click.option("--debug", is_flag=True, help="Show tracebacks.")
    @functools.wraps(func)
    def wrapper(*args: Any, debug: bool, **kwargs: Any) -> None:
        try:
            kwargs["config_path"] = _config_paths(func, kwargs["config_path"])
            code = func(*args, **kwargs)
        except Exception as exc:
            if debug:
                raise
            message, code = known_exit(exc) or (
                f"unexpected {type(exc).__name__}: {exc}. What was sent is recorded in the "
                f"ledger; run again with --debug for details and report it.",
                EXIT_FAILED,
            )
            _err(message)
        sys.exit(code or 0)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="xlsdun")
def main() -> None:
    """Collect overdue invoices straight from your Excel workbook."""


@main.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite an existing xlsdun.toml.")
def init(directory: str, force: bool) -> None:
    """Create a starter xlsdun.toml and a copy of the templates to customise."""
    from .render import BUILTIN_TEMPLATES, LANGUAGES

    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    cfg = target / "xlsdun.toml"
    if cfg.exists() and not force:
        _err(f"{cfg} already exists; use --force to overwrite it.")
        sys.exit(EXIT_INPUT)
    cfg.write_text(STARTER_CONFIG, encoding="utf-8")
    templates = target / "templates"
    copied = 0
    # The message templates only: the owner's digest is xlsdun's own report, not a message
    # to customise, and a copy of it would only go stale.
    sources = [p for language in LANGUAGES for p in (BUILTIN_TEMPLATES / language).glob("*.j2")]
    for src in sorted(sources):
        dest = templates / src.relative_to(BUILTIN_TEMPLATES)
        if dest.exists():
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        copied += 1
    click.echo(f"Wrote {cfg} and {copied} template(s) into {templates}/.")
    click.echo("Next: set [workbook] path and [sender] in xlsdun.toml, then run 'xlsdun check'.")


@main.command()
@common
def check(config_path: str, today: str | None, as_json: bool, quiet: bool) -> int:
    """Check the config, the workbook's columns and that every template renders."""
    from .wiring import load_receivables, make_renderer

    cfg = config_mod.load(config_path)
    receivables = load_receivables(cfg)
    renderer = make_renderer(cfg)
    info = receivables.sheet
    result = {
        "config": str(cfg.source),
        "workbook": str(cfg.workbook.path),
        "sheet": info.sheet if info else None,
        "header_row": info.header_row if info else None,
        "columns": {f: info.headers[i] for f, i in info.fields.items()} if info else {},
        "unmapped": list(info.unmapped.values()) if info else [],
        "invoices": len(receivables.invoices),
        "findings": [
            {"row": f.row, "field": f.field, "problem": f.problem} for f in receivables.findings
        ],
        "template_errors": renderer.check(),
        "unused_templates": [str(p) for p in renderer.unused_templates()],
        "placeholders": config_mod.placeholders(cfg),
    }
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        _print_check(_console(quiet), result)
    return EXIT_INPUT if result["template_errors"] else 0


def _print_check(console: Console, result: dict[str, Any]) -> None:
    """`check`'s result for people: what each column was read as, and what to fix."""
    console.print(f"Config: {safe(result['config'])} [green]ok[/]")
    for example in result["placeholders"]:
        console.print(
            f"  [yellow]still an example[/]: {safe(example)} (replace it with your own "
            f"before sending real mail)"
        )
    console.print(
        f"Workbook: {safe(result['workbook'])}, sheet '{safe(result['sheet'])}', header row "
        f"{result['header_row']}: {result['invoices']} invoice row(s)."
    )
    for field, header in result["columns"].items():
        console.print(f"  {field:<15} ← '{safe(header)}'")
    for header in result["unmapped"]:
        console.print(f"  {'not used':<15} ← '{safe(header)}'")
    if result["unmapped"]:
        console.print(
            "  (map a column you need in the \\[columns] table of the config, e.g. "
            'phone = "Mobile no.")'
        )
    for f in result["findings"]:
        console.print(f"  [yellow]row {f['row']}[/]: {safe(f['field'])}: {safe(f['problem'])}")
    for p in result["template_errors"]:
        _err(f"template: {p}")
    if not result["template_errors"]:
        console.print("Templates: every tier renders in every language [green]ok[/]")
    unused = result["unused_templates"]
    if unused:
        console.print(
            f"Note: {len(unused)} file(s) in your template folder are never used (only "
            f"'en/' and 'he/' replace built-in messages; the owner digest is built in), "
            f"e.g. {safe(unused[0])}. You can delete them."
        )


@main.command("plan")
@common
def plan_cmd(config_path: str, today: str | None, as_json: bool, quiet: bool) -> int:
    """Show who would get what today. Sends nothing, writes nothing."""
    cfg = config_mod.load(config_path)
    _, plan = make_plan(cfg, _today(today, cfg))
    if as_json:
        click.echo(json.dumps(plan_json(plan), ensure_ascii=False, indent=2))
    elif not quiet:
        print_plan(plan, _console(quiet))
    return 0


@main.command()
@common
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
@many_configs
def run(
    config_path: list[str],
    today: str | None,
    as_json: bool,
    quiet: bool,
    dry_run: bool,
    force: bool,
) -> int:
    """The daily batch: send today's reminders and write the outcomes into the workbook.

    With several configs (a bookkeeper's clients) each runs in turn; one client's failure
    does not stop the others, and the exit code is the worst of them.
    """
    from .cli_ops import run_many_configs, run_one_config

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
        print_run(report, _console(quiet))
    if report.exit_code and quiet:
        for note in report.notes:
            _err(note)
    return report.exit_code


@main.command()
@common
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
    today: str | None,
    as_json: bool,
    quiet: bool,
    all_tiers: bool,
    out: str | None,
    open_: bool,
) -> int:
    """Render today's messages (or every tier) into an index.html gallery. Sends nothing."""
    from .engine import check_templates
    from .preview import all_tier_actions, write_gallery
    from .wiring import make_renderer, preview_folder

    cfg = config_mod.load(config_path)
    day = _today(today, cfg)
    renderer = make_renderer(cfg)
    check_templates(renderer)
    note = ""
    if all_tiers:
        actions = all_tier_actions(day, cfg.policy)
        charged = any(a.fees for a in actions)
        note = (
            "Sample debtors, not from your workbook: every tier in every language. Late fees "
            "and interest appear as your [policy] charges them"
            + ("." if charged else ": none are configured, so none are shown.")
        )
    else:
        _, plan = make_plan(cfg, day)
        actions = [
            a for a in plan.actions if a.kind in ("send", "await_approval", "defer") and a.email
        ]
    folder = Path(out) if out else preview_folder(cfg, day)
    index = write_gallery(renderer, actions, folder, day, datetime.now(cfg.zone), note)
    if as_json:
        click.echo(json.dumps({"index": str(index), "messages": len(actions)}))
    elif not quiet:
        click.echo(f"{len(actions)} message(s) rendered. Gallery: {index}")
    if open_:
        import webbrowser

        webbrowser.open(index.resolve().as_uri())
    return 0


def _matching(customer: str, items: list[Any] | tuple[Any, ...]) -> list[Any]:
    """Actions or send records for CUSTOMER: exact name, email or customer id, else part of
    the name."""
    wanted = customer.strip().casefold()
    if not wanted:  # "" is part of every name
        raise RunError("say which customer: their name, email address or customer ID")
    exact = [
        x
        for x in items
        if wanted in (x.customer.casefold(), (x.email or "").casefold())
        or x.debtor.split(":", 1)[-1] == wanted
    ]
    return exact or [x for x in items if wanted in x.customer.casefold()]


def _needs_approval(cfg: config_mod.Config, action: Any) -> bool:
    try:
        return bool(action.tier) and cfg.policy.tier(action.tier).approve
    except KeyError:
        return False


@main.command()
@common
@click.argument("customer")
def approve(config_path: str, today: str | None, as_json: bool, quiet: bool, customer: str) -> int:
    """Approve the reminder awaiting approval for CUSTOMER (name, email or customer id)."""
    from .ledger import Ledger
    from .wiring import ledger_path

    cfg = config_mod.load(config_path)
    day = _today(today, cfg)
    _, plan = make_plan(cfg, day)
    matches = _matching(customer, plan.actions)
    waiting = [a for a in matches if a.kind == "await_approval"]
    if len({a.debtor for a in waiting}) > 1:
        names = ", ".join(sorted(a.customer for a in waiting))
        raise RunError(
            f"'{customer}' matches several customers awaiting approval: {names}. "
            f"Give the full name or email."
        )
    approved = [a for a in matches if a.kind in ("send", "defer") and _needs_approval(cfg, a)]
    if not waiting and approved:
        if not quiet:
            for a in approved:
                when = "on the next run" if a.kind == "send" else f"on {a.next_date}"
                click.echo(
                    f"Already approved: the {a.tier} reminder to {a.customer} goes out {when}."
                )
        return 0
    if not waiting:
        found = ", ".join(f"{a.customer} ({a.kind.replace('_', ' ')})" for a in matches)
        raise RunError(
            f"no reminder for '{customer}' is awaiting approval today"
            + (f"; found: {found}" if found else "; no customer of that name in the workbook")
        )
    action = waiting[0]
    with Ledger(ledger_path(cfg)) as ledger:
        ledger.approve(action.debtor, action.tier, action.invoice_ids)
    if not quiet:
        click.echo(
            f"Approved: the {action.tier} reminder to {action.customer} goes out on the next run."
        )
    return 0


@main.command()
@common
@click.argument("customer")
@click.option(
    "--sent",
    "answer",
    flag_value="sent",
    help="It arrived: record it as sent (it counts as a reminder).",
)
@click.option(
    "--resend",
    "answer",
    flag_value="resend",
    help="It did not arrive: the next run sends it again.",
)
def resolve(
    config_path: str,
    today: str | None,
    as_json: bool,
    quiet: bool,
    customer: str,
    answer: str | None,
) -> int:
    """Settle a reminder that may or may not have arrived (a send cut off by a crash or a
    dropped connection) for CUSTOMER (name, email or customer id)."""
    from .ledger import Ledger
    from .wiring import ledger_path, run_lock

    if answer is None:
        raise RunError("say what happened: --sent (it arrived) or --resend (send it again)")
    cfg = config_mod.load(config_path)
    if not ledger_path(cfg).exists():
        raise RunError(f"no ledger in {cfg.state_dir}: nothing has been sent yet")
    with run_lock(cfg.state_dir), Ledger(ledger_path(cfg)) as ledger:
        waiting = ledger.sends(states=("ambiguous",))
        matches = _matching(customer, waiting)
        if len({r.debtor for r in matches}) > 1:
            names = ", ".join(sorted({r.customer for r in matches}))
            raise RunError(
                f"'{customer}' matches several customers: {names}. Give the full name or email."
            )
        if not matches:
            names = ", ".join(sorted({r.customer for r in waiting})) or "none"
            raise RunError(
                f"no reminder to '{customer}' is waiting to be resolved; waiting: {names}"
            )
        done = [r for r in matches if ledger.resolve_ambiguous(r.id, arrived=answer == "sent")]
    if as_json:
        click.echo(
            json.dumps(
                {
                    "resolved": [
                        {
                            "customer": r.customer,
                            "today": r.today.isoformat(),
                            "tier": r.tier,
                            "message_id": r.message_id,
                            "state": "sent" if answer == "sent" else "deferred",
                        }
                        for r in done
                    ]
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    elif not quiet:
        for r in done:
            what = "recorded as sent" if answer == "sent" else "will be sent again by the next run"
            click.echo(f"{r.customer}: the {r.tier} reminder of {r.today.isoformat()} {what}.")
    return 0


from . import cli_ops  # noqa: E402,F401  (registers the operations commands)

if __name__ == "__main__":  # pragma: no cover
    main()
