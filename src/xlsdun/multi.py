"""Several workbooks in one go: a bookkeeper's `--config clients/*/xlsdun.toml`.

Each config keeps its own ledger, state and log. One client's failure (a locked workbook,
a broken config, a refused SMTP login) is recorded and reported, and the next client runs
anyway; the exit code is the worst of them. The owner digest goes per client (from the
run itself) or, for configs with `[owner] digest = "combined"`, as one email per owner
address covering every client of the batch, broken ones included.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from pathlib import Path

from . import config as config_mod
from . import digest as digest_mod
from . import logs
from .config import Config
from .engine import RunOptions, run_once
from .errors import EXIT_FAILED, RunError, known_exit
from .ledger import Ledger
from .models import Delivery, RunReport
from .preflight import check_folders
from .wiring import ledger_path, make_backend


class StopRequested(Exception):
    """SIGTERM or Ctrl-C arrived: stop after the current send, the rest waits."""


@dataclass(slots=True)
class ClientResult:
    path: str
    config: Config | None = None
    report: RunReport | None = None
    error: str | None = None
    exit_code: int = 0
    stopped: bool = False

    @property
    def name(self) -> str:
        if self.config is not None and self.config.sender.business:
            return self.config.sender.business
        return Path(self.path).parent.name or self.path


def expand(patterns: Iterable[str]) -> list[str]:
    """Config paths with globs expanded here, since Windows shells leave `*` to the program.

    A pattern that matches nothing is kept as it is, so loading it fails with a message
    naming it instead of the client silently dropping out.
    """
    seen: dict[str, None] = {}
    for pattern in patterns:
        pattern = os.path.expanduser(pattern)
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        for m in matches or [pattern]:
            seen.setdefault(m, None)
    return list(seen)


def error_exit(exc: BaseException) -> tuple[str, int]:
    """The message and exit code for a failed client (errors.known_exit, as the CLI)."""
    return known_exit(exc) or (
        f"unexpected {type(exc).__name__}: {exc}. What was sent is recorded in the ledger; "
        f"the log in the state folder has the details.",
        EXIT_FAILED,
    )


def _remember_secrets(cfg: Config) -> None:
    if cfg.delivery.backend == "outbox":
        return
    logs.add_secret(os.environ.get(cfg.delivery.smtp.password_env or ""))
    logs.add_secret(cfg.delivery.smtp.password)


def check_run_date(cfg: Config, day: date, *, today_given: bool, force: bool) -> None:
    """A real run as of a date ahead of today (in the config's time zone) is a typo or a test:
    it would record reminders on that date, and the real run of today would then be refused
    as older than it. `plan`, `preview` and `--dry-run` look at any date."""
    real = datetime.now(cfg.zone).date()
    if today_given and not force and day > real:
        raise RunError(
            f"--today {day.isoformat()} is after today ({real.isoformat()} in "
            f"{cfg.locale.timezone}); reminders would be recorded as sent on that date and "
            f"today's real run would then be refused. To look ahead, use 'xlsdun plan --today "
            f"{day.isoformat()}' or 'xlsdun run --dry-run --today {day.isoformat()}'; add --force "
            f"only if you really mean it."
        )


def run_client(
    path: str,
    *,
    today: date | None = None,
    dry_run: bool = False,
    on_delivery: Callable[[Delivery], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    reraise: bool = False,
    force: bool = False,
) -> ClientResult:
    """One client's daily run; every failure becomes part of the result (unless `reraise`)."""
    result = ClientResult(path=path)
    cfg = _load(result, dry_run=dry_run, reraise=reraise)
    if cfg is None:
        return result
    if not dry_run:  # a dry run records nothing outside its preview folder, logs included
        logs.attach(cfg.state_dir, cfg.zone)
    _remember_secrets(cfg)
    day = today or datetime.now(cfg.zone).date()
    options = RunOptions(
        dry_run=dry_run, on_delivery=_delivered(on_delivery, should_stop), allow_earlier=force
    )
    with logs.client(cfg.state_dir):
        try:
            check_run_date(cfg, day, today_given=today is not None, force=force or dry_run)
            report = run_once(cfg, day, options)
        except StopRequested:
            result.stopped = True
            result.error = "stopped on request; the remaining reminders go out on the next run"
            logs.log.warning("run stopped on request between two sends")
            return result
        except Exception as exc:
            _failed(result, exc)
            if reraise:
                raise
            if not dry_run:
                _notify_failure(cfg, result, day)
            return result
        result.report = report
        result.exit_code = report.exit_code
        _log_finished(report)
    return result


def _load(result: ClientResult, *, dry_run: bool, reraise: bool) -> Config | None:
    """The client's config, its folders checked; None (the failure in `result`) if unusable."""
    try:
        result.config = cfg = config_mod.load(result.path)
        check_folders(cfg, dry_run=dry_run)  # before the log is attached inside state_dir
    except Exception as exc:
        result.error, result.exit_code = error_exit(exc)
        logs.log.error("config %s: %s", result.path, result.error)
        if reraise:
            raise
        return None
    return cfg


def _delivered(
    on_delivery: Callable[[Delivery], None] | None, should_stop: Callable[[], bool] | None
) -> Callable[[Delivery], None]:
    """The run's per-delivery callback: log it, pass it on, and stop between two sends when
    asked (the delivery just made is already recorded)."""

    def delivered(d: Delivery) -> None:
        logs.log.info(
            "%s: %s (%s%s) %s",
            d.action.customer,
            d.outcome,
            d.action.tier or "-",
            "" if d.action.variant == "standard" else f", {d.action.variant}",
            d.message_id or "",
        )
        if on_delivery:
            on_delivery(d)
        if should_stop and should_stop():
            raise StopRequested

    return delivered


def _failed(result: ClientResult, exc: Exception) -> None:
    result.error, result.exit_code = error_exit(exc)
    logs.log.error(
        "run failed (exit %s): %s",
        result.exit_code,
        result.error,
        exc_info=result.exit_code == EXIT_FAILED,
    )


def _log_finished(report: RunReport) -> None:
    outcomes: dict[str, int] = {}
    for d in report.deliveries:
        outcomes[d.outcome] = outcomes.get(d.outcome, 0) + 1
    logs.log.info(
        "run finished: exit %s, %s, workbook %s%s",
        report.exit_code,
        ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items())) or "nothing sent",
        "updated" if report.workbook_written else "unchanged",
        "".join(f"; note: {n}" for n in report.notes),
    )


def _notify_failure(cfg: Config, result: ClientResult, today: date) -> None:
    """A run that did not happen still reaches the owner (per-client digest)."""
    if cfg.owner_digest != "per_client" or not cfg.owner_email or result.error is None:
        return
    try:
        item = digest_mod.failed(result.path, result.error, result.exit_code, today, cfg)
        with Ledger(ledger_path(cfg)) as ledger:  # the same failure again: not mailed again
            where = digest_mod.send_once(
                cfg, [item], today, ledger, partial(make_backend, cfg, today)
            )
        if where:
            logs.log.info("owner told of the failure: %s", where)
    except Exception:  # noqa: BLE001 - telling the owner must not hide the original failure
        logs.log.exception("could not tell the owner about the failed run")


def worst(codes: Iterable[int]) -> int:
    return max(codes, default=0)


def run_many(
    paths: Iterable[str],
    *,
    today: date | None = None,
    dry_run: bool = False,
    on_start: Callable[[str], None] | None = None,
    on_delivery: Callable[[Delivery], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    force: bool = False,
) -> list[ClientResult]:
    """Run every client in turn; a failure in one never stops the others (only a stop does)."""
    results = []
    for path in paths:
        if should_stop and should_stop():
            break
        if on_start:
            on_start(path)
        result = run_client(
            path,
            today=today,
            dry_run=dry_run,
            on_delivery=on_delivery,
            should_stop=should_stop,
            force=force,
        )
        results.append(result)
        if result.stopped:
            break
    if not dry_run:
        send_combined(results, today)
    return results


def _client_digest(result: ClientResult, today: date) -> digest_mod.ClientDigest:
    cfg = result.config
    day = result.report.today if result.report else today
    if cfg is not None and result.report is not None:
        with Ledger(ledger_path(cfg)) as ledger:
            return digest_mod.collect(cfg, result.report, ledger)
    return digest_mod.failed(result.path, result.error or "did not run", result.exit_code, day, cfg)


def send_combined(results: list[ClientResult], today: date | None = None) -> list[str]:
    """One digest per owner address for the clients that asked for a combined digest.

    Clients whose config could not be read are in every combined digest: their own
    owner address is unknown, and the bookkeeper is the one who can fix them.
    """
    unreadable = [r for r in results if r.config is None]
    sent = []
    for members in _combined_groups(results):
        everyone = members + unreadable
        if any(_worth_telling(r) for r in everyone):
            where = _send_group(members, everyone, today)
            if where:
                sent.append(where)
    return sent


def _combined_groups(results: list[ClientResult]) -> list[list[ClientResult]]:
    """The clients that asked for a combined digest, by owner address (any case)."""
    groups: dict[str, list[ClientResult]] = {}
    for r in results:
        if r.config is not None and r.config.owner_digest == "combined" and r.config.owner_email:
            groups.setdefault(r.config.owner_email.casefold(), []).append(r)
    return list(groups.values())


def _worth_telling(result: ClientResult) -> bool:
    """A client that failed, or whose run did something, makes a digest worth sending."""
    return bool(result.error or (result.report and digest_mod.did_anything(result.report)))


def _send_group(
    members: list[ClientResult], everyone: list[ClientResult], today: date | None
) -> str | None:
    """One owner's combined digest, through the first member's config (its ledger remembers
    what the owner was told); where it went, or None. A failure is noted, never raised."""
    host = members[0].config
    assert host is not None
    day = today or datetime.now(host.zone).date()
    try:
        clients = [_client_digest(r, day) for r in sorted(everyone, key=lambda r: r.path)]
        with Ledger(ledger_path(host)) as ledger, logs.client(host.state_dir):
            where = digest_mod.send_once(
                host, clients, day, ledger, partial(make_backend, host, day)
            )
        if where:
            with logs.client(host.state_dir):
                logs.log.info("combined digest for %d client(s) sent: %s", len(clients), where)
        return where
    except Exception as exc:  # noqa: BLE001 - a digest must never undo the runs
        with logs.client(host.state_dir):
            logs.log.exception("combined digest failed")
        for r in members:
            if r.report is not None:
                r.report.notes.append(f"the combined digest could not be sent ({exc})")
        return None
