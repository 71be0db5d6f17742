"""What stops a run before anything is sent (exit 2): each check names what it protects and
tells the owner how to fix it. Nothing here writes, sends or leaves a file behind.
"""

from __future__ import annotations

import os
from contextlib import suppress
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Config, placeholders
from .errors import RunError
from .ledger import Ledger
from .models import Receivables

if TYPE_CHECKING:
    from .render import Renderer


def check_sender(config: Config) -> None:
    """Real mail never goes out signed "Your Name" from an example address (`xlsdun init`'s
    placeholders); the outbox, which sends nothing, lets a new user try it first."""
    unset = placeholders(config) if config.delivery.backend != "outbox" else []
    if unset:
        raise RunError(
            f"{config.source} still has example values, so nothing was sent: {'; '.join(unset)}. "
            f"Replace them with your own name, business and email addresses ('xlsdun check' lists "
            f"them), then run again."
        )


def check_folders(config: Config, *, dry_run: bool = False) -> None:
    """The folders a run writes into can be used (exit 2 naming the key) before anything is
    read or sent: a `state_dir` or `outbox_dir` that names a file, or a place nobody may
    write, would otherwise fail half-way. Nothing is created here."""
    folders = [("state_dir", config.state_dir)]
    if not dry_run and config.delivery.backend == "outbox":
        folders.append(("delivery.outbox_dir", config.delivery.outbox_dir))
    for key, folder in folders:
        problem = _folder_problem(folder)
        if problem:
            raise RunError(
                f"{config.source}: '{key}' is {folder}, which cannot be used as a folder "
                f"({problem}). Nothing was sent. Point '{key}' to a folder you can write to "
                f"(or, if a file has that name, move the file elsewhere), then run again."
            )


def _folder_problem(folder: Path) -> str | None:
    """Why `folder` can't be used, or None. A missing one is made and removed again (only
    trying tells: root may "write" into /proc), so a refused run leaves nothing behind."""
    if folder.exists():
        if not folder.is_dir():
            return "a file has that name"
        return (
            None if os.access(folder, os.W_OK | os.X_OK) else "this user account cannot write to it"
        )
    missing = [folder, *(p for p in folder.parents if not p.exists())]
    try:
        folder.mkdir(parents=True)
    except OSError as exc:
        return exc.strerror or str(exc)
    for made in missing:  # deepest first
        with suppress(OSError):
            made.rmdir()
    return None


def check_templates(renderer: Renderer) -> None:
    """The one template check before a run, a dry run or a preview: every message template
    renders in every language, or nothing is sent (exit 2) and the owner is told which file."""
    problems = renderer.check()
    if problems:
        raise RunError(
            "a message template does not render, so nothing was sent: "
            + "; ".join(problems[:5])
            + ". Fix the template (or delete your copy to use the built-in one) and run again; "
            "'xlsdun check' lists every problem."
        )


def check_run_day(ledger: Ledger, today: date, *, allow_earlier: bool) -> None:
    """A run as of a day before the latest the ledger ran for would rewrite the contact
    history with an older picture (`--force`: `allow_earlier`)."""
    latest = ledger.latest_run_day()
    if latest and today < latest and not allow_earlier:
        raise RunError(
            f"xlsdun has already run as of {latest.isoformat()}; a run as of "
            f"{today.isoformat()} would rewrite the contact history and the workbook "
            f"with an older picture. Check --today (use 'xlsdun plan' to look at a past "
            f"date), or add --force if you really mean it."
        )


def check_sheet(config: Config, receivables: Receivables) -> None:
    """Problems the write-back would hit every day, found before anything is sent."""
    info = receivables.sheet
    if (
        info is not None
        and not info.read_only
        and not config.workbook.allow_protected_sheet
        and info.protected  # seen by the reader's one pass over the sheet (spread.py)
    ):
        raise RunError(
            f"{config.workbook.path}, sheet '{info.sheet}': the sheet is protected, so xlsdun "
            f"cannot write the outcomes into it; nothing was sent. Unprotect it (Review > "
            f"Unprotect Sheet), or set allow_protected_sheet = true under [workbook] to let "
            f"xlsdun write its own columns anyway."
        )
