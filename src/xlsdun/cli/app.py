"""The `xlsdun` group and what its commands share: the options, the console, and the one
place an error becomes an exit code (DESIGN.md, Exit codes). No traceback reaches the user
unless --debug is given.

Each command declares which shared options it takes (`common(today=..., json=...)`), so
`--today` and `--json` appear only where they mean something.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from typing import Any

import click
from rich.console import Console

from .. import __version__
from ..config import Config
from ..errors import EXIT_FAILED, RunError, known_exit
from ..report import plain

# Dates before 1900 are not invoice dates (the reader refuses them too); the far end leaves
# room for every date the plan computes from `today` (deadlines, next send days).
EARLIEST_TODAY, LATEST_TODAY = date(1900, 1, 1), date(2999, 12, 31)


def terminal(quiet: bool) -> Console:
    """The terminal; past a pipe or under cron, lines as wide as a report needs."""
    return Console(quiet=quiet, soft_wrap=False, width=None if sys.stdout.isatty() else 140)


def err(message: str) -> None:
    """An error line on stderr, however the message was made (cells included)."""
    click.echo(f"xlsdun: error: {plain(message)}", err=True)


def today_in(config: Config, day: date | None) -> date:
    """The day a command works as of: --today, else today on the config's clock."""
    return day if day is not None else datetime.now(config.zone).date()


def _parse_today(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
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
    return day


class Configs(Enum):
    """How a command takes `--config`."""

    ONE = "one"  # one file: a glob must match exactly one
    MANY = "many"  # several, globs expanded here (Windows shells don't)
    PATTERNS = "patterns"  # as given: a trigger that keeps a glob picks up a new client folder


def config_paths(configs: Configs, given: tuple[str, ...]) -> str | list[str]:
    """The `config_path` a command receives: one path, or a list for the others. `given` is
    never empty: --config defaults to xlsdun.toml."""
    from ..multi import expand

    if configs is Configs.PATTERNS:
        return list(given)
    paths = expand(given)
    if configs is Configs.MANY:
        return paths
    if len(paths) != 1:
        raise RunError(f"this command takes one config, got {len(paths)}: {', '.join(paths)}")
    return paths[0]


_CONFIG = click.option(
    "--config",
    "config_path",
    multiple=True,
    default=("xlsdun.toml",),
    show_default=True,
    type=click.Path(dir_okay=False),
    help="The config file; repeat it, or give a quoted glob such as "
    "'clients/*/xlsdun.toml', for several (run, schedule, install-schedule, doctor, report).",
)
_TODAY = click.option(
    "--today",
    callback=_parse_today,
    metavar="YYYY-MM-DD",
    help="Run as of this date (default: today in the configured time zone).",
)
_JSON = click.option("--json", "as_json", is_flag=True, help="Machine-readable summary on stdout.")
_QUIET = click.option("--quiet", is_flag=True, help="Print nothing but errors (for cron).")
_DEBUG = click.option("--debug", is_flag=True, help="Show tracebacks.")


def common(
    *, today: bool = False, json: bool = False, configs: Configs = Configs.ONE
) -> Callable[[Callable[..., int]], Callable[..., None]]:
    """The shared options a command takes (--config, --quiet and --debug always; --today and
    --json where it uses them), and the one place its errors become exit codes."""
    shared = [_CONFIG, *([_TODAY] if today else []), *([_JSON] if json else []), _QUIET, _DEBUG]

    def decorate(func: Callable[..., int]) -> Callable[..., None]:
        @functools.wraps(func)
        def wrapper(*args: Any, debug: bool, **kwargs: Any) -> None:
            sys.exit(_exit_code(func, configs, debug, args, kwargs))

        for option in reversed(shared):  # listed in --help in the order above
            option(wrapper)
        return wrapper

    return decorate


def _exit_code(
    func: Callable[..., int],
    configs: Configs,
    debug: bool,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> int:
    """The command's own exit code, or its error's, said on stderr (--debug: raised)."""
    _replace_unencodable()
    try:
        kwargs["config_path"] = config_paths(configs, kwargs["config_path"])
        with contextlib.redirect_stdout(_ReaderMayLeave(sys.stdout)):
            return func(*args, **kwargs) or 0
    except Exception as exc:
        if debug:
            raise
        message, code = known_exit(exc) or (
            f"unexpected {type(exc).__name__}: {exc}. What was sent is recorded in the "
            f"ledger; run again with --debug for details and report it.",
            EXIT_FAILED,
        )
        err(message)
        return code


def _replace_unencodable() -> None:
    """Output never crashes on the terminal's encoding: a redirected log or Task Scheduler
    output on Windows is often cp1252 or cp437, where Hebrew names, "₪" and "—" cannot be
    written. Such characters print as "?" and the command keeps its own exit code (a crash
    after sending used to exit 1, which a scheduler reads as a failed run)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and getattr(stream, "errors", None) == "strict":
            reconfigure(errors="replace")


class _ReaderMayLeave:
    """stdout for a command: once its reader has gone (`xlsdun install-schedule | head`), the
    rest of the output goes to the null device and the command carries on to its own exit
    code. The closed pipe used to end it midway, with rich's exit 1 or "unexpected
    BrokenPipeError" (the files written, the run done, the exit code not the command's)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._to_null()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._to_null()

    def _to_null(self) -> None:
        """What is left in the buffer, and all that follows (the interpreter's last flush
        too, which would say "Exception ignored ... BrokenPipeError"), goes nowhere."""
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, self._stream.fileno())
        os.close(null)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)  # isatty, encoding, fileno, ... as the stream's


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="xlsdun")
def main() -> None:
    """Collect overdue invoices straight from your Excel workbook."""
