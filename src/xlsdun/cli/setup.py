"""Setting up: `xlsdun init` writes a starter config and the templates to customise, and
`xlsdun check` says what xlsdun reads in the config, the workbook and the templates."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from .. import config as config_mod
from ..errors import EXIT_INPUT
from ..report import safe
from .app import common, err, main, terminal

STARTER_CONFIG = """\
# xlsdun configuration. Paths are relative to this file.
# Full reference: see the README ("Configuration").
state_dir = ".xlsdun"            # ledger, backups, logs (holds customer data: keep it private)
templates = "templates"          # your copies of the message templates (override the built-ins)

[workbook]
path = "receivables.xlsx"        # your receivables workbook (.xlsx or .xlsm), or a .csv export
# sheet = "Receivables"          # optional: found automatically
# header_row = 4                 # optional: found automatically
# encoding = "windows-1255"      # a .csv export from Hebrew Windows (default: UTF-8)

[columns]
# Map your own headers if xlsdun does not recognise them, e.g.:
# invoice = "Doc. no."

[sender]
name = "Your Name"
email = "accounts@example.com"
reply_to = "accounts@example.com"
business = "Your Business Ltd"
phone = ""
signature = ""                   # a line under your name, e.g. office hours
bank_details = ""
pay_link = ""
# iban = ""                      # for customers who owe in another currency (with swift)
# swift = ""

# [sender.he]                    # the same keys for messages in Hebrew (the rest: [sender])
# name = "השם שלך"
# business = "שם העסק בע״מ"
# signature = "הנהלת חשבונות: ימים א׳–ה׳, 9:00–16:00"
# bank_details = "בנק …, סניף …, חשבון …"

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
# language = "he"                # the digest, report and sheet statuses (default: [locale])

# The columns (and the log sheet) xlsdun adds to your workbook, if you want them named in
# Hebrew. Decide before the first run: xlsdun finds its columns by these names.
# [owned_columns]
# status = "סטטוס תזכורת"
# last = "תזכורת אחרונה"
# level = "שלב תזכורת"
# count = "מספר תזכורות"
# next = "תזכורת הבאה"
# log_sheet = "יומן תזכורות"
"""


@main.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite an existing xlsdun.toml.")
def init(directory: str, force: bool) -> None:
    """Create a starter xlsdun.toml and a copy of the templates to customise."""
    from ..render import BUILTIN_TEMPLATES, LANGUAGES

    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    cfg = target / "xlsdun.toml"
    if cfg.exists() and not force:
        err(f"{cfg} already exists; use --force to overwrite it.")
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
@common(json=True)
def check(config_path: str, as_json: bool, quiet: bool) -> int:
    """Check the config, the workbook's columns and that every template renders."""
    cfg = config_mod.load(config_path)
    result = _check(cfg)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        _print_check(terminal(quiet), result)
    return EXIT_INPUT if result["template_errors"] else 0


def _check(cfg: config_mod.Config) -> dict[str, Any]:
    """What `check` found, as its JSON says it: the sheet and its columns, the rows with a
    problem, the templates, and the example values still in the config."""
    from ..wiring import load_receivables, make_renderer

    receivables = load_receivables(cfg)
    renderer = make_renderer(cfg)
    info = receivables.sheet
    return {
        "config": str(cfg.source),
        "workbook": str(cfg.workbook.path),
        "sheet": info.sheet if info else None,
        "header_row": info.header_row if info else None,
        "columns": {f: info.headers[i] for f, i in info.fields.items()} if info else {},
        "unmapped": list(info.unmapped.values()) if info else [],
        "layout": list(info.layout) if info else [],
        "ignored": {kind: list(rows) for kind, rows in info.ignored.items()} if info else {},
        "invoices": len(receivables.invoices),
        "findings": [
            {"row": f.row, "field": f.field, "problem": f.problem} for f in receivables.findings
        ],
        "template_errors": renderer.check(),
        "unused_templates": [str(p) for p in renderer.unused_templates()],
        "placeholders": config_mod.placeholders(cfg),
    }


def _print_layout(console: Console, result: dict[str, Any]) -> None:
    """An accounting report's layout as recognised, and the rows left out as no invoice:
    counted and named, so the owner sees them, but nothing to fix."""
    for note in result["layout"]:
        console.print(f"  layout: {safe(note)}")
    for kind, rows in result["ignored"].items():
        shown_rows = ", ".join(map(str, rows[:8])) + (", …" if len(rows) > 8 else "")
        console.print(f"  ignored: {len(rows)} {safe(kind)} row(s) (row {shown_rows})")


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
    _print_layout(console, result)
    for f in result["findings"]:
        console.print(f"  [yellow]row {f['row']}[/]: {safe(f['field'])}: {safe(f['problem'])}")
    for p in result["template_errors"]:
        err(f"template: {p}")
    if not result["template_errors"]:
        console.print("Templates: every tier renders in every language [green]ok[/]")
    unused = result["unused_templates"]
    if unused:
        console.print(
            f"Note: {len(unused)} file(s) in your template folder are never used (only "
            f"'en/' and 'he/' replace built-in messages; the owner digest is built in), "
            f"e.g. {safe(unused[0])}. You can delete them."
        )
